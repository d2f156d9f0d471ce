package jwtauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

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
