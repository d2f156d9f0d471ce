// Package redisstore keeps the state that several instances of a service
// verifying tokens with [jwtauth] must share, in Redis: a revocation list
// for [jwtauth.WithRevocationCheck] and a replay store for DPoP proof
// identifiers. It takes the caller's go-redis client
// ([redis.UniversalClient]: a single node, Sentinel or Cluster alike).
//
//	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
//	store, err := redisstore.New(rdb)
//	if err != nil {
//		log.Fatal(err)
//	}
//	mw, err := jwtauth.New(keys, jwtauth.WithRevocationCheck(store.Check))
//	// log out one token, or a user everywhere:
//	err = store.RevokeID(ctx, jti, exp)
//	err = store.RevokeSubject(ctx, sub, time.Now(), time.Now().Add(maxTokenLifetime))
//
// # Revocation
//
// A token can be revoked by jti ([Store.RevokeID]), by subject for every
// token issued before a cutoff ([Store.RevokeSubject], "log out
// everywhere"; a token without iat is then refused too), and by the hash of
// its signing input ([Store.RevokeHash], for tokens without jti). Each entry
// lives until the token it names would have expired (plus
// [ExpiryMargin]), so the list never grows beyond the tokens still alive.
// [Store.Check] refuses a revoked token with an error wrapping
// [jwtauth.ErrRevoked] (401), at the cost of one round trip to Redis per
// request, or none for a token found not revoked recently when
// [WithNotRevokedCache] allows answers that old.
//
// # Replays
//
// [Store.CheckAndSet] records a key until a time and reports whether it was
// new, atomically across instances: the replay store DPoP needs.
//
// # When Redis is slow or down
//
// Every call is bounded by a timeout ([WithTimeout], default 100 ms).
// A call that fails or runs out of time fails closed: the error wraps
// [ErrUnavailable] and so [jwtauth.ErrKeysUnavailable], which the
// middleware answers with 503 and Retry-After. The revocation check alone
// can be made to fail open with [WithFailOpenRevocation]; the replay check
// never does. When Redis is back, the client reconnects and requests are
// served again without a restart.
//
// The package is not a session store or a token issuer, and it does not
// make Redis durable: a Redis that loses its data forgets its revocations.
package redisstore
