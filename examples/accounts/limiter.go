package main

import (
	"slices"
	"sync"
	"time"
)

// Login throttling: failed logins are counted per username and per client
// address, in memory, over a sliding window. Past the limit, /token
// answers 429 with Retry-After before looking at the password, until the
// oldest counted failure leaves the window. An attempt is counted as a
// failure when it starts, before the slow password check, so that guesses
// sent at the same time cannot all pass the check before the first is
// counted; a success takes its attempt back and clears its username's
// count (not its address's). The limits:
const (
	failureWindow      = 15 * time.Minute
	maxFailuresPerUser = 5     // failed logins for one username per window
	maxFailuresPerAddr = 20    // failed logins from one client address per window
	maxTrackedKeys     = 10000 // usernames, and addresses, remembered at most (each)
)

// limiter counts recent failures per key, for at most maxKeys keys: when
// full, keys whose failures have all left the window are dropped, then the
// key with the oldest latest failure. Safe for concurrent use.
type limiter struct {
	limit   int
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string][]time.Time // failures inside the window, oldest first
}

func newLimiter(limit int, window time.Duration, maxKeys int) *limiter {
	return &limiter{limit: limit, window: window, maxKeys: maxKeys, keys: make(map[string][]time.Time)}
}

// retryAfter returns how long key stays locked at now, 0 if it is not.
func (l *limiter) retryAfter(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	fails := l.prune(key, now)
	if len(fails) < l.limit {
		return 0
	}
	return fails[len(fails)-l.limit].Add(l.window).Sub(now)
}

// attempt starts an attempt of key at now: if key is locked it returns how
// long for and counts nothing; otherwise it counts the attempt as a failure
// (until forgive takes it back) and returns 0. The check and the count are
// one step, so concurrent attempts cannot exceed the limit.
func (l *limiter) attempt(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	fails := l.prune(key, now)
	if len(fails) >= l.limit {
		return fails[len(fails)-l.limit].Add(l.window).Sub(now)
	}
	if fails == nil && len(l.keys) >= l.maxKeys {
		l.evict(now)
	}
	l.keys[key] = append(fails, now)
	return 0
}

// forgive takes back the attempt of key started at at (it did not fail).
func (l *limiter) forgive(key string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fails := l.keys[key]
	for i := len(fails) - 1; i >= 0; i-- {
		if fails[i].Equal(at) {
			fails = slices.Delete(fails, i, i+1)
			break
		}
	}
	if len(fails) == 0 {
		delete(l.keys, key)
	} else {
		l.keys[key] = fails
	}
}

// reset forgets key's failures.
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.keys, key)
	l.mu.Unlock()
}

// prune drops key's failures that have left the window and returns the
// rest. l.mu is held.
func (l *limiter) prune(key string, now time.Time) []time.Time {
	fails := l.keys[key]
	i := 0
	for i < len(fails) && !fails[i].Add(l.window).After(now) {
		i++
	}
	switch {
	case i == len(fails) && fails != nil:
		delete(l.keys, key)
		return nil
	case i > 0:
		fails = fails[i:]
		l.keys[key] = fails
	}
	return fails
}

// evict makes room for one key. l.mu is held.
func (l *limiter) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, fails := range l.keys {
		last := fails[len(fails)-1]
		if !last.Add(l.window).After(now) {
			delete(l.keys, k)
			continue
		}
		if oldest == "" || last.Before(oldestAt) {
			oldest, oldestAt = k, last
		}
	}
	if len(l.keys) >= l.maxKeys {
		delete(l.keys, oldest)
	}
}

// len returns the number of keys tracked, for tests.
func (l *limiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
