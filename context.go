package jwtauth

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// principal is what a verified request carries in its context.
type principal struct {
	m       *Middleware
	token   string
	claims  jwt.Claims // this request's own copy
	payload []byte     // the verified claims JSON, read-only
	dpop    *DPoPProof // the verified DPoP proof; nil without one
}

type ctxKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxKey{}).(*principal)
	return p
}

// ClaimsFrom returns the verified claims the middleware put into ctx, as T.
// The claims are *jwt.RegisteredClaims by default, or *C for
// [WithClaims][C]. T may be:
//
//   - that type itself, such as *MyClaims;
//   - the struct type C, for a copy of the claims;
//   - *jwt.RegisteredClaims (or jwt.RegisteredClaims, a copy) when C embeds
//     jwt.RegisteredClaims: the embedded registered claims;
//   - an interface the claims implement, such as jwt.Claims.
//
// It reports false if ctx holds no claims (no middleware, or
// [WithCredentialsOptional] without a token) or they are none of these. Each
// request has its own claims value.
func ClaimsFrom[T any](ctx context.Context) (T, bool) {
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		var zero T
		return zero, false
	}
	return claimsAs[T](p.claims)
}

// claimsAs returns claims as T, in the ways [ClaimsFrom] documents.
func claimsAs[T any](claims jwt.Claims) (T, bool) {
	if t, ok := claims.(T); ok {
		return t, true
	}
	var zero T
	if pt, ok := any(claims).(*T); ok && pt != nil { // T is the struct, claims a *T
		return *pt, true
	}
	switch any(zero).(type) {
	case *jwt.RegisteredClaims:
		if rc := embeddedRegistered(claims); rc != nil {
			return any(rc).(T), true
		}
	case jwt.RegisteredClaims:
		if rc := embeddedRegistered(claims); rc != nil {
			return any(*rc).(T), true
		}
	}
	return zero, false
}

// embeddedRegistered returns the jwt.RegisteredClaims that claims, a
// pointer to a struct, embeds (directly or through embedded structs), nil if
// none.
func embeddedRegistered(claims jwt.Claims) *jwt.RegisteredClaims {
	v := reflect.ValueOf(claims)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	index := registeredIndex(v.Type().Elem())
	if index == nil {
		return nil
	}
	f, err := v.Elem().FieldByIndexErr(index)
	if err != nil { // through a nil embedded pointer
		return nil
	}
	if f.Kind() == reflect.Pointer {
		rc, _ := f.Interface().(*jwt.RegisteredClaims)
		return rc
	}
	return f.Addr().Interface().(*jwt.RegisteredClaims)
}

// registeredIndexes caches registeredIndex per struct type.
var registeredIndexes sync.Map // reflect.Type -> []int

// registeredIndex returns the index path of the jwt.RegisteredClaims (or
// *jwt.RegisteredClaims) that struct type t embeds, nil if none.
func registeredIndex(t reflect.Type) []int {
	if t.Kind() != reflect.Struct {
		return nil
	}
	if v, ok := registeredIndexes.Load(t); ok {
		return v.([]int)
	}
	var index []int
	if f, ok := t.FieldByName("RegisteredClaims"); ok && f.Anonymous &&
		(f.Type == reflect.TypeFor[jwt.RegisteredClaims]() || f.Type == reflect.TypeFor[*jwt.RegisteredClaims]()) {
		index = f.Index
	}
	registeredIndexes.Store(t, index)
	return index
}

// RawClaimsFrom returns the verified claims JSON exactly as the token
// carried it (a copy), for handlers that pass claims on or need members the
// claims type does not declare, without decoding into a map.
func RawClaimsFrom(ctx context.Context) (json.RawMessage, bool) {
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		return nil, false
	}
	return bytes.Clone(p.payload), true
}

// TokenFrom returns the raw compact token the request was authenticated with,
// for forwarding to another service. Never log it.
func TokenFrom(ctx context.Context) (string, bool) {
	p := principalFrom(ctx)
	if p == nil || p.token == "" {
		return "", false
	}
	return p.token, true
}

// DPoPFrom returns what the request's verified DPoP proof says about the
// client's key (see [WithDPoP]): its thumbprint (the "cnf"."jkt" of a bound
// token), public key and algorithm. It reports false if the request was not
// authenticated with the DPoP scheme.
func DPoPFrom(ctx context.Context) (DPoPProof, bool) {
	p := principalFrom(ctx)
	if p == nil || p.dpop == nil {
		return DPoPProof{}, false
	}
	return *p.dpop, true
}

// NewContext returns a copy of ctx carrying claims as if a middleware had
// verified them, for tests of handlers that read [ClaimsFrom] or sit behind
// [Middleware.Require]. claims are marshalled with encoding/json for the
// scope and role checks. A struct value (MyClaims{...}) is stored as a
// pointer to a copy (*MyClaims), as the middleware stores claims, so the
// same [ClaimsFrom] and [Check] spellings work. There is no token
// ([TokenFrom] reports false).
func NewContext(ctx context.Context, claims jwt.Claims) context.Context {
	payload, err := json.Marshal(claims)
	if err != nil {
		payload = []byte("{}")
	}
	if v := reflect.ValueOf(claims); v.Kind() == reflect.Struct {
		ptr := reflect.New(v.Type())
		ptr.Elem().Set(v)
		claims = ptr.Interface().(jwt.Claims) // a pointer has the value's methods
	}
	return context.WithValue(ctx, ctxKey{}, &principal{claims: claims, payload: payload})
}
