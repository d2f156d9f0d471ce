package jwtauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
)

// The FastAPI tutorial's token: HS256, key "secret", {"hello":"world"}, no exp.
const tutorialToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJoZWxsbyI6IndvcmxkIn0.bqxXg9VwcbXKoiWtp-osd0WKPX307RjcN7EuXbdq-CE"

const (
	testIssuer   = "https://issuer.example"
	testAudience = "person-api"
)

// now is the fixed clock of every test.
var now = time.Unix(1_800_000_000, 0)

func clock() time.Time { return now }

var (
	secret   = []byte("0123456789abcdef0123456789abcdef") // 32 bytes
	rsaKey   = mustRSA(2048)
	ecKey256 = mustEC(elliptic.P256())
	ecKey384 = mustEC(elliptic.P384())
	ecKey521 = mustEC(elliptic.P521())
	edPub    ed25519.PublicKey
	edPriv   ed25519.PrivateKey
)

func init() {
	var err error
	edPub, edPriv, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
}

func mustRSA(bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// goodClaims are valid at now for testIssuer/testAudience.
func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": testIssuer, "aud": testAudience, "sub": "user-1",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// mint signs claims with golang-jwt.
func mint(t testing.TB, m jwt.SigningMethod, key any, claims jwt.Claims, hdr map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range hdr {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// rawHS256 builds a token from literal header and payload JSON, signed with
// key, so tests can send JSON golang-jwt would never produce.
func rawHS256(key []byte, header, payload string) string {
	in := b64(header) + "." + b64(payload)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// claimsJSON returns goodClaims as JSON with extra members spliced in first.
func claimsJSON(extra string) string {
	b, _ := json.Marshal(goodClaims())
	if extra == "" {
		return string(b)
	}
	return "{" + extra + "," + string(b[1:])
}

const hs256Header = `{"alg":"HS256","typ":"JWT"}`

// strictHS256 is the default configuration with iss and aud and a fixed clock.
func strictHS256(t testing.TB, opts ...jwtauth.Option) *jwtauth.Middleware {
	t.Helper()
	base := []jwtauth.Option{jwtauth.WithIssuer(testIssuer), jwtauth.WithAudience(testAudience), jwtauth.WithTimeFunc(clock)}
	m, err := jwtauth.New(jwtauth.HMAC("HS256", secret), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// result is what a request produced, in comparable form.
type result struct {
	Status    int
	Challenge string
	Body      string
	Called    bool // the next handler ran
	BodyRead  bool // something read the request body
}

// readTracker records whether the request body was read.
type readTracker struct {
	r    io.Reader
	read atomic.Bool
}

func (b *readTracker) Read(p []byte) (int, error) { b.read.Store(true); return b.r.Read(p) }

// do sends one POST / with the Person body through m to a handler that
// records the call and echoes the subject.
func do(t testing.TB, h func(http.Handler) http.Handler, prep func(*http.Request)) result {
	t.Helper()
	body := &readTracker{r: strings.NewReader(`{"name":"Foo","gender":"male","age":25.5,"checked":false}`)}
	req := httptest.NewRequest(http.MethodPost, "/", body)
	req.Header.Set("Content-Type", "application/json")
	if prep != nil {
		prep(req)
	}
	var called bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "ok")
	})
	rec := httptest.NewRecorder()
	h(next).ServeHTTP(rec, req)
	return result{
		Status:    rec.Code,
		Challenge: rec.Header().Get("WWW-Authenticate"),
		Body:      rec.Body.String(),
		Called:    called,
		BodyRead:  body.read.Load(),
	}
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

var (
	okResult      = result{Status: 200, Body: "ok", Called: true}
	missingResult = result{Status: 401, Challenge: `Bearer realm="api"`, Body: `{"detail":"Not authenticated"}` + "\n"}
	invalidResult = result{Status: 401, Challenge: `Bearer realm="api", error="invalid_token"`, Body: `{"detail":"Could not validate credentials"}` + "\n"}
	malformed     = result{Status: 400, Challenge: `Bearer realm="api", error="invalid_request"`, Body: `{"detail":"Malformed authorization request"}` + "\n"}
)

func TestTutorialToken(t *testing.T) {
	t.Parallel()
	demo, err := jwtauth.New(jwtauth.HMAC("HS256", []byte("secret")),
		jwtauth.WithInsecureShortHMACKey(),
		jwtauth.WithoutExpirationRequired(),
		jwtauth.WithTokenSources(jwtauth.FromAuthorization()))
	if err != nil {
		t.Fatal(err)
	}
	raw := func(r *http.Request) { r.Header.Set("Authorization", tutorialToken) }
	if diff := cmp.Diff(okResult, do(t, demo.Handler, raw)); diff != "" {
		t.Errorf("demo configuration, raw token (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(okResult, do(t, demo.Handler, bearer(tutorialToken))); diff != "" {
		t.Errorf("demo configuration, Bearer token (-want +got):\n%s", diff)
	}

	// The strict defaults refuse the key outright...
	if _, err := jwtauth.New(jwtauth.HMAC("HS256", []byte("secret"))); err == nil {
		t.Error("New accepted the 6-byte key \"secret\" without WithInsecureShortHMACKey")
	}
	// ...and, with the key allowed, still refuse a token without exp, and a
	// raw token without the Bearer scheme.
	short, err := jwtauth.New(jwtauth.HMAC("HS256", []byte("secret")), jwtauth.WithInsecureShortHMACKey())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(invalidResult, do(t, short.Handler, bearer(tutorialToken))); diff != "" {
		t.Errorf("exp required (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(missingResult, do(t, short.Handler, raw)); diff != "" {
		t.Errorf("raw token with Bearer-only source (-want +got):\n%s", diff)
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	smallRSA := mustRSA(1024)
	certPEM := selfSignedPEM(t, rsaKey)
	tests := []struct {
		name string
		keys jwtauth.KeySource
		opts []jwtauth.Option
		want string // in the error message
	}{
		{"nil key source", nil, nil, "nil key source"},
		{"short HMAC secret", jwtauth.HMAC("HS256", []byte("short")), nil, "HS256 secret is 5 bytes; at least 32"},
		{"31-byte HMAC secret", jwtauth.HMAC("HS256", secret[:31]), nil, "HS256 secret is 31 bytes; at least 32"},
		{"empty HMAC secret", jwtauth.HMAC("HS256", nil), []jwtauth.Option{jwtauth.WithInsecureShortHMACKey()}, "secret is empty"},
		{"HMAC with RS256", jwtauth.HMAC("RS256", secret), nil, "HMAC needs HS256"},
		{"HMAC with none", jwtauth.HMAC("none", secret), nil, "HMAC needs HS256"},
		{"no algorithm", jwtauth.PublicKey("", &rsaKey.PublicKey), nil, "unsupported algorithm \"\""},
		{"alg none", jwtauth.PublicKey("none", &rsaKey.PublicKey), nil, "unsupported algorithm \"none\""},
		{"RSA key under 2048 bits", jwtauth.PublicKey("RS256", &smallRSA.PublicKey), nil, "shorter than 2048 bits"},
		{"RSA key for ES256", jwtauth.PublicKey("ES256", &rsaKey.PublicKey), nil, "ES256 needs an *ecdsa.PublicKey"},
		{"EC P-384 key for ES256", jwtauth.PublicKey("ES256", &ecKey384.PublicKey), nil, "ES256 needs a key on P-256"},
		{"EC P-256 key for ES512", jwtauth.PublicKey("ES512", &ecKey256.PublicKey), nil, "ES512 needs a key on P-521"},
		{"RSA key for EdDSA", jwtauth.PublicKey("EdDSA", &rsaKey.PublicKey), nil, "EdDSA needs an ed25519.PublicKey"},
		{"Ed25519 key for RS256", jwtauth.PublicKey("RS256", edPub), nil, "RS256 needs an *rsa.PublicKey"},
		{"private RSA key", jwtauth.PublicKey("RS256", rsaKey), nil, "not *rsa.PrivateKey"},
		{"private Ed25519 key", jwtauth.PublicKey("EdDSA", edPriv), nil, "not ed25519.PrivateKey"},
		{"secret for RS256", jwtauth.PublicKey("RS256", secret), nil, "RS256 needs an *rsa.PublicKey"},
		{"PEM garbage", jwtauth.PEM("RS256", []byte("not pem")), nil, "no PEM block"},
		{"PEM certificate for ES256", jwtauth.PEM("ES256", certPEM), nil, "ES256 needs an *ecdsa.PublicKey"},
		{"PEM missing file", jwtauth.PEMFile("RS256", filepath.Join(t.TempDir(), "nope.pem")), nil, "reading key file"},
		{"PEM private key", jwtauth.PEM("RS256", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})), nil, "not a public key or certificate"},
		{"key set without IDs", jwtauth.KeySet(mustKey(t, "", "RS256", &rsaKey.PublicKey), mustKey(t, "", "ES256", &ecKey256.PublicKey)), nil, "distinct, non-empty ID"},
		{"key set duplicate IDs", jwtauth.KeySet(mustKey(t, "a", "RS256", &rsaKey.PublicKey), mustKey(t, "a", "ES256", &ecKey256.PublicKey)), nil, "duplicate key ID \"a\""},
		{"empty key set", jwtauth.KeySet(), nil, "no keys given"},
		{"Keyfunc without algorithms", jwtauth.Keyfunc(func(*jwt.Token) (any, error) { return secret, nil }), nil, "needs an algorithm allowlist"},
		{"Keyfunc with none", jwtauth.Keyfunc(func(*jwt.Token) (any, error) { return secret, nil }, "none"), nil, "unsupported algorithm \"none\""},
		{"Keyfunc nil", jwtauth.Keyfunc(nil, "HS256"), nil, "Keyfunc needs a function"},
		{"negative leeway", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithLeeway(-time.Second)}, "WithLeeway"},
		{"huge leeway", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithLeeway(time.Hour)}, "WithLeeway"},
		{"tiny token cap", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithMaxTokenBytes(0)}, "WithMaxTokenBytes"},
		{"realm with quote", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithRealm(`a"b`)}, "WithRealm"},
		{"empty issuer", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithIssuer("")}, "WithIssuer: empty issuer"},
		{"no audience", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithAudience()}, "WithAudience: no audience"},
		{"empty type", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithType("")}, "WithType"},
		{"no token source", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources()}, "WithTokenSources: no source"},
		{"empty cookie name", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromCookie(""))}, "FromCookie"},
		{"empty query name", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromQuery(""))}, "FromQuery"},
		{"nil custom source", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromFunc(nil))}, "FromFunc"},
		{"zero cache", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithCache(0)}, "WithCache"},
		{"nil time func", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTimeFunc(nil)}, "WithTimeFunc"},
		{"nil revocation check", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithRevocationCheck(nil)}, "WithRevocationCheck"},
		{"nil error handler", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithErrorHandler(nil)}, "WithErrorHandler"},
		{"claims type twice", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithClaims[appClaims](), jwtauth.WithClaims[appClaims]()}, "WithClaims: given twice"},
		{"claims type with a bad tag", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithClaims[badTagClaims]()}, "badTagClaims.Level"},
		{"bearer and raw authorization", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromBearer(), jwtauth.FromAuthorization())}, "same place (the Authorization header)"},
		{"the same cookie twice", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromCookie("at"), jwtauth.FromCookie("at"))}, "same place (cookie at)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := jwtauth.New(tt.keys, tt.opts...)
			if err == nil || m != nil {
				t.Fatalf("New = %v, %v; want nil and an error", m, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New error %q does not say %q", err, tt.want)
			}
		})
	}
}

