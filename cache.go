package jwtauth

import (
	"context"
	"slices"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// tokenCache holds verified tokens by the SHA-256 of their signing input
// (header.payload, as [TokenInfo.Hash]), so that the encodings of one
// token's signature share one slot. It stores the verified claims JSON, the
// key that verified it and the signature it verified, never a claims value
// a handler could mutate.
type tokenCache struct {
	mu      sync.Mutex
	entries map[[32]byte]*cacheEntry
	max     int
}

type cacheEntry struct {
	v       *verifier
	key     *Key
	kid     string
	signed  string // the signing input, header.payload
	sig     string // the base64url signature that verified
	payload []byte
	claims  jwt.Claims // pristine; copied for each hit, never handed out
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{entries: make(map[[32]byte]*cacheEntry, min(size, 1024)), max: size}
}

func (c *tokenCache) get(sum [32]byte) *cacheEntry {
	c.mu.Lock()
	e := c.entries[sum]
	c.mu.Unlock()
	return e
}

func (c *tokenCache) drop(sum [32]byte) {
	c.mu.Lock()
	delete(c.entries, sum)
	c.mu.Unlock()
}

func (c *tokenCache) put(sum [32]byte, dot2 int, vd verified, pristine jwt.Claims) {
	tok := vd.p.token
	e := &cacheEntry{v: vd.v, key: vd.key, kid: vd.kid, signed: tok[:dot2], sig: tok[dot2+1:], payload: vd.p.payload, claims: pristine}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		for k := range c.entries { // map order is random: an arbitrary victim
			delete(c.entries, k)
			break
		}
	}
	c.entries[sum] = e
	c.mu.Unlock()
}

// fromCache serves a token from the cache; nil on a miss, including when
// the key that verified the entry is no longer its source's key. A token
// whose signature differs from the one the entry verified (another encoding
// of it, or a forgery) is served only if the entry's key verifies that
// signature too. If it does not, the error is final: the full path would
// look up the same key for the same header and verify the same bytes again.
func (m *Middleware) fromCache(ctx context.Context, tok string, dot2 int, sum [32]byte) (*principal, *verifier, error) {
	e := m.cache.get(sum)
	if e == nil || e.signed != tok[:dot2] {
		return nil, nil, nil
	}
	k, err := e.v.keys.Key(ctx, e.kid, e.key.alg)
	if err != nil || k != e.key {
		m.cache.drop(sum)
		return nil, nil, nil
	}
	if sig := tok[dot2+1:]; sig != e.sig {
		raw, err := decodeSegment(sig)
		if err != nil {
			return nil, nil, err
		}
		if err := e.key.verify(e.signed, raw); err != nil {
			return nil, nil, invalid(jwt.ErrTokenSignatureInvalid, err)
		}
	}
	claims, err := m.copyClaims(e.claims, e.payload)
	if err != nil {
		return nil, nil, nil
	}
	return &principal{m: m, token: tok, claims: claims, payload: e.payload}, e.v, nil
}

// copyClaims gives a cache hit its own claims value: a deep copy for the
// default claims type, a fresh decode of the verified JSON otherwise.
func (m *Middleware) copyClaims(claims jwt.Claims, payload []byte) (jwt.Claims, error) {
	if rc, ok := claims.(*jwt.RegisteredClaims); ok {
		c := *rc
		c.Audience = slices.Clone(rc.Audience)
		c.ExpiresAt = cloneDate(rc.ExpiresAt)
		c.NotBefore = cloneDate(rc.NotBefore)
		c.IssuedAt = cloneDate(rc.IssuedAt)
		return &c, nil
	}
	return m.cfg.claims.decode(payload)
}

// pristine returns the claims value a cache entry keeps: a private copy of
// the default claims type, nil for other types (hits decode the JSON again).
func (m *Middleware) pristine(p *principal) jwt.Claims {
	if rc, ok := p.claims.(*jwt.RegisteredClaims); ok {
		c, _ := m.copyClaims(rc, nil)
		return c
	}
	return nil
}

func cloneDate(d *jwt.NumericDate) *jwt.NumericDate {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}
