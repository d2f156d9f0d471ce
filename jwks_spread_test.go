package jwtauth

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// noJitter is the randomness of sources whose tests expect exact delays.
func noJitter() float64 { return 0 }

func TestJitter(t *testing.T) {
	t.Parallel()
	const d = 100 * time.Second
	tests := []struct {
		name  string
		first bool
		r     float64
		want  time.Duration
	}{
		{"r 0: the delay itself", false, 0, d},
		{"r 0, first: the delay itself", true, 0, d},
		{"r 0.5", false, 0.5, 90 * time.Second},
		{"r 0.5, first", true, 0.5, 55 * time.Second},
		{"r near 1: 80 %", false, 0.999999, 80*time.Second + 20*time.Microsecond},
		{"r near 1, first: 10 %", true, 0.999999, 10*time.Second + 90*time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := jitter(d, tt.first, tt.r); got != tt.want {
				t.Errorf("jitter(%v, %v, %v) = %v, want %v", d, tt.first, tt.r, got, tt.want)
			}
		})
	}
}

// spreadSim runs instances JWKS sources, all started at the same instant of
// one fake clock and fetching from one server, through intervals refresh
// intervals of fake time, firing each source's timer when the clock reaches
// it. It returns the sources and the fake times of their background
// fetches, in order.
type spreadSim struct {
	srv     *jwttest.JWKSServer
	clock   *jwttest.Clock
	srcs    []*JWKS
	timers  []*fakeTimer
	wake    []time.Time // when each source's timer fires
	fetches []time.Time // the background fetches, at fake times
}

func newSpreadSim(t *testing.T, instances int, rnd func(i int) func() float64, opts ...JWKSOption) *spreadSim {
	t.Helper()
	sim := &spreadSim{srv: jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("k1")), clock: jwttest.NewClock(time.Unix(1_800_000_000, 0))}
	start := sim.clock.Now()
	for i := range instances {
		timer := newFakeTimer()
		all := append([]JWKSOption{withClock(sim.clock.Now), withAfter(timer.after), withRand(rnd(i))}, opts...)
		src, err := NewJWKS(context.Background(), sim.srv.URL(), all...)
		if err != nil {
			t.Fatalf("NewJWKS: %v", err)
		}
		t.Cleanup(func() { src.Close() })
		sim.srcs = append(sim.srcs, src)
		sim.timers = append(sim.timers, timer)
		sim.wake = append(sim.wake, start.Add(timer.waitArmed(t)))
	}
	return sim
}

// run advances the fake clock to end, firing the timers due on the way.
func (sim *spreadSim) run(t *testing.T, end time.Time) {
	t.Helper()
	for {
		next := -1
		for i, w := range sim.wake {
			if next < 0 || w.Before(sim.wake[next]) {
				next = i
			}
		}
		if !sim.wake[next].Before(end) {
			return
		}
		sim.clock.Set(sim.wake[next])
		sim.fetches = append(sim.fetches, sim.wake[next])
		sim.wake[next] = sim.wake[next].Add(sim.timers[next].tick(t))
	}
}

// TestJWKSRefreshSpread: 100 instances started at the same instant spread
// their background refreshes over the interval, so that no tenth of any
// refresh interval holds more than 20 % of that interval's fetches (without
// the jitter, all of them fall in one tenth), and a new kid that all of
// them see costs each instance one fetch, however many tokens name it.
func TestJWKSRefreshSpread(t *testing.T) {
	t.Parallel()
	const (
		instances = 100
		interval  = 15 * time.Minute
		rounds    = 3
	)
	seeded := func(i int) func() float64 { return mrand.New(mrand.NewPCG(11, uint64(i))).Float64 }
	unjittered := func(int) func() float64 { return noJitter }
	tests := []struct {
		name        string
		rnd         func(i int) func() float64
		wantMaxBin  float64 // the fullest tenth's share of its interval's fetches, at most
		wantSynched bool    // all of an interval's fetches in one tenth
	}{
		{"jittered", seeded, 0.20, false},
		{"without jitter (control)", unjittered, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sim := newSpreadSim(t, instances, tt.rnd, WithRefreshInterval(interval))
			start := sim.clock.Now()
			sim.run(t, start.Add(rounds*interval))

			// Per refresh interval, the fetches in each tenth of it.
			var bins [rounds][10]int
			var total [rounds]int
			for _, at := range sim.fetches {
				off := at.Sub(start)
				r, b := int(off/interval), int(off%interval*10/interval)
				bins[r][b]++
				total[r]++
			}
			t.Logf("background fetches per tenth of each interval: %v", bins)
			for r := range rounds {
				if total[r] == 0 && tt.wantSynched {
					continue // in step: the refreshes fall on the intervals' ends
				}
				if total[r] < instances {
					t.Errorf("interval %d: %d fetches, want at least one per instance (%d)", r, total[r], instances)
				}
				fullest := 0
				for _, n := range bins[r] {
					fullest = max(fullest, n)
				}
				share := float64(fullest) / float64(total[r])
				if share > tt.wantMaxBin {
					t.Errorf("interval %d: a tenth holds %d of %d fetches (%.0f %%), want at most %.0f %%", r, fullest, total[r], 100*share, 100*tt.wantMaxBin)
				}
				if synched := fullest == total[r]; synched != tt.wantSynched {
					t.Errorf("interval %d: all fetches in one tenth = %v, want %v", r, synched, tt.wantSynched)
				}
			}
			if got, want := sim.srv.Fetches(), instances+len(sim.fetches); got != want {
				t.Errorf("server saw %d fetches, want %d (one start fetch per instance and the background ones)", got, want)
			}
		})
	}
}

// TestJWKSSharedNewKID: a kid published while 100 instances run, named by
// many tokens on every instance together with made-up kids, costs each
// instance one fetch within the cooldown.
func TestJWKSSharedNewKID(t *testing.T) {
	t.Parallel()
	const instances = 100
	seeded := func(i int) func() float64 { return mrand.New(mrand.NewPCG(12, uint64(i))).Float64 }
	sim := newSpreadSim(t, instances, seeded)
	before := sim.srv.Fetches()
	fresh := jwttest.NewKey(t, "ES256").WithID("k2")
	sim.srv.AddKeys(fresh)

	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i, src := range sim.srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 5 {
				if _, err := src.Key(context.Background(), "k2", "ES256"); err != nil {
					errs[i] = fmt.Errorf("lookup %d of k2: %w", n, err)
					return
				}
				_, _ = src.Key(context.Background(), fmt.Sprint("made-up-", n), "ES256")
			}
		}()
		if i%10 == 0 {
			sim.clock.Advance(defaultRefreshCooldown / 20) // all within one cooldown
		}
	}
	wg.Wait()
	if diff := cmp.Diff(make([]error, instances), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("lookup errors (-want +got):\n%s", diff)
	}
	if got := sim.srv.Fetches() - before; got != instances {
		t.Errorf("the new kid cost %d fetches, want %d (one per instance)", got, instances)
	}
}
