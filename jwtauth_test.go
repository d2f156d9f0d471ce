package jwtauth_test

import (
	"bytes"
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
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
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
		{"tiny token cap", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithMaxTokenLen(0)}, "WithMaxTokenLen"},
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

func TestTokenSources(t *testing.T) {
	t.Parallel()
	tok := mint(t, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	bearerOnly := strictHS256(t).Handler
	cookieAndBearer := strictHS256(t, jwtauth.WithTokenSources(jwtauth.FromBearer(), jwtauth.FromCookie("at"))).Handler
	rawAuth := strictHS256(t, jwtauth.WithTokenSources(jwtauth.FromAuthorization())).Handler
	query := strictHS256(t, jwtauth.WithTokenSources(jwtauth.FromQuery("access_token"))).Handler
	custom := strictHS256(t, jwtauth.WithTokenSources(jwtauth.FromFunc(func(r *http.Request) (string, error) {
		if r.Header.Get("X-Fail") != "" {
			return "", errors.New("boom")
		}
		return r.Header.Get("X-Token"), nil
	}))).Handler
	header := func(kv ...string) func(*http.Request) {
		return func(r *http.Request) {
			for i := 0; i < len(kv); i += 2 {
				r.Header.Add(kv[i], kv[i+1])
			}
		}
	}
	tests := []struct {
		name string
		h    func(http.Handler) http.Handler
		prep func(*http.Request)
		want result
	}{
		{"bearer", bearerOnly, header("Authorization", "Bearer "+tok), okResult},
		{"bearer lower-case scheme", bearerOnly, header("Authorization", "bearer "+tok), okResult},
		{"bearer upper-case scheme", bearerOnly, header("Authorization", "BEARER "+tok), okResult},
		{"bearer several spaces", bearerOnly, header("Authorization", "Bearer   "+tok), okResult},
		{"no header", bearerOnly, nil, missingResult},
		{"basic scheme counts as none", bearerOnly, header("Authorization", "Basic dXNlcjpwYXNz"), missingResult},
		{"raw token with bearer-only source", bearerOnly, header("Authorization", tok), missingResult},
		{"bearer without token", bearerOnly, header("Authorization", "Bearer"), malformed},
		{"bearer with only spaces", bearerOnly, header("Authorization", "Bearer    "), malformed},
		{"empty authorization", bearerOnly, header("Authorization", ""), malformed},
		{"two authorization headers", bearerOnly, header("Authorization", "Bearer "+tok, "Authorization", "Bearer "+tok), malformed},
		{"token with trailing garbage", bearerOnly, header("Authorization", "Bearer "+tok+" x"), invalidResult},
		{"raw source, raw token", rawAuth, header("Authorization", tok), okResult},
		{"raw source, bearer token", rawAuth, header("Authorization", "Bearer "+tok), okResult},
		{"raw source, basic", rawAuth, header("Authorization", "Basic dXNlcjpwYXNz"), invalidResult},
		{"cookie", cookieAndBearer, header("Cookie", "at="+tok), okResult},
		{"cookie and bearer at once", cookieAndBearer, header("Cookie", "at="+tok, "Authorization", "Bearer "+tok), malformed},
		{"two cookies", cookieAndBearer, header("Cookie", "at="+tok+"; at="+tok), malformed},
		{"other cookie only", cookieAndBearer, header("Cookie", "session=x"), missingResult},
		{"query", query, func(r *http.Request) { r.URL.RawQuery = "access_token=" + tok }, okResult},
		{"two query params", query, func(r *http.Request) { r.URL.RawQuery = "access_token=" + tok + "&access_token=" + tok }, malformed},
		{"query ignores header", query, header("Authorization", "Bearer "+tok), missingResult},
		{"custom", custom, header("X-Token", tok), okResult},
		{"custom none", custom, nil, missingResult},
		{"custom error", custom, header("X-Fail", "1"), malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, do(t, tt.h, tt.prep)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestVerification covers the security rules of ../shared/GUIDE.md for the
// token itself: every bad token gets the same 401, the next handler is not
// called and the body is not read.
func TestVerification(t *testing.T) {
	t.Parallel()
	good := goodClaims()
	with := func(k string, v any) jwt.MapClaims {
		c := goodClaims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hs := func(c jwt.MapClaims) string { return mint(t, jwt.SigningMethodHS256, secret, c, nil) }
	hsHdr := func(h map[string]any) string { return mint(t, jwt.SigningMethodHS256, secret, good, h) }
	valid := hs(good)
	parts := strings.Split(valid, ".")
	otherSecret := []byte("ffffffffffffffffffffffffffffffff")

	tests := []struct {
		name string
		tok  string
		opts []jwtauth.Option
		want result
	}{
		{"valid", valid, nil, okResult},
		{"expired", hs(with("exp", now.Add(-time.Second).Unix())), nil, invalidResult},
		{"expired within leeway", hs(with("exp", now.Add(-time.Second).Unix())), []jwtauth.Option{jwtauth.WithLeeway(5 * time.Second)}, okResult},
		{"expired beyond leeway", hs(with("exp", now.Add(-10*time.Second).Unix())), []jwtauth.Option{jwtauth.WithLeeway(5 * time.Second)}, invalidResult},
		{"no exp", hs(with("exp", nil)), nil, invalidResult},
		{"no exp, not required", hs(with("exp", nil)), []jwtauth.Option{jwtauth.WithoutExpirationRequired()}, okResult},
		{"exp as string", rawHS256(secret, hs256Header, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":"1900000000"}`), nil, invalidResult},
		{"exp null", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix()), `"exp":null`, 1)), []jwtauth.Option{jwtauth.WithoutExpirationRequired()}, invalidResult},
		{"nbf in the future", hs(with("nbf", now.Add(time.Minute).Unix())), nil, invalidResult},
		{"nbf beyond 2^53 (would wrap into the past)", rawHS256(secret, hs256Header, claimsJSON(`"nbf":1e300`)), nil, invalidResult},
		{"exp beyond 2^53", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix()), `"exp":1e300`, 1)), nil, invalidResult},
		{"nbf passed", hs(with("nbf", now.Add(-time.Minute).Unix())), nil, okResult},
		{"iat in the future", hs(with("iat", now.Add(time.Minute).Unix())), nil, invalidResult},
		{"wrong issuer", hs(with("iss", "https://evil.example")), nil, invalidResult},
		{"issuer differs in case", hs(with("iss", "https://ISSUER.example")), nil, invalidResult},
		{"issuer with trailing slash", hs(with("iss", testIssuer+"/")), nil, invalidResult},
		{"no issuer", hs(with("iss", nil)), nil, invalidResult},
		{"second of two issuers", hs(with("iss", "https://other.example")), []jwtauth.Option{jwtauth.WithIssuer(testIssuer, "https://other.example")}, okResult},
		{"none of two issuers", hs(with("iss", "https://evil.example")), []jwtauth.Option{jwtauth.WithIssuer(testIssuer, "https://other.example")}, invalidResult},
		{"wrong audience", hs(with("aud", "other-api")), nil, invalidResult},
		{"audience in array", hs(with("aud", []string{"x", testAudience})), nil, okResult},
		{"one of two audiences", hs(with("aud", "second")), []jwtauth.Option{jwtauth.WithAudience(testAudience, "second")}, okResult},
		{"no audience", hs(with("aud", nil)), nil, invalidResult},
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", nil, invalidResult},
		{"alg none with signature", b64(`{"alg":"none"}`) + "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"alg HS384 header on HS256 signature", b64(`{"alg":"HS384","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"HS512 token for HS256 key", mint(t, jwt.SigningMethodHS512, secret, good, nil), nil, invalidResult},
		{"RS256 token for HS256 key", mint(t, jwt.SigningMethodRS256, rsaKey, good, nil), nil, invalidResult},
		{"signed with another secret", mint(t, jwt.SigningMethodHS256, otherSecret, good, nil), nil, invalidResult},
		{"signature bit flipped", parts[0] + "." + parts[1] + "." + flip(parts[2]), nil, invalidResult},
		{"claims swapped", parts[0] + "." + b64(claimsJSON(`"admin":true`)) + "." + parts[2], nil, invalidResult},
		{"crit header", hsHdr(map[string]any{"crit": []string{"exp"}, "exp": 1}), nil, invalidResult},
		{"b64 header", hsHdr(map[string]any{"b64": false}), nil, invalidResult},
		{"jku and x5u ignored", hsHdr(map[string]any{"jku": "https://evil.example/jwks", "x5u": "https://evil.example/c"}), nil, okResult},
		{"duplicate alg in header", rawHS256(secret, `{"alg":"HS256","alg":"none"}`, claimsJSON("")), nil, invalidResult},
		{"case-variant alg in header", rawHS256(secret, `{"alg":"HS256","ALG":"none"}`, claimsJSON("")), nil, invalidResult},
		{"header not an object", rawHS256(secret, `["HS256"]`, claimsJSON("")), nil, invalidResult},
		{"alg not a string", rawHS256(secret, `{"alg":256}`, claimsJSON("")), nil, invalidResult},
		{"kid not a string", rawHS256(secret, `{"alg":"HS256","kid":1}`, claimsJSON("")), nil, invalidResult},
		{"duplicate claim", rawHS256(secret, hs256Header, claimsJSON(`"sub":"admin"`)), nil, invalidResult},
		{"duplicate claim via escape", rawHS256(secret, hs256Header, claimsJSON(`"s\u0075b":"admin"`)), nil, invalidResult},
		{"case-variant claim pair", rawHS256(secret, hs256Header, claimsJSON(`"SUB":"admin"`)), nil, invalidResult},
		{"case-variant claim alone", rawHS256(secret, hs256Header, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","EXP":1900000000}`), nil, invalidResult},
		{"kelvin-sign variant of a field", rawHS256(secret, hs256Header, claimsJSON(`"\u212Aid":"x","jt\u0131":"y"`)), nil, okResult},
		{"long-s variant of sub", rawHS256(secret, `{"alg":"HS256"}`, strings.Replace(claimsJSON(""), `"sub"`, `"ſub"`, 1)), nil, invalidResult},
		{"invalid UTF-8 in claim", rawHS256(secret, hs256Header, claimsJSON("\"name\":\"\xff\"")), nil, invalidResult},
		{"lone surrogate in claim", rawHS256(secret, hs256Header, claimsJSON(`"name":"\ud800"`)), nil, invalidResult},
		{"trailing data after claims", rawHS256(secret, hs256Header, claimsJSON("")+"{}"), nil, invalidResult},
		{"claims not an object", rawHS256(secret, hs256Header, `"x"`), nil, invalidResult},
		{"claims too deep", rawHS256(secret, hs256Header, claimsJSON(`"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40))), nil, invalidResult},
		{"aud of wrong type", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), `"aud":"`+testAudience+`"`, `"aud":7`, 1)), nil, invalidResult},
		{"CR LF in signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r\n" + parts[2][10:], nil, invalidResult},
		{"space in payload", parts[0] + "." + parts[1][:5] + " " + parts[1][5:] + "." + parts[2], nil, invalidResult},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2], nil, invalidResult},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid), nil, invalidResult},
		{"non-canonical last character", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + nonCanonical(parts[2]), nil, invalidResult},
		{"four segments", valid + ".x", nil, invalidResult},
		{"two segments", parts[0] + "." + parts[1], nil, invalidResult},
		{"empty header segment", "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"empty signature", parts[0] + "." + parts[1] + ".", nil, invalidResult},
		{"over the length cap", hs(with("pad", strings.Repeat("x", 9000))), nil, invalidResult},
		{"under a raised cap", hs(with("pad", strings.Repeat("x", 9000))), []jwtauth.Option{jwtauth.WithMaxTokenLen(16 << 10)}, okResult},
		{"typ at+jwt required, JWT given", valid, []jwtauth.Option{jwtauth.WithType("at+jwt")}, invalidResult},
		{"typ at+jwt required and given", hsHdr(map[string]any{"typ": "at+jwt"}), []jwtauth.Option{jwtauth.WithType("at+jwt")}, okResult},
		{"typ application/AT+JWT", hsHdr(map[string]any{"typ": "application/AT+JWT"}), []jwtauth.Option{jwtauth.WithType("at+jwt")}, okResult},
		{"typ required, absent", rawHS256(secret, `{"alg":"HS256"}`, claimsJSON("")), []jwtauth.Option{jwtauth.WithType("at+jwt")}, invalidResult},
		{"not a JWT at all", "hello", nil, invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := strictHS256(t, tt.opts...)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// flip flips one bit of the first byte a base64url segment encodes.
func flip(seg string) string {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		panic(err)
	}
	b[0] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}

// nonCanonical returns a last character for seg that decodes to the same
// bytes but has non-zero unused bits (refused by strict decoding).
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return string(alphabet[last+1])
}

func TestAlgorithms(t *testing.T) {
	t.Parallel()
	good := goodClaims()
	tests := []struct {
		name   string
		keys   jwtauth.KeySource
		method jwt.SigningMethod
		sign   any
		want   result
	}{
		{"HS384", jwtauth.HMAC("HS384", append(secret, secret[:16]...)), jwt.SigningMethodHS384, append(secret, secret[:16]...), okResult},
		{"HS512", jwtauth.HMAC("HS512", append(secret, secret...)), jwt.SigningMethodHS512, append(secret, secret...), okResult},
		{"RS256", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodRS256, rsaKey, okResult},
		{"RS512", jwtauth.PublicKey("RS512", &rsaKey.PublicKey), jwt.SigningMethodRS512, rsaKey, okResult},
		{"PS256", jwtauth.PublicKey("PS256", &rsaKey.PublicKey), jwt.SigningMethodPS256, rsaKey, okResult},
		{"ES256", jwtauth.PublicKey("ES256", &ecKey256.PublicKey), jwt.SigningMethodES256, ecKey256, okResult},
		{"ES384", jwtauth.PublicKey("ES384", &ecKey384.PublicKey), jwt.SigningMethodES384, ecKey384, okResult},
		{"ES512", jwtauth.PublicKey("ES512", &ecKey521.PublicKey), jwt.SigningMethodES512, ecKey521, okResult},
		{"EdDSA", jwtauth.PublicKey("EdDSA", edPub), jwt.SigningMethodEdDSA, edPriv, okResult},
		{"RS256 key, PS256 token", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodPS256, rsaKey, invalidResult},
		{"PS256 key, RS256 token", jwtauth.PublicKey("PS256", &rsaKey.PublicKey), jwt.SigningMethodRS256, rsaKey, invalidResult},
		{"RS256 key, HS256 token signed with the public key bytes", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey), invalidResult},
		{"ES256 key, other EC key", jwtauth.PublicKey("ES256", &ecKey256.PublicKey), jwt.SigningMethodES256, mustEC(elliptic.P256()), invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := jwtauth.New(tt.keys, jwtauth.WithIssuer(testIssuer), jwtauth.WithAudience(testAudience), jwtauth.WithTimeFunc(clock))
			if err != nil {
				t.Fatal(err)
			}
			tok := mint(t, tt.method, tt.sign, good, nil)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmbeddedKeysIgnored: a token signed with the attacker's own key and
// carrying that key (jwk, x5c) or a URL to it (jku, x5u) in its header is
// verified with the configured key only, and so refused.
func TestEmbeddedKeysIgnored(t *testing.T) {
	t.Parallel()
	attacker := mustRSA(2048)
	jwk := map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()), "e": "AQAB"}
	cert := selfSignedPEM(t, attacker)
	block, _ := pem.Decode(cert)
	m, err := jwtauth.New(jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string]map[string]any{
		"jwk": {"jwk": jwk},
		"x5c": {"x5c": []string{base64.StdEncoding.EncodeToString(block.Bytes)}},
		"jku": {"jku": "https://evil.example/jwks.json", "kid": "evil"},
		"x5u": {"x5u": "https://evil.example/cert.pem"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tok := mint(t, jwt.SigningMethodRS256, attacker, goodClaims(), hdr)
			if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
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

// badTagClaims cannot be decoded into: its validate tag is malformed.
type badTagClaims struct {
	Level int `json:"level" validate:"min=x"`
	jwt.RegisteredClaims
}

// appClaims is a custom claims type with its own validation.
type appClaims struct {
	Tenant string   `json:"tenant"`
	Perms  []string `json:"perms"`
	jwt.RegisteredClaims
}

func (c *appClaims) Validate() error {
	if c.Tenant == "" {
		return errors.New("tenant required")
	}
	return nil
}

func TestCustomClaims(t *testing.T) {
	t.Parallel()
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			t.Parallel()
			opts := []jwtauth.Option{jwtauth.WithClaims[appClaims]()}
			if cached {
				opts = append(opts, jwtauth.WithCache(16))
			}
			m := strictHS256(t, opts...)
			c := goodClaims()
			c["tenant"] = "acme"
			c["perms"] = []string{"read"}
			tok := mint(t, jwt.SigningMethodHS256, secret, c, nil)
			var seen []string
			h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ac, ok := jwtauth.ClaimsFrom[*appClaims](r.Context())
				if !ok {
					t.Fatal("ClaimsFrom[*appClaims] reported false")
				}
				if _, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context()); ok {
					t.Error("ClaimsFrom[*jwt.RegisteredClaims] reported true for appClaims")
				}
				if raw, ok := jwtauth.TokenFrom(r.Context()); !ok || raw != tok {
					t.Error("TokenFrom did not return the request's token")
				}
				seen = append(seen, ac.Tenant+":"+strings.Join(ac.Perms, ","))
				// Mutations must not reach any other request.
				ac.Tenant = "mutated"
				ac.Perms[0] = "mutated"
				ac.Perms = append(ac.Perms, "admin")
			}))
			for range 3 {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
			if diff := cmp.Diff([]string{"acme:read", "acme:read", "acme:read"}, seen); diff != "" {
				t.Errorf("claims seen by successive requests (-want +got):\n%s", diff)
			}

			// The claims type's own Validate runs.
			delete(c, "tenant")
			noTenant := mint(t, jwt.SigningMethodHS256, secret, c, nil)
			if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(noTenant))); diff != "" {
				t.Errorf("ClaimsValidator (-want +got):\n%s", diff)
			}
			// Case variants of the custom type's fields are refused too.
			variant := rawHS256(secret, hs256Header, claimsJSON(`"Tenant":"evil"`))
			if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(variant))); diff != "" {
				t.Errorf("case-variant custom claim (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegisteredClaimsIsolation(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithCache(4))
	tok := mint(t, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	var subs []string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		if !ok {
			t.Fatal("no claims")
		}
		subs = append(subs, c.Subject+"/"+c.Audience[0]+"/"+c.ExpiresAt.Format(time.RFC3339))
		c.Subject = "mutated"
		c.Audience[0] = "mutated"
		c.ExpiresAt.Time = time.Time{}
	}))
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	want := "user-1/" + testAudience + "/" + now.Add(time.Hour).Format(time.RFC3339)
	if diff := cmp.Diff([]string{want, want, want}, subs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithClaims[appClaims]())
	withClaims := func(extra map[string]any) string {
		c := goodClaims()
		c["tenant"] = "acme"
		for k, v := range extra {
			c[k] = v
		}
		return mint(t, jwt.SigningMethodHS256, secret, c, nil)
	}
	forbidden := func(scope string) result {
		ch := `Bearer realm="api", error="insufficient_scope"`
		if scope != "" {
			ch += `, scope="` + scope + `"`
		}
		return result{Status: 403, Challenge: ch, Body: `{"detail":"Not enough permissions"}` + "\n"}
	}
	chain := func(reqs ...jwtauth.Requirement) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler { return m.Handler(m.Require(reqs...)(next)) }
	}
	write := jwtauth.Scopes("persons:write")
	readWrite := jwtauth.Scopes("persons:read", "persons:write")
	admin := jwtauth.Roles("roles", "admin")
	inTenant := jwtauth.Check(func(c *appClaims) bool { return c.Tenant == "acme" })
	otherTenant := jwtauth.Check(func(c *appClaims) bool { return c.Tenant == "globex" })
	tests := []struct {
		name string
		h    func(http.Handler) http.Handler
		tok  string
		want result
	}{
		{"scope string", chain(write), withClaims(map[string]any{"scope": "persons:read persons:write"}), okResult},
		{"scp array", chain(write), withClaims(map[string]any{"scp": []string{"persons:write"}}), okResult},
		{"both required", chain(readWrite), withClaims(map[string]any{"scope": "persons:write"}), forbidden("persons:read persons:write")},
		{"scope missing", chain(write), withClaims(nil), forbidden("persons:write")},
		{"scope differs in case", chain(write), withClaims(map[string]any{"scope": "Persons:Write"}), forbidden("persons:write")},
		{"scope prefix is not a match", chain(write), withClaims(map[string]any{"scope": "persons:writer"}), forbidden("persons:write")},
		{"scope of wrong type", chain(write), withClaims(map[string]any{"scope": 7}), forbidden("persons:write")},
		{"role present", chain(admin), withClaims(map[string]any{"roles": []string{"user", "admin"}}), okResult},
		{"role as string", chain(admin), withClaims(map[string]any{"roles": "admin"}), okResult},
		{"role missing", chain(admin), withClaims(map[string]any{"roles": []string{"user"}}), forbidden("")},
		{"role with a space in an array", chain(jwtauth.Roles("groups", "Domain Admins")), withClaims(map[string]any{"groups": []string{"Domain Admins"}}), okResult},
		{"role with a space never matches a string claim", chain(jwtauth.Roles("groups", "Domain Admins")), withClaims(map[string]any{"groups": "Domain Admins"}), forbidden("")},
		{"predicate true", chain(inTenant), withClaims(nil), okResult},
		{"predicate false", chain(otherTenant), withClaims(nil), forbidden("")},
		{"all of several", chain(write, admin), withClaims(map[string]any{"scope": "persons:write", "roles": []string{"admin"}}), okResult},
		{"second of several fails", chain(write, admin), withClaims(map[string]any{"scope": "persons:write"}), forbidden("")},
		{"bad token before requirements", chain(write), "x.y.z", invalidResult},
		{"no middleware in front", m.Require(write), withClaims(map[string]any{"scope": "persons:write"}), missingResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, do(t, tt.h, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequirePanicsOnBadArguments(t *testing.T) {
	t.Parallel()
	m := strictHS256(t)
	for name, r := range map[string]jwtauth.Requirement{
		"empty scope":                  jwtauth.Scopes(""),
		"scope with space":             jwtauth.Scopes("a b"),
		"scope with quote":             jwtauth.Scopes(`a"b`),
		"no scopes":                    jwtauth.Scopes(),
		"no role":                      jwtauth.Roles("roles"),
		"no claim name":                jwtauth.Roles("", "admin"),
		"empty role":                   jwtauth.Roles("roles", ""),
		"role with newline":            jwtauth.Roles("roles", "a\nb"),
		"nil predicate":                jwtauth.Check[*appClaims](nil),
		"zero Requirement":             {},
		"Check of another claims type": jwtauth.Check(func(*appClaims) bool { return true }),
		"Check of a non-pointer type":  jwtauth.Check(func(jwt.RegisteredClaims) bool { return true }),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Require did not panic")
				}
			}()
			m.Require(r)
		})
	}
	// Well-formed requirements do not panic, a Check of an interface the
	// claims implement included.
	m.Require(jwtauth.Scopes("a"), jwtauth.Roles("roles", "admin"),
		jwtauth.Check(func(*jwt.RegisteredClaims) bool { return true }),
		jwtauth.Check(func(jwt.Claims) bool { return true }))
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

func TestWriteErrorRealm(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithRealm("persons"))
	got := do(t, m.Handler, nil)
	want := missingResult
	want.Challenge = `Bearer realm="persons"`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewContext(t *testing.T) {
	t.Parallel()
	m := strictHS256(t)
	claims := &jwt.RegisteredClaims{Subject: "test-user"}
	ctx := jwtauth.NewContext(context.Background(), &scopedClaims{RegisteredClaims: *claims, Scope: "persons:write"})
	var sub string
	h := m.Require(jwtauth.Scopes("persons:write"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[jwt.Claims](r.Context())
		sub, _ = c.GetSubject()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx))
	if rec.Code != 200 || sub != "test-user" {
		t.Errorf("status %d sub %q; want 200 test-user", rec.Code, sub)
	}
	if _, ok := jwtauth.TokenFrom(ctx); ok {
		t.Error("TokenFrom reported a token for NewContext")
	}
}

type scopedClaims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

func TestCache(t *testing.T) {
	t.Parallel()
	var clk atomic.Int64
	clk.Store(now.Unix())
	m, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithCache(2),
		jwtauth.WithTimeFunc(func() time.Time { return time.Unix(clk.Load(), 0) }))
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	c["exp"] = now.Add(time.Minute).Unix()
	tok := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	for i := range 3 {
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(tok))); diff != "" {
			t.Fatalf("request %d (-want +got):\n%s", i, diff)
		}
	}
	// exp is checked again on a hit.
	clk.Store(now.Add(2 * time.Minute).Unix())
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("expired cached token (-want +got):\n%s", diff)
	}
	clk.Store(now.Unix())
	// A failure is not cached: a forged token stays refused, and the real
	// one is still accepted after it.
	forged := strings.Split(tok, ".")
	bad := forged[0] + "." + forged[1] + "." + flip(forged[2])
	for range 2 {
		if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(bad))); diff != "" {
			t.Errorf("forged (-want +got):\n%s", diff)
		}
	}
	// More distinct tokens than the cache holds still all verify.
	for i := range 5 {
		c["jti"] = fmt.Sprint(i)
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(mint(t, jwt.SigningMethodHS256, secret, c, nil)))); diff != "" {
			t.Errorf("token %d (-want +got):\n%s", i, diff)
		}
	}
}

