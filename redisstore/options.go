package redisstore

import (
	"fmt"
	"time"
)

// DefaultTimeout is the default time limit of one call to Redis; see
// [WithTimeout].
const DefaultTimeout = 100 * time.Millisecond

// DefaultPrefix is the default prefix of every key the store writes; see
// [WithPrefix].
const DefaultPrefix = "jwtauth:"

// ExpiryMargin is how much longer than the token it names a revocation entry
// lives: a middleware accepts an expired token for up to its leeway
// ([jwtauth.WithLeeway], at most [jwtauth.MaxLeeway]), and the clocks of the
// instances may differ a little, so an entry must outlast exp by as much.
const ExpiryMargin = 5 * time.Minute

// Option configures a [Store]. An option given an unusable value makes [New]
// return an error; zero never silently means the default.
type Option func(*config) error

type config struct {
	prefix     string
	timeout    time.Duration
	failOpen   bool
	cacheAge   time.Duration
	cacheSize  int
	onError    func(error)
	now        func() time.Time
	skipCtxChk bool
}

func defaultConfig() config {
	return config{prefix: DefaultPrefix, timeout: DefaultTimeout, now: time.Now}
}

func optionError(format string, args ...any) error {
	return fmt.Errorf("redisstore: "+format, args...)
}

// WithPrefix sets the prefix of every key the store reads and writes, so
// that several stores (or other data) can share one Redis. Default:
// [DefaultPrefix] ("jwtauth:"). Every instance that should see the same
// revocations must use the same prefix.
//
// Redis Cluster: on a cluster client the store sends only single-key
// commands (a request's checks are a pipeline of GETs, which go-redis
// splits by node), so it needs no hash tag. A prefix containing a hash tag such as "{auth}:"
// puts every key on one slot, and so on one node, replay entries included.
func WithPrefix(prefix string) Option {
	return func(c *config) error {
		if prefix == "" {
			return optionError("WithPrefix: empty prefix")
		}
		c.prefix = prefix
		return nil
	}
}

// WithTimeout bounds each call to Redis (one revocation check, revocation
// or replay check, the client's retries included) to d, or to less if the
// request's context ends sooner. Default: [DefaultTimeout] (100 ms). d must be
// positive. A call that runs out of time fails as an outage: closed (503)
// unless [WithFailOpenRevocation] applies.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return optionError("WithTimeout: %v is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithFailOpenRevocation makes [Store.Check] accept a token when Redis
// cannot answer (down, slow beyond [WithTimeout], refusing the command)
// instead of failing closed with an error wrapping
// [jwtauth.ErrKeysUnavailable] (503). Default: fail closed.
//
// Security: while Redis is unreachable every revoked token is accepted
// again, until it expires. Use it only where availability matters more than
// revocation, and watch [WithErrorHandler], which still sees every failure.
// It never applies to [Store.CheckAndSet]: a replay store that cannot answer
// always fails closed.
func WithFailOpenRevocation() Option {
	return func(c *config) error { c.failOpen = true; return nil }
}

// WithNotRevokedCache keeps "not revoked" answers of [Store.Check] in memory
// for maxAge, for up to size tokens (keyed by [jwtauth.TokenInfo.Hash]), so
// that a token seen again within maxAge costs no round trip. Default: no
// cache, every check asks Redis. maxAge must be positive and at most 1
// minute; size positive. When full, an expired entry is evicted, or else
// an arbitrary one.
//
// Staleness: a revocation made through another instance (another Store)
// takes effect on this instance at most maxAge later for tokens this
// instance has already checked; a revocation through this Store clears its
// cache at once. Cached answers also hold for up to maxAge while Redis is
// down. "Revoked" answers and failures are never cached.
func WithNotRevokedCache(maxAge time.Duration, size int) Option {
	return func(c *config) error {
		if maxAge <= 0 || maxAge > time.Minute {
			return optionError("WithNotRevokedCache: maxAge %v is outside (0, 1m]", maxAge)
		}
		if size <= 0 {
			return optionError("WithNotRevokedCache: size %d is not positive", size)
		}
		c.cacheAge, c.cacheSize = maxAge, size
		return nil
	}
}

// WithErrorHandler sets a function called with every failed call to Redis
// (each wraps [ErrUnavailable]), whether the call then fails closed or, with
// [WithFailOpenRevocation], open: for logging and metrics. It is called on
// the request's goroutine and must not block for long. The errors never
// contain a token, a jti or a subject. Default: none.
func WithErrorHandler(fn func(error)) Option {
	return func(c *config) error {
		if fn == nil {
			return optionError("WithErrorHandler: nil function")
		}
		c.onError = fn
		return nil
	}
}

// WithTimeFunc sets the clock the store computes entry lifetimes and cache
// ages with. Default: time.Now. The lifetimes sent to Redis are relative
// (PX), so Redis's own clock does not need to agree with it.
func WithTimeFunc(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return optionError("WithTimeFunc: nil function")
		}
		c.now = now
		return nil
	}
}

// WithoutContextTimeoutCheck lets [New] accept a go-redis client whose
// ContextTimeoutEnabled is false. Such a client ignores context deadlines on
// the network, so [WithTimeout] no longer bounds a call: a slow Redis holds
// each request for up to the client's own ReadTimeout (3 seconds by
// default) times its retries. Default: New refuses such a client.
func WithoutContextTimeoutCheck() Option {
	return func(c *config) error { c.skipCtxChk = true; return nil }
}
