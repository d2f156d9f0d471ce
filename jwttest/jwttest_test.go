package jwttest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// parse verifies token with k's public key at the clock's time and returns
// its header and claims.
func parse(t *testing.T, k *jwttest.Key, token string, now func() time.Time) (map[string]any, jwt.MapClaims) {
	t.Helper()
	tok, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return k.Public(), nil },
		jwt.WithValidMethods([]string{k.Algorithm()}), jwt.WithTimeFunc(now))
	if err != nil {
		t.Fatalf("verifying minted token: %v", err)
	}
	return tok.Header, tok.Claims.(jwt.MapClaims)
}

func TestNewKeyMintVerifies(t *testing.T) {
	t.Parallel()
	clock := jwttest.NewClock(time.Time{})
	for _, alg := range jwttest.Algorithms() {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			k := jwttest.NewKey(t, alg)
			if !strings.HasPrefix(k.ID(), alg+"-") || k.Algorithm() != alg || k.Method().Alg() != alg {
				t.Fatalf("key: id %q alg %q method %q", k.ID(), k.Algorithm(), k.Method().Alg())
			}
			token := jwttest.Mint(t, k, nil, jwttest.WithNow(clock.Now))
			header, claims := parse(t, k, token, clock.Now)
			wantHeader := map[string]any{"alg": alg, "typ": "JWT", "kid": k.ID()}
			if diff := cmp.Diff(wantHeader, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			now := clock.Now().Unix()
			wantClaims := jwt.MapClaims{
				"iss": jwttest.DefaultIssuer, "aud": jwttest.DefaultAudience, "sub": jwttest.DefaultSubject,
				"iat": float64(now), "exp": float64(now + int64(jwttest.DefaultTTL/time.Second)),
			}
			if diff := cmp.Diff(wantClaims, claims); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewKeyEd25519: RFC 9864's "Ed25519" name: an EdDSA signature whose
// header and JWK say "Ed25519".
func TestNewKeyEd25519(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, jwttest.Ed25519)
	if !strings.HasPrefix(k.ID(), "Ed25519-") || k.Algorithm() != "Ed25519" || k.Method() != jwt.SigningMethodEdDSA {
		t.Fatalf("key: id %q alg %q method %q", k.ID(), k.Algorithm(), k.Method().Alg())
	}
	token := jwttest.Mint(t, k, nil)
	if diff := cmp.Diff(map[string]any{"alg": "Ed25519", "typ": "JWT", "kid": k.ID()}, decodeHeader(t, token)); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	i := strings.LastIndexByte(token, '.')
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || !ed25519.Verify(k.Public().(ed25519.PublicKey), []byte(token[:i]), sig) {
		t.Errorf("the signature does not verify (%v)", err)
	}
	if diff := cmp.Diff(jwttest.JWK{Kty: "OKP", Use: "sig", Alg: "Ed25519", Kid: k.ID(), Crv: "Ed25519", X: k.JWK().X}, k.JWK()); diff != "" {
		t.Errorf("JWK (-want +got):\n%s", diff)
	}
}

func TestNewKeySizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg  string
		want string
	}{
		{"HS256", "[]uint8 32"},
		{"HS384", "[]uint8 48"},
		{"HS512", "[]uint8 64"},
		{"RS256", "*rsa.PublicKey 2048"},
		{"PS512", "*rsa.PublicKey 2048"},
		{"ES256", "*ecdsa.PublicKey P-256"},
		{"ES384", "*ecdsa.PublicKey P-384"},
		{"ES512", "*ecdsa.PublicKey P-521"},
		{"EdDSA", "ed25519.PublicKey 32"},
	}
	for _, tc := range tests {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			var got string
			switch pub := jwttest.NewKey(t, tc.alg).Public().(type) {
			case []byte:
				got = "[]uint8 " + itoa(len(pub))
			case *rsa.PublicKey:
				got = "*rsa.PublicKey " + itoa(pub.N.BitLen())
			case *ecdsa.PublicKey:
				got = "*ecdsa.PublicKey " + pub.Curve.Params().Name
			case ed25519.PublicKey:
				got = "ed25519.PublicKey " + itoa(len(pub))
			}
			if got != tc.want {
				t.Errorf("public key = %s, want %s", got, tc.want)
			}
		})
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestKeyWithIDAndPublicCopy(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "HS256")
	k2 := k.WithID("other")
	if k2.ID() != "other" || k.ID() == "other" {
		t.Fatalf("WithID: got %q, original %q", k2.ID(), k.ID())
	}
	// Same material: a token from k2 verifies with k's secret.
	token := jwttest.Mint(t, k2, nil)
	if _, claims := parse(t, k, token, time.Now); claims["sub"] != jwttest.DefaultSubject {
		t.Errorf("sub = %v", claims["sub"])
	}
	pub := k.Public().([]byte)
	pub[0] ^= 0xff
	if k.Public().([]byte)[0] == pub[0] {
		t.Error("Public returned the secret itself, not a copy")
	}
}

