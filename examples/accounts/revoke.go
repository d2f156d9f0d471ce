package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

// Revocation has two parts, because jwtauth.TokenInfo (what the library's
// revocation hook sees) has the token's sub and jti but not its iat:
//
//   - revoked, the jwtauth.WithRevocationCheck hook, refuses every token
//     of a user that is disabled or deleted;
//   - fresh, a handler right inside the middleware, refuses a token whose
//     iat is at or before its user's tokens_valid_after, which disable
//     and POST /logout-everywhere set to the current second. A token
//     issued in that same second is refused too: log in again a second
//     later.
//
// Both read the database on every request, so that a disable by the CLI
// (another process) takes effect on the next request. Both answer like
// any bad token: 401 invalid_token. A database error is 503.

// revoked is the middleware's revocation check.
func (a *app) revoked(ctx context.Context, t jwtauth.TokenInfo) error {
	enabled, _, err := a.db.userState(ctx, t.Subject)
	if err != nil {
		a.log.Error("revocation check failed", "err", err.Error())
		return fmt.Errorf("%w: user state unreadable", jwtauth.ErrKeysUnavailable)
	}
	if !enabled {
		return jwtauth.ErrRevoked
	}
	return nil
}

var errRevokedToken = fmt.Errorf("%w: %w: issued before the user's tokens-valid-after", jwtauth.ErrInvalidToken, jwtauth.ErrRevoked)

// fresh returns next behind the tokens-valid-after check.
func (a *app) fresh(next http.Handler) http.Handler { return &freshHandler{a.db, a.log, next} }

// freshHandler is fresh's handler, a jwtauth.Wrapper so that the API
// documents what is inside it.
type freshHandler struct {
	db   *db
	log  *slog.Logger
	next http.Handler
}

func (h *freshHandler) Unwrap() http.Handler { return h.next }

func (h *freshHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
	if !ok || c.IssuedAt == nil {
		jwtauth.WriteError(w, r, errRevokedToken)
		return
	}
	_, validAfter, err := h.db.userState(r.Context(), c.Subject)
	if err != nil {
		h.log.Error("revocation check failed", "err", err.Error())
		jwtauth.WriteError(w, r, fmt.Errorf("%w: user state unreadable", jwtauth.ErrKeysUnavailable))
		return
	}
	if c.IssuedAt.Unix() <= validAfter {
		h.log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "reason", errRevokedToken.Error())
		jwtauth.WriteError(w, r, errRevokedToken)
		return
	}
	h.next.ServeHTTP(w, r)
}
