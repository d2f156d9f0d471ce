package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
)

// orgClaim is a nested claim with its own Validate.
type orgClaim struct {
	ID    string `json:"id"`
	Level int    `json:"level"`
}

var orgValidations atomic.Int64

func (o *orgClaim) Validate() error {
	orgValidations.Add(1)
	if o.ID == "banned" {
		return errors.New("organisation is banned")
	}
	return nil
}

// grantClaim is an element type with its own Validate.
type grantClaim struct {
	Name string `json:"name"`
}

func (g *grantClaim) Validate() error {
	if g.Name == "root" {
		return errors.New("root grants are not issued")
	}
	return nil
}

// nestedClaims has Validate methods at three levels.
type nestedClaims struct {
	Org    orgClaim     `json:"org"`
	Grants []grantClaim `json:"grants"`
	jwt.RegisteredClaims
}

var rootValidations atomic.Int64

func (c *nestedClaims) Validate() error {
	rootValidations.Add(1)
	return nil
}

// TestCustomClaimsValidateNested: every Validate in the decoded claims runs,
// nested ones too, exactly as for bodies, on fresh tokens and cache hits;
// a claim of the wrong type names its path (never its value) in the error
// the observer sees, while the client gets the one 401.
func TestCustomClaimsValidateNested(t *testing.T) {
	// Not parallel: it counts Validate calls in package variables.
	claims := func(extra string) string {
		return claimsJSON(extra)
	}
	tests := []struct {
		name    string
		extra   string // claims members spliced in
		want    result
		observe []string // substrings of the observed error; nil for none
		never   string   // must not appear in the observed error
	}{
		{"all valid", `"org":{"id":"acme","level":2},"grants":[{"name":"read"}]`, okResult, nil, ""},
		{"nested Validate fails", `"org":{"id":"banned","level":2},"grants":[]`, invalidResult,
			[]string{"claims.org: value_error"}, ""},
		{"element Validate fails", `"org":{"id":"acme","level":2},"grants":[{"name":"read"},{"name":"root"}]`, invalidResult,
			[]string{"claims.grants[1]: value_error"}, ""},
		{"wrong type names the path", `"org":{"id":"acme","level":"SECRET-VALUE"}`, invalidResult,
			[]string{"claims.org.level: int_parsing", jwt.ErrTokenMalformed.Error()}, "SECRET-VALUE"},
		{"wrong type in an array element", `"org":{"id":"acme","level":2},"grants":[{"name":7}]`, invalidResult,
			[]string{"claims.grants[0].name: string_type"}, "\n"},
	}
	for _, cached := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("cache=%v/%s", cached, tt.name), func(t *testing.T) {
				var seen error
				opts := []jwtauth.Option{jwtauth.WithClaims[nestedClaims](),
					jwtauth.WithErrorObserver(func(_ *http.Request, err error) { seen = err })}
				if cached {
					opts = append(opts, jwtauth.WithCache(8))
				}
				m := strictHS256(t, opts...)
				tok := rawHS256(secret, hs256Header, claims(tt.extra))
				orgValidations.Store(0)
				rootValidations.Store(0)
				for range 2 { // the second request is a cache hit when cached
					if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tok))); diff != "" {
						t.Errorf("(-want +got):\n%s", diff)
					}
				}
				if tt.want == okResult {
					if got := orgValidations.Load(); got != 2 {
						t.Errorf("nested Validate ran %d times in 2 requests, want 2", got)
					}
					if got := rootValidations.Load(); got != 2 {
						t.Errorf("top-level Validate ran %d times in 2 requests, want 2", got)
					}
				}
				if tt.observe == nil {
					if seen != nil {
						t.Errorf("observer saw %v", seen)
					}
					return
				}
				if !errors.Is(seen, jwtauth.ErrInvalidToken) {
					t.Errorf("observer saw %v, want %v", seen, jwtauth.ErrInvalidToken)
				}
				for _, s := range tt.observe {
					if seen == nil || !strings.Contains(seen.Error(), s) {
						t.Errorf("observed error %q does not say %q", seen, s)
					}
				}
				if tt.never != "" && seen != nil && strings.Contains(seen.Error(), tt.never) {
					t.Errorf("observed error %q contains %q", seen, tt.never)
				}
			})
		}
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
				// The embedded registered claims, the same value (point 6 of
				// issue 8: the README's quick-start call works here too).
				if rc, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context()); !ok || rc != &ac.RegisteredClaims {
					t.Errorf("ClaimsFrom[*jwt.RegisteredClaims] = %p, %v; want the embedded %p", rc, ok, &ac.RegisteredClaims)
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

// TestClaimsSpellings: the natural spellings of a claims type work in
// ClaimsFrom, Check and NewContext, and a spelling that can never match is
// refused by Require at setup with what to write instead.
func TestClaimsSpellings(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithClaims[appClaims]())
	c := goodClaims()
	c["tenant"] = "acme"
	tok := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	type seen struct {
		Ptr, Value, Registered, RegisteredValue, Interface bool
		Tenant, Subject                                    string
	}
	read := func(ctx context.Context) seen {
		var s seen
		var ac *appClaims
		ac, s.Ptr = jwtauth.ClaimsFrom[*appClaims](ctx)
		v, okv := jwtauth.ClaimsFrom[appClaims](ctx)
		s.Value = okv
		rc, okr := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
		s.Registered = okr
		_, s.RegisteredValue = jwtauth.ClaimsFrom[jwt.RegisteredClaims](ctx)
		_, s.Interface = jwtauth.ClaimsFrom[jwt.Claims](ctx)
		if s.Ptr && okv && okr {
			s.Tenant = ac.Tenant + "/" + v.Tenant
			s.Subject = rc.Subject
		}
		return s
	}
	want := seen{true, true, true, true, true, "acme/acme", "user-1"}
	var got seen
	h := m.Handler(m.Require(
		jwtauth.Check(func(c appClaims) bool { return c.Tenant == "acme" }),
		jwtauth.Check(func(c *jwt.RegisteredClaims) bool { return c.Subject == "user-1" }),
	)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = read(r.Context()) })))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("through the middleware (-want +got):\n%s", diff)
	}
	// NewContext with a struct value stores a pointer, as the middleware does.
	ctx := jwtauth.NewContext(context.Background(), appClaims{Tenant: "acme", RegisteredClaims: jwt.RegisteredClaims{Subject: "user-1"}})
	if diff := cmp.Diff(want, read(ctx)); diff != "" {
		t.Errorf("through NewContext(value) (-want +got):\n%s", diff)
	}
	// A spelling that can never match says what to write.
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "write Check(func(c *jwt.RegisteredClaims) bool)") {
			t.Errorf("Require panicked with %v, want a message saying what to write", r)
		}
	}()
	strictHS256(t).Require(jwtauth.Check(func(*appClaims) bool { return true }))
}