// decodeJWK turns a jwttest.JWK back into a public key, independently of the
// package's encoder.
func decodeJWK(t *testing.T, j jwttest.JWK) any {
	t.Helper()
	b := func(s string) []byte {
		d, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil {
			t.Fatalf("member is not base64url: %q", s)
		}
		return d
	}
	switch j.Kty {
	case "oct":
		return b(j.K)
	case "RSA":
		return &rsa.PublicKey{N: new(big.Int).SetBytes(b(j.N)), E: int(new(big.Int).SetBytes(b(j.E)).Int64())}
	case "EC":
		size := map[string]int{"P-256": 32, "P-384": 48, "P-521": 66}[j.Crv]
		x, y := b(j.X), b(j.Y)
		if len(x) != size || len(y) != size {
			t.Fatalf("EC coordinates are %d and %d bytes, want %d", len(x), len(y), size)
		}
		return [2]*big.Int{new(big.Int).SetBytes(x), new(big.Int).SetBytes(y)}
	case "OKP":
		return ed25519.PublicKey(b(j.X))
	}
	t.Fatalf("unknown kty %q", j.Kty)
	return nil
}

func TestKeyJWK(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			k := jwttest.NewKey(t, alg)
			j := k.JWK()
			if j.Use != "sig" || j.Alg != alg || j.Kid != k.ID() {
				t.Errorf("use/alg/kid = %q/%q/%q", j.Use, j.Alg, j.Kid)
			}
			got := decodeJWK(t, j)
			equal := false
			switch pub := k.Public().(type) {
			case []byte:
				equal = string(pub) == string(got.([]byte))
			case *rsa.PublicKey:
				equal = pub.Equal(got)
			case *ecdsa.PublicKey:
				xy := got.([2]*big.Int)
				equal = pub.X.Cmp(xy[0]) == 0 && pub.Y.Cmp(xy[1]) == 0
			case ed25519.PublicKey:
				equal = pub.Equal(got)
			}
			if !equal {
				t.Errorf("JWK %+v does not encode the public key", j)
			}
		})
	}
	if j := jwttest.NewKey(t, "EdDSA").WithID("").JWK(); j.Kid != "" {
		t.Errorf("kid = %q for a key without ID", j.Kid)
	}
}

