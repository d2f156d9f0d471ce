package jwttest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoPKey is a client's DPoP key (RFC 9449): an asymmetric [Key] that signs
// proofs, whose public JWK goes into each proof's header and whose
// thumbprint binds tokens to it. Create one with [NewDPoPKey] or
// [NewDPoPKeyFor]; it is immutable and safe for concurrent use.
//
// A test of a handler behind a DPoP middleware, in a few lines:
//
//	dk := jwttest.NewDPoPKey(t)
//	token := jwttest.Mint(t, key, claims, jwttest.WithDPoPBinding(dk))
//	req := httptest.NewRequest("GET", "https://api.example/items", nil)
//	req.Header.Set("Authorization", "DPoP "+token)
//	req.Header.Set("DPoP", dk.Proof(t, "GET", "https://api.example/items", token))
type DPoPKey struct {
	key        *Key
	jwk        JWK
	thumbprint string
}

// NewDPoPKey generates a fresh ES256 DPoP key.
func NewDPoPKey(t testing.TB) *DPoPKey {
	t.Helper()
	return NewDPoPKeyFor(t, "ES256")
}

// NewDPoPKeyFor generates a fresh DPoP key for alg, an asymmetric algorithm
// of [Algorithms] or [Ed25519]. It fails the test for an HMAC or unknown
// algorithm.
func NewDPoPKeyFor(t testing.TB, alg string) *DPoPKey {
	t.Helper()
	if len(alg) >= 2 && alg[:2] == "HS" {
		t.Fatalf("jwttest: NewDPoPKeyFor: %q is symmetric; DPoP needs an asymmetric algorithm", alg)
		return nil
	}
	k := NewKey(t, alg)
	full := k.JWK()
	jwk := JWK{Kty: full.Kty, Crv: full.Crv, N: full.N, E: full.E, X: full.X, Y: full.Y}
	return &DPoPKey{key: k, jwk: jwk, thumbprint: Thumbprint(jwk)}
}

// Key returns the signing key of k.
func (k *DPoPKey) Key() *Key { return k.key }

// JWK returns the public JWK that [DPoPKey.Proof] puts into the "jwk"
// header: the key's type, curve and public members only.
func (k *DPoPKey) JWK() JWK { return k.jwk }

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key, the value
// of a bound token's "cnf"."jkt" claim (see [WithDPoPBinding]).
func (k *DPoPKey) Thumbprint() string { return k.thumbprint }

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of a public JWK,
// base64url without padding: the hash of its required members in
// lexicographic order ("crv", "kty", "x", "y" for EC; "e", "kty", "n" for
// RSA; "crv", "kty", "x" for OKP). It returns "" for another key type.
func Thumbprint(j JWK) string {
	var members any
	switch j.Kty {
	case "EC":
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{j.Crv, j.Kty, j.X, j.Y}
	case "RSA":
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{j.E, j.Kty, j.N}
	case "OKP":
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{j.Crv, j.Kty, j.X}
	default:
		return ""
	}
	b, _ := json.Marshal(members) // plain strings: cannot fail
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// WithDPoPBinding makes [Mint] add the claim "cnf": {"jkt": k.Thumbprint()},
// which binds the token to k: a DPoP resource server accepts it only with
// a proof signed by k.
func WithDPoPBinding(k *DPoPKey) MintOption {
	return func(c *mintConfig) { c.jkt = k.thumbprint }
}

// ProofOption changes how [DPoPKey.Proof] builds a proof.
type ProofOption func(*proofConfig)

type proofConfig struct {
	now    func() time.Time
	claims []headerEdit
	header []headerEdit
}

// WithProofNow sets the clock the proof's "iat" is taken from, such as a
// [Clock]'s Now method. The default is [time.Now].
func WithProofNow(now func() time.Time) ProofOption {
	return func(c *proofConfig) { c.now = now }
}

// WithProofNonce sets the proof's "nonce" claim to a server nonce, as the
// DPoP-Nonce response header gave it.
func WithProofNonce(nonce string) ProofOption {
	return WithProofClaim("nonce", nonce)
}

// WithProofClaim sets the proof claim name to value, or removes it when
// value is nil, after the defaults: for tests of proofs a server must
// refuse (a missing "jti", a wrong "htm", an "iat" of an hour ago).
func WithProofClaim(name string, value any) ProofOption {
	return func(c *proofConfig) { c.claims = append(c.claims, headerEdit{name, value}) }
}

// WithProofHeader sets the proof header parameter name to value, or
// removes it when value is nil, after the defaults ("typ", "alg", "jwk").
// The signature is always made with the key's own algorithm.
func WithProofHeader(name string, value any) ProofOption {
	return func(c *proofConfig) { c.header = append(c.header, headerEdit{name, value}) }
}

// Proof returns a DPoP proof (RFC 9449 section 4.2) signed by k for a
// request with method and url, the value of the request's DPoP header. Its
// header is {"typ": "dpop+jwt", "alg": the key's algorithm, "jwk": [DPoPKey.JWK]},
// its claims a random "jti", "htm" method, "htu" url without its query and
// fragment, "iat" now (see [WithProofNow]) and, unless token is "", "ath"
// the base64url SHA-256 of token; [ProofOption]s change them afterwards.
// Every call makes a new jti, so a proof is accepted once. Proof fails the
// test if signing fails.
func (k *DPoPKey) Proof(t testing.TB, method, url, token string, opts ...ProofOption) string {
	t.Helper()
	cfg := proofConfig{now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	htu := url
	for i := 0; i < len(htu); i++ {
		if htu[i] == '?' || htu[i] == '#' {
			htu = htu[:i]
			break
		}
	}
	claims := jwt.MapClaims{
		"jti": randomHex(t, 16),
		"htm": method,
		"htu": htu,
		"iat": cfg.now().Unix(),
	}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for _, e := range cfg.claims {
		if e.value == nil {
			delete(claims, e.name)
		} else {
			claims[e.name] = e.value
		}
	}
	tok := jwt.NewWithClaims(k.key.method, claims)
	tok.Header = map[string]any{"typ": "dpop+jwt", "alg": k.key.alg, "jwk": k.jwk}
	for _, e := range cfg.header {
		if e.value == nil {
			delete(tok.Header, e.name)
		} else {
			tok.Header[e.name] = e.value
		}
	}
	s, err := tok.SignedString(k.key.private)
	if err != nil {
		t.Fatalf("jwttest: Proof: signing: %v", err)
	}
	return s
}
