package jwtauth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
)

// withExponent returns a copy of rsaKey's public key with exponent e.
func withExponent(e int) *rsa.PublicKey {
	return &rsa.PublicKey{N: new(big.Int).Set(rsaKey.N), E: e}
}

// pkixPEM encodes pub as a PUBLIC KEY PEM block.
func pkixPEM(t *testing.T, pub *rsa.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// TestRSAKeyChecks: RSA keys crypto/rsa cannot verify with (exponent 1 or
// even or beyond 2^31-1, an even modulus) are refused at setup by NewKey,
// PublicKey and PEM alike, not by the first request.
func TestRSAKeyChecks(t *testing.T) {
	t.Parallel()
	evenN := &rsa.PublicKey{N: new(big.Int).Add(rsaKey.N, big.NewInt(1)), E: 65537}
	huge := &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 16385), E: 65537}
	huge.N.Add(huge.N, big.NewInt(1))
	tests := []struct {
		name string
		pub  *rsa.PublicKey
		want string // in the error; "" for accepted
	}{
		{"exponent 65537", withExponent(65537), ""},
		{"exponent 3", withExponent(3), ""},
		{"exponent 1", withExponent(1), "public exponent 1"},
		{"exponent 0", withExponent(0), "public exponent 0"},
		{"negative exponent", withExponent(-3), "public exponent -3"},
		{"even exponent", withExponent(65536), "public exponent 65536"},
		{"exponent 2", withExponent(2), "public exponent 2"},
		{"exponent beyond 2^31-1", withExponent(1<<31 + 1), "public exponent 2147483649"},
		{"even modulus", evenN, "even modulus"},
		{"modulus over 16384 bits", huge, "longer than 16384 bits"},
		{"no modulus", &rsa.PublicKey{E: 65537}, "has no modulus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := func(how string, err error) {
				t.Helper()
				switch {
				case tt.want == "" && err != nil:
					t.Errorf("%s: unexpected error %v", how, err)
				case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
					t.Errorf("%s: error %v, want one saying %q", how, err, tt.want)
				}
			}
			_, err := jwtauth.NewKey("k", "PS256", tt.pub)
			check("NewKey", err)
			_, err = jwtauth.New(jwtauth.PublicKey("RS256", tt.pub))
			check("New(PublicKey)", err)
			if tt.pub.N != nil && tt.pub.E > 0 && tt.pub.E <= 1<<31-1 && tt.pub.N.BitLen() <= 16384 {
				_, err = jwtauth.New(jwtauth.PEM("RS256", pkixPEM(t, tt.pub)))
				check("New(PEM)", err)
			}
		})
	}
}

// TestHMACKeyLength: an HMAC secret must be at least as long as its hash
// (RFC 7518 section 3.2), per algorithm, at setup for static sources.
func TestHMACKeyLength(t *testing.T) {
	t.Parallel()
	long := []byte(strings.Repeat("k", 64))
	tests := []struct {
		alg  string
		n    int
		want string // in New's error; "" for accepted
	}{
		{"HS256", 31, "HS256 secret is 31 bytes; at least 32"},
		{"HS256", 32, ""},
		{"HS384", 32, "HS384 secret is 32 bytes; at least 48"},
		{"HS384", 47, "HS384 secret is 47 bytes; at least 48"},
		{"HS384", 48, ""},
		{"HS512", 48, "HS512 secret is 48 bytes; at least 64"},
		{"HS512", 63, "HS512 secret is 63 bytes; at least 64"},
		{"HS512", 64, ""},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"/"+string(rune('0'+tt.n/10))+string(rune('0'+tt.n%10)), func(t *testing.T) {
			t.Parallel()
			_, err := jwtauth.New(jwtauth.HMAC(tt.alg, long[:tt.n]))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New error %v, want one saying %q", err, tt.want)
			}
			if _, err := jwtauth.New(jwtauth.HMAC(tt.alg, long[:tt.n]), jwtauth.WithInsecureShortHMACKey()); err != nil {
				t.Errorf("New with WithInsecureShortHMACKey: %v", err)
			}
			if got, want := jwtauth.MinHMACKeyBytesFor(tt.alg), map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[tt.alg]; got != want {
				t.Errorf("MinHMACKeyBytesFor(%s) = %d, want %d", tt.alg, got, want)
			}
		})
	}
}

