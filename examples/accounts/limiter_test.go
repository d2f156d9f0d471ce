package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

func TestLimiter(t *testing.T) {
	clock := jwttest.NewClock(time.Time{})
	l := newLimiter(3, 10*time.Minute, 100)
	for _, step := range []struct {
		name    string
		advance time.Duration
		fail    bool
		want    time.Duration // retryAfter afterwards
	}{
		{"first failure", 0, true, 0},
		{"second", time.Minute, true, 0},
		{"third locks until the first leaves the window", time.Minute, true, 8 * time.Minute},
		{"still locked", 4 * time.Minute, false, 4 * time.Minute},
		{"first left; two remain", 4 * time.Minute, false, 0},
		{"a failure locks again, until the second leaves", 0, true, time.Minute},
		{"all left", 30 * time.Minute, false, 0},
	} {
		t.Run(step.name, func(t *testing.T) {
			now := clock.Advance(step.advance)
			if step.fail {
				l.attempt("k", now)
			}
			if got := l.retryAfter("k", now); got != step.want {
				t.Errorf("retryAfter = %v, want %v", got, step.want)
			}
		})
	}
	if n := l.len(); n != 0 {
		t.Errorf("%d keys kept after their failures left the window", n)
	}
}

func TestLimiterBounded(t *testing.T) {
	clock := jwttest.NewClock(time.Time{})
	l := newLimiter(2, time.Minute, 10)
	for i := range 100 {
		l.attempt(fmt.Sprintf("k%d", i), clock.Advance(time.Millisecond))
	}
	if n := l.len(); n != 10 {
		t.Errorf("%d keys tracked, want the bound 10", n)
	}
	l.attempt("k99", clock.Now()) // the newest keys are kept
	if got := l.retryAfter("k99", clock.Now()); got == 0 {
		t.Error("the newest key was evicted")
	}
	l.reset("k99")
	if got := l.retryAfter("k99", clock.Now()); got != 0 {
		t.Errorf("after reset: %v", got)
	}
}

// TestLimiterAttempts: an attempt counts at once, so concurrent attempts
// stop at the limit; forgive takes one back.
func TestLimiterAttempts(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	l := newLimiter(5, time.Minute, 100)
	var wg sync.WaitGroup
	var passed atomic.Int32
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.attempt("alice", at) == 0 {
				passed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := passed.Load(); got != 5 {
		t.Errorf("%d of 40 concurrent attempts passed, want the limit 5", got)
	}
	l.forgive("alice", at)
	if got := l.attempt("alice", at); got != 0 {
		t.Errorf("after forgive: locked for %v, want a free attempt", got)
	}
	if got := l.attempt("alice", at); got != time.Minute {
		t.Errorf("locked for %v, want a minute", got)
	}
}
