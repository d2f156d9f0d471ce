package redisstore

import (
	"sync"
	"time"
)

// notRevokedCache remembers tokens that Redis said were not revoked, for a
// bounded time (see [WithNotRevokedCache]).
type notRevokedCache struct {
	maxAge time.Duration
	size   int

	mu      sync.RWMutex
	entries map[[32]byte]time.Time // until when the answer may be reused
	gen     uint64                 // counts clears, so that an answer asked for before one is not kept
}

func newNotRevokedCache(size int, maxAge time.Duration) *notRevokedCache {
	return &notRevokedCache{maxAge: maxAge, size: size, entries: make(map[[32]byte]time.Time, size)}
}

// fresh reports whether h was found not revoked less than maxAge before now.
// Hits share a read lock; an expired entry is left for put to replace or
// evict.
func (c *notRevokedCache) fresh(h [32]byte, now time.Time) bool {
	c.mu.RLock()
	until, ok := c.entries[h]
	c.mu.RUnlock()
	return ok && now.Before(until)
}

// generation returns the count of clears, to pass to put.
func (c *notRevokedCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put records that h was not revoked at checked: the time the question
// was sent, so that the answer ages from before Redis gave it. gen is the
// generation when the question was sent: an answer that a clear has
// overtaken is dropped.
func (c *notRevokedCache) put(h [32]byte, checked time.Time, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.entries[h]; !ok && len(c.entries) >= c.size {
		evicted := false
		for k, until := range c.entries { // an expired entry, or else an arbitrary one
			if !checked.Before(until) {
				delete(c.entries, k)
				evicted = true
				break
			}
		}
		if !evicted {
			for k := range c.entries {
				delete(c.entries, k)
				break
			}
		}
	}
	c.entries[h] = checked.Add(c.maxAge)
}

// clear forgets every answer, after a revocation.
func (c *notRevokedCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.gen++
	c.mu.Unlock()
}