// userSource is a user's own KeySource, which New cannot inspect.
type userSource struct{ key *jwtauth.Key }

func (s userSource) Algorithms() []string { return []string{s.key.Algorithm()} }
func (s userSource) Key(context.Context, string, string) (*jwtauth.Key, error) {
	return s.key, nil
}

// TestCustomSourceShortHMAC: a user's own KeySource cannot serve a short
// HMAC secret either; the rule is checked on the key that verifies, with the
// same insecure override, and the observer learns why.
func TestCustomSourceShortHMAC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		alg    string
		secret []byte
		method jwt.SigningMethod
		opts   []jwtauth.Option
		want   result
		why    error // what the observer sees; nil for none
	}{
		{"1-byte HS256", "HS256", []byte("s"), jwt.SigningMethodHS256, nil, invalidResult, jwtauth.ErrInvalidToken},
		{"32-byte HS512", "HS512", secret, jwt.SigningMethodHS512, nil, invalidResult, jwtauth.ErrInvalidToken},
		{"64-byte HS512", "HS512", []byte(strings.Repeat("k", 64)), jwt.SigningMethodHS512, nil, okResult, nil},
		{"1-byte HS256, insecure", "HS256", []byte("s"), jwt.SigningMethodHS256, []jwtauth.Option{jwtauth.WithInsecureShortHMACKey()}, okResult, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := jwtauth.NewKey("", tt.alg, tt.secret)
			if err != nil {
				t.Fatal(err)
			}
			var seen error
			opts := append([]jwtauth.Option{jwtauth.WithTimeFunc(clock),
				jwtauth.WithErrorObserver(func(_ *http.Request, err error) { seen = err })}, tt.opts...)
			m, err := jwtauth.New(userSource{k}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			tok := mint(t, tt.method, tt.secret, goodClaims(), nil)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.why == nil {
				if seen != nil {
					t.Errorf("observer saw %v, want nothing", seen)
				}
				return
			}
			if !errors.Is(seen, tt.why) || !strings.Contains(seen.Error(), "shorter than the algorithm's hash") {
				t.Errorf("observer saw %v, want %v naming the short secret", seen, tt.why)
			}
		})
	}
}

// TestEd25519Algorithm checks RFC 9864's fully-specified "Ed25519": a token
// with that alg verifies with an Ed25519 key bound to it, not with one bound
// to "EdDSA" (a key is bound to exactly one algorithm), and Ed448 is refused
// clearly at setup.
func TestEd25519Algorithm(t *testing.T) {
	t.Parallel()
	edMethod := jwt.SigningMethodEdDSA
	signed := func(alg string) string {
		h := b64(`{"alg":"` + alg + `","typ":"JWT"}`)
		p, _ := json.Marshal(goodClaims())
		in := h + "." + base64.RawURLEncoding.EncodeToString(p)
		sig, err := edMethod.Sign(in, edPriv)
		if err != nil {
			t.Fatal(err)
		}
		return in + "." + base64.RawURLEncoding.EncodeToString(sig)
	}
	tests := []struct {
		name     string
		keyAlg   string
		tokenAlg string
		want     int
	}{
		{"Ed25519 key, Ed25519 token", "Ed25519", "Ed25519", http.StatusOK},
		{"EdDSA key, EdDSA token", "EdDSA", "EdDSA", http.StatusOK},
		{"EdDSA key, Ed25519 token", "EdDSA", "Ed25519", http.StatusUnauthorized},
		{"Ed25519 key, EdDSA token", "Ed25519", "EdDSA", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mw, err := jwtauth.New(jwtauth.PublicKey(tt.keyAlg, edPub), jwtauth.WithTimeFunc(clock))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Authorization", "Bearer "+signed(tt.tokenAlg))
			mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status = %d, want %d", rec.Code, tt.want)
			}
		})
	}
	for _, alg := range []string{"Ed448"} {
		_, err := jwtauth.NewKey("", alg, edPub)
		if err == nil || !strings.Contains(err.Error(), "Ed448 is not supported") {
			t.Errorf("NewKey(%q) error = %v, want one saying Ed448 is not supported", alg, err)
		}
	}
}

