package jwtauth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// The JWKS and OIDC sources behind the middleware: rotation, removal, outage,
// the verified-token cache and several issuers, end to end.

var jwksNow = time.Unix(1_800_000_000, 0)

// status sends one request with tok and returns the status, the challenge
// and Retry-After.
func status(t *testing.T, h http.Handler, tok string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := fmt.Sprint(rec.Code)
	if c := rec.Header().Get("WWW-Authenticate"); c != "" {
		out += " " + c
	}
	if ra := rec.Header().Get("Retry-After"); ra != "" {
		out += " Retry-After:" + ra
	}
	return out
}

const (
	ok200      = "200"
	invalid401 = `401 Bearer realm="api", error="invalid_token"`
)

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
}

func TestMiddlewareWithJWKS(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "RS256").WithID("a")
	c := jwttest.NewKey(t, "ES256").WithID("c")
	d := jwttest.NewKey(t, "EdDSA").WithID("d")
	h := &harness{srv: jwttest.NewJWKSServer(t, a), clock: jwttest.NewClock(jwksNow), timer: newFakeTimer(), log: &errLog{}}
	h.src = h.newSource(t)
	mw, err := New(h.src, WithIssuer(jwttest.DefaultIssuer), WithAudience(jwttest.DefaultAudience),
		WithTimeFunc(h.clock.Now), WithCache(16))
	if err != nil {
		t.Fatal(err)
	}
	srv := mw.Handler(okHandler())
	mintAt := func(k *jwttest.Key) string { return jwttest.Mint(t, k, nil, jwttest.WithNow(h.clock.Now)) }
	tokA, tokC, tokD := mintAt(a), mintAt(c), mintAt(d)

	steps := []struct {
		name string
		do   func()
		tok  string
		want string
	}{
		{"key a", nil, tokA, ok200},
		{"key a again (cache hit)", nil, tokA, ok200},
		{"key c published: accepted on its first request", func() { h.srv.AddKeys(c) }, tokC, ok200},
		{"key d not published yet", nil, tokD, invalid401},
		{"key d published within the cooldown", func() { h.srv.AddKeys(d) }, tokD, invalid401},
		{"key d after the cooldown: a refresh finds it", func() { h.clock.Advance(defaultRefreshCooldown) }, tokD, ok200},
		{"key a removed, still cached until the refresh", func() { h.srv.RemoveKeys("a") }, tokA, ok200},
		{"key a after the refresh: the cache entry is dropped", func() { h.timer.tick(t) }, tokA, invalid401},
		{"key c still fine", nil, tokC, ok200},
		{"key c replaced under the same kid", func() { h.srv.SetKeys(jwttest.NewKey(t, "ES256").WithID("c")); h.timer.tick(t) }, tokC, invalid401},
		{"unsigned token", nil, jwttest.MintUnsigned(t, nil, jwttest.WithNow(h.clock.Now)), invalid401},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := status(t, srv, s.tok); got != s.want {
			t.Errorf("%s: got %q, want %q", s.name, got, s.want)
		}
	}
}

