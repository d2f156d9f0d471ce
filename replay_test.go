package jwtauth

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// manualClock is a clock tests move by hand.
type manualClock struct{ t atomic.Int64 }

func (c *manualClock) now() time.Time { return time.Unix(0, c.t.Load()) }

func TestMemoryReplayStore(t *testing.T) {
	t.Parallel()
	var c manualClock
	c.t.Store(time.Unix(1_800_000_000, 0).UnixNano())
	s, err := NewMemoryReplayStore(2, c.now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at := func(d time.Duration) time.Time { return c.now().Add(d) }
	type res struct {
		Fresh bool
		Full  bool
	}
	step := func(key string, exp time.Time) res {
		ok, err := s.CheckAndSet(ctx, key, exp)
		if err != nil && !errors.Is(err, ErrReplayStoreFull) {
			t.Fatal(err)
		}
		return res{ok, err != nil}
	}
	var got []res
	got = append(got,
		step("a", at(time.Minute)),    // recorded
		step("a", at(time.Minute)),    // replay
		step("b", at(2*time.Minute)),  // recorded: full now
		step("c", at(time.Minute)),    // full: refused
		step("a", at(time.Minute)),    // still a replay when full
		step("old", at(-time.Second)), // already expired: not recorded
	)
	c.t.Add(int64(time.Minute)) // a expires
	got = append(got,
		step("a", at(time.Minute)), // recorded again
		step("c", at(time.Minute)), // full again (a, b)
	)
	want := []res{{true, false}, {false, false}, {true, false}, {false, true}, {false, false}, {true, false}, {true, false}, {false, true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s.Len() != 2 {
		t.Errorf("Len %d, want 2", s.Len())
	}
}

// TestMemoryReplayStoreExpiryOrder fills a store with random expiries and
// checks that expiring drops exactly the expired keys.
func TestMemoryReplayStoreExpiryOrder(t *testing.T) {
	t.Parallel()
	var c manualClock
	s := newMemoryReplayStore(1000, c.now)
	exp := map[string]int64{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		k := strconv.Itoa(i)
		exp[k] = 1 + r.Int64N(1000)
		if ok, err := s.CheckAndSet(context.Background(), k, time.Unix(0, exp[k])); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	c.t.Store(500)
	for k, e := range exp {
		ok, err := s.CheckAndSet(context.Background(), k, time.Unix(0, 2000))
		if err != nil || ok != (e <= 500) {
			t.Fatalf("key with expiry %d at 500: fresh %v, %v", e, ok, err)
		}
	}
}

func TestMemoryReplayStoreShards(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ max, shards, perShard int }{
		{1, 1, 1}, {2047, 1, 2047}, {2048, 2, 1024}, {100_000, 64, 1562},
	} {
		s := newMemoryReplayStore(tc.max, time.Now)
		if diff := cmp.Diff([2]int{tc.shards, tc.perShard}, [2]int{len(s.shards), s.shards[0].max}); diff != "" {
			t.Errorf("max %d: [shards per-shard] (-want +got):\n%s", tc.max, diff)
		}
	}
}

// TestMemoryReplayStoreConcurrent has 8 goroutines record 1000 keys each,
// half of them shared: each key is fresh exactly once.
func TestMemoryReplayStoreConcurrent(t *testing.T) {
	t.Parallel()
	s := newMemoryReplayStore(100_000, time.Now)
	exp := time.Now().Add(time.Hour)
	var fresh atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				k := "shared" + strconv.Itoa(i)
				if i%2 == 1 {
					k = strconv.Itoa(g) + "-" + strconv.Itoa(i)
				}
				if ok, err := s.CheckAndSet(context.Background(), k, exp); err != nil {
					t.Error(err)
					return
				} else if ok {
					fresh.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got, want := fresh.Load(), int64(500+8*500); got != want {
		t.Errorf("%d fresh keys, want %d", got, want)
	}
}