// swappableKeys is a key source whose key can be replaced, as a JWKS
// refresh would.
type swappableKeys struct {
	key atomic.Pointer[jwtauth.Key]
}

func (s *swappableKeys) Algorithms() []string { return []string{"RS256"} }
func (s *swappableKeys) Key(_ context.Context, kid, alg string) (*jwtauth.Key, error) {
	k := s.key.Load()
	if k == nil || k.ID() != kid || k.Algorithm() != alg {
		return nil, errors.New("no such key")
	}
	return k, nil
}

func TestCacheFlushedWhenKeysChange(t *testing.T) {
	t.Parallel()
	src := &swappableKeys{}
	src.key.Store(mustKey(t, "k1", "RS256", &rsaKey.PublicKey))
	m, err := jwtauth.New(src, jwtauth.WithCache(8), jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, jwt.SigningMethodRS256, rsaKey, goodClaims(), map[string]any{"kid": "k1"})
	for range 2 {
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(tok))); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
	// Same kid, different key material: the cached entry must not be used.
	other := mustRSA(2048)
	src.key.Store(mustKey(t, "k1", "RS256", &other.PublicKey))
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("after key change (-want +got):\n%s", diff)
	}
	// Key removed.
	src.key.Store(nil)
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("after key removal (-want +got):\n%s", diff)
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