func selfSignedPEM(t testing.TB, key *rsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "issuer.example"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestPEMSources(t *testing.T) {
	t.Parallel()
	pkix, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkixPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})
	pkcs1PEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey)})
	edDER, err := x509.MarshalPKIXPublicKey(edPub)
	if err != nil {
		t.Fatal(err)
	}
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: edDER})
	file := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(file, pkixPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	rsTok := mint(t, jwt.SigningMethodRS256, rsaKey, goodClaims(), nil)
	edTok := mint(t, jwt.SigningMethodEdDSA, edPriv, goodClaims(), nil)
	tests := []struct {
		name string
		keys jwtauth.KeySource
		tok  string
	}{
		{"PKIX", jwtauth.PEM("RS256", pkixPEM), rsTok},
		{"PKCS1", jwtauth.PEM("RS256", pkcs1PEM), rsTok},
		{"certificate", jwtauth.PEM("RS256", selfSignedPEM(t, rsaKey)), rsTok},
		{"file", jwtauth.PEMFile("RS256", file), rsTok},
		{"Ed25519 PKIX", jwtauth.PEM("EdDSA", edPEM), edTok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := jwtauth.New(tt.keys, jwtauth.WithTimeFunc(clock))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeySetRotation(t *testing.T) {
	t.Parallel()
	newRSA := mustRSA(2048)
	set := jwtauth.KeySet(
		mustKey(t, "2026-old", "RS256", &rsaKey.PublicKey),
		mustKey(t, "2026-new", "ES256", &ecKey256.PublicKey),
	)
	m, err := jwtauth.New(set, jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	tests := []struct {
		name string
		tok  string
		want result
	}{
		{"old kid", mint(t, jwt.SigningMethodRS256, rsaKey, c, map[string]any{"kid": "2026-old"}), okResult},
		{"new kid", mint(t, jwt.SigningMethodES256, ecKey256, c, map[string]any{"kid": "2026-new"}), okResult},
		{"no kid", mint(t, jwt.SigningMethodRS256, rsaKey, c, nil), invalidResult},
		{"unknown kid", mint(t, jwt.SigningMethodRS256, rsaKey, c, map[string]any{"kid": "2025"}), invalidResult},
		{"kid differs in case", mint(t, jwt.SigningMethodRS256, rsaKey, c, map[string]any{"kid": "2026-OLD"}), invalidResult},
		{"kid of the other key's algorithm", mint(t, jwt.SigningMethodES256, ecKey256, c, map[string]any{"kid": "2026-old"}), invalidResult},
		{"right kid, other key", mint(t, jwt.SigningMethodRS256, newRSA, c, map[string]any{"kid": "2026-old"}), invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyfunc(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	kf := jwtauth.Keyfunc(func(tok *jwt.Token) (any, error) {
		calls.Add(1)
		if tok.Header["kid"] != "k1" {
			return nil, errors.New("unknown kid")
		}
		return &rsaKey.PublicKey, nil
	}, "RS256")
	m, err := jwtauth.New(kf, jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	tests := []struct {
		name      string
		tok       string
		want      result
		wantCalls int32
	}{
		{"allowed", mint(t, jwt.SigningMethodRS256, rsaKey, c, map[string]any{"kid": "k1"}), okResult, 1},
		{"refused by fn", mint(t, jwt.SigningMethodRS256, rsaKey, c, map[string]any{"kid": "k2"}), invalidResult, 1},
		{"algorithm outside the allowlist never reaches fn", mint(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey), c, map[string]any{"kid": "k1"}), invalidResult, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestKeyfuncShortHMAC: the HMAC length rule holds for keys a Keyfunc
// returns too.
func TestKeyfuncShortHMAC(t *testing.T) {
	t.Parallel()
	short := []byte("secret")
	kf := jwtauth.Keyfunc(func(*jwt.Token) (any, error) { return short, nil }, "HS256")
	tok := mint(t, jwt.SigningMethodHS256, short, goodClaims(), nil)
	for _, tt := range []struct {
		name string
		opts []jwtauth.Option
		want result
	}{
		{"refused by default", nil, invalidResult},
		{"allowed when insecure", []jwtauth.Option{jwtauth.WithInsecureShortHMACKey()}, okResult},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := jwtauth.New(kf, append(tt.opts, jwtauth.WithTimeFunc(clock))...)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
