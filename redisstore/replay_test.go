package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

func TestCheckAndSet(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedAddr(t))
	s := newStore(t, c)
	ctx := context.Background()
	now := time.Now()
	type call struct {
		Fresh bool
		Err   bool
	}
	tests := []struct {
		name      string
		key       string
		expiresAt time.Time
		want      call
	}{
		{"first use", "proof-1", now.Add(time.Minute), call{Fresh: true}},
		{"replay", "proof-1", now.Add(time.Minute), call{Fresh: false}},
		{"replay with another expiry", "proof-1", now.Add(time.Hour), call{Fresh: false}},
		{"another key", "proof-2", now.Add(1500 * time.Millisecond), call{Fresh: true}},
		{"expiry passed", "proof-3", now.Add(-time.Second), call{Err: true}},
		{"empty key", "", now.Add(time.Minute), call{Err: true}},
	}
	for _, tt := range tests { // in order: the replays follow the first use
		t.Run(tt.name, func(t *testing.T) {
			fresh, err := s.CheckAndSet(ctx, tt.key, tt.expiresAt)
			if err != nil && errors.Is(err, jwtauth.ErrKeysUnavailable) {
				t.Errorf("CheckAndSet: %v, an argument error should not look like an outage", err)
			}
			if diff := cmp.Diff(tt.want, call{Fresh: fresh, Err: err != nil}); diff != "" {
				t.Errorf("CheckAndSet (-want +got):\n%s", diff)
			}
		})
	}
	// The entries live until their expiresAt: a replay is refused until then.
	for key, want := range map[string]time.Duration{"proof-1": time.Minute, "proof-2": 1500 * time.Millisecond} {
		ttl, err := c.PTTL(ctx, prefix(t)+"replay:"+key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if d := ttl - want; d > 0 || d < -5*time.Second {
			t.Errorf("PTTL of %s: %v, want about %v", key, ttl, want)
		}
	}
}

// TestCheckAndSetConcurrent: 50 goroutines check the same key at once, on
// one client and spread over three clients (three instances): exactly one
// is told the key is fresh.
func TestCheckAndSetConcurrent(t *testing.T) {
	t.Parallel()
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			testCheckAndSetConcurrent(t, kind.start(t))
		})
	}
}

func testCheckAndSetConcurrent(t *testing.T, newClient func() redis.UniversalClient) {
	for _, clients := range []int{1, 3} {
		t.Run(map[int]string{1: "one client", 3: "three clients"}[clients], func(t *testing.T) {
			t.Parallel()
			var stores []*redisstore.Store
			for range clients {
				stores = append(stores, newStore(t, newClient()))
			}
			for round := range 5 {
				key := "jti-" + string(rune('a'+round))
				var fresh, errs atomic.Int32
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range 50 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						<-start
						ok, err := stores[i%clients].CheckAndSet(context.Background(), key, time.Now().Add(time.Minute))
						if err != nil {
							errs.Add(1)
						} else if ok {
							fresh.Add(1)
						}
					}()
				}
				close(start)
				wg.Wait()
				if fresh.Load() != 1 || errs.Load() != 0 {
					t.Errorf("round %d: %d calls saw the key fresh and %d failed, want exactly 1 and 0", round, fresh.Load(), errs.Load())
				}
			}
		})
	}
}

// TestCheckAndSetRoundsUp: an entry is never kept shorter than asked, so
// that a proof cannot outlive its entry by the part of a millisecond Redis
// cannot hold: 300 µs ahead is recorded (for 1 ms), not refused as past.
func TestCheckAndSetRoundsUp(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedAddr(t))
	at := time.Now()
	s := newStore(t, c, redisstore.WithTimeFunc(func() time.Time { return at }))
	fresh, err := s.CheckAndSet(context.Background(), "soon", at.Add(300*time.Microsecond))
	if err != nil || !fresh {
		t.Fatalf("CheckAndSet 300 µs ahead: %v, %v; want fresh", fresh, err)
	}
}
