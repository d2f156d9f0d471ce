package redisstore

import (
	"errors"
	"fmt"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/internal/safetext"
)

// ErrUnavailable means Redis did not answer in time or refused the
// command. It wraps [jwtauth.ErrKeysUnavailable], so that the middleware
// answers a failed revocation check with 503 and Retry-After.
var ErrUnavailable = fmt.Errorf("redisstore: redis unavailable: %w", jwtauth.ErrKeysUnavailable)

// The reasons [Store.Check] refuses a token; each wraps [jwtauth.ErrRevoked].
var (
	errRevokedID      = fmt.Errorf("%w (redisstore: by jti)", jwtauth.ErrRevoked)
	errRevokedSubject = fmt.Errorf("%w (redisstore: subject revoked before its iat)", jwtauth.ErrRevoked)
	errRevokedHash    = fmt.Errorf("%w (redisstore: by signing-input hash)", jwtauth.ErrRevoked)
)

// errNotFuture is the error of a replay entry whose expiry has passed.
var errNotFuture = errors.New("redisstore: expiresAt is not in the future")

// unavailable wraps an error from go-redis, escaped so that logging it
// cannot forge a line.
func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, escaped{err})
}

// escaped is an error whose text is escaped ([safetext.Escape]).
type escaped struct{ err error }

func (e escaped) Error() string { return safetext.Escape(e.err.Error()) }
func (e escaped) Unwrap() error { return e.err }