func TestMiddlewareJWKSOutage(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	h := &harness{srv: jwttest.NewJWKSServer(t, a), clock: jwttest.NewClock(jwksNow), timer: newFakeTimer(), log: &errLog{}}
	h.srv.SetStatus(http.StatusServiceUnavailable)
	h.src = h.newSource(t)
	mw, err := New(h.src, WithIssuer(jwttest.DefaultIssuer), WithAudience(jwttest.DefaultAudience), WithTimeFunc(h.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	srv := mw.Handler(okHandler())
	tok := jwttest.Mint(t, a, nil, jwttest.WithNow(h.clock.Now))
	if got, want := status(t, srv, tok), "503 Retry-After:"+RetryAfterSeconds; got != want {
		t.Errorf("never any keys: got %q, want %q", got, want)
	}
	// The provider recovers: after the cooldown the next request fetches.
	h.srv.SetStatus(0)
	h.clock.Advance(defaultRefreshCooldown)
	if got := status(t, srv, tok); got != ok200 {
		t.Errorf("after recovery: got %q", got)
	}
	// It fails again: the last good keys stay in use.
	h.srv.SetStatus(http.StatusInternalServerError)
	h.timer.tick(t)
	if got := status(t, srv, tok); got != ok200 {
		t.Errorf("refresh failed, cached keys: got %q", got)
	}
}

func TestSharedSourcesNeedIssuerAndAudience(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	srv := jwttest.NewJWKSServer(t, a)
	jwks, err := NewJWKS(context.Background(), srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jwks.Close() })
	oidc, err := NewOIDC(context.Background(), srv.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oidc.Close() })
	tests := []struct {
		name    string
		keys    KeySource
		opts    []Option
		wantErr bool
	}{
		{"JWKS alone", jwks, nil, true},
		{"JWKS with issuer only", jwks, []Option{WithIssuer("https://i.example")}, true},
		{"JWKS with audience only", jwks, []Option{WithAudience("api")}, true},
		{"JWKS with both", jwks, []Option{WithIssuer("https://i.example"), WithAudience("api")}, false},
		{"OIDC alone", oidc, nil, true},
		{"OIDC with its issuer", oidc, []Option{WithIssuer(srv.Issuer()), WithAudience("api")}, false},
		{"OIDC with another issuer", oidc, []Option{WithIssuer("https://other.example"), WithAudience("api")}, true},
		{"OIDC with its issuer and another", oidc, []Option{WithIssuer(srv.Issuer(), "https://other.example"), WithAudience("api")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.keys, tt.opts...); (err != nil) != tt.wantErr {
				t.Errorf("New error = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

// TestMiddlewareJWKSInterop: a key set as identity providers publish it, RSA
// keys without "alg" next to EC and Ed25519 keys, some with RFC 9864's
// "Ed25519" name, serves tokens of every kind when WithJWKSAlgorithms names one
// RSA algorithm (the binding rule for RSA keys without "alg").
func TestMiddlewareJWKSInterop(t *testing.T) {
	t.Parallel()
	rs := jwttest.NewKey(t, "RS256").WithID("rsa-no-alg")
	ec := jwttest.NewKey(t, "ES256").WithID("ec-no-alg")
	edNew := jwttest.NewKey(t, jwttest.Ed25519).WithID("ed25519")
	edNoAlg := jwttest.NewKey(t, "EdDSA").WithID("ed-no-alg")
	noAlg := func(k *jwttest.Key) jwttest.JWK { j := k.JWK(); j.Alg = ""; return j }
	srv := jwttest.NewJWKSServer(t)
	srv.SetJWKs(noAlg(rs), noAlg(ec), edNew.JWK(), noAlg(edNoAlg))
	src, err := NewJWKS(context.Background(), srv.URL(), WithJWKSAlgorithms("RS256", "ES256", "EdDSA", "Ed25519"))
	if err != nil || src.Err() != nil {
		t.Fatal(err, src.Err())
	}
	t.Cleanup(func() { src.Close() })
	mw, err := New(src, WithIssuer(jwttest.DefaultIssuer), WithAudience(jwttest.DefaultAudience),
		WithTimeFunc(func() time.Time { return jwksNow }))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(okHandler())
	mint := func(k *jwttest.Key, opts ...jwttest.MintOption) string {
		return jwttest.Mint(t, k, nil, append(opts, jwttest.WithNow(func() time.Time { return jwksNow }))...)
	}
	tests := []struct {
		name string
		tok  string
		want string
	}{
		{"RS256, key without alg", mint(rs), ok200},
		{"ES256, key without alg", mint(ec), ok200},
		{"Ed25519 token, Ed25519 key", mint(edNew), ok200},
		{"EdDSA header on an Ed25519 key", mint(edNew, jwttest.WithHeader("alg", "EdDSA")), invalid401},
		{"EdDSA token, key without alg", mint(edNoAlg), ok200},
		{"Ed25519 header, key without alg", mint(edNoAlg, jwttest.WithHeader("alg", "Ed25519")), ok200},
		{"PS256 header on the RSA key", mint(rs, jwttest.WithHeader("alg", "PS256")), invalid401},
	}
	for _, tc := range tests {
		if got := status(t, h, tc.tok); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestMultiIssuerJWKS: two providers, each with its own JWKS and audience.
// A token that names one issuer but is signed with the other's key fails.
func TestMultiIssuerJWKS(t *testing.T) {
	t.Parallel()
	ka := jwttest.NewKey(t, "RS256").WithID("shared-kid")
	kb := jwttest.NewKey(t, "RS256").WithID("shared-kid") // same kid, other key
	srvA, srvB := jwttest.NewJWKSServer(t, ka), jwttest.NewJWKSServer(t, kb)
	oidcA, err := NewOIDC(context.Background(), srvA.Issuer(), WithJWKSAlgorithms("RS256"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oidcA.Close() })
	jwksB, err := NewJWKS(context.Background(), srvB.URL(), WithJWKSAlgorithms("RS256"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { jwksB.Close() })
	issB := "https://b.example"
	mw, err := NewMultiIssuer([]Issuer{
		{Issuer: srvA.Issuer(), Keys: oidcA, Audiences: []string{"api-a"}},
		{Issuer: issB, Keys: jwksB, Audiences: []string{"api-b"}},
	}, WithTimeFunc(func() time.Time { return jwksNow }), WithCache(8))
	if err != nil {
		t.Fatal(err)
	}
	srv := mw.Handler(okHandler())
	mint := func(k *jwttest.Key, iss, aud string) string {
		return jwttest.Mint(t, k, map[string]any{"iss": iss, "aud": aud}, jwttest.WithNow(func() time.Time { return jwksNow }))
	}
	tests := []struct {
		name string
		tok  string
		want string
	}{
		{"A's token", mint(ka, srvA.Issuer(), "api-a"), ok200},
		{"B's token", mint(kb, issB, "api-b"), ok200},
		{"claims A, signed by B", mint(kb, srvA.Issuer(), "api-a"), invalid401},
		{"claims B, signed by A", mint(ka, issB, "api-b"), invalid401},
		{"A's token for B's audience", mint(ka, srvA.Issuer(), "api-b"), invalid401},
		{"unknown issuer", mint(ka, "https://c.example", "api-a"), invalid401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 2 { // the second is a cache hit for accepted tokens
				if diff := cmp.Diff(tt.want, status(t, srv, tt.tok)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

type statusWriter struct {
	h      http.Header
	status int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *statusWriter) WriteHeader(s int)           { w.status = s }
