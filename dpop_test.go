package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

const (
	dpopURL  = "https://api.example/persons/1"
	dpopAlgs = `algs="ES256 ES384 ES512 RS256 PS256 EdDSA Ed25519"`
)

// The DPoP fixture: an HS256 token key and two client keys.
var (
	dpopTokenKey = jwttest.NewKey(standIn{}, "HS256")
	dpopKey      = jwttest.NewDPoPKey(standIn{})
	dpopOtherKey = jwttest.NewDPoPKey(standIn{})
)

// dpopMW returns a middleware for dpopTokenKey's tokens on the fixed clock
// that records the error of each refused request in *seen.
func dpopMW(t testing.TB, seen *error, opts ...jwtauth.Option) *jwtauth.Middleware {
	t.Helper()
	base := []jwtauth.Option{
		jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience),
		jwtauth.WithTimeFunc(clock),
	}
	if seen != nil {
		base = append(base, jwtauth.WithErrorObserver(func(_ *http.Request, err error) { *seen = err }))
	}
	m, err := jwtauth.New(jwtauth.HMAC("HS256", dpopTokenKey.Public().([]byte)), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// boundToken is a token valid at now, bound to k (unbound for nil).
func boundToken(t testing.TB, k *jwttest.DPoPKey) string {
	t.Helper()
	opts := []jwttest.MintOption{jwttest.WithNow(clock)}
	if k != nil {
		opts = append(opts, jwttest.WithDPoPBinding(k))
	}
	return jwttest.Mint(t, dpopTokenKey, nil, opts...)
}

// proof is dpopKey's proof for POST dpopURL at now.
func proof(t testing.TB, token string, opts ...jwttest.ProofOption) string {
	t.Helper()
	return dpopKey.Proof(t, http.MethodPost, dpopURL, token, append([]jwttest.ProofOption{jwttest.WithProofNow(clock)}, opts...)...)
}

// dpopResult is what a DPoP request produced.
type dpopResult struct {
	Status     int
	Challenges []string
	Nonce      string // the DPoP-Nonce header
	Called     bool
	Thumbprint string // DPoPFrom in the handler
}

// serveDPoP sends req through m to a handler that records DPoPFrom.
func serveDPoP(m *jwtauth.Middleware, req *http.Request) dpopResult {
	var res dpopResult
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res.Called = true
		if p, ok := jwtauth.DPoPFrom(r.Context()); ok {
			res.Thumbprint = p.Thumbprint
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res.Status = rec.Code
	res.Challenges = rec.Header().Values("WWW-Authenticate")
	res.Nonce = rec.Header().Get("DPoP-Nonce")
	return res
}

// dpopRequest is POST url with "Authorization: <scheme> token" and one DPoP
// header per proof.
func dpopRequest(url, scheme, token string, proofs ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, url, nil)
	if scheme == "" {
		req.Header.Set("Authorization", token)
	} else {
		req.Header.Set("Authorization", scheme+" "+token)
	}
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	return req
}

// Expected results.
func accepted(k *jwttest.DPoPKey) dpopResult {
	r := dpopResult{Status: 200, Called: true}
	if k != nil {
		r.Thumbprint = k.Thumbprint()
	}
	return r
}

func refusedDPoP(code string) dpopResult {
	return dpopResult{Status: 401, Challenges: []string{`Bearer realm="api"`, `DPoP realm="api", ` + dpopAlgs + `, error="` + code + `"`}}
}

var refusedBearer = dpopResult{Status: 401, Challenges: []string{`Bearer realm="api", error="invalid_token"`, `DPoP realm="api", ` + dpopAlgs}}

// signRaw signs literal header and payload JSON with dpopKey's private key.
func signRaw(t testing.TB, header, payload string) string {
	t.Helper()
	in := b64(header) + "." + b64(payload)
	sig, err := jwt.SigningMethodES256.Sign(in, dpopKey.Key().Private())
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func jwkJSON(t testing.TB, k *jwttest.DPoPKey) string {
	t.Helper()
	b, err := json.Marshal(k.JWK())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestDPoPProofChecks has one case per check of RFC 9449 sections 4.3 and
// 7: each sends a bound token with a proof that breaks one rule (or, for
// the accepted cases, bends one the RFC allows), and checks the response
// and the reason the observer saw.
func TestDPoPProofChecks(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	jwk := jwkJSON(t, dpopKey)
	iat := now.Unix()
	goodPayload := func(extra string) string {
		p := `{"jti":"j1","htm":"POST","htu":"` + dpopURL + `","iat":` + jsonInt(iat) + `,"ath":"` + ath(tok) + `"`
		if extra != "" {
			p += "," + extra
		}
		return p + "}"
	}
	goodHeader := `{"typ":"dpop+jwt","alg":"ES256","jwk":` + jwk + `}`
	rsa1024 := `{"kty":"RSA","n":"` + strings.Repeat("w", 171) + `","e":"AQAB"}`
	long := proof(t, tok, jwttest.WithProofClaim("pad", strings.Repeat("x", jwtauth.MaxDPoPProofBytes)))

	for _, tc := range []struct {
		name   string
		url    string   // the request's URL; dpopURL if ""
		token  string   // the token sent; tok if ""
		scheme string   // "DPoP" if ""
		proofs []string // the DPoP headers
		want   dpopResult
		reason string // a fragment of the observed error's text; "" for accepted
		is     error  // the sentinel the error wraps
	}{
		{name: "valid", proofs: []string{proof(t, tok)}, want: accepted(dpopKey)},
		{name: "scheme in lower case", scheme: "dpop", proofs: []string{proof(t, tok)}, want: accepted(dpopKey)},
		{name: "typ with application/ prefix", proofs: []string{proof(t, tok, jwttest.WithProofHeader("typ", "application/dpop+jwt"))}, want: accepted(dpopKey)},
		{name: "htu with the request's query", url: dpopURL + "?x=1", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", dpopURL+"?x=1"))}, want: accepted(dpopKey)},
		{name: "htu with another query and a fragment", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", dpopURL+"?y=2#f"))}, want: accepted(dpopKey)},
		{name: "htu host in upper case", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://API.Example/persons/1"))}, want: accepted(dpopKey)},
		{name: "htu scheme in upper case", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "HTTPS://api.example/persons/1"))}, want: accepted(dpopKey)},
		{name: "htu with the default port", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://api.example:443/persons/1"))}, want: accepted(dpopKey)},
		{name: "request with the default port", url: "https://api.example:443/persons/1", proofs: []string{proof(t, tok)}, want: accepted(dpopKey)},
		{name: "percent-encoding case", url: "https://api.example/a%2fb", proofs: []string{dpopKey.Proof(t, "POST", "https://api.example/a%2Fb", tok, jwttest.WithProofNow(clock))}, want: accepted(dpopKey)},
		{name: "percent-encoded unreserved character", url: "https://api.example/~me", proofs: []string{dpopKey.Proof(t, "POST", "https://api.example/%7Eme", tok, jwttest.WithProofNow(clock))}, want: accepted(dpopKey)},
		{name: "iat a second inside the window", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", now.Add(-jwtauth.DefaultDPoPProofWindow+time.Second).Unix()))}, want: accepted(dpopKey)},
		{name: "unbound token under DPoP", token: boundToken(t, nil), proofs: []string{proof(t, boundToken(t, nil))}, want: accepted(dpopKey)},

		{name: "no DPoP header", want: refusedDPoP("invalid_dpop_proof"), reason: "no DPoP header", is: jwtauth.ErrInvalidDPoPProof},
		{name: "two DPoP headers", proofs: []string{proof(t, tok), proof(t, tok)}, want: refusedDPoP("invalid_dpop_proof"), reason: "more than one DPoP header", is: jwtauth.ErrInvalidDPoPProof},
		{name: "two JWS in one header", proofs: []string{proof(t, tok) + "," + proof(t, tok)}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a compact JWS", is: jwtauth.ErrInvalidDPoPProof},
		{name: "two JWS separated by a space", proofs: []string{proof(t, tok) + " " + proof(t, tok)}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a compact JWS", is: jwtauth.ErrInvalidDPoPProof},
		{name: "garbage", proofs: []string{"garbage"}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a compact JWS", is: jwtauth.ErrInvalidDPoPProof},
		{name: "padded base64", proofs: []string{b64(goodHeader) + "=." + b64(goodPayload("")) + ".c2ln"}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a compact JWS", is: jwtauth.ErrInvalidDPoPProof},
		{name: "oversized proof", proofs: []string{long}, want: refusedDPoP("invalid_dpop_proof"), reason: "length limit", is: jwtauth.ErrInvalidDPoPProof},
		{name: "wrong typ", proofs: []string{proof(t, tok, jwttest.WithProofHeader("typ", "JWT"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "typ", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no typ", proofs: []string{proof(t, tok, jwttest.WithProofHeader("typ", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "typ", is: jwtauth.ErrInvalidDPoPProof},
		{name: "HMAC proof", proofs: []string{rawHS256(secret, `{"typ":"dpop+jwt","alg":"HS256","jwk":{"kty":"oct","k":"`+b64(string(secret))+`"}}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "algorithm not allowed", is: jwtauth.ErrInvalidDPoPProof},
		{name: "none proof", proofs: []string{b64(`{"typ":"dpop+jwt","alg":"none","jwk":`+jwk+`}`) + "." + b64(goodPayload("")) + "."}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a compact JWS", is: jwtauth.ErrInvalidDPoPProof},
		{name: "none proof with a signature", proofs: []string{b64(`{"typ":"dpop+jwt","alg":"none","jwk":`+jwk+`}`) + "." + b64(goodPayload("")) + ".c2ln"}, want: refusedDPoP("invalid_dpop_proof"), reason: "algorithm not allowed", is: jwtauth.ErrInvalidDPoPProof},
		{name: "alg that does not fit the key", proofs: []string{proof(t, tok, jwttest.WithProofHeader("alg", "ES384"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a usable public key", is: jwtauth.ErrInvalidDPoPProof},
		{name: "private key in jwk", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+strings.TrimSuffix(jwk, "}")+`,"d":"AAAA"}}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a usable public key", is: jwtauth.ErrInvalidDPoPProof},
		{name: "symmetric jwk", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"oct","k":"c2VjcmV0"}}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a usable public key", is: jwtauth.ErrInvalidDPoPProof},
		{name: "RSA jwk below 2048 bits", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"RS256","jwk":`+rsa1024+`}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a usable public key", is: jwtauth.ErrInvalidDPoPProof},
		{name: "EC point not on the curve", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"`+b64(strings.Repeat("\x01", 32))+`","y":"`+b64(strings.Repeat("\x02", 32))+`"}}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "not a usable public key", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no jwk", proofs: []string{proof(t, tok, jwttest.WithProofHeader("jwk", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "proof header is not", is: jwtauth.ErrInvalidDPoPProof},
		{name: "jwk of another key", proofs: []string{proof(t, tok, jwttest.WithProofHeader("jwk", dpopOtherKey.JWK()))}, want: refusedDPoP("invalid_dpop_proof"), reason: "signature does not verify", is: jwtauth.ErrInvalidDPoPProof},
		{name: "bad signature", proofs: []string{flipLast(proof(t, tok))}, want: refusedDPoP("invalid_dpop_proof"), reason: "signature does not verify", is: jwtauth.ErrInvalidDPoPProof},
		{name: "duplicate header member", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","alg":"ES256","jwk":`+jwk+`}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "proof header is not", is: jwtauth.ErrInvalidDPoPProof},
		{name: "case-variant header member", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","Typ":"JWT","jwk":`+jwk+`}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "proof header is not", is: jwtauth.ErrInvalidDPoPProof},
		{name: "duplicate jwk member", proofs: []string{signRaw(t, `{"typ":"dpop+jwt","alg":"ES256","jwk":`+strings.Replace(jwk, `"kty":"EC"`, `"kty":"EC","kty":"EC"`, 1)+`}`, goodPayload(""))}, want: refusedDPoP("invalid_dpop_proof"), reason: "proof header is not", is: jwtauth.ErrInvalidDPoPProof},
		{name: "crit", proofs: []string{proof(t, tok, jwttest.WithProofHeader("crit", []string{"exp"}))}, want: refusedDPoP("invalid_dpop_proof"), reason: "crit", is: jwtauth.ErrInvalidDPoPProof},
		{name: "duplicate claim", proofs: []string{signRaw(t, goodHeader, goodPayload(`"jti":"j2"`))}, want: refusedDPoP("invalid_dpop_proof"), reason: "claims are not strict JSON", is: jwtauth.ErrInvalidDPoPProof},
		{name: "case-variant claim", proofs: []string{signRaw(t, goodHeader, goodPayload(`"HTM":"GET"`))}, want: refusedDPoP("invalid_dpop_proof"), reason: "claims are not strict JSON", is: jwtauth.ErrInvalidDPoPProof},
		{name: "case-variant claim alone", proofs: []string{signRaw(t, goodHeader, goodPayload(`"Nonce":"n"`))}, want: refusedDPoP("invalid_dpop_proof"), reason: "case-variant claim name", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no jti", proofs: []string{proof(t, tok, jwttest.WithProofClaim("jti", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "jti, htm, htu or iat missing", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no htm", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htm", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "jti, htm, htu or iat missing", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no htu", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "jti, htm, htu or iat missing", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no iat", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", nil))}, want: refusedDPoP("invalid_dpop_proof"), reason: "jti, htm, htu or iat missing", is: jwtauth.ErrInvalidDPoPProof},
		{name: "iat as a string", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", jsonInt(iat)))}, want: refusedDPoP("invalid_dpop_proof"), reason: "jti, htm, htu or iat missing", is: jwtauth.ErrInvalidDPoPProof},
		{name: "wrong htm", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htm", "GET"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htm", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htm in lower case", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htm", "post"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htm", is: jwtauth.ErrInvalidDPoPProof},
		{name: "request path with a dot segment", url: "https://api.example/admin/../persons/1", proofs: []string{dpopKey.Proof(t, "POST", "https://api.example/persons/1", tok, jwttest.WithProofNow(clock))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "request path with an encoded dot segment", url: "https://api.example/admin/%2E%2e/persons/1", proofs: []string{dpopKey.Proof(t, "POST", "https://api.example/persons/1", tok, jwttest.WithProofNow(clock))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu with another path", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://api.example/persons/2"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu with another host", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://evil.example/persons/1"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu with another scheme", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "http://api.example/persons/1"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu with another port", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://api.example:8443/persons/1"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu with user information", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "https://u@api.example/persons/1"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "htu relative", proofs: []string{proof(t, tok, jwttest.WithProofClaim("htu", "/persons/1"))}, want: refusedDPoP("invalid_dpop_proof"), reason: "htu", is: jwtauth.ErrInvalidDPoPProof},
		{name: "iat exactly the window old", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", now.Add(-jwtauth.DefaultDPoPProofWindow).Unix()))}, want: refusedDPoP("invalid_dpop_proof"), reason: "too old", is: jwtauth.ErrInvalidDPoPProof},
		{name: "iat too old", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", now.Add(-jwtauth.DefaultDPoPProofWindow-time.Second).Unix()))}, want: refusedDPoP("invalid_dpop_proof"), reason: "too old", is: jwtauth.ErrInvalidDPoPProof},
		{name: "iat in the future", proofs: []string{proof(t, tok, jwttest.WithProofClaim("iat", now.Add(time.Second).Unix()))}, want: refusedDPoP("invalid_dpop_proof"), reason: "future", is: jwtauth.ErrInvalidDPoPProof},
		{name: "no ath", proofs: []string{proof(t, "")}, want: refusedDPoP("invalid_dpop_proof"), reason: "no ath", is: jwtauth.ErrInvalidDPoPProof},
		{name: "ath of another token", proofs: []string{proof(t, boundToken(t, dpopOtherKey))}, want: refusedDPoP("invalid_dpop_proof"), reason: "ath is not", is: jwtauth.ErrInvalidDPoPProof},
		{name: "cnf.jkt of another key", token: boundToken(t, dpopOtherKey), proofs: []string{proof(t, boundToken(t, dpopOtherKey))}, want: refusedDPoP("invalid_token"), reason: "cnf.jkt", is: jwtauth.ErrInvalidToken},
		{name: "bound token as Bearer", scheme: "Bearer", proofs: []string{proof(t, tok)}, want: refusedBearer, reason: "needs the DPoP scheme", is: jwtauth.ErrInvalidToken},
		{name: "bound token as Bearer without proof", scheme: "Bearer", want: refusedBearer, reason: "needs the DPoP scheme", is: jwtauth.ErrInvalidToken},
		{name: "DPoP scheme without a token", token: " ", proofs: []string{proof(t, tok)}, want: dpopResult{Status: 400, Challenges: []string{`Bearer realm="api"`, `DPoP realm="api", ` + dpopAlgs + `, error="invalid_request"`}}, reason: "DPoP scheme without a token", is: jwtauth.ErrMalformedRequest},
		{name: "invalid token under DPoP", token: flipLast(tok), proofs: []string{proof(t, tok)}, want: refusedDPoP("invalid_token"), reason: "signature", is: jwtauth.ErrInvalidToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen error
			m := dpopMW(t, &seen)
			url, token, scheme := tc.url, tc.token, tc.scheme
			if url == "" {
				url = dpopURL
			}
			if token == "" {
				token = tok
			}
			if scheme == "" {
				scheme = "DPoP"
			}
			got := serveDPoP(m, dpopRequest(url, scheme, strings.TrimSpace(token), tc.proofs...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			switch {
			case tc.reason == "" && seen != nil:
				t.Errorf("refused: %v", seen)
			case tc.reason != "" && (seen == nil || !strings.Contains(seen.Error(), tc.reason) || !errors.Is(seen, tc.is)):
				t.Errorf("error %v, want one with %q wrapping %v", seen, tc.reason, tc.is)
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// flipLast changes a character near the end of a compact JWS, four bits
// of its signature (the last character may carry padding bits, which
// strict base64url refuses before the signature is checked).
func flipLast(s string) string {
	i := len(s) - 3
	c := byte('A')
	if s[i] == 'A' {
		c = 'Q'
	}
	return s[:i] + string(c) + s[i+1:]
}

// TestDPoPModes checks which schemes each mode accepts, and that a token
// with cnf is never accepted without its proof, whatever the source.
func TestDPoPModes(t *testing.T) {
	t.Parallel()
	bound, unbound := boundToken(t, dpopKey), boundToken(t, nil)
	onlyDPoP := func(code string) dpopResult {
		c := `DPoP realm="api", ` + dpopAlgs
		if code != "" {
			c += `, error="` + code + `"`
		}
		return dpopResult{Status: 401, Challenges: []string{c}}
	}
	bearerOnly := func(code string) dpopResult {
		c := `Bearer realm="api"`
		if code != "" {
			c += `, error="` + code + `"`
		}
		return dpopResult{Status: 401, Challenges: []string{c}}
	}
	both := dpopResult{Status: 401, Challenges: []string{`Bearer realm="api"`, `DPoP realm="api", ` + dpopAlgs}}
	raw := jwtauth.WithTokenSources(jwtauth.FromAuthorization())
	disabled, required := jwtauth.WithDPoP(jwtauth.DPoPDisabled), jwtauth.WithDPoP(jwtauth.DPoPRequired)
	for _, tc := range []struct {
		name   string
		opts   []jwtauth.Option
		scheme string // "" for a raw token
		token  string
		proof  bool
		want   dpopResult
	}{
		{name: "allowed/Bearer unbound", scheme: "Bearer", token: unbound, want: accepted(nil)},
		{name: "allowed/DPoP bound", scheme: "DPoP", token: bound, proof: true, want: accepted(dpopKey)},
		{name: "allowed/no token", scheme: "Basic", token: "dXNlcjpwdw", want: both},
		{name: "allowed/raw bound", opts: []jwtauth.Option{raw}, token: bound, proof: true, want: refusedBearer},
		{name: "allowed/raw unbound", opts: []jwtauth.Option{raw}, token: unbound, want: accepted(nil)},
		{name: "allowed/raw source, DPoP bound", opts: []jwtauth.Option{raw}, scheme: "DPoP", token: bound, proof: true, want: accepted(dpopKey)},
		{name: "disabled/Bearer unbound", opts: []jwtauth.Option{disabled}, scheme: "Bearer", token: unbound, want: accepted(nil)},
		{name: "disabled/Bearer bound", opts: []jwtauth.Option{disabled}, scheme: "Bearer", token: bound, want: bearerOnly("invalid_token")},
		{name: "disabled/DPoP is no token", opts: []jwtauth.Option{disabled}, scheme: "DPoP", token: bound, proof: true, want: bearerOnly("")},
		{name: "disabled/raw bound", opts: []jwtauth.Option{disabled, raw}, token: bound, want: bearerOnly("invalid_token")},
		{name: "required/DPoP bound", opts: []jwtauth.Option{required}, scheme: "DPoP", token: bound, proof: true, want: accepted(dpopKey)},
		{name: "required/DPoP unbound", opts: []jwtauth.Option{required}, scheme: "DPoP", token: unbound, proof: true, want: onlyDPoP("invalid_token")},
		{name: "required/Bearer unbound", opts: []jwtauth.Option{required}, scheme: "Bearer", token: unbound, want: onlyDPoP("invalid_token")},
		{name: "required/raw unbound", opts: []jwtauth.Option{required, raw}, token: unbound, want: onlyDPoP("invalid_token")},
		{name: "required/no token", opts: []jwtauth.Option{required}, scheme: "Basic", token: "dXNlcjpwdw", want: onlyDPoP("")},
		{name: "required/no proof", opts: []jwtauth.Option{required}, scheme: "DPoP", token: bound, want: onlyDPoP("invalid_dpop_proof")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var proofs []string
			if tc.proof {
				proofs = []string{proof(t, tc.token)}
			}
			got := serveDPoP(dpopMW(t, nil, tc.opts...), dpopRequest(dpopURL, tc.scheme, tc.token, proofs...))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDPoPCnfClaim checks that a cnf claim other than {"jkt": "..."} is
// refused under either scheme.
func TestDPoPCnfClaim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cnf  any
	}{
		{"not an object", "x"},
		{"x5t#S256", map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}},
		{"jkt and another member", map[string]any{"jkt": dpopKey.Thumbprint(), "x5t#S256": "x"}},
		{"jkt not a string", map[string]any{"jkt": 1}},
		{"empty jkt", map[string]any{"jkt": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok := jwttest.Mint(t, dpopTokenKey, jwt.MapClaims{"cnf": tc.cnf}, jwttest.WithNow(clock))
			for _, scheme := range []string{"Bearer", "DPoP"} {
				var seen error
				got := serveDPoP(dpopMW(t, &seen), dpopRequest(dpopURL, scheme, tok, proof(t, tok)))
				if got.Status != 401 || !errors.Is(seen, jwtauth.ErrInvalidToken) {
					t.Errorf("%s: status %d, error %v; want 401 invalid_token", scheme, got.Status, seen)
				}
			}
		})
	}
}

// mapStore is a ReplayStore that two middlewares share, as instances
// share a Redis store.
type mapStore struct {
	mu   sync.Mutex
	seen map[string]time.Time
	err  error
}

func (s *mapStore) CheckAndSet(_ context.Context, key string, exp time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false, s.err
	}
	if s.seen == nil {
		s.seen = map[string]time.Time{}
	}
	if _, ok := s.seen[key]; ok {
		return false, nil
	}
	s.seen[key] = exp
	return true, nil
}

// reencode returns the proof with its ECDSA signature (r, s) replaced by
// (r, n-s), which verifies too.
func reencode(t *testing.T, p string) string {
	t.Helper()
	i := strings.LastIndexByte(p, '.')
	sig, err := base64.RawURLEncoding.DecodeString(p[i+1:])
	if err != nil || len(sig) != 64 {
		t.Fatal("not an ES256 signature")
	}
	n := dpopKey.Key().Public().(*ecdsa.PublicKey).Curve.Params().N
	s := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:]))
	out := append(sig[:32:32], s.FillBytes(make([]byte, 32))...)
	return p[:i+1] + base64.RawURLEncoding.EncodeToString(out)
}

func TestDPoPReplay(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	same := func(_ *testing.T, p string) string { return p }
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) jwtauth.ReplayStore // shared by two middlewares; nil: one middleware with its default store
		again func(t *testing.T, p string) string    // the second request's proof
	}{
		{name: "same instance", again: same},
		{name: "same instance, signature re-encoded", again: reencode},
		{name: "same jti in a new proof", again: func(t *testing.T, _ string) string {
			return proof(t, tok, jwttest.WithProofClaim("jti", "the-jti"))
		}},
		{name: "two instances sharing a store", store: func(*testing.T) jwtauth.ReplayStore { return &mapStore{} }, again: same},
		{name: "two middlewares sharing a memory store", store: func(t *testing.T) jwtauth.ReplayStore {
			s, err := jwtauth.NewMemoryReplayStore(100, clock)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, again: same},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var seen error
			first := dpopMW(t, &seen)
			second := first
			if tc.store != nil {
				store := tc.store(t)
				first = dpopMW(t, &seen, jwtauth.WithDPoPReplayStore(store))
				second = dpopMW(t, &seen, jwtauth.WithDPoPReplayStore(store))
			}
			p := proof(t, tok, jwttest.WithProofClaim("jti", "the-jti"))
			if got := serveDPoP(first, dpopRequest(dpopURL, "DPoP", tok, p)); got.Status != 200 {
				t.Fatalf("first use: status %d (%v)", got.Status, seen)
			}
			got := serveDPoP(second, dpopRequest(dpopURL, "DPoP", tok, tc.again(t, p)))
			if diff := cmp.Diff(refusedDPoP("invalid_dpop_proof"), got); diff != "" {
				t.Errorf("replay (-want +got):\n%s", diff)
			}
			if !errors.Is(seen, jwtauth.ErrDPoPReplay) || !errors.Is(seen, jwtauth.ErrInvalidDPoPProof) {
				t.Errorf("error %v, want ErrDPoPReplay and ErrInvalidDPoPProof", seen)
			}
		})
	}
}

// TestDPoPConcurrentReplay sends one proof from 50 goroutines at once: it
// is accepted exactly once.
func TestDPoPConcurrentReplay(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	p := proof(t, tok)
	m := dpopMW(t, nil)
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch serveDPoP(m, dpopRequest(dpopURL, "DPoP", tok, p)).Status {
			case 200:
				ok.Add(1)
			case 401:
				refused.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if diff := cmp.Diff([2]int32{1, 49}, [2]int32{ok.Load(), refused.Load()}); diff != "" {
		t.Errorf("[accepted refused] (-want +got):\n%s", diff)
	}
}

// TestDPoPReplayStoreFailures checks that the replay check fails closed.
func TestDPoPReplayStoreFailures(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	t.Run("store error", func(t *testing.T) {
		t.Parallel()
		var seen error
		m := dpopMW(t, &seen, jwtauth.WithDPoPReplayStore(&mapStore{err: errors.New("redis: connection refused")}))
		rec := httptest.NewRecorder()
		m.Handler(http.NotFoundHandler()).ServeHTTP(rec, dpopRequest(dpopURL, "DPoP", tok, proof(t, tok)))
		got := []string{strconv.Itoa(rec.Code), rec.Header().Get("Retry-After"), rec.Body.String()}
		want := []string{"503", jwtauth.RetryAfterSeconds, `{"detail":"Authentication temporarily unavailable"}` + "\n"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
		if !errors.Is(seen, jwtauth.ErrReplayStoreUnavailable) {
			t.Errorf("error %v, want ErrReplayStoreUnavailable", seen)
		}
	})
	t.Run("memory store full", func(t *testing.T) {
		t.Parallel()
		c := jwttest.NewClock(now)
		store, err := jwtauth.NewMemoryReplayStore(1, c.Now)
		if err != nil {
			t.Fatal(err)
		}
		var seen error
		m := dpopMW(t, &seen, jwtauth.WithDPoPReplayStore(store), jwtauth.WithTimeFunc(c.Now))
		send := func() dpopResult {
			return serveDPoP(m, dpopRequest(dpopURL, "DPoP", tok, dpopKey.Proof(t, "POST", dpopURL, tok, jwttest.WithProofNow(c.Now))))
		}
		if got := send(); got.Status != 200 {
			t.Fatalf("first proof: status %d", got.Status)
		}
		if diff := cmp.Diff(dpopResult{Status: 503}, send()); diff != "" {
			t.Errorf("second proof, store full (-want +got):\n%s", diff)
		}
		if !errors.Is(seen, jwtauth.ErrReplayStoreUnavailable) || !errors.Is(seen, jwtauth.ErrReplayStoreFull) {
			t.Errorf("error %v, want ErrReplayStoreUnavailable and ErrReplayStoreFull", seen)
		}
		c.Advance(jwtauth.DefaultDPoPProofWindow + jwtauth.MaxLeeway + time.Second) // the first proof's key expires
		if got := send(); got.Status != 200 {
			t.Errorf("after expiry: status %d, want 200", got.Status)
		}
	})
}

var nonceSecret = []byte("a-nonce-secret-of-32-bytes-long!")

// TestDPoPNonce walks the server-nonce flow of RFC 9449 section 8 on a
// moving clock, across instances that share the secret or not.
func TestDPoPNonce(t *testing.T) {
	t.Parallel()
	const step = time.Minute
	c := jwttest.NewClock(now)
	tok := boundToken(t, dpopKey)
	var seen error
	m := dpopMW(t, &seen, jwtauth.WithTimeFunc(c.Now), jwtauth.WithDPoPNonce(nonceSecret, step))
	peer := dpopMW(t, nil, jwtauth.WithTimeFunc(c.Now), jwtauth.WithDPoPNonce(nonceSecret, step))
	stranger := dpopMW(t, nil, jwtauth.WithTimeFunc(c.Now), jwtauth.WithDPoPNonce([]byte("another-secret-of-32-bytes-long!"), step))
	send := func(m *jwtauth.Middleware, nonce string) dpopResult {
		opts := []jwttest.ProofOption{jwttest.WithProofNow(c.Now)}
		if nonce != "" {
			opts = append(opts, jwttest.WithProofNonce(nonce))
		}
		return serveDPoP(m, dpopRequest(dpopURL, "DPoP", tok, dpopKey.Proof(t, "POST", dpopURL, tok, opts...)))
	}
	useNonce := func(got dpopResult) dpopResult {
		want := refusedDPoP("use_dpop_nonce")
		want.Nonce = got.Nonce
		return want
	}

	first := send(m, "")
	if diff := cmp.Diff(useNonce(first), first); diff != "" || first.Nonce == "" {
		t.Fatalf("without a nonce, nonce %q (-want +got):\n%s", first.Nonce, diff)
	}
	if !errors.Is(seen, jwtauth.ErrUseDPoPNonce) {
		t.Errorf("error %v, want ErrUseDPoPNonce", seen)
	}
	nonce := first.Nonce
	if diff := cmp.Diff(accepted(dpopKey), send(m, nonce)); diff != "" {
		t.Errorf("with the nonce (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(accepted(dpopKey), send(peer, nonce)); diff != "" {
		t.Errorf("with the nonce at an instance sharing the secret (-want +got):\n%s", diff)
	}
	if got := send(stranger, nonce); got.Status != 401 || got.Nonce == "" || got.Nonce == nonce {
		t.Errorf("at an instance with another secret: status %d, nonce %q; want 401 and its own nonce", got.Status, got.Nonce)
	}
	if got := send(m, "garbage"); got.Status != 401 || got.Nonce != nonce {
		t.Errorf("with a garbage nonce: status %d, nonce %q; want 401 and the current nonce", got.Status, got.Nonce)
	}

	c.Advance(step) // the nonce is of the previous step now: accepted, and renewed
	got := send(m, nonce)
	if got.Status != 200 || got.Nonce == "" || got.Nonce == nonce {
		t.Fatalf("one step later: status %d, nonce %q; want 200 and a fresh nonce", got.Status, got.Nonce)
	}
	fresh := got.Nonce

	c.Advance(step) // two steps after it was made: stale
	stale := send(m, nonce)
	if diff := cmp.Diff(useNonce(stale), stale); diff != "" || stale.Nonce == fresh || stale.Nonce == "" {
		t.Errorf("stale nonce, fresh %q (-want +got):\n%s", stale.Nonce, diff)
	}
	if diff := cmp.Diff(accepted(dpopKey), send(m, stale.Nonce)); diff != "" {
		t.Errorf("with the nonce of the stale answer (-want +got):\n%s", diff)
	}
}

// TestDPoPCache checks that a cached token still needs a fresh proof of
// its key on every request.
func TestDPoPCache(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	m := dpopMW(t, nil, jwtauth.WithCache(16))
	p := proof(t, tok)
	for i, tc := range []struct {
		proofs []string
		want   dpopResult
	}{
		{[]string{p}, accepted(dpopKey)},
		{[]string{proof(t, tok)}, accepted(dpopKey)}, // a cache hit
		{[]string{p}, refusedDPoP("invalid_dpop_proof")},
		{nil, refusedDPoP("invalid_dpop_proof")},
		{[]string{dpopOtherKey.Proof(t, "POST", dpopURL, tok, jwttest.WithProofNow(clock))}, refusedDPoP("invalid_token")},
	} {
		if diff := cmp.Diff(tc.want, serveDPoP(m, dpopRequest(dpopURL, "DPoP", tok, tc.proofs...))); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff(refusedBearer, serveDPoP(m, dpopRequest(dpopURL, "Bearer", tok))); diff != "" {
		t.Errorf("cached bound token as Bearer (-want +got):\n%s", diff)
	}
}

// TestDPoPOrigin checks the external origin options for htu.
func TestDPoPOrigin(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	const internal = "http://10.0.0.7:8080/persons/1"
	forwarded := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example"}
	trust := jwtauth.WithDPoPTrustedForwardedHeaders()
	for _, tc := range []struct {
		name    string
		opts    []jwtauth.Option
		url     string            // the request's URL
		htu     string            // the proof's
		headers map[string]string // more request headers
		want    int
	}{
		{name: "direct, TLS", url: dpopURL, htu: dpopURL, want: 200},
		{name: "direct, plain", url: "http://api.example/persons/1", htu: "http://api.example/persons/1", want: 200},
		{name: "behind a proxy without options", url: internal, htu: dpopURL, want: 401},
		{name: "public URL", opts: []jwtauth.Option{jwtauth.WithDPoPPublicURL("https://API.example:443")}, url: internal, htu: dpopURL, want: 200},
		{name: "public URL with a path", opts: []jwtauth.Option{jwtauth.WithDPoPPublicURL("https://example.com/api/")}, url: internal, htu: "https://example.com/api/persons/1", want: 200},
		{name: "public URL, other host", opts: []jwtauth.Option{jwtauth.WithDPoPPublicURL("https://other.example")}, url: internal, htu: dpopURL, want: 401},
		{name: "forwarded headers ignored by default", url: internal, htu: dpopURL, headers: forwarded, want: 401},
		{name: "trusted forwarded headers", opts: []jwtauth.Option{trust}, url: internal, htu: dpopURL, headers: forwarded, want: 200},
		{name: "trusted forwarded headers absent", opts: []jwtauth.Option{trust}, url: dpopURL, htu: dpopURL, want: 200},
		{name: "forwarded host list", opts: []jwtauth.Option{trust}, url: internal, htu: dpopURL, headers: map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example, evil.example"}, want: 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := dpopRequest(tc.url, "DPoP", tok, dpopKey.Proof(t, "POST", tc.htu, tok, jwttest.WithProofNow(clock)))
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if got := serveDPoP(dpopMW(t, nil, tc.opts...), req); got.Status != tc.want {
				t.Errorf("status %d, want %d", got.Status, tc.want)
			}
		})
	}
}

func TestDPoPOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []jwtauth.Option
		want string
	}{
		{"unknown mode", []jwtauth.Option{jwtauth.WithDPoP(0)}, "jwtauth: WithDPoP: unknown mode 0"},
		{"option while disabled", []jwtauth.Option{jwtauth.WithDPoP(jwtauth.DPoPDisabled), jwtauth.WithDPoPNonce(nonceSecret, time.Minute)}, "jwtauth: WithDPoPNonce needs DPoP enabled, not WithDPoP(DPoPDisabled)"},
		{"required with a cookie source", []jwtauth.Option{jwtauth.WithDPoP(jwtauth.DPoPRequired), jwtauth.WithTokenSources(jwtauth.FromBearer(), jwtauth.FromCookie("t"))}, "jwtauth: WithDPoP(DPoPRequired): cookie t cannot carry the DPoP scheme; use FromBearer or FromAuthorization only"},
		{"HMAC proofs", []jwtauth.Option{jwtauth.WithDPoPAlgorithms("ES256", "HS256")}, `jwtauth: WithDPoPAlgorithms: "HS256" is not an asymmetric algorithm jwtauth verifies`},
		{"none proofs", []jwtauth.Option{jwtauth.WithDPoPAlgorithms("none")}, `jwtauth: WithDPoPAlgorithms: "none" is not an asymmetric algorithm jwtauth verifies`},
		{"no algorithms", []jwtauth.Option{jwtauth.WithDPoPAlgorithms()}, "jwtauth: WithDPoPAlgorithms: no algorithms given"},
		{"zero window", []jwtauth.Option{jwtauth.WithDPoPProofWindow(0)}, "jwtauth: WithDPoPProofWindow: 0s is outside (0, 1h0m0s]"},
		{"nil store", []jwtauth.Option{jwtauth.WithDPoPReplayStore(nil)}, "jwtauth: WithDPoPReplayStore: nil store"},
		{"short nonce secret", []jwtauth.Option{jwtauth.WithDPoPNonce([]byte("short"), time.Minute)}, "jwtauth: WithDPoPNonce: the secret must be at least 32 bytes"},
		{"nonce step too short", []jwtauth.Option{jwtauth.WithDPoPNonce(nonceSecret, time.Second)}, "jwtauth: WithDPoPNonce: step 1s is outside [10s, 1h]"},
		{"public URL with a query", []jwtauth.Option{jwtauth.WithDPoPPublicURL("https://api.example/?a=1")}, "jwtauth: WithDPoPPublicURL: the base URL may not have a query, a fragment or user information"},
		{"relative public URL", []jwtauth.Option{jwtauth.WithDPoPPublicURL("/api")}, "jwtauth: WithDPoPPublicURL: not an absolute http or https URL"},
		{"public URL and forwarded headers", []jwtauth.Option{jwtauth.WithDPoPPublicURL("https://api.example"), jwtauth.WithDPoPTrustedForwardedHeaders()}, "jwtauth: WithDPoPPublicURL and WithDPoPTrustedForwardedHeaders exclude each other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := jwtauth.New(jwtauth.HMAC("HS256", secret), tc.opts...)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := jwtauth.NewMemoryReplayStore(0, time.Now); err == nil {
		t.Error("NewMemoryReplayStore(0): no error")
	}
	if _, err := jwtauth.NewMemoryReplayStore(1, nil); err == nil {
		t.Error("NewMemoryReplayStore(1, nil): no error")
	}
}

// TestDPoPChallenges checks the challenges of responses written by an
// error handler and by Require.
func TestDPoPChallenges(t *testing.T) {
	t.Parallel()
	tok := boundToken(t, dpopKey)
	t.Run("WriteError in an error handler", func(t *testing.T) {
		t.Parallel()
		m := dpopMW(t, nil, jwtauth.WithRealm("persons"), jwtauth.WithErrorHandler(jwtauth.WriteError))
		got := serveDPoP(m, dpopRequest(dpopURL, "DPoP", tok))
		want := dpopResult{Status: 401, Challenges: []string{`Bearer realm="persons"`, `DPoP realm="persons", ` + dpopAlgs + `, error="invalid_dpop_proof"`}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("insufficient scope of a DPoP request", func(t *testing.T) {
		t.Parallel()
		m := dpopMW(t, nil)
		rec := httptest.NewRecorder()
		m.Handler(m.Require(jwtauth.Scopes("admin"))(http.NotFoundHandler())).ServeHTTP(rec, dpopRequest(dpopURL, "DPoP", tok, proof(t, tok)))
		want := []string{`Bearer realm="api"`, `DPoP realm="api", ` + dpopAlgs + `, error="insufficient_scope", scope="admin"`}
		if diff := cmp.Diff(want, rec.Header().Values("WWW-Authenticate")); diff != "" {
			t.Errorf("status %d (-want +got):\n%s", rec.Code, diff)
		}
	})
	t.Run("algorithms option", func(t *testing.T) {
		t.Parallel()
		m := dpopMW(t, nil, jwtauth.WithDPoPAlgorithms("EdDSA", "ES256"))
		got := serveDPoP(m, dpopRequest(dpopURL, "Basic", "x"))
		want := dpopResult{Status: 401, Challenges: []string{`Bearer realm="api"`, `DPoP realm="api", algs="EdDSA ES256"`}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

// TestDPoPAlgorithms checks that proofs of every default algorithm verify,
// with the thumbprint the issuer computed.
func TestDPoPAlgorithms(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", jwttest.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			k := jwttest.NewDPoPKeyFor(t, alg)
			tok := boundToken(t, k)
			got := serveDPoP(dpopMW(t, nil), dpopRequest(dpopURL, "DPoP", tok, k.Proof(t, "POST", dpopURL, tok, jwttest.WithProofNow(clock))))
			if diff := cmp.Diff(accepted(k), got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDPoPReplayClockSkew: two instances share a replay store, the second's
// clock 2 s behind. A proof near the end of its window, used on the first,
// is refused by the second after the first would no longer accept it: the
// store keeps it MaxLeeway longer than the window.
func TestDPoPReplayClockSkew(t *testing.T) {
	t.Parallel()
	a := jwttest.NewClock(now)
	b := jwttest.NewClock(now.Add(-2 * time.Second))
	store, err := jwtauth.NewMemoryReplayStore(100, a.Now)
	if err != nil {
		t.Fatal(err)
	}
	tok := boundToken(t, dpopKey)
	var seenA, seenB error
	mA := dpopMW(t, &seenA, jwtauth.WithDPoPReplayStore(store), jwtauth.WithTimeFunc(a.Now))
	mB := dpopMW(t, &seenB, jwtauth.WithDPoPReplayStore(store), jwtauth.WithTimeFunc(b.Now), jwtauth.WithLeeway(3*time.Second)) // so that it takes the token, issued "in its future"
	p := proof(t, tok, jwttest.WithProofClaim("iat", now.Add(-jwtauth.DefaultDPoPProofWindow+time.Second).Unix()))
	if got := serveDPoP(mA, dpopRequest(dpopURL, "DPoP", tok, p)); got.Status != 200 {
		t.Fatalf("A: status %d (%v)", got.Status, seenA)
	}
	a.Advance(1500 * time.Millisecond)
	b.Advance(1500 * time.Millisecond)
	if got := serveDPoP(mB, dpopRequest(dpopURL, "DPoP", tok, p)); got.Status != 401 || !errors.Is(seenB, jwtauth.ErrDPoPReplay) {
		t.Errorf("B, 2 s behind, the same proof 1.5 s later: status %d (%v), want 401 ErrDPoPReplay", got.Status, seenB)
	}
}
