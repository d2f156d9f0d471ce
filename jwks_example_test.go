package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// idpURL is the identity provider of the examples. No request leaves the
// process: identityProvider's client answers from an in-memory handler.
const idpURL = "https://idp.example"

// identityProvider returns an HTTP client whose requests are served in
// memory by a stand-in provider publishing one ES256 key with kid "k1" at
// /jwks.json and an OpenID Connect discovery document, and that key's
// private half for minting tokens.
func identityProvider() (*http.Client, *ecdsa.PrivateKey) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	var x, y [32]byte
	priv.X.FillBytes(x[:])
	priv.Y.FillBytes(y[:])
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
		"x": b64(x[:]), "y": b64(y[:]),
	}}})
	mux := http.NewServeMux()
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) { w.Write(jwks) })
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": idpURL, "jwks_uri": idpURL + "/jwks.json"})
	})
	return &http.Client{Transport: handlerTransport{mux}}, priv
}

// handlerTransport serves HTTP requests with a handler, in memory.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// Keys from an identity provider's JWKS URL. NewJWKS waits (within ctx) for
// the first fetch and fails only for a configuration mistake; an unreachable
// provider shows in Err, and requests get 503 until keys arrive. A JWKS
// source needs the issuer and the audience checked.
func ExampleNewJWKS() {
	client, priv := identityProvider()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := jwtauth.NewJWKS(ctx, idpURL+"/jwks.json",
		jwtauth.WithHTTPClient(client), // omit to use http.DefaultClient
		jwtauth.WithJWKSErrorHandler(func(err error) { log.Print(err) }))
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()

	mw, err := jwtauth.New(keys, jwtauth.WithIssuer(idpURL), jwtauth.WithAudience("person-api"))
	if err != nil {
		log.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": idpURL, "aud": "person-api", "sub": "alice", "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	signed, _ := tok.SignedString(priv)

	serve(mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		fmt.Fprintln(w, "hello", c.Subject)
	})), "Bearer "+signed)
	// Output:
	// 200 hello alice
}

// An OpenID Connect provider: its key set is found through discovery, whose
// issuer must be the one configured; the middleware then accepts exactly
// that issuer.
func ExampleNewOIDC() {
	client, _ := identityProvider()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	provider, err := jwtauth.NewOIDC(ctx, idpURL, jwtauth.WithHTTPClient(client))
	if err != nil {
		log.Fatal(err) // a bad URL, or a discovery document for another issuer
	}
	defer provider.Close()

	_, err = jwtauth.New(provider, jwtauth.WithAudience("person-api"))
	fmt.Println("without the issuer:", err != nil)
	_, err = jwtauth.New(provider, jwtauth.WithIssuer(provider.Issuer()), jwtauth.WithAudience("person-api"))
	fmt.Println("with it:", err == nil)
	// Output:
	// without the issuer: true
	// with it: true
}

// TestKeyRotationWithJWTTest shows a key rotation test written with the
// jwttest kit: a local key server, minted tokens, no clock and no sleeps.
func TestKeyRotationWithJWTTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rotations int
		opts      []jwtauth.JWKSOption
	}{
		// The source fetches the set again for a kid it has not seen.
		{"one rotation, defaults", 1, nil},
		// Such fetches happen once per cooldown, unless it is lifted.
		{"several rotations", 3, []jwtauth.JWKSOption{jwtauth.WithRefreshCooldown(0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			first := jwttest.NewKey(t, "ES256")
			idp := jwttest.NewJWKSServer(t, first)
			keys, err := jwtauth.NewJWKS(context.Background(), idp.URL(), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { keys.Close() })
			mw, err := jwtauth.New(keys, jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience))
			if err != nil {
				t.Fatal(err)
			}
			h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			code := func(k *jwttest.Key) int {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Authorization", "Bearer "+jwttest.Mint(t, k, nil))
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec.Code
			}
			signers := []*jwttest.Key{first}
			for range tc.rotations {
				next := jwttest.NewKey(t, "ES256")
				idp.Rotate(next) // publishes next, keeps only the previous key
				signers = append(signers, next)
				if got := code(next); got != http.StatusOK {
					t.Errorf("the new key's first token: %d, want 200", got)
				}
				if got := code(signers[len(signers)-2]); got != http.StatusOK {
					t.Errorf("the previous key: %d, want 200", got)
				}
			}
			if tc.rotations > 1 {
				if got := code(first); got != http.StatusUnauthorized {
					t.Errorf("a key rotated out: %d, want 401", got)
				}
			}
		})
	}
}
