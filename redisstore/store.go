package redisstore

import (
	"context"
	"encoding/base64"
	"errors"

	"github.com/redis/go-redis/v9"
)

// Store keeps revocations and DPoP proof identifiers in Redis, shared by
// every instance of a service that uses the same Redis and prefix. Create
// one with [New]. Its configuration is fixed by New, and it is safe for
// concurrent use; it starts no goroutine and holds no connection of its own (the
// client's pool is the caller's), so it needs no Close: close the client.
//
// Keys, under the prefix ([WithPrefix], default "jwtauth:"): "jti:" + jti,
// "sub:" + subject and "hash:" + base64url([jwtauth.TokenInfo.Hash]) for
// revocations, "replay:" + key for [Store.CheckAndSet]. jti and subject are
// used as they are (Redis keys are binary-safe), so that an operator can
// find them with redis-cli. Every key has a time to live.
//
// Replicas: a client that reads from replicas (ReadOnly, RouteByLatency or
// RouteRandomly in the cluster options, ReplicaOnly for Sentinel) sees a
// revocation only once it has replicated, and a replay check is always a
// write, so it goes to the master.
//
// Persistence: the store is only as durable as the Redis behind it. A Redis
// that restarts without its data (no RDB or AOF) forgets every revocation,
// and the revoked tokens are accepted again until they expire.
type Store struct {
	client redis.UniversalClient
	single bool // client is a *redis.Client: every key on one server, so MGET serves
	cfg    config
	cache  *notRevokedCache // nil without WithNotRevokedCache
}

// New returns a [Store] that uses client: a *redis.Client (single node or
// Sentinel, as redis.NewFailoverClient returns it), a *redis.ClusterClient,
// or any other [redis.UniversalClient]. The client stays the caller's: New
// does not change or close it.
//
// The client must have ContextTimeoutEnabled set, so that the per-call
// timeout ([WithTimeout]) bounds its network I/O; New returns an error for a
// *redis.Client, *redis.ClusterClient or *redis.Ring without it, unless
// [WithoutContextTimeoutCheck] is given. New does not contact Redis.
func New(client redis.UniversalClient, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	cfg := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return nil, optionError("nil Option")
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if !cfg.skipCtxChk {
		if enabled, known := contextTimeoutEnabled(client); known && !enabled {
			return nil, errors.New("redisstore: the client's ContextTimeoutEnabled is false, so WithTimeout could not bound its calls; set it in the client's options (or see WithoutContextTimeoutCheck)")
		}
	}
	_, single := client.(*redis.Client)
	s := &Store{client: client, single: single, cfg: cfg}
	if cfg.cacheSize > 0 {
		s.cache = newNotRevokedCache(cfg.cacheSize, cfg.cacheAge)
	}
	return s, nil
}

// contextTimeoutEnabled reports the ContextTimeoutEnabled option of the
// go-redis clients whose options can be read.
func contextTimeoutEnabled(c redis.UniversalClient) (enabled, known bool) {
	switch c := c.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled, true
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled, true
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled, true
	}
	return false, false
}

// Key kinds, after the prefix.
const (
	kindID      = "jti:"
	kindSubject = "sub:"
	kindHash    = "hash:"
	kindReplay  = "replay:"
)

func (s *Store) key(kind, name string) string {
	return s.cfg.prefix + kind + name
}

func (s *Store) hashKey(h [32]byte) string {
	var b [43]byte // base64url of 32 bytes, unpadded
	base64.RawURLEncoding.Encode(b[:], h[:])
	return s.cfg.prefix + kindHash + string(b[:])
}

// withTimeout bounds one call to Redis.
func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.timeout)
}

// failed reports a failed call to the error handler and returns its error.
func (s *Store) failed(op string, err error) error {
	err = unavailable(op, err)
	if s.cfg.onError != nil {
		s.cfg.onError(err)
	}
	return err
}
