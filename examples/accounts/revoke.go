package main

import (
	"context"
	"fmt"

	"github.com/seedb5d7e80f/jwtauth"
)

// revoked is the middleware's revocation check (jwtauth.WithRevocationCheck):
// it reads the user's row on every request, so that a disable by the CLI
// (another process) takes effect on the next request, and refuses every
// token of a user that is disabled or deleted, and every token whose iat is
// at or before the user's tokens_valid_after, which disable and POST
// /logout-everywhere set to the current second (a token issued in that
// same second is refused too: log in again a second later) or that has no
// iat. A refusal answers like any bad token, 401 invalid_token; a database
// error is 503.
func (a *app) revoked(ctx context.Context, t jwtauth.TokenInfo) error {
	enabled, validAfter, err := a.db.userState(ctx, t.Subject)
	if err != nil {
		a.log.Error("revocation check failed", "err", err.Error())
		return fmt.Errorf("%w: user state unreadable", jwtauth.ErrKeysUnavailable)
	}
	switch {
	case !enabled:
		return jwtauth.ErrRevoked
	case t.IssuedAt.IsZero() || t.IssuedAt.Unix() <= validAfter:
		return errRevokedToken
	}
	return nil
}

var errRevokedToken = fmt.Errorf("%w: issued before the user's tokens-valid-after", jwtauth.ErrRevoked)