func mustKey(t testing.TB, kid, alg string, key any) *jwtauth.Key {
	t.Helper()
	k, err := jwtauth.NewKey(kid, alg, key)
	if err != nil {
		// Keys that NewKey refuses are tested through the sources.
		return nil
	}
	return k
}

func TestCredentialsOptional(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithCredentialsOptional())
	var gotClaims atomic.Bool
	h := func(next http.Handler) http.Handler {
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
			gotClaims.Store(ok)
			next.ServeHTTP(w, r)
		}))
	}
	tok := mint(t, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	tests := []struct {
		name       string
		prep       func(*http.Request)
		want       result
		wantClaims bool
	}{
		{"no token", nil, okResult, false},
		{"valid token", bearer(tok), okResult, true},
		{"invalid token", bearer(tok + "x"), invalidResult, false},
		{"malformed request", func(r *http.Request) {
			r.Header.Add("Authorization", "Bearer")
			r.Header.Add("Authorization", "Bearer")
		}, malformed, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotClaims.Store(false)
			if diff := cmp.Diff(tt.want, do(t, h, tt.prep)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := gotClaims.Load(); got != tt.wantClaims {
				t.Errorf("claims present = %v, want %v", got, tt.wantClaims)
			}
		})
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	c := goodClaims()
	c["jti"] = "revoked-1"
	revoked := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	c["jti"] = "fine-1"
	fine := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	noJTI := mint(t, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	hashDenied := jwtauth.SigningInputHash(noJTI)

	var infos []jwtauth.TokenInfo
	var mu sync.Mutex
	check := func(ctx context.Context, ti jwtauth.TokenInfo) error {
		mu.Lock()
		infos = append(infos, ti)
		mu.Unlock()
		switch {
		case ti.ID == "revoked-1", ti.Hash == hashDenied:
			return errors.New("revoked")
		case ti.ID == "fine-1":
			return nil
		}
		return errors.New("deny list unreachable") // fail closed
	}
	unavailable := func(ctx context.Context, ti jwtauth.TokenInfo) error {
		return fmt.Errorf("redis down: %w", jwtauth.ErrKeysUnavailable)
	}
	tests := []struct {
		name  string
		check func(context.Context, jwtauth.TokenInfo) error
		cache bool
		tok   string
		want  result
	}{
		{"jti denied", check, false, revoked, invalidResult},
		{"jti allowed", check, false, fine, okResult},
		{"hash denied", check, false, noJTI, invalidResult},
		{"jti denied, cached twice", check, true, revoked, invalidResult},
		{"jti allowed, cached", check, true, fine, okResult},
		{"store unavailable", unavailable, false, fine, result{Status: 503, Body: `{"detail":"Authentication temporarily unavailable"}` + "\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []jwtauth.Option{jwtauth.WithRevocationCheck(tt.check)}
			if tt.cache {
				opts = append(opts, jwtauth.WithCache(8))
			}
			m := strictHS256(t, opts...)
			for range 2 { // the second request is a cache hit when cached
				if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for _, ti := range infos {
		if ti.Subject != "user-1" {
			t.Errorf("TokenInfo.Subject = %q, want user-1", ti.Subject)
		}
	}
}

// unavailableKeys is a key source that never has keys.
type unavailableKeys struct{}

func (unavailableKeys) Algorithms() []string { return []string{"RS256"} }
func (unavailableKeys) Key(context.Context, string, string) (*jwtauth.Key, error) {
	return nil, fmt.Errorf("fetching JWKS: %w", jwtauth.ErrKeysUnavailable)
}

func TestKeysUnavailable(t *testing.T) {
	t.Parallel()
	m, err := jwtauth.New(unavailableKeys{}, jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, jwt.SigningMethodRS256, rsaKey, goodClaims(), nil)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	m.Handler(http.NotFoundHandler()).ServeHTTP(rec, req)
	got := map[string]string{
		"status": fmt.Sprint(rec.Code), "retry-after": rec.Header().Get("Retry-After"),
		"content-type": rec.Header().Get("Content-Type"), "body": rec.Body.String(),
	}
	want := map[string]string{
		"status": "503", "retry-after": jwtauth.RetryAfterSeconds,
		"content-type": "application/json", "body": `{"detail":"Authentication temporarily unavailable"}` + "\n",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestErrorHandlerAndObserver(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var observed []error
	var logged []string
	m := strictHS256(t,
		jwtauth.WithErrorObserver(func(r *http.Request, err error) {
			mu.Lock()
			defer mu.Unlock()
			observed = append(observed, err)
			logged = append(logged, err.Error())
		}),
		jwtauth.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			switch {
			case errors.Is(err, jwt.ErrTokenExpired):
				http.Error(w, "expired", 419)
			default:
				jwtauth.WriteError(w, r, err)
			}
		}))
	c := goodClaims()
	c["exp"] = now.Add(-time.Hour).Unix()
	expired := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	badSig := mint(t, jwt.SigningMethodHS256, []byte("ffffffffffffffffffffffffffffffff"), goodClaims(), nil)

	tests := []struct {
		name   string
		prep   func(*http.Request)
		status int
		is     []error
	}{
		{"expired", bearer(expired), 419, []error{jwtauth.ErrInvalidToken, jwt.ErrTokenExpired, jwt.ErrTokenInvalidClaims}},
		{"bad signature", bearer(badSig), 401, []error{jwtauth.ErrInvalidToken, jwt.ErrTokenSignatureInvalid}},
		{"malformed token", bearer("a.b"), 401, []error{jwtauth.ErrInvalidToken, jwt.ErrTokenMalformed}},
		{"missing", nil, 401, []error{jwtauth.ErrMissingToken}},
		{"two headers", func(r *http.Request) {
			r.Header.Add("Authorization", "Bearer x")
			r.Header.Add("Authorization", "Bearer y")
		}, 400, []error{jwtauth.ErrMalformedRequest}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			observed = nil
			mu.Unlock()
			if got := do(t, m.Handler, tt.prep); got.Status != tt.status || got.Called {
				t.Errorf("status %d called %v, want %d and not called", got.Status, got.Called, tt.status)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(observed) != 1 {
				t.Fatalf("observer saw %d errors, want 1", len(observed))
			}
			for _, target := range tt.is {
				if !errors.Is(observed[0], target) {
					t.Errorf("errors.Is(%v, %v) = false", observed[0], target)
				}
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	for _, msg := range logged {
		for _, tok := range []string{expired, badSig, string(secret)} {
			if strings.Contains(msg, tok) || strings.Contains(msg, strings.Split(tok, ".")[0][:12]) {
				t.Errorf("error message %q contains token or key material", msg)
			}
		}
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithCache(64), jwtauth.WithClaims[appClaims]())
	c := goodClaims()
	c["tenant"] = "acme"
	c["perms"] = []string{"read"}
	good := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	bad := good[:len(good)-2] + "AA"
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ac, _ := jwtauth.ClaimsFrom[*appClaims](r.Context())
		if ac.Perms[0] != "read" {
			t.Errorf("saw another request's mutation: %v", ac.Perms)
		}
		ac.Perms[0] = "mutated"
		w.WriteHeader(http.StatusNoContent)
	}))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				tok, want := good, http.StatusNoContent
				if (i+j)%3 == 0 {
					tok, want = bad, http.StatusUnauthorized
				}
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				h.ServeHTTP(rec, req)
				if rec.Code != want {
					t.Errorf("status %d, want %d", rec.Code, want)
				}
			}
		}()
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// Fuzzing

// ---------------------------------------------------------------------------
// Benchmarks

var _ crypto.PublicKey = edPub

func TestMultiIssuer(t *testing.T) {
	t.Parallel()
	secretA := []byte("tenant-a-secret-of-32-bytes-long")
	m, err := jwtauth.NewMultiIssuer([]jwtauth.Issuer{
		{Issuer: "https://a.example", Keys: jwtauth.HMAC("HS256", secretA), Audiences: []string{"a-api"}},
		{Issuer: "https://b.example", Keys: jwtauth.PublicKey("RS256", &rsaKey.PublicKey), Audiences: []string{"b-api"}},
	}, jwtauth.WithTimeFunc(clock), jwtauth.WithCache(8))
	if err != nil {
		t.Fatal(err)
	}
	claims := func(iss, aud string) jwt.MapClaims {
		c := goodClaims()
		c["iss"], c["aud"] = iss, aud
		if iss == "" {
			delete(c, "iss")
		}
		return c
	}
	tests := []struct {
		name string
		tok  string
		want result
	}{
		{"issuer A", mint(t, jwt.SigningMethodHS256, secretA, claims("https://a.example", "a-api"), nil), okResult},
		{"issuer B", mint(t, jwt.SigningMethodRS256, rsaKey, claims("https://b.example", "b-api"), nil), okResult},
		{"claims A, signed with B's key", mint(t, jwt.SigningMethodRS256, rsaKey, claims("https://a.example", "a-api"), nil), invalidResult},
		{"claims B, signed with A's secret", mint(t, jwt.SigningMethodHS256, secretA, claims("https://b.example", "b-api"), nil), invalidResult},
		{"issuer A with B's audience", mint(t, jwt.SigningMethodHS256, secretA, claims("https://a.example", "b-api"), nil), invalidResult},
		{"unknown issuer", mint(t, jwt.SigningMethodHS256, secretA, claims("https://c.example", "a-api"), nil), invalidResult},
		{"no issuer", mint(t, jwt.SigningMethodHS256, secretA, claims("", "a-api"), nil), invalidResult},
		{"issuer differs in case", mint(t, jwt.SigningMethodHS256, secretA, claims("https://A.example", "a-api"), nil), invalidResult},
		{"duplicate iss picks nothing", rawHS256(secretA, hs256Header, `{"iss":"https://b.example","iss":"https://a.example","aud":"a-api","exp":1900000000}`), invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 2 { // the second request of an accepted token is a cache hit
				if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}

	bad := map[string]struct {
		issuers []jwtauth.Issuer
		opts    []jwtauth.Option
	}{
		"no issuers":           {nil, nil},
		"empty issuer name":    {[]jwtauth.Issuer{{Keys: jwtauth.HMAC("HS256", secretA)}}, nil},
		"nil keys":             {[]jwtauth.Issuer{{Issuer: "x"}}, nil},
		"same issuer twice":    {[]jwtauth.Issuer{{Issuer: "x", Keys: jwtauth.HMAC("HS256", secretA)}, {Issuer: "x", Keys: jwtauth.HMAC("HS256", secretA)}}, nil},
		"empty audience":       {[]jwtauth.Issuer{{Issuer: "x", Keys: jwtauth.HMAC("HS256", secretA), Audiences: []string{""}}}, nil},
		"WithIssuer as option": {[]jwtauth.Issuer{{Issuer: "x", Keys: jwtauth.HMAC("HS256", secretA)}}, []jwtauth.Option{jwtauth.WithIssuer("x")}},
		"WithAudience option":  {[]jwtauth.Issuer{{Issuer: "x", Keys: jwtauth.HMAC("HS256", secretA)}}, []jwtauth.Option{jwtauth.WithAudience("x")}},
		"short secret":         {[]jwtauth.Issuer{{Issuer: "x", Keys: jwtauth.HMAC("HS256", []byte("short"))}}, nil},
	}
	for name, tt := range bad {
		t.Run(name, func(t *testing.T) {
			if m, err := jwtauth.NewMultiIssuer(tt.issuers, tt.opts...); err == nil || m != nil {
				t.Errorf("NewMultiIssuer = %v, %v; want an error", m, err)
			}
		})
	}
}
