package jwtauth

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// ReplayStore remembers the DPoP proofs a middleware has accepted, so that
// each is accepted once (see [WithDPoPReplayStore]). Middlewares of several
// instances share one store to refuse a proof replayed to another instance.
// The keys are the middleware's: base64url strings of 43 characters, each
// the SHA-256 of a proof's key thumbprint, htu and jti (never client input
// in the clear), so a store may add its own prefix and use them as they
// are. Implementations must be safe for concurrent use.
type ReplayStore interface {
	// CheckAndSet records key until expiresAt and reports true if key was not
	// already recorded (unexpired); false means a replay. An error fails closed.
	CheckAndSet(ctx context.Context, key string, expiresAt time.Time) (bool, error)
}

// DefaultReplayStoreSize is the capacity of the [MemoryReplayStore] a
// middleware makes when [WithDPoPReplayStore] is not given: enough for
// about 330 DPoP requests a second with the default proof window of 5
// minutes, in about 20 MB at most.
const DefaultReplayStoreSize = 100_000

// replayShards is the most shards a [MemoryReplayStore] has, and
// minShardKeys the fewest keys a shard holds when there are several.
const (
	replayShards = 64
	minShardKeys = 1024
)

// MemoryReplayStore is a bounded, in-memory [ReplayStore] for a single
// instance (or several middlewares in one process). Create one with
// [NewMemoryReplayStore]; it is safe for concurrent use. Keys are spread
// by a seeded hash over up to 64 shards, each with its own lock, so
// concurrent requests rarely wait for each other. Expired keys are dropped as new ones come,
// in order of expiry, at a cost of O(log n) per key; no goroutine is
// started, so there is nothing to close.
//
// Full: a store of max keys has n shards, the largest power of two up to
// 64 that leaves each at least 1024 keys (so one shard below 2048), and
// each shard holds at most max/n unexpired keys. When the shard a new key
// falls into is full of unexpired keys, CheckAndSet refuses to record it and returns [ErrReplayStoreFull]:
// the middleware answers 503 with Retry-After ([ErrReplayStoreUnavailable])
// until keys expire. It fails closed, since forgetting a key early would let
// its proof be replayed. Size max for the peak number of proofs accepted
// within a proof window (see [WithDPoPProofWindow]).
type MemoryReplayStore struct {
	shards []replayShard
	seed   maphash.Seed
	now    func() time.Time
}

type replayShard struct {
	mu    sync.Mutex
	seen  map[string]int64 // key -> expiry, Unix nanoseconds
	queue []replayEntry    // min-heap by expiry
	max   int
	_     [64]byte // keep shards' locks on separate cache lines
}

type replayEntry struct {
	exp int64
	key string
}

// NewMemoryReplayStore returns an empty store of at most max keys (see
// [MemoryReplayStore] for how it fills), whose notion of expiry is now,
// such as time.Now, or the middleware's [WithTimeFunc] clock in tests. It
// returns an error if max is not positive or now is nil.
func NewMemoryReplayStore(max int, now func() time.Time) (*MemoryReplayStore, error) {
	if max <= 0 {
		return nil, optionError("NewMemoryReplayStore: max %d must be positive", max)
	}
	if now == nil {
		return nil, errors.New("jwtauth: NewMemoryReplayStore: nil clock")
	}
	return newMemoryReplayStore(max, now), nil
}

func newMemoryReplayStore(max int, now func() time.Time) *MemoryReplayStore {
	n := 1
	for n < replayShards && max/(n*2) >= minShardKeys {
		n *= 2
	}
	s := &MemoryReplayStore{shards: make([]replayShard, n), seed: maphash.MakeSeed(), now: now}
	for i := range s.shards {
		s.shards[i].seen = map[string]int64{}
		s.shards[i].max = max / n
	}
	return s
}

// CheckAndSet implements [ReplayStore]. A key whose expiresAt has already
// passed is not recorded and reports true: its proof is refused as too old
// anyway.
func (s *MemoryReplayStore) CheckAndSet(_ context.Context, key string, expiresAt time.Time) (bool, error) {
	now := s.now().UnixNano()
	exp := expiresAt.UnixNano()
	sh := &s.shards[maphash.String(s.seed, key)&uint64(len(s.shards)-1)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.expire(now)
	if e, ok := sh.seen[key]; ok && e > now {
		return false, nil
	}
	if exp <= now {
		return true, nil
	}
	if len(sh.seen) >= sh.max {
		return false, ErrReplayStoreFull
	}
	sh.seen[key] = exp
	sh.push(replayEntry{exp: exp, key: key})
	return true, nil
}

// Len returns the number of keys the store holds, expired ones that have
// not been dropped yet included.
func (s *MemoryReplayStore) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.seen)
		sh.mu.Unlock()
	}
	return n
}

// expire drops the keys that expired by now.
func (sh *replayShard) expire(now int64) {
	for len(sh.queue) > 0 && sh.queue[0].exp <= now {
		e := sh.pop()
		if sh.seen[e.key] == e.exp {
			delete(sh.seen, e.key)
		}
	}
}

func (sh *replayShard) push(e replayEntry) {
	q := append(sh.queue, e)
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if q[parent].exp <= q[i].exp {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
	sh.queue = q
}

func (sh *replayShard) pop() replayEntry {
	q := sh.queue
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = replayEntry{}
	q = q[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].exp < q[small].exp {
			small = l
		}
		if r < len(q) && q[r].exp < q[small].exp {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	sh.queue = q
	return top
}
