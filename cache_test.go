package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

type scopedClaims struct {
	Scope string `json:"scope"`
	jwt.RegisteredClaims
}

func TestCache(t *testing.T) {
	t.Parallel()
	var clk atomic.Int64
	clk.Store(now.Unix())
	m, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithCache(2),
		jwtauth.WithTimeFunc(func() time.Time { return time.Unix(clk.Load(), 0) }))
	if err != nil {
		t.Fatal(err)
	}
	c := goodClaims()
	c["exp"] = now.Add(time.Minute).Unix()
	tok := mint(t, jwt.SigningMethodHS256, secret, c, nil)
	for i := range 3 {
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(tok))); diff != "" {
			t.Fatalf("request %d (-want +got):\n%s", i, diff)
		}
	}
	// exp is checked again on a hit.
	clk.Store(now.Add(2 * time.Minute).Unix())
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("expired cached token (-want +got):\n%s", diff)
	}
	clk.Store(now.Unix())
	// A failure is not cached: a forged token stays refused, and the real
	// one is still accepted after it.
	forged := strings.Split(tok, ".")
	bad := forged[0] + "." + forged[1] + "." + flip(forged[2])
	for range 2 {
		if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(bad))); diff != "" {
			t.Errorf("forged (-want +got):\n%s", diff)
		}
	}
	// More distinct tokens than the cache holds still all verify.
	for i := range 5 {
		c["jti"] = fmt.Sprint(i)
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(mint(t, jwt.SigningMethodHS256, secret, c, nil)))); diff != "" {
			t.Errorf("token %d (-want +got):\n%s", i, diff)
		}
	}
}

// swappableKeys is a key source whose key can be replaced, as a JWKS
// refresh would.
type swappableKeys struct {
	key atomic.Pointer[jwtauth.Key]
}

func (s *swappableKeys) Algorithms() []string { return []string{"RS256"} }

func (s *swappableKeys) Key(_ context.Context, kid, alg string) (*jwtauth.Key, error) {
	k := s.key.Load()
	if k == nil || k.ID() != kid || k.Algorithm() != alg {
		return nil, errors.New("no such key")
	}
	return k, nil
}

func TestCacheFlushedWhenKeysChange(t *testing.T) {
	t.Parallel()
	src := &swappableKeys{}
	src.key.Store(mustKey(t, "k1", "RS256", &rsaKey.PublicKey))
	m, err := jwtauth.New(src, jwtauth.WithCache(8), jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	tok := mint(t, jwt.SigningMethodRS256, rsaKey, goodClaims(), map[string]any{"kid": "k1"})
	for range 2 {
		if diff := cmp.Diff(okResult, do(t, m.Handler, bearer(tok))); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	}
	// Same kid, different key material: the cached entry must not be used.
	other := mustRSA(2048)
	src.key.Store(mustKey(t, "k1", "RS256", &other.PublicKey))
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("after key change (-want +got):\n%s", diff)
	}
	// Key removed.
	src.key.Store(nil)
	if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
		t.Errorf("after key removal (-want +got):\n%s", diff)
	}
}