func TestMintClaims(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "ES256")
	clock := jwttest.NewClock(time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC))
	now := float64(clock.Now().Unix())
	type custom struct {
		jwt.RegisteredClaims
		Scope string `json:"scope"`
	}
	tests := []struct {
		name   string
		claims any
		opts   []jwttest.MintOption
		want   jwt.MapClaims
	}{
		{
			name:   "map adds to defaults and overrides them",
			claims: jwt.MapClaims{"sub": "alice", "scope": "read", "n": 1},
			want: jwt.MapClaims{"iss": jwttest.DefaultIssuer, "aud": jwttest.DefaultAudience, "sub": "alice",
				"iat": now, "exp": now + 3600, "scope": "read", "n": float64(1)},
		},
		{
			name:   "nil in a map drops a default",
			claims: map[string]any{"exp": nil, "aud": []string{"a", "b"}},
			want: jwt.MapClaims{"iss": jwttest.DefaultIssuer, "aud": []any{"a", "b"}, "sub": jwttest.DefaultSubject,
				"iat": now},
		},
		{
			name: "struct; omitted fields get defaults",
			claims: custom{
				RegisteredClaims: jwt.RegisteredClaims{Issuer: "https://other", ExpiresAt: jwt.NewNumericDate(clock.Now().Add(time.Minute))},
				Scope:            "write",
			},
			want: jwt.MapClaims{"iss": "https://other", "aud": jwttest.DefaultAudience, "sub": jwttest.DefaultSubject,
				"iat": now, "exp": now + 60, "scope": "write"},
		},
		{
			name:   "without defaults",
			claims: jwt.MapClaims{"exp": 4102444800},
			opts:   []jwttest.MintOption{jwttest.WithoutDefaults()},
			want:   jwt.MapClaims{"exp": float64(4102444800)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token := jwttest.Mint(t, k, tc.claims, append([]jwttest.MintOption{jwttest.WithNow(clock.Now)}, tc.opts...)...)
			_, got := parse(t, k, token, clock.Now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMintHeader(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "HS256")
	tests := []struct {
		name string
		opts []jwttest.MintOption
		want map[string]any
	}{
		{"default", nil, map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.ID()}},
		{"kid", []jwttest.MintOption{jwttest.WithKID("k2")}, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "k2"}},
		{"no kid", []jwttest.MintOption{jwttest.WithKID("")}, map[string]any{"alg": "HS256", "typ": "JWT"}},
		{"typ", []jwttest.MintOption{jwttest.WithTyp("at+jwt")}, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": k.ID()}},
		{"no typ", []jwttest.MintOption{jwttest.WithTyp("")}, map[string]any{"alg": "HS256", "kid": k.ID()}},
		{"extra and removed, in order", []jwttest.MintOption{
			jwttest.WithHeader("crit", []string{"exp"}), jwttest.WithHeader("x", 1), jwttest.WithHeader("x", nil),
		}, map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.ID(), "crit": []any{"exp"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			token := jwttest.Mint(t, k, nil, tc.opts...)
			if diff := cmp.Diff(tc.want, decodeHeader(t, token)); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
		})
	}
}

func decodeHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	data, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	var h map[string]any
	if err := json.Unmarshal(data, &h); err != nil {
		t.Fatalf("header: %v", err)
	}
	return h
}

func TestMintAlgorithmConfusion(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "HS256")
	token := jwttest.Mint(t, k, nil, jwttest.WithHeader("alg", "RS256"))
	if got := decodeHeader(t, token)["alg"]; got != "RS256" {
		t.Fatalf("alg = %v, want RS256", got)
	}
	// Signed with HS256 over the lying header.
	signingString := token[:strings.LastIndex(token, ".")]
	sig, _ := base64.RawURLEncoding.DecodeString(token[strings.LastIndex(token, ".")+1:])
	if err := jwt.SigningMethodHS256.Verify(signingString, sig, k.Public()); err != nil {
		t.Errorf("signature is not HS256 over the header: %v", err)
	}
}

func TestMintUnsigned(t *testing.T) {
	t.Parallel()
	token := jwttest.MintUnsigned(t, jwt.MapClaims{"sub": "mallory"})
	if !strings.HasSuffix(token, ".") || strings.Count(token, ".") != 2 {
		t.Fatalf("token %q is not an unsecured JWS", token)
	}
	if diff := cmp.Diff(map[string]any{"alg": "none", "typ": "JWT"}, decodeHeader(t, token)); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	var zero jwttest.Clock
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := zero.Now(); !got.Equal(start) {
		t.Errorf("zero Clock reads %v, want %v", got, start)
	}
	c := jwttest.NewClock(time.Time{})
	if got := c.Advance(90 * time.Second); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("Advance = %v", got)
	}
	later := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	c.Set(later)
	if got := c.Now(); !got.Equal(later) {
		t.Errorf("after Set, Now = %v, want %v", got, later)
	}
	// Concurrent use (checked by the race detector).
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	if got, want := c.Now(), later.Add(800*time.Second); !got.Equal(want) {
		t.Errorf("after concurrent Advance, Now = %v, want %v", got, want)
	}
}

