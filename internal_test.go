package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
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

// TestRevocationHashIgnoresSignatureEncoding: a deny list keyed on
// TokenInfo.Hash refuses a revoked token in every encoding of its
// signature, with and without the cache, and the hash is SigningInputHash.
func TestRevocationHashIgnoresSignatureEncoding(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	sign := func(sub string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"sub": sub, "exp": now.Add(time.Hour).Unix()}).SignedString(priv)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	revoked, fine := sign("revoked"), sign("fine")
	deny := SigningInputHash(revoked)
	if want := sha256.Sum256([]byte(revoked[:strings.LastIndexByte(revoked, '.')])); deny != want {
		t.Fatal("SigningInputHash is not the SHA-256 of header.payload")
	}
	for _, cache := range []bool{false, true} {
		opts := []Option{WithTimeFunc(func() time.Time { return now }),
			WithRevocationCheck(func(_ context.Context, ti TokenInfo) error {
				if ti.Hash == deny {
					return errors.New("revoked")
				}
				return nil
			})}
		if cache {
			opts = append(opts, WithCache(8))
		}
		m, err := New(PublicKey("ES256", &priv.PublicKey), opts...)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			tok    string
			accept bool
		}{
			{"revoked", revoked, false},
			{"revoked, re-encoded signature", malleate(t, revoked), false},
			{"fine", fine, true},
			{"fine, re-encoded signature", malleate(t, fine), true},
		} {
			for range 2 { // the second request may be a cache hit
				_, err := m.verify(context.Background(), tt.tok)
				if tt.accept != (err == nil) {
					t.Errorf("cache %v, %s: err = %v, want accepted %v", cache, tt.name, err, tt.accept)
				}
				if !tt.accept && !errors.Is(err, ErrRevoked) {
					t.Errorf("cache %v, %s: err = %v, want %v", cache, tt.name, err, ErrRevoked)
				}
			}
		}
	}
}

// TestSigningInputHash: the hash covers the token up to its second dot, as
// documented, whatever follows.
func TestSigningInputHash(t *testing.T) {
	t.Parallel()
	for tok, signed := range map[string]string{
		"h.p.s":   "h.p",
		"h.p.":    "h.p",
		"h.p.s.x": "h.p",
		"h.p":     "h.p",
		"h":       "h",
		"":        "",
	} {
		if got, want := SigningInputHash(tok), sha256.Sum256([]byte(signed)); got != want {
			t.Errorf("SigningInputHash(%q) is not the SHA-256 of %q", tok, signed)
		}
	}
}
