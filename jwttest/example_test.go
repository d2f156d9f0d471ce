package jwttest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// exampleT stands in for the *testing.T a real test passes: an Example
// function has none. Its Fatalf panics and its Cleanup functions run when
// done is called.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (*exampleT) Helper()                           {}
func (*exampleT) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (e *exampleT) Cleanup(f func())                { e.cleanups = append(e.cleanups, f) }
func (e *exampleT) done() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// status sends a request with the bearer token to h and returns the status.
func status(h http.Handler, token string) int {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

var ok = http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})

// A key, a token with sensible default claims, and a middleware that
// verifies it. In a test, pass t instead of the stand-in.
func ExampleMint() {
	t := &exampleT{}
	defer t.done()

	key := jwttest.NewKey(t, "ES256")
	mw, _ := jwtauth.New(jwtauth.PublicKey("ES256", key.Public()),
		jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience))

	fmt.Println(status(mw.Handler(ok), jwttest.Mint(t, key, nil)))
	fmt.Println(status(mw.Handler(ok), jwttest.Mint(t, key, map[string]any{"exp": time.Now().Add(-time.Hour).Unix()})))
	// Output:
	// 200
	// 401
}

// A local identity provider: an OIDC source discovers its keys, and
// JWKSServer.Mint signs tokens that carry the server's issuer.
func ExampleNewJWKSServer() {
	t := &exampleT{}
	defer t.done()

	key := jwttest.NewKey(t, "RS256").WithID("k1")
	idp := jwttest.NewJWKSServer(t, key)
	keys, err := jwtauth.NewOIDC(context.Background(), idp.Issuer())
	if err != nil {
		panic(err)
	}
	defer keys.Close()
	mw, _ := jwtauth.New(keys, jwtauth.WithIssuer(idp.Issuer()), jwtauth.WithAudience(jwttest.DefaultAudience))

	fmt.Println(status(mw.Handler(ok), idp.Mint(t, key, nil)))
	fmt.Println(idp.Fetches(), "key set fetch")
	// Output:
	// 200
	// 1 key set fetch
}

// Key rotation: a token signed with a newly published key is accepted on
// its first request, and the retired key stops verifying after the next
// rotation. WithRefreshCooldown(0) lets a test rotate more than once a
// minute; no clock or sleep is needed.
func ExampleJWKSServer_Rotate() {
	t := &exampleT{}
	defer t.done()

	first := jwttest.NewKey(t, "EdDSA").WithID("first")
	idp := jwttest.NewJWKSServer(t, first)
	keys, _ := jwtauth.NewJWKS(context.Background(), idp.URL(), jwtauth.WithRefreshCooldown(0))
	defer keys.Close()
	mw, _ := jwtauth.New(keys, jwtauth.WithIssuer(idp.Issuer()), jwtauth.WithAudience(jwttest.DefaultAudience))
	h := mw.Handler(ok)

	second := jwttest.NewKey(t, "EdDSA").WithID("second")
	idp.Rotate(second) // publishes second beside first
	fmt.Println("second:", status(h, idp.Mint(t, second, nil)))

	third := jwttest.NewKey(t, "EdDSA").WithID("third")
	idp.Rotate(third) // first is gone now
	fmt.Println("third:", status(h, idp.Mint(t, third, nil)))
	fmt.Println("first:", status(h, idp.Mint(t, first, nil)))
	// Output:
	// second: 200
	// third: 200
	// first: 401
}

// A DPoP client key, a token bound to it and a proof for one request, as a
// test of a handler behind a DPoP middleware sends them. In a test, pass t
// instead of the stand-in.
func ExampleDPoPKey_Proof() {
	t := &exampleT{}
	defer t.done()
	tokenKey := jwttest.NewKey(t, "ES256")
	client := jwttest.NewDPoPKey(t)
	mw, err := jwtauth.New(jwtauth.PublicKey("ES256", tokenKey.Public()),
		jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience))
	if err != nil {
		fmt.Println(err)
		return
	}
	token := jwttest.Mint(t, tokenKey, nil, jwttest.WithDPoPBinding(client))
	req := httptest.NewRequest(http.MethodDelete, "https://api.example/persons/7", nil)
	req.Header.Set("Authorization", "DPoP "+token)
	req.Header.Set("DPoP", client.Proof(t, http.MethodDelete, "https://api.example/persons/7", token))
	rec := httptest.NewRecorder()
	mw.Handler(ok).ServeHTTP(rec, req)
	fmt.Println(rec.Code, status(mw.Handler(ok), token)) // the same token as Bearer
	// Output: 200 401
}
