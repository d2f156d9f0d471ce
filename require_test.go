package jwtauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

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
	admin := jwtauth.RolesIn("roles", "admin")
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
		{"role with a space in an array", chain(jwtauth.RolesIn("groups", "Domain Admins")), withClaims(map[string]any{"groups": []string{"Domain Admins"}}), okResult},
		{"role with a space never matches a string claim", chain(jwtauth.RolesIn("groups", "Domain Admins")), withClaims(map[string]any{"groups": "Domain Admins"}), forbidden("")},
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
		"no role":                      jwtauth.RolesIn("roles"),
		"no claim name":                jwtauth.RolesIn("", "admin"),
		"empty role":                   jwtauth.RolesIn("roles", ""),
		"role with newline":            jwtauth.RolesIn("roles", "a\nb"),
		"nil predicate":                jwtauth.Check[*appClaims](nil),
		"zero Requirement":             {},
		"Check of another claims type": jwtauth.Check(func(*appClaims) bool { return true }),
		"Check of another value type":  jwtauth.Check(func(appClaims) bool { return true }),
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
	m.Require(jwtauth.Scopes("a"), jwtauth.RolesIn("roles", "admin"),
		jwtauth.Check(func(*jwt.RegisteredClaims) bool { return true }),
		jwtauth.Check(func(jwt.Claims) bool { return true }))
}

// TestHasScopesAndRoles: the in-handler checks agree with Scopes and
// RolesIn: every one given must be present, and none given is false.
func TestHasScopesAndRoles(t *testing.T) {
	t.Parallel()
	ctx := jwtauth.NewContext(context.Background(), jwt.MapClaims{
		"scope": "a b", "roles": []string{"admin", "Domain Admins"}, "groups": "x y",
	})
	got := map[string]bool{
		"scopes a":           jwtauth.HasScopes(ctx, "a"),
		"scopes a b":         jwtauth.HasScopes(ctx, "a", "b"),
		"scopes a c":         jwtauth.HasScopes(ctx, "a", "c"),
		"scopes none":        jwtauth.HasScopes(ctx),
		"roles admin":        jwtauth.HasRolesIn(ctx, "roles", "admin"),
		"roles both":         jwtauth.HasRolesIn(ctx, "roles", "admin", "Domain Admins"),
		"roles admin, user":  jwtauth.HasRolesIn(ctx, "roles", "admin", "user"),
		"roles none":         jwtauth.HasRolesIn(ctx, "roles"),
		"groups from string": jwtauth.HasRolesIn(ctx, "groups", "y", "x"),
		"no claims":          jwtauth.HasRolesIn(context.Background(), "roles", "admin"),
	}
	want := map[string]bool{
		"scopes a": true, "scopes a b": true, "scopes a c": false, "scopes none": false,
		"roles admin": true, "roles both": true, "roles admin, user": false, "roles none": false,
		"groups from string": true, "no claims": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