type response struct {
	Status       int
	CacheControl string
	Body         string
}

func get(t *testing.T, client *http.Client, url string) response {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return response{resp.StatusCode, resp.Header.Get("Cache-Control"), string(body)}
}

func kids(t *testing.T, body string) []string {
	t.Helper()
	var doc struct{ Keys []jwttest.JWK }
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("JWKS %q: %v", body, err)
	}
	out := []string{}
	for _, k := range doc.Keys {
		out = append(out, k.Kid)
	}
	return out
}

func TestJWKSServerKeys(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	b := jwttest.NewKey(t, "EdDSA").WithID("b")
	c := jwttest.NewKey(t, "ES384").WithID("c")
	srv := jwttest.NewJWKSServer(t, a, b)
	client := srv.Client()
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"initial", func() {}, []string{"a", "b"}},
		{"add", func() { srv.AddKeys(c) }, []string{"a", "b", "c"}},
		{"remove", func() { srv.RemoveKeys("b", "nope") }, []string{"a", "c"}},
		{"rotate keeps the previous first key", func() { srv.Rotate(b) }, []string{"b", "a"}},
		{"rotate again drops it", func() { srv.Rotate(c) }, []string{"c", "b"}},
		{"set", func() { srv.SetKeys(a) }, []string{"a"}},
		{"empty", func() { srv.SetKeys() }, []string{}},
	}
	for i, st := range steps {
		st.do()
		if diff := cmp.Diff(st.want, kids(t, get(t, client, srv.URL()).Body)); diff != "" {
			t.Errorf("%s: kids (-want +got):\n%s", st.name, diff)
		}
		if got := srv.Fetches(); got != i+1 {
			t.Errorf("%s: Fetches = %d, want %d", st.name, got, i+1)
		}
	}
}

