package jwtauth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// sharedSource stands for a key source whose keys several parties use
// (JWKS, OIDC): it carries the requiresIssuer marker.
type sharedSource struct{ *keySet }

func (sharedSource) requiresIssuer() bool { return true }

func (s sharedSource) Key(ctx context.Context, kid, alg string) (*Key, error) {
	return s.keySet.Key(ctx, kid, alg)
}

// TestSharedKeysRequireIssuerAndAudience: RFC 8725 sections 3.8 and 3.9.
func TestSharedKeysRequireIssuerAndAudience(t *testing.T) {
	t.Parallel()
	src := sharedSource{HMAC("HS256", make([]byte, 32)).(*keySet)}
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
	}{
		{"neither", nil, true},
		{"issuer only", []Option{WithIssuer("https://issuer.example")}, true},
		{"audience only", []Option{WithAudience("api")}, true},
		{"both", []Option{WithIssuer("https://issuer.example"), WithAudience("api")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(src, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Errorf("New error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	_, err := NewMultiIssuer([]Issuer{{Issuer: "https://issuer.example", Keys: src}})
	if err == nil {
		t.Error("NewMultiIssuer accepted a shared key source without audiences")
	}
}

// TestCacheHoldsOnlyAcceptedTokens: a well-signed token that fails a claims
// check or the revocation check is never cached, and an accepted one is
// served from the cache on the next request.
func TestCacheHoldsOnlyAcceptedTokens(t *testing.T) {
	t.Parallel()
	secret := []byte("0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	revoked := "revoked"
	m, err := New(HMAC("HS256", secret), WithCache(8), WithAudience("api"),
		WithTimeFunc(func() time.Time { return now }),
		WithRevocationCheck(func(_ context.Context, ti TokenInfo) error {
			if ti.ID == revoked {
				return errors.New("revoked")
			}
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := now.Add(time.Hour).Unix()
	for name, tok := range map[string]string{
		"wrong audience": sign(jwt.MapClaims{"aud": "other", "exp": exp}),
		"expired":        sign(jwt.MapClaims{"aud": "api", "exp": now.Add(-time.Hour).Unix()}),
		"revoked":        sign(jwt.MapClaims{"aud": "api", "exp": exp, "jti": revoked}),
	} {
		if _, err := m.verify(context.Background(), tok); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
	if n := len(m.cache.entries); n != 0 {
		t.Fatalf("%d refused tokens in the cache", n)
	}
	good := sign(jwt.MapClaims{"aud": "api", "exp": exp})
	if _, err := m.verify(context.Background(), good); err != nil {
		t.Fatal(err)
	}
	if p, _ := m.fromCache(context.Background(), good, sha256.Sum256([]byte(good))); p == nil {
		t.Fatal("an accepted token is not served from the cache")
	}
	// Once it expires, the next request refuses it and frees its slot.
	now = now.Add(2 * time.Hour)
	if _, err := m.verify(context.Background(), good); err == nil {
		t.Fatal("an expired cached token was accepted")
	}
	if n := len(m.cache.entries); n != 0 {
		t.Errorf("%d entries after the cached token expired, want 0", n)
	}
}

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
