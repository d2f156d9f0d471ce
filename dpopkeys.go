package jwtauth

import (
	"hash/maphash"
	"strings"
	"sync"
)

// proofKeyCache keeps the parsed headers of recent DPoP proofs: their
// algorithm, public key and its thumbprint. A client signs every proof with
// the same key, so its proofs start with the same header segment, byte for
// byte; decoding it, scanning its JSON, parsing and checking its jwk (an EC
// point on its curve, an RSA modulus) and hashing the thumbprint once,
// rather than on every request, leaves the signature as the proof's only
// real cost. Entries are keyed by the header segment itself (base64url, as
// sent), so a hit is exactly what parsing it would give; only headers that
// parsed are kept, and only up to maxCachedProofHeader bytes. It holds at
// most proofKeyCacheSize entries, spread over shards with a lock each; a
// full shard drops an arbitrary entry, so a flood of new keys costs their
// senders a parse each, and nothing else.
type proofKeyCache struct {
	seed   maphash.Seed
	shards [proofKeyShards]proofKeyShard
}

const (
	proofKeyShards       = 16
	proofKeyCacheSize    = 4096
	maxCachedProofHeader = 1024 // an RSA 4096 jwk header is about 900 bytes
)

type proofKeyShard struct {
	mu sync.Mutex
	m  map[string]proofHeader
}

// proofHeader is what a proof's header says.
type proofHeader struct {
	alg        string
	key        *Key
	thumbprint string
}

func newProofKeyCache() *proofKeyCache {
	c := &proofKeyCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]proofHeader)
	}
	return c
}

func (c *proofKeyCache) shard(seg string) *proofKeyShard {
	return &c.shards[maphash.String(c.seed, seg)%proofKeyShards]
}

// get returns the parsed header of the header segment seg, from the cache
// or from parse, which it then keeps.
func (c *proofKeyCache) get(seg string, parse func() (proofHeader, error)) (proofHeader, error) {
	if len(seg) == 0 || len(seg) > maxCachedProofHeader {
		return parse()
	}
	s := c.shard(seg)
	s.mu.Lock()
	h, ok := s.m[seg]
	s.mu.Unlock()
	if ok {
		return h, nil
	}
	h, err := parse()
	if err != nil {
		return h, err
	}
	s.mu.Lock()
	if len(s.m) >= proofKeyCacheSize/proofKeyShards {
		for k := range s.m { // an arbitrary one
			delete(s.m, k)
			break
		}
	}
	s.m[strings.Clone(seg)] = h // not the request's header string
	s.mu.Unlock()
	return h, nil
}
