package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

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
	dot2 := strings.LastIndexByte(good, '.')
	if p, _, _ := m.fromCache(context.Background(), good, dot2, sha256.Sum256([]byte(good[:dot2]))); p == nil {
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

// TestCacheOneSlotPerSignedContent: the two encodings of one ECDSA
// signature, (r, s) and (r, n-s), share one cache slot, and a forged
// signature on the cached content is never served from the cache.
func TestCacheOneSlotPerSignedContent(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	m, err := New(PublicKey("ES256", &priv.PublicKey), WithCache(8),
		WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": "u", "exp": now.Add(time.Hour).Unix()}).SignedString(priv)
	if err != nil {
		t.Fatal(err)
	}
	high := malleate(t, tok)
	ctx := context.Background()
	for i, presented := range []string{tok, high, tok, high} {
		p, err := m.verify(ctx, presented)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if p.token != presented {
			t.Errorf("request %d: the principal's token is not the one presented", i)
		}
	}
	if n := len(m.cache.entries); n != 1 {
		t.Errorf("%d cache entries for one token in two encodings, want 1", n)
	}
	dot2 := strings.LastIndexByte(tok, '.')
	forged := tok[:dot2+1] + strings.Repeat("A", len(tok)-dot2-1)
	// The cache's verdict on a forged signature is final: the full path
	// would verify the same bytes with the same key a second time.
	if p, _, err := m.fromCache(ctx, forged, dot2, sha256.Sum256([]byte(tok[:dot2]))); p != nil || !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Fatalf("a forged signature on cached content: fromCache = %v, %v; want nil and %v", p, err, jwt.ErrTokenSignatureInvalid)
	}
	if _, err := m.verify(ctx, forged); !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
		t.Errorf("forged signature on cached content: err = %v, want %v", err, jwt.ErrTokenSignatureInvalid)
	}
}

// malleate re-encodes an ES256 token's signature (r, s) as (r, n-s), which
// verifies too: anyone can do this without the key.
func malleate(t *testing.T, tok string) string {
	t.Helper()
	dot2 := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot2+1:])
	if err != nil || len(sig) != 64 {
		t.Fatalf("not an ES256 signature: %v", err)
	}
	s := new(big.Int).SetBytes(sig[32:])
	s.Sub(elliptic.P256().Params().N, s)
	out := append([]byte(nil), sig[:32]...)
	out = append(out, s.FillBytes(make([]byte, 32))...)
	high := tok[:dot2+1] + base64.RawURLEncoding.EncodeToString(out)
	if high == tok {
		t.Fatal("malleation left the token unchanged")
	}
	return high
}