// FuzzAuthorizationHeader feeds arbitrary Authorization values (and a second
// header) through every token source: no panic, the next handler runs only
// for a token that verifies independently with golang-jwt, and a rejection
// never echoes the input.
func FuzzAuthorizationHeader(f *testing.F) {
	tok := mint(f, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	for _, s := range []string{"Bearer " + tok, tok, "Bearer", "bearer  " + tok, "Basic abc", "", "Bearer " + tok + "\r\n", "Bearer a.b.c", "Bearer " + tutorialToken} {
		f.Add(s, "")
		f.Add(s, "Bearer "+tok)
	}
	m := strictHS256(f, jwtauth.WithTokenSources(jwtauth.FromAuthorization()), jwtauth.WithCache(32))
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["Authorization"] = []string{v1}
		if v2 != "" {
			req.Header["Authorization"] = append(req.Header["Authorization"], v2)
		}
		var called bool
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(rec, req)
		if called {
			cand := strings.TrimSpace(v1)
			if len(cand) > 7 && strings.EqualFold(cand[:7], "bearer ") {
				cand = strings.TrimLeft(cand[7:], " ")
			}
			if _, err := jwt.Parse(cand, func(*jwt.Token) (any, error) { return secret, nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(clock)); err != nil {
				t.Fatalf("accepted %q which golang-jwt refuses: %v", v1, err)
			}
		}
		out := rec.Body.String() + rec.Header().Get("WWW-Authenticate")
		if len(v1) > 3 && strings.Contains(out, v1) && !strings.Contains(constantOutputs, v1) {
			t.Fatalf("response echoes the input")
		}
	})
}

