package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

func TestOIDC(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	srv := jwttest.NewJWKSServer(t, a)
	timer := newFakeTimer()
	o, err := NewOIDC(context.Background(), srv.Issuer(), withAfter(timer.after))
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	defer o.Close()
	timer.waitArmed(t)
	if o.Issuer() != srv.Issuer() {
		t.Errorf("Issuer = %q, want %q", o.Issuer(), srv.Issuer())
	}
	keyA := mustKey(t, o, "a", "ES256")
	timer.tick(t)
	if got := mustKey(t, o, "a", "ES256"); got != keyA {
		t.Error("refresh replaced an unchanged key")
	}
	if got := [2]int{srv.DiscoveryFetches(), srv.Fetches()}; got != [2]int{1, 2} {
		t.Errorf("discovery and key set fetches = %v, want [1 2]", got)
	}
	if diff := cmp.Diff(defaultJWKSAlgorithms, o.Algorithms()); diff != "" {
		t.Errorf("Algorithms (-want +got):\n%s", diff)
	}
	if !o.SharedKeys() {
		t.Error("SharedKeys = false")
	}
	<-o.Ready()
	if err := o.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}

func TestOIDCTLS(t *testing.T) {
	t.Parallel()
	srv := jwttest.NewTLSJWKSServer(t, jwttest.NewKey(t, "EdDSA").WithID("ed"))
	o, err := NewOIDC(context.Background(), srv.Issuer(), WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	defer o.Close()
	mustKey(t, o, "ed", "EdDSA")
}

func TestOIDCRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		issuer func(srv *jwttest.JWKSServer) string
		doc    func(srv *jwttest.JWKSServer) any
	}{
		{"another issuer", nil, func(srv *jwttest.JWKSServer) any {
			return map[string]any{"issuer": "https://evil.example", "jwks_uri": srv.URL()}
		}},
		{"issuer differs by a trailing slash", func(srv *jwttest.JWKSServer) string { return srv.Issuer() + "/" }, nil},
		{"issuer differs in case", nil, func(srv *jwttest.JWKSServer) any {
			return map[string]any{"issuer": strings.ToUpper(srv.Issuer()), "jwks_uri": srv.URL()}
		}},
		{"no issuer", nil, func(srv *jwttest.JWKSServer) any { return map[string]any{"jwks_uri": srv.URL()} }},
		{"issuer null", nil, func(srv *jwttest.JWKSServer) any { return map[string]any{"issuer": nil, "jwks_uri": srv.URL()} }},
		{"http jwks_uri", nil, func(srv *jwttest.JWKSServer) any {
			return map[string]any{"issuer": srv.Issuer(), "jwks_uri": "http://idp.example/jwks"}
		}},
		{"relative jwks_uri", nil, func(srv *jwttest.JWKSServer) any {
			return map[string]any{"issuer": srv.Issuer(), "jwks_uri": "/jwks.json"}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256"))
			if tc.doc != nil {
				srv.SetDiscoveryDocument(tc.doc(srv))
			}
			issuer := srv.Issuer()
			if tc.issuer != nil {
				issuer = tc.issuer(srv)
			}
			o, err := NewOIDC(context.Background(), issuer)
			if err == nil {
				o.Close()
				t.Fatal("NewOIDC succeeded")
			}
			if !errors.Is(err, errDiscoveryConfig) {
				t.Errorf("error %v, want errDiscoveryConfig", err)
			}
			if got := srv.Fetches(); got != 0 {
				t.Errorf("fetched the key set %d times", got)
			}
		})
	}
	for _, issuer := range []string{"http://idp.example", "https://idp.example?x=1", "https://idp.example/#f", "idp.example"} {
		if o, err := NewOIDC(context.Background(), issuer); err == nil {
			o.Close()
			t.Errorf("NewOIDC(%q) succeeded", issuer)
		}
	}
}

func TestOIDCOutage(t *testing.T) {
	t.Parallel()
	srv := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	srv.SetStatus(http.StatusServiceUnavailable)
	clock := jwttest.NewClock(time.Time{})
	o, err := NewOIDC(context.Background(), srv.Issuer(), withClock(clock.Now))
	if err != nil {
		t.Fatalf("NewOIDC during an outage: %v", err)
	}
	defer o.Close()
	if _, err := o.Key(context.Background(), "a", "ES256"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Key error = %v, want ErrKeysUnavailable", err)
	}
	srv.SetStatus(0)
	clock.Advance(defaultRefreshCooldown)
	mustKey(t, o, "a", "ES256")
}

// TestOIDCDiscoveryRedirects: discovery follows the same redirect rules as
// the key set: no other origin without WithCrossOriginRedirects.
func TestOIDCDiscoveryRedirects(t *testing.T) {
	t.Parallel()
	srv := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	redirect := redirectServer(t, false, func() string { return srv.Issuer() + jwttest.DiscoveryPath })
	o, err := NewOIDC(context.Background(), redirect.URL)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	defer o.Close()
	if err := o.Err(); !strings.Contains(fmt.Sprint(err), "redirect refused: to another origin") {
		t.Errorf("Err = %v, want the cross-origin redirect refused", err)
	}
	if n := srv.DiscoveryFetches(); n != 0 {
		t.Errorf("the other origin was fetched %d times", n)
	}
}

// TestOIDCHTTPSIssuerPlainJWKSURI: the discovery hop counts as the first
// hop of the key fetch, so an https issuer's document cannot send the key
// fetch to plain http, not even to loopback.
func TestOIDCHTTPSIssuerPlainJWKSURI(t *testing.T) {
	t.Parallel()
	plain := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("k"))
	srv := jwttest.NewTLSJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("x"))
	srv.SetDiscoveryDocument(map[string]any{"issuer": srv.Issuer(), "jwks_uri": plain.URL()})
	o, err := NewOIDC(context.Background(), srv.Issuer(), WithHTTPClient(srv.Client()))
	if err == nil {
		defer o.Close()
		err = o.Err()
	}
	if err == nil || !errors.Is(err, errDiscoveryConfig) || !strings.Contains(err.Error(), "is plain http, but the issuer is https") {
		t.Errorf("error = %v, want the plain-http jwks_uri refused", err)
	}
	if n := plain.Fetches(); n != 0 {
		t.Errorf("the plain-http key set was fetched %d times", n)
	}
}
