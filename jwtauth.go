// Package jwtauth protects net/http handlers with JSON Web Tokens and decodes
// typed, validated JSON request bodies.
package jwtauth

import "errors"

// Sentinel errors. Every error the middleware reports wraps exactly one of
// them, and golang-jwt's own error where there is one, so errors.Is works for
// both (for example errors.Is(err, jwt.ErrTokenExpired)).
var (
	// ErrMissingToken: the request carries no token (401, no error code).
	ErrMissingToken = errors.New("jwtauth: no token in request")
	// ErrMalformedRequest: the credentials are malformed, such as two
	// Authorization headers or "Bearer" with no token (400 invalid_request).
	ErrMalformedRequest = errors.New("jwtauth: malformed authorization request")
	// ErrInvalidToken: the token is present but not acceptable, for any
	// reason (401 invalid_token).
	ErrInvalidToken = errors.New("jwtauth: invalid token")
	// ErrInsufficientScope: the token is valid but lacks a required scope,
	// role or permission (403 insufficient_scope).
	ErrInsufficientScope = errors.New("jwtauth: insufficient scope")
	// ErrKeysUnavailable: no verification keys can be had right now, for
	// example a JWKS endpoint never answered (503 with Retry-After).
	ErrKeysUnavailable = errors.New("jwtauth: verification keys unavailable")
)
