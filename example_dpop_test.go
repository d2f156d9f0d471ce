package jwtauth_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// standIn is the testing.TB of package-level fixtures and examples, which
// have no *testing.T: its Fatalf panics.
type standIn struct{ testing.TB }

func (standIn) Helper()                           {}
func (standIn) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A DPoP-bound token is accepted with the DPoP scheme and a proof signed by
// its key, and refused as a Bearer token; a proof is accepted once.
func ExampleWithDPoP() {
	t := standIn{} // in a test, pass t
	tokenKey := jwttest.NewKey(t, "ES256")
	client := jwttest.NewDPoPKey(t)
	mw, err := jwtauth.New(jwtauth.PublicKey("ES256", tokenKey.Public()),
		jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience),
		jwtauth.WithDPoP(jwtauth.DPoPAllowed)) // the default
	if err != nil {
		fmt.Println(err)
		return
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := jwtauth.DPoPFrom(r.Context())
		fmt.Fprintln(w, "key bound:", p.Thumbprint == client.Thumbprint())
	}))

	const url = "https://api.example/items"
	token := jwttest.Mint(t, tokenKey, nil, jwttest.WithDPoPBinding(client))
	send := func(scheme, proof string) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", scheme+" "+token)
		if proof != "" {
			req.Header.Set("DPoP", proof)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
		for _, c := range rec.Header().Values("WWW-Authenticate") {
			fmt.Println("  WWW-Authenticate:", c)
		}
	}
	proof := client.Proof(t, http.MethodGet, url, token)
	send("DPoP", proof)
	send("DPoP", proof) // replayed
	send("Bearer", "")
	// Output:
	// 200 key bound: true
	// 401 {"detail":"Could not validate credentials"}
	//   WWW-Authenticate: Bearer realm="api"
	//   WWW-Authenticate: DPoP realm="api", algs="ES256 ES384 ES512 RS256 PS256 EdDSA Ed25519", error="invalid_dpop_proof"
	// 401 {"detail":"Could not validate credentials"}
	//   WWW-Authenticate: Bearer realm="api", error="invalid_token"
	//   WWW-Authenticate: DPoP realm="api", algs="ES256 ES384 ES512 RS256 PS256 EdDSA Ed25519"
}
