package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
)

// Check is the revocation check for [jwtauth.WithRevocationCheck]:
//
//	mw, err := jwtauth.New(keys, jwtauth.WithRevocationCheck(store.Check))
//
// It refuses, with an error wrapping [jwtauth.ErrRevoked] (401), a token
// whose jti was revoked ([Store.RevokeID]), whose subject was revoked before
// the token's iat or that has no iat ([Store.RevokeSubject]), or whose
// signing-input hash was revoked ([Store.RevokeHash]). A token without jti
// or sub is checked for what it has; the hash is always checked.
//
// The checks cost one round trip: one MGET of the keys that apply on a
// *redis.Client (single node or Sentinel), or a pipeline of one GET per key
// on other clients (single-key commands, so Redis Cluster routes each to
// its node; go-redis sends the pipeline to those nodes in parallel). With
// [WithNotRevokedCache], a token found not revoked recently costs none.
//
// When Redis does not answer within the timeout ([WithTimeout], default
// 100 ms) or fails the command, Check fails closed with an error wrapping
// [ErrUnavailable] and so [jwtauth.ErrKeysUnavailable]: the middleware
// answers 503 with Retry-After, never 200. With [WithFailOpenRevocation] it
// returns nil instead. Either way the error goes to [WithErrorHandler].
func (s *Store) Check(ctx context.Context, t jwtauth.TokenInfo) error {
	now := s.cfg.now()
	var gen uint64
	if s.cache != nil {
		if s.cache.fresh(t.Hash, now) {
			return nil
		}
		gen = s.cache.generation()
	}
	// The keys that apply, hash first; vals gets each one's value, nil if
	// absent.
	var keys [3]string
	keys[0] = s.hashKey(t.Hash)
	n, idAt, subAt := 1, -1, -1
	if t.ID != "" {
		keys[n], idAt = s.key(kindID, t.ID), n
		n++
	}
	if t.Subject != "" {
		keys[n], subAt = s.key(kindSubject, t.Subject), n
		n++
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	vals, err := s.get(ctx, keys[:n])
	if err != nil {
		return s.checkFailed(err)
	}
	switch {
	case vals[0] != nil:
		return errRevokedHash
	case idAt > 0 && vals[idAt] != nil:
		return errRevokedID
	case subAt > 0 && vals[subAt] != nil:
		cutoff, err := strconv.ParseInt(*vals[subAt], 10, 64)
		if err != nil {
			return s.checkFailed(errors.New("a subject entry is not a number"))
		}
		if t.IssuedAt.IsZero() || t.IssuedAt.UnixMilli() < cutoff {
			return errRevokedSubject
		}
	}
	if s.cache != nil {
		s.cache.put(t.Hash, now, gen)
	}
	return nil
}

// get reads keys in one round trip: one MGET on a *redis.Client (a single
// node, or Sentinel's master), whose keys all live on one server, or else
// (Cluster, Ring, other clients) a pipeline of one GET per key, which
// go-redis sends to each key's node. A nil value is an absent key.
func (s *Store) get(ctx context.Context, keys []string) ([]*string, error) {
	vals := make([]*string, len(keys))
	if s.single {
		res, err := s.client.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		if len(res) != len(keys) {
			return nil, errors.New("MGET answered with the wrong number of values")
		}
		for i, v := range res {
			if str, ok := v.(string); ok {
				vals[i] = &str
			}
		}
		return vals, nil
	}
	cmds := make([]*redis.StringCmd, len(keys))
	_, err := s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Get(ctx, k)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for i, c := range cmds {
		switch v, err := c.Result(); {
		case err == nil:
			vals[i] = &v
		case !errors.Is(err, redis.Nil):
			return nil, err
		}
	}
	return vals, nil
}

func (s *Store) checkFailed(err error) error {
	err = s.failed("revocation check", err)
	if s.cfg.failOpen {
		return nil
	}
	return err
}

// RevokeID revokes the token whose jti is id, on every instance, until
// expiresAt (the token's exp, [jwtauth.TokenInfo.ExpiresAt]) plus
// [ExpiryMargin]; after that the entry disappears by itself. An expiresAt
// more than ExpiryMargin in the past has nothing left to revoke and writes
// nothing. A zero expiresAt is an error: every entry must expire (for a
// token without exp, pass the longest it may live).
func (s *Store) RevokeID(ctx context.Context, id string, expiresAt time.Time) error {
	if id == "" {
		return errors.New("redisstore: RevokeID: empty jti")
	}
	return s.revoke(ctx, "RevokeID", s.key(kindID, id), 0, expiresAt)
}

// RevokeHash revokes the token whose signing-input hash is h
// ([jwtauth.SigningInputHash], [jwtauth.TokenInfo.Hash]), for tokens
// without jti, on every instance until expiresAt plus [ExpiryMargin], as
// [Store.RevokeID] does. The hash covers what was signed, so the token is
// refused in every encoding of its signature.
func (s *Store) RevokeHash(ctx context.Context, h [32]byte, expiresAt time.Time) error {
	return s.revoke(ctx, "RevokeHash", s.hashKey(h), 0, expiresAt)
}

// RevokeSubject revokes every token of subject issued before cutoff ("log
// out everywhere"), on every instance: a token is refused if its iat is
// before cutoff, or if it has no iat at all (nothing shows it was issued
// later). Tokens issued after the cutoff are accepted. iat has whole
// seconds and cutoff is kept to the millisecond, so a token issued in the
// same second as the cutoff, even just after it, is refused: issue the
// next token a second later.
//
// The entry lives until expiresAt plus [ExpiryMargin]: pass the latest exp
// a token of subject issued before cutoff can have, such as cutoff plus
// the longest lifetime your issuer gives tokens. Revoking a subject again
// keeps the later cutoff and the later expiry. A zero cutoff or expiresAt
// is an error.
func (s *Store) RevokeSubject(ctx context.Context, subject string, cutoff, expiresAt time.Time) error {
	if subject == "" {
		return errors.New("redisstore: RevokeSubject: empty subject")
	}
	if cutoff.IsZero() {
		return errors.New("redisstore: RevokeSubject: zero cutoff")
	}
	return s.revoke(ctx, "RevokeSubject", s.key(kindSubject, subject), cutoff.UnixMilli(), expiresAt)
}

// revokeScript sets a revocation entry, keeping the larger value (a
// subject's cutoff) and the longer time to live of an existing one, so
// that a revocation never shortens or weakens another. KEYS[1] is the
// entry, ARGV[1] its value, ARGV[2] its time to live in milliseconds.
var revokeScript = redis.NewScript(`
local v = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local cur = redis.call('GET', KEYS[1])
if cur then
	local c = tonumber(cur)
	if c and c > v then v = c end
	local left = redis.call('PTTL', KEYS[1])
	if left > ttl then ttl = left end
end
redis.call('SET', KEYS[1], v, 'PX', ttl)
return 1
`)

func (s *Store) revoke(ctx context.Context, op, key string, value int64, expiresAt time.Time) error {
	if expiresAt.IsZero() {
		return errors.New("redisstore: " + op + ": zero expiresAt (every entry must expire)")
	}
	ttl := expiresAt.Add(ExpiryMargin).Sub(s.cfg.now()).Milliseconds()
	if ttl <= 0 {
		return nil // expired for good: no middleware accepts it any more
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	err := revokeScript.Run(ctx, s.client, []string{key}, strconv.FormatInt(value, 10), strconv.FormatInt(ttl, 10)).Err()
	if s.cache != nil {
		s.cache.clear() // after the write, so that no check can cache the old answer
	}
	if err != nil {
		return s.failed(op, err)
	}
	return nil
}
