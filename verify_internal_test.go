package jwtauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

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