func TestJWKSServerBehaviour(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "ES256").WithID("k")
	srv := jwttest.NewJWKSServer(t, k)
	client := srv.Client()

	srv.SetCacheControl("max-age=60")
	srv.SetJWKs(jwttest.JWK{Kty: "RSA", Use: "enc", Kid: "raw"})
	got := get(t, client, srv.URL())
	want := response{200, "max-age=60", `{"keys":[{"kty":"RSA","use":"enc","kid":"raw"}]}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SetJWKs (-want +got):\n%s", diff)
	}

	srv.SetBody([]byte("not json"))
	if got := get(t, client, srv.URL()); got.Body != "not json" {
		t.Errorf("SetBody: body %q", got.Body)
	}
	srv.SetBody(nil)
	srv.SetStatus(http.StatusServiceUnavailable)
	if got := get(t, client, srv.URL()); got.Status != 503 || got.Body != "" {
		t.Errorf("SetStatus: %+v", got)
	}
	srv.SetStatus(0)
	if got := get(t, client, srv.URL()); got.Status != 200 || !strings.Contains(got.Body, `"kid":"raw"`) {
		t.Errorf("after SetBody(nil), SetStatus(0): %+v", got)
	}
}

func TestJWKSServerLatency(t *testing.T) {
	t.Parallel()
	srv := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "EdDSA"))
	srv.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL(), nil)
	start := time.Now()
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("a request to a server with an hour's latency succeeded")
	}
	if !srv.WaitFetches(1, 5*time.Second) {
		t.Fatal("WaitFetches(1) timed out")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("the abandoned request took %v", elapsed)
	}
	if srv.WaitFetches(2, 10*time.Millisecond) {
		t.Error("WaitFetches(2) reported a request that was never made")
	}
	// Close must not wait for the hour either (Cleanup would hang).
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.SetLatency(time.Hour)
		go func() { _, _ = srv.Client().Get(srv.URL()) }()
		srv.WaitFetches(2, 5*time.Second)
		srv.Close()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a delayed request")
	}
}

func TestJWKSServerDiscovery(t *testing.T) {
	t.Parallel()
	srv := jwttest.NewTLSJWKSServer(t, jwttest.NewKey(t, "EdDSA"))
	if !strings.HasPrefix(srv.Issuer(), "https://127.0.0.1:") {
		t.Fatalf("Issuer = %q", srv.Issuer())
	}
	client := srv.Client()
	var doc map[string]any
	if err := json.Unmarshal([]byte(get(t, client, srv.Issuer()+jwttest.DiscoveryPath).Body), &doc); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"issuer": srv.Issuer(), "jwks_uri": srv.URL()}, doc); diff != "" {
		t.Errorf("default discovery document (-want +got):\n%s", diff)
	}
	srv.SetDiscoveryDocument(map[string]string{"issuer": "https://evil.example"})
	if got := get(t, client, srv.Issuer()+jwttest.DiscoveryPath).Body; got != `{"issuer":"https://evil.example"}` {
		t.Errorf("replaced discovery document = %s", got)
	}
	if got, want := srv.DiscoveryFetches(), 2; got != want {
		t.Errorf("DiscoveryFetches = %d, want %d", got, want)
	}
	if got := srv.Fetches(); got != 0 {
		t.Errorf("Fetches = %d after discovery requests only", got)
	}
}

// fatalRecorder records Fatalf instead of stopping the test, to check that
// a helper fails the test it is given.
type fatalRecorder struct {
	*testing.T
	failed string
}

func (r *fatalRecorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

// TestKeyPEM: PEM export round-trips through crypto/x509 for every
// asymmetric algorithm, and refuses HMAC keys.
func TestKeyPEM(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "PS384", "ES256", "ES512", "EdDSA", jwttest.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			k := jwttest.NewKey(t, alg)
			block, rest := pem.Decode(k.PublicKeyPEM(t))
			if block == nil || block.Type != "PUBLIC KEY" || len(rest) != 0 {
				t.Fatalf("PublicKeyPEM is not one PUBLIC KEY block: %v", block)
			}
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(k.Public(), pub); diff != "" {
				t.Errorf("public key (-want +got):\n%s", diff)
			}
			block, _ = pem.Decode(k.PrivateKeyPEM(t))
			if block == nil || block.Type != "PRIVATE KEY" {
				t.Fatalf("PrivateKeyPEM is not a PRIVATE KEY block: %v", block)
			}
			priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(k.Private(), priv); diff != "" {
				t.Errorf("private key (-want +got):\n%s", diff)
			}
		})
	}
	r := &fatalRecorder{T: t}
	if out := jwttest.NewKey(t, "HS256").PublicKeyPEM(r); out != nil || !strings.Contains(r.failed, "HMAC key") {
		t.Errorf("PublicKeyPEM of an HMAC key = %q, failure %q; want nil and a failure", out, r.failed)
	}
}

// TestServerMintIssuer: a token the server mints carries the server's
// issuer by default, and a Mint option or claim still wins.
func TestServerMintIssuer(t *testing.T) {
	t.Parallel()
	k := jwttest.NewKey(t, "ES256")
	srv := jwttest.NewJWKSServer(t, k)
	iss := func(tok string) any {
		var c jwt.MapClaims
		if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
			t.Fatal(err)
		}
		return c["iss"]
	}
	got := []any{
		iss(srv.Mint(t, k, nil)),
		iss(jwttest.Mint(t, k, nil)),
		iss(jwttest.Mint(t, k, nil, jwttest.WithIssuer("https://other.example"))),
		iss(srv.Mint(t, k, map[string]any{"iss": "https://claim.example"})),
	}
	want := []any{srv.Issuer(), jwttest.DefaultIssuer, "https://other.example", "https://claim.example"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("iss (-want +got):\n%s", diff)
	}
}
