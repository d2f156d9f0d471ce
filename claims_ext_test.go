package jwtauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

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
