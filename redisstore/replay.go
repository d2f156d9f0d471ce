package redisstore

import (
	"context"
	"errors"
	"time"
)

// CheckAndSet records key until expiresAt and reports true if key was not
// already recorded (unexpired); false means a replay. It implements
// jwtauth's ReplayStore, for the DPoP proofs of RFC 9449 (section 11.1),
// shared by every instance: one atomic SET key NX with a time to live (PX, or EX for whole
// seconds), one round trip, so that of any number
// of concurrent calls with one key, on any instances, exactly one reports
// true.
//
// The entry lives until expiresAt, rounded up to the millisecond (never
// shorter). An error fails closed: Redis not answering within the timeout
// ([WithTimeout]) or failing is an error wrapping [ErrUnavailable] (and so
// [jwtauth.ErrKeysUnavailable]), whatever [WithFailOpenRevocation] says. An
// empty key or an expiresAt that is not ahead of the store's clock is an
// error too (nothing could be recorded); the middleware asks for at least
// [jwtauth.MaxLeeway] beyond a proof's window, so that instances whose
// clocks differ by that much still see each other's entries.
func (s *Store) CheckAndSet(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	if key == "" {
		return false, errors.New("redisstore: CheckAndSet: empty key")
	}
	left := expiresAt.Sub(s.cfg.now())
	if left <= 0 {
		return false, errNotFuture
	}
	ttl := (left + time.Millisecond - 1).Truncate(time.Millisecond) // rounded up

	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	set, err := s.client.SetNX(ctx, s.key(kindReplay, key), "1", ttl).Result()
	if err != nil {
		return false, s.failed("replay check", err)
	}
	return set, nil
}
