package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// Requirement is an authorization rule checked on the verified claims of a
// request: see [Scopes], [RolesIn] and [Check], and [Middleware.Require].
//
// The zero Requirement is malformed: [Middleware.Require] panics on it.
type Requirement struct {
	check  func(p *principal) bool
	scope  string       // for the challenge's scope attribute; "" for others
	claims reflect.Type // Check's T, matched against the middleware's claims type
	doc    string       // what is required, for an API's document; "" for Scopes
	err    error
}

// Scopes requires every one of scopes, matched exactly and case-sensitively,
// in the token's scope claim (a space-delimited string, RFC 8693 / RFC 9068)
// or scp claim (an array of strings, or a space-delimited string). A failure
// is 403 with WWW-Authenticate: Bearer error="insufficient_scope",
// scope="<scopes>".
func Scopes(scopes ...string) Requirement {
	want := slices.Clone(scopes)
	r := Requirement{scope: strings.Join(want, " ")}
	for _, s := range want {
		if s == "" || strings.ContainsFunc(s, func(c rune) bool { return c <= ' ' || c == '"' || c == '\\' || c == 0x7f }) {
			r.err = fmt.Errorf("Scopes: unusable scope %q", s)
		}
	}
	if len(want) == 0 {
		r.err = fmt.Errorf("Scopes: no scope given")
	}
	r.check = func(p *principal) bool { return hasScopes(p, want) }
	return r
}

// hasScopes reports whether p's scope or scp claim holds every one of want.
func hasScopes(p *principal, want []string) bool {
	return containsAll(append(p.strings("scope"), p.strings("scp")...), want)
}

// hasRoles reports whether p's claim called claim holds every one of want.
func hasRoles(p *principal, claim string, want []string) bool {
	return containsAll(p.strings(claim), want)
}

// containsAll reports whether have holds every one of want.
func containsAll(have, want []string) bool {
	for _, s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}

// RolesIn requires every one of roles in the claim called claim (an array of
// strings, or a space-delimited string), matched exactly. A role with a
// space, such as "Domain Admins", can match only an element of an array
// claim. An empty role or one with a control character is malformed. A
// failure is 403 insufficient_scope without a scope attribute.
func RolesIn(claim string, roles ...string) Requirement {
	want := slices.Clone(roles)
	r := Requirement{doc: "roles " + strings.Join(quoteAll(want), ", ") + " in claim " + strconv.Quote(claim)}
	for _, s := range want {
		// A role with a space can match an array element (such as
		// "Domain Admins"), never a space-delimited string claim.
		if s == "" || strings.ContainsFunc(s, unicode.IsControl) {
			r.err = fmt.Errorf("RolesIn: unusable role %q", s)
		}
	}
	if claim == "" || len(want) == 0 {
		r.err = fmt.Errorf("RolesIn: a claim name and at least one role are needed")
	}
	r.check = func(p *principal) bool { return hasRoles(p, claim, want) }
	return r
}

// Check requires pred to return true for the request's claims as T, in any
// of the spellings [ClaimsFrom] accepts: the middleware's claims type
// (*jwt.RegisteredClaims by default, *C after [WithClaims][C]), the struct
// C itself (a copy), *jwt.RegisteredClaims when C embeds it, or an interface
// the claims implement. [Middleware.Require] panics for any other T, since
// such a check could never pass. A failure is 403 insufficient_scope without
// a scope attribute.
func Check[T any](pred func(claims T) bool) Requirement {
	if pred == nil {
		return Requirement{err: fmt.Errorf("Check: nil predicate")}
	}
	return Requirement{claims: reflect.TypeFor[T](), doc: "a check of the claims", check: func(p *principal) bool {
		t, ok := claimsAs[T](p.claims)
		return ok && pred(t)
	}}
}

func quoteAll(s []string) []string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return q
}

// usable reports why r cannot be checked by m's requests, nil if it can.
func (m *Middleware) usable(r Requirement) error {
	switch {
	case r.err != nil:
		return r.err
	case r.check == nil:
		return errors.New("Require: a zero Requirement; build requirements with Scopes, RolesIn or Check")
	case r.claims != nil:
		have := reflect.TypeOf(m.cfg.claims.new()) // a pointer to a struct
		registered := reflect.TypeFor[jwt.RegisteredClaims]()
		switch {
		case r.claims == have, r.claims == have.Elem(),
			r.claims.Kind() == reflect.Interface && have.Implements(r.claims),
			(r.claims == registered || r.claims == reflect.PointerTo(registered)) && have.Elem().Kind() == reflect.Struct && registeredIndex(have.Elem()) != nil:
			return nil
		}
		return fmt.Errorf("Check: a Check[%v] could never pass: the middleware's claims are %v; write Check(func(c %v) bool)", r.claims, have, have)
	}
	return nil
}

// Require returns middleware that lets a request through only if its claims
// meet every requirement, checked in order. Use it inside [Middleware.Handler]
// (for example chi's r.With(mw.Require(jwtauth.Scopes("a")))) . A request
// without verified claims gets 401 as from the middleware; a failed
// requirement 403. It panics, when called (at setup, never on a request), if
// a requirement is malformed: built with unusable arguments, the zero
// Requirement, or a [Check] whose type cannot match this middleware's claims.
// That is a programming error, as with [regexp.MustCompile].
func (m *Middleware) Require(reqs ...Requirement) func(http.Handler) http.Handler {
	for _, r := range reqs {
		if err := m.usable(r); err != nil {
			panic("jwtauth: " + err.Error())
		}
	}
	reqs = slices.Clone(reqs)
	return func(next http.Handler) http.Handler {
		return &requireHandler{m: m, reqs: reqs, next: next}
	}
}

// requireHandler is the handler [Middleware.Require]'s middleware returns; a
// named type so that an [API] can read the requirements and the handler it
// wraps.
type requireHandler struct {
	m    *Middleware
	reqs []Requirement
	next http.Handler
}

func (h *requireHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := principalFrom(r.Context())
	if p == nil || p.claims == nil {
		h.m.fail(w, r, errNoToken)
		return
	}
	for _, q := range h.reqs {
		if !q.check(p) {
			h.m.fail(w, r, &scopeError{scope: q.scope})
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// HasScopes reports whether the verified claims in ctx carry every one of
// scopes, as [Scopes] checks them, for decisions inside a handler.
func HasScopes(ctx context.Context, scopes ...string) bool {
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		return false
	}
	return len(scopes) > 0 && hasScopes(p, scopes)
}

// HasRolesIn reports whether the claim called claim of the verified claims
// in ctx holds every one of roles, as [RolesIn] checks them, for decisions
// inside a handler. It reports false for no roles.
func HasRolesIn(ctx context.Context, claim string, roles ...string) bool {
	p := principalFrom(ctx)
	return p != nil && p.claims != nil && len(roles) > 0 && hasRoles(p, claim, roles)
}

// strings returns the named top-level claim as a list of strings: an array's
// string elements, or a string split at spaces. Anything else is empty.
func (p *principal) strings(name string) []string {
	switch kind, raw := jsonscan.Member(p.payload, name); kind {
	case jsonscan.String:
		s, _ := jsonscan.StringValue(raw)
		return strings.Fields(s)
	case jsonscan.Array:
		list, _ := jsonscan.Strings(raw) // an array with a non-string is no list
		return list
	}
	return nil
}
