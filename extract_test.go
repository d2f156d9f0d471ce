package jwtauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

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
