package jwtauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"hash"
	"sync"
	"time"
)

// nonceSource makes and checks the stateless server nonces of
// [WithDPoPNonce]. A nonce is base64url (no padding) of 24 bytes: the time
// step as 8 bytes big-endian, then the first 16 bytes of
// HMAC-SHA256(secret, "jwtauth-dpop-nonce-v1" || step). A nonce is valid
// during its step and the next one. Instances that share the secret and
// step accept each other's nonces.
type nonceSource struct {
	step time.Duration
	macs sync.Pool // keyed hash.Hash values, reused
}

const (
	nonceLabel   = "jwtauth-dpop-nonce-v1"
	nonceMACLen  = 16
	nonceRawLen  = 8 + nonceMACLen
	nonceTextLen = (nonceRawLen*8 + 5) / 6 // base64url without padding: 32
)

func newNonceSource(secret []byte, step time.Duration) *nonceSource {
	key := append([]byte(nil), secret...)
	n := &nonceSource{step: step}
	n.macs.New = func() any { return hmac.New(sha256.New, key) }
	return n
}

// stepOf returns the time step t falls in.
func (n *nonceSource) stepOf(t time.Time) int64 {
	return t.UnixNano() / int64(n.step)
}

// mac writes the MAC of step into dst.
func (n *nonceSource) mac(dst *[nonceRawLen]byte, step int64) {
	binary.BigEndian.PutUint64(dst[:8], uint64(step))
	h := n.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(nonceLabel))
	h.Write(dst[:8])
	var sum [sha256.Size]byte
	copy(dst[8:], h.Sum(sum[:0]))
	n.macs.Put(h)
}

// at returns the nonce of the step now falls in.
func (n *nonceSource) at(now time.Time) string {
	var raw [nonceRawLen]byte
	n.mac(&raw, n.stepOf(now))
	return base64.RawURLEncoding.EncodeToString(raw[:])
}

// check reports whether nonce is valid at now, and whether it is of the
// current step (not of the previous one, so about to expire).
func (n *nonceSource) check(nonce string, now time.Time) (current, valid bool) {
	if len(nonce) != nonceTextLen {
		return false, false
	}
	var raw [nonceRawLen]byte
	if k, err := b64.Decode(raw[:], unsafeBytes(nonce)); err != nil || k != nonceRawLen {
		return false, false
	}
	step := int64(binary.BigEndian.Uint64(raw[:8]))
	cur := n.stepOf(now)
	if step != cur && step != cur-1 {
		return false, false
	}
	var want [nonceRawLen]byte
	n.mac(&want, step)
	if !hmac.Equal(raw[8:], want[8:]) {
		return false, false
	}
	return step == cur, true
}
