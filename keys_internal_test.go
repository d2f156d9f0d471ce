package jwtauth

import (
	"context"
	"crypto/ed25519"
	"testing"
)

// TestKeySetIsAPrivateCopy: changing the caller's slice after KeySet does
// not change the keys.
func TestKeySetIsAPrivateCopy(t *testing.T) {
	t.Parallel()
	a, _ := NewKey("a", "HS256", []byte("0123456789abcdef0123456789abcdef"))
	b, _ := NewKey("a", "HS256", []byte("short"))
	for _, n := range []int{1, 2} {
		keys := []*Key{a}
		if n == 2 {
			c, _ := NewKey("c", "HS256", []byte("0123456789abcdef0123456789abcdef"))
			keys = append(keys, c)
		}
		src := KeySet(keys...)
		keys[0] = b
		if k, err := src.Key(context.Background(), "a", "HS256"); err != nil || k != a {
			t.Errorf("%d keys: Key = %v, %v; want the original key", n, k, err)
		}
	}
}

// TestEd25519SmallOrderKeysRefused: a public key of small order verifies
// the signature (R = identity, S = 0) for any message, so NewKey (and so
// PublicKey, PEM and JWKS) refuses all eight such points and the
// non-canonical encodings, with either sign bit.
func TestEd25519SmallOrderKeysRefused(t *testing.T) {
	t.Parallel()
	forged := make([]byte, ed25519.SignatureSize)
	forged[0] = 1 // R = identity (y = 1), S = 0
	for i, y := range ed25519SmallOrderY {
		for _, sign := range []byte{0, 0x80} {
			pk := y
			pk[31] |= sign
			if _, err := NewKey("", "EdDSA", ed25519.PublicKey(pk[:])); err == nil {
				t.Errorf("point %d (sign %#x): NewKey accepted a small-order key", i, sign)
			}
		}
	}
	identity := ed25519SmallOrderY[1]
	if !ed25519.Verify(identity[:], []byte("any message"), forged) {
		t.Error("the identity key does not verify the forged signature; the test's premise is wrong")
	}
	good, _, _ := ed25519.GenerateKey(nil)
	if _, err := NewKey("", "EdDSA", good); err != nil {
		t.Errorf("a real key was refused: %v", err)
	}
}