// constantOutputs holds every fixed text a response may contain.
const constantOutputs = `Bearer realm="api", error="invalid_token" error="invalid_request" error="insufficient_scope"` +
	`{"detail":"Not authenticated"} {"detail":"Could not validate credentials"} {"detail":"Malformed authorization request"}`

// FuzzToken mutates whole tokens: no panic, and nothing is accepted unless
// its signature verifies with the configured key (checked independently).
func FuzzToken(f *testing.F) {
	good := mint(f, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	f.Add(good)
	f.Add(tutorialToken)
	f.Add(rawHS256(secret, hs256Header, claimsJSON(`"sub":"x"`)))
	f.Add(rawHS256(secret, `{"alg":"HS256","crit":["x"]}`, claimsJSON("")))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(claimsJSON("")) + ".")
	f.Add(strings.Repeat("a", 100))
	m := strictHS256(f)
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		var called bool
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(rec, req)
		if !called {
			if rec.Code != 401 && rec.Code != 400 {
				t.Fatalf("status %d for a refused token", rec.Code)
			}
			return
		}
		parts := strings.Split(tok, ".")
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] {
			t.Fatalf("accepted a token not signed with the key: %q", tok)
		}
	})
}

// ---------------------------------------------------------------------------
// Benchmarks

// benchWriter is a minimal ResponseWriter that keeps the status.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *benchWriter) WriteHeader(s int)           { w.status = s }

