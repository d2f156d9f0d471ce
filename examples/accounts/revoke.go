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
// The user's row is read once per request, by the hook, so that a
// disable by the CLI (another process) takes effect on the next request;
// the hook leaves tokens_valid_after in a slot that withState, outside the
// middleware, put into the request's context, for fresh to compare (fresh
// reads the row itself when there is no slot). Both answer like any bad
// token: 401 invalid_token. A database error is 503.

// stateKey is the context key of the *stateSlot.
type stateKey struct{}

// stateSlot carries the user's tokens_valid_after from revoked to fresh,
// within one request.
type stateSlot struct {
	set        bool
	validAfter int64
}

// withState returns next with a stateSlot in each request's context.
func withState(next http.Handler) http.Handler { return stateHandler{next} }

// stateHandler is withState's handler, a jwtauth.Wrapper.
type stateHandler struct{ next http.Handler }

func (h stateHandler) Unwrap() http.Handler { return h.next }

func (h stateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, &stateSlot{})))
}

// revoked is the middleware's revocation check.
func (a *app) revoked(ctx context.Context, t jwtauth.TokenInfo) error {
	enabled, validAfter, err := a.db.userState(ctx, t.Subject)
	if err != nil {
		a.log.Error("revocation check failed", "err", err.Error())
		return fmt.Errorf("%w: user state unreadable", jwtauth.ErrKeysUnavailable)
	}
	if !enabled {
		return jwtauth.ErrRevoked
	}
	if slot, ok := ctx.Value(stateKey{}).(*stateSlot); ok {
		slot.set, slot.validAfter = true, validAfter
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
	var validAfter int64
	var err error
	if slot, ok := r.Context().Value(stateKey{}).(*stateSlot); ok && slot.set {
		validAfter = slot.validAfter
	} else {
		_, validAfter, err = h.db.userState(r.Context(), c.Subject)
	}
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
