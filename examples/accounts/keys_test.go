package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// publishedKids returns the kids /.well-known/jwks.json lists.
func publishedKids(t *testing.T, ts *testServer) []string {
	t.Helper()
	r := ts.do(t, "GET", jwksPath, "", "")
	var set struct{ Keys []jwk }
	if err := json.Unmarshal([]byte(r.body), &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

func TestKeyRotation(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		c.jwksOpts = []jwtauth.JWKSOption{jwtauth.WithRefreshCooldown(0)}
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write", "")
		old := ts.login(t, "alice", "pw-alice", "")
		ts.do(t, "POST", "/persons", old, personBody)
		oldHeader, _ := tokenParts(t, old)
		oldKid := oldHeader["kid"].(string)

		ts.clock.Advance(5 * time.Minute)
		newKid, err := ts.app.db.rotateKey(context.Background(), ts.clock.Now()) // as rotate-key does, from outside
		if err != nil {
			t.Fatal(err)
		}
		fresh := ts.login(t, "alice", "pw-alice", "")
		if h, _ := tokenParts(t, fresh); h["kid"] != newKid {
			t.Fatalf("token after rotation signed by %v, want %s", h["kid"], newKid)
		}
		if diff := cmp.Diff([]string{newKid, oldKid}, publishedKids(t, ts)); diff != "" {
			t.Errorf("published after rotation (-want +got):\n%s", diff)
		}
		for name, tok := range map[string]string{"new key": fresh, "old key, not expired": old} {
			if r := ts.do(t, "GET", "/persons/1", tok, ""); r.status != 200 {
				t.Errorf("%s: %d %s", name, r.status, r.body)
			}
		}

		ts.clock.Advance(11 * time.Minute) // old expired at +15m
		if r := ts.do(t, "GET", "/persons/1", old, ""); r.status != 401 {
			t.Errorf("old token after its expiry: %d, want 401", r.status)
		}
		if diff := cmp.Diff([]string{newKid, oldKid}, publishedKids(t, ts)); diff != "" {
			t.Errorf("the old key is published until ttl+1m after its retirement (-want +got):\n%s", diff)
		}
		ts.clock.Advance(5 * time.Minute) // retired 21 minutes ago
		if diff := cmp.Diff([]string{newKid}, publishedKids(t, ts)); diff != "" {
			t.Errorf("published once the old key's tokens have expired (-want +got):\n%s", diff)
		}
	})
}

// TestSeparateResourceServer verifies the server's tokens as another
// service would: its own jwtauth middleware, keys from the issuer's JWKS
// URL, iss and aud required.
func TestSeparateResourceServer(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read", "")
		src, err := jwtauth.NewJWKS(t.Context(), ts.url+jwksPath, jwtauth.WithJWKSAlgorithms("ES256"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { src.Close() })
		mw, err := jwtauth.New(src, jwtauth.WithIssuer(ts.app.issuer), jwtauth.WithAudience("accounts-api"), jwtauth.WithTimeFunc(ts.clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		h := mw.Handler(mw.Require(jwtauth.Scopes("persons:read"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
			w.Write([]byte(c.Subject))
		})))
		forged := jwttest.Mint(t, jwttest.NewKey(t, "ES256").WithID("forged"), map[string]any{
			"iss": ts.app.issuer, "aud": "accounts-api", "sub": "1", "scope": "persons:read",
			"iat": ts.clock.Now().Unix(), "exp": ts.clock.Now().Add(time.Minute).Unix(),
		})
		for _, tc := range []struct {
			name, token string
			status      int
		}{
			{"issued token", ts.login(t, "alice", "pw-alice", ""), 200},
			{"foreign key", forged, 401},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest("GET", "/", nil)
				req.Header.Set("Authorization", "Bearer "+tc.token)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != tc.status {
					t.Errorf("status %d, want %d", rec.Code, tc.status)
				}
				if rec.Code == 200 && rec.Body.String() != "1" {
					t.Errorf("sub %q, want 1", rec.Body.String())
				}
			})
		}
	})
}

func TestSigningKeyEncoding(t *testing.T) {
	k, err := newSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pemText, err := encodePrivate(k.key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodePrivate(pemText)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(k.key) {
		t.Error("the key read back differs")
	}
	for _, tc := range []struct{ name, pem string }{
		{"not PEM", "garbage"},
		{"wrong block", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodePrivate(tc.pem); err == nil {
				t.Error("accepted")
			}
		})
	}
}
