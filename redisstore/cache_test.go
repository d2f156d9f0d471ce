package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// TestNotRevokedCache: a "not revoked" answer is reused for maxAge without
// asking Redis, so a revocation through another instance is seen at most
// maxAge later; one through the same Store at once; revoked answers are
// never cached. The clock is fake; Redis is real.
func TestNotRevokedCache(t *testing.T) {
	t.Parallel()
	addr := sharedAddr(t)
	clock := jwttest.NewClock(time.Now())
	const maxAge = 2 * time.Second
	c := newClient(t, addr)
	hook := &countHook{}
	c.AddHook(hook)
	cached := newStore(t, c, redisstore.WithNotRevokedCache(maxAge, 2), redisstore.WithTimeFunc(clock.Now))
	other := newStore(t, newClient(t, addr)) // another instance, same prefix
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	info := func(id string) jwtauth.TokenInfo {
		return jwtauth.TokenInfo{ID: id, Hash: jwtauth.SigningInputHash(id + ".x"), IssuedAt: time.Now(), ExpiresAt: exp}
	}
	type step struct {
		Revoked bool
		Trips   int // round trips to Redis
	}
	tests := []struct {
		name string
		do   func(t *testing.T)
		info jwtauth.TokenInfo
		want step
	}{
		{"first check asks Redis", nil, info("a"), step{false, 1}},
		{"second check is cached", nil, info("a"), step{false, 0}},
		{"revoked through another instance: stale until maxAge", func(t *testing.T) {
			if err := other.RevokeID(ctx, "a", exp); err != nil {
				t.Fatal(err)
			}
			clock.Advance(maxAge - time.Millisecond)
		}, info("a"), step{false, 0}},
		{"after maxAge: asks Redis and sees it", func(*testing.T) { clock.Advance(time.Millisecond) }, info("a"), step{true, 1}},
		{"revoked answers are not cached", nil, info("a"), step{true, 1}},
		{"another token", nil, info("b"), step{false, 1}},
		{"it is cached", nil, info("b"), step{false, 0}},
		{"revoked through this store: at once", func(t *testing.T) {
			if err := cached.RevokeID(ctx, "b", exp); err != nil {
				t.Fatal(err)
			}
			hook.take() // the revocation's own round trip
		}, info("b"), step{true, 1}},
		{"the size bound evicts", func(t *testing.T) {
			for _, id := range []string{"c", "d", "e"} {
				if err := cached.Check(ctx, info(id)); err != nil {
					t.Fatal(err)
				}
			}
			hook.take()
		}, info("e"), step{false, 0}},
	}
	for _, tt := range tests { // in order: each step builds on the last
		t.Run(tt.name, func(t *testing.T) {
			if tt.do != nil {
				tt.do(t)
			}
			hook.take()
			err := cached.Check(ctx, tt.info)
			got := step{Revoked: err != nil, Trips: len(hook.take())}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s\nerr: %v", diff, err)
			}
		})
	}
	// Size 2, holding e: c and d cannot both still be cached.
	hook.take()
	for _, id := range []string{"c", "d"} {
		if err := cached.Check(ctx, info(id)); err != nil {
			t.Fatal(err)
		}
	}
	if trips := len(hook.take()); trips == 0 {
		t.Error("a cache of size 2 held three tokens")
	}
}
