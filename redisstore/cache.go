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

	mu      sync.Mutex
	entries map[[32]byte]time.Time // until when the answer may be reused
	gen     uint64                 // counts clears, so that an answer asked for before one is not kept
}

func newNotRevokedCache(size int, maxAge time.Duration) *notRevokedCache {
	return &notRevokedCache{maxAge: maxAge, size: size, entries: make(map[[32]byte]time.Time, size)}
}

// fresh reports whether h was found not revoked less than maxAge before now.
func (c *notRevokedCache) fresh(h [32]byte, now time.Time) bool {
	c.mu.Lock()
	until, ok := c.entries[h]
	if ok && !now.Before(until) {
		delete(c.entries, h)
		ok = false
	}
	c.mu.Unlock()
	return ok
}

// generation returns the count of clears, to pass to put.
func (c *notRevokedCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
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
		for k := range c.entries { // evict an arbitrary entry
			delete(c.entries, k)
			break
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