var personBody = []byte(`{"name":"Foo","gender":"male","age":25.5,"checked":false}`)

// protected is the handler work shared by every benchmark: read the subject
// from the context, decode the body with encoding/json, write a reply.
func protected(sub func(context.Context) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sub(r.Context())
		if s == "" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var p struct {
			Name    string  `json:"name"`
			Gender  string  `json:"gender"`
			Age     float64 `json:"age"`
			Checked bool    `json:"checked"`
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": s, "name": p.Name})
	})
}

type baselineKey struct{}

// baseline calls golang-jwt directly with the same checks (one algorithm,
// iss, aud, required exp) and one context.WithValue: the floor.
func baseline(alg string, key any) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(testIssuer),
		jwt.WithAudience(testAudience), jwt.WithExpirationRequired(), jwt.WithTimeFunc(clock))
	next := protected(func(ctx context.Context) string {
		c, _ := ctx.Value(baselineKey{}).(*jwt.RegisteredClaims)
		if c == nil {
			return ""
		}
		return c.Subject
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var c jwt.RegisteredClaims
		if _, err := parser.ParseWithClaims(h[7:], &c, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), baselineKey{}, &c)))
	})
}

func ours(t testing.TB, ks jwtauth.KeySource, opts ...jwtauth.Option) http.Handler {
	t.Helper()
	m, err := jwtauth.New(ks, append([]jwtauth.Option{jwtauth.WithIssuer(testIssuer), jwtauth.WithAudience(testAudience), jwtauth.WithTimeFunc(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Handler(protected(func(ctx context.Context) string {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
		if c == nil {
			return ""
		}
		return c.Subject
	}))
}

type benchAlg struct {
	name   string
	method jwt.SigningMethod
	sign   any
	verify any
	keys   jwtauth.KeySource
}

func benchAlgs() []benchAlg {
	return []benchAlg{
		{"HS256", jwt.SigningMethodHS256, secret, secret, jwtauth.HMAC("HS256", secret)},
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey, jwtauth.PublicKey("RS256", &rsaKey.PublicKey)},
		{"ES256", jwt.SigningMethodES256, ecKey256, &ecKey256.PublicKey, jwtauth.PublicKey("ES256", &ecKey256.PublicKey)},
		{"EdDSA", jwt.SigningMethodEdDSA, edPriv, edPub, jwtauth.PublicKey("EdDSA", edPub)},
	}
}

// BenchmarkMiddleware measures POST / with a Bearer token and the Person
// body: impl=none is the handler alone (no verification), impl=baseline bare
// golang-jwt, impl=jwtauth this package, impl=jwtauth-cache with WithCache.
func BenchmarkMiddleware(b *testing.B) {
	for _, a := range benchAlgs() {
		tok := mint(b, a.method, a.sign, goodClaims(), nil)
		impls := []struct {
			name string
			h    http.Handler
		}{
			{"none", protected(func(context.Context) string { return "user-1" })},
			{"baseline", baseline(a.name, a.verify)},
			{"jwtauth", ours(b, a.keys)},
			{"jwtauth-cache", ours(b, a.keys, jwtauth.WithCache(1024))},
		}
		for _, impl := range impls {
			b.Run("alg="+a.name+"/impl="+impl.name, func(b *testing.B) {
				body := bytes.NewReader(personBody)
				req := httptest.NewRequest(http.MethodPost, "/", body)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					body.Seek(0, io.SeekStart)
					w.status = 0
					impl.h.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				}
			})
		}
	}
}

// BenchmarkParallel is BenchmarkMiddleware's HS256 and RS256 cases with
// RunParallel on one shared middleware.
func BenchmarkParallel(b *testing.B) {
	for _, a := range benchAlgs()[:2] {
		tok := mint(b, a.method, a.sign, goodClaims(), nil)
		for _, impl := range []struct {
			name string
			h    http.Handler
		}{{"baseline", baseline(a.name, a.verify)}, {"jwtauth", ours(b, a.keys)}, {"jwtauth-cache", ours(b, a.keys, jwtauth.WithCache(1024))}} {
			b.Run("alg="+a.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					body := bytes.NewReader(personBody)
					req := httptest.NewRequest(http.MethodPost, "/", body)
					req.Header.Set("Authorization", "Bearer "+tok)
					w := &benchWriter{h: make(http.Header)}
					for pb.Next() {
						body.Seek(0, io.SeekStart)
						impl.h.ServeHTTP(w, req)
						if w.status != http.StatusOK {
							b.Errorf("status %d", w.status)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkReject measures a forged HS256 token (one signature bit flipped).
func BenchmarkReject(b *testing.B) {
	tok := mint(b, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	p := strings.Split(tok, ".")
	bad := p[0] + "." + p[1] + "." + flip(p[2])
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{{"baseline", baseline("HS256", secret)}, {"jwtauth", ours(b, jwtauth.HMAC("HS256", secret))}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			req.Header.Set("Authorization", "Bearer "+bad)
			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				impl.h.ServeHTTP(w, req)
				if w.status != http.StatusUnauthorized {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

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

// TestRawClaimsFrom: the claims JSON as the token carried it, a copy per
// request, also from the cache.
func TestRawClaimsFrom(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithCache(4))
	payload := claimsJSON(`"hello":"world"`)
	tok := rawHS256(secret, hs256Header, payload)
	var got []string
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, ok := jwtauth.RawClaimsFrom(r.Context())
		if !ok {
			t.Fatal("RawClaimsFrom reported false")
		}
		got = append(got, string(raw))
		raw[0] = 'X' // must not reach the next request
	}))
	for range 3 {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	if diff := cmp.Diff([]string{payload, payload, payload}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, ok := jwtauth.RawClaimsFrom(context.Background()); ok {
		t.Error("RawClaimsFrom reported true without a middleware")
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

// profileClaims has nested claims and a custom date.
type profileClaims struct {
	AuthTime *jwt.NumericDate `json:"auth_time"`
	Profile  struct {
		Role    string           `json:"role"`
		Updated *jwt.NumericDate `json:"updated"`
	} `json:"profile"`
	jwt.RegisteredClaims
}

// TestCustomClaimsStrict: custom claims are decoded strictly at every
// level: no case-insensitive matching in nested objects, NumericDates as
// numbers only, no type coercion.
func TestCustomClaimsStrict(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithClaims[profileClaims]())
	var role string
	h := func(next http.Handler) http.Handler {
		return m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtauth.ClaimsFrom[*profileClaims](r.Context())
			role = c.Profile.Role
			next.ServeHTTP(w, r)
		}))
	}
	tests := []struct {
		name     string
		extra    string
		want     result
		wantRole string
	}{
		{"valid", `"auth_time":1799999000,"profile":{"role":"user","updated":1799999000}`, okResult, "user"},
		{"nested case variant is not matched", `"profile":{"ROLE":"admin"}`, okResult, ""},
		{"nested case-variant pair", `"profile":{"role":"user","ROLE":"admin"}`, invalidResult, ""},
		{"nested duplicate", `"profile":{"role":"user","role":"admin"}`, invalidResult, ""},
		{"custom date as string", `"auth_time":"1799999000"`, invalidResult, ""},
		{"nested date as string", `"profile":{"updated":"1799999000"}`, invalidResult, ""},
		{"role of wrong type", `"profile":{"role":7}`, invalidResult, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role = ""
			tok := rawHS256(secret, hs256Header, claimsJSON(tt.extra))
			if diff := cmp.Diff(tt.want, do(t, h, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if role != tt.wantRole {
				t.Errorf("role = %q, want %q", role, tt.wantRole)
			}
		})
	}
}

// TestMapClaims: jwt.MapClaims work as a claims type.
func TestMapClaims(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithClaims[jwt.MapClaims]())
	var got []any
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.MapClaims](r.Context())
		exp, err := c.GetExpirationTime()
		got = []any{(*c)["hello"], exp.Unix(), err}
	}))
	tok := rawHS256(secret, hs256Header, claimsJSON(`"hello":"world"`))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if diff := cmp.Diff([]any{"world", now.Add(time.Hour).Unix(), nil}, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
