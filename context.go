package jwtauth

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/golang-jwt/jwt/v5"
)

// principal is what a verified request carries in its context.
type principal struct {
	m       *Middleware
	token   string
	claims  jwt.Claims // this request's own copy
	payload []byte     // the verified claims JSON, read-only
}

type ctxKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxKey{}).(*principal)
	return p
}

// ClaimsFrom returns the verified claims the middleware put into ctx, as T:
// *jwt.RegisteredClaims by default, or *C for [WithClaims][C]. T may also be
// an interface the claims implement, such as jwt.Claims. It reports false if
// ctx holds no claims (no middleware, or [WithCredentialsOptional] without a
// token) or they are not a T. Each request has its own claims value.
func ClaimsFrom[T any](ctx context.Context) (T, bool) {
	var zero T
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		return zero, false
	}
	t, ok := p.claims.(T)
	return t, ok
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

// NewContext returns a copy of ctx carrying claims as if a middleware had
// verified them, for tests of handlers that read [ClaimsFrom] or sit behind
// [Middleware.Require]. claims are marshalled with encoding/json for the
// scope and role checks. There is no token ([TokenFrom] reports false).
func NewContext(ctx context.Context, claims jwt.Claims) context.Context {
	payload, err := json.Marshal(claims)
	if err != nil {
		payload = []byte("{}")
	}
	return context.WithValue(ctx, ctxKey{}, &principal{claims: claims, payload: payload})
}
