package jwtauth

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"hash"

	"github.com/golang-jwt/jwt/v5"
)

// family is the kind of key a JOSE algorithm verifies with.
type family uint8

const (
	familyHMAC  family = iota + 1 // a shared secret
	familyRSA                     // RSASSA-PKCS1-v1_5 and RSASSA-PSS
	familyECDSA                   // ECDSA on one NIST curve
	familyEdDSA                   // EdDSA with an Ed25519 key
)

// algorithm describes one JOSE signature algorithm jwtauth verifies. The
// table below is the one list every constructor, allowlist and switch
// reads, as golang-jwt's signing-method registry is for golang-jwt.
type algorithm struct {
	name   string
	family family
	method jwt.SigningMethod // golang-jwt's verifier
	// HMAC: the keyed hash and the smallest secret, in bytes (the hash
	// size, RFC 7518 section 3.2).
	newHash   func() hash.Hash
	minSecret int
	// ECDSA: the curve, and crypto/ecdh's for checking a point. ECDSA and
	// EdDSA: the JWK "crv" name.
	curve     elliptic.Curve
	ecdhCurve ecdh.Curve
	crv       string
}

// algorithmTable lists every algorithm jwtauth verifies, in the order
// listings show them; "none" is never one. "Ed25519" is RFC 9864's
// fully-specified name for EdDSA with an Ed25519 key: it verifies exactly as
// "EdDSA" does, but a key is bound to one of the two names.
var algorithmTable = []algorithm{
	{name: "HS256", family: familyHMAC, method: jwt.SigningMethodHS256, newHash: sha256.New, minSecret: 32},
	{name: "HS384", family: familyHMAC, method: jwt.SigningMethodHS384, newHash: sha512.New384, minSecret: 48},
	{name: "HS512", family: familyHMAC, method: jwt.SigningMethodHS512, newHash: sha512.New, minSecret: 64},
	{name: "RS256", family: familyRSA, method: jwt.SigningMethodRS256},
	{name: "RS384", family: familyRSA, method: jwt.SigningMethodRS384},
	{name: "RS512", family: familyRSA, method: jwt.SigningMethodRS512},
	{name: "PS256", family: familyRSA, method: jwt.SigningMethodPS256},
	{name: "PS384", family: familyRSA, method: jwt.SigningMethodPS384},
	{name: "PS512", family: familyRSA, method: jwt.SigningMethodPS512},
	{name: "ES256", family: familyECDSA, method: jwt.SigningMethodES256, curve: elliptic.P256(), ecdhCurve: ecdh.P256(), crv: "P-256"},
	{name: "ES384", family: familyECDSA, method: jwt.SigningMethodES384, curve: elliptic.P384(), ecdhCurve: ecdh.P384(), crv: "P-384"},
	{name: "ES512", family: familyECDSA, method: jwt.SigningMethodES512, curve: elliptic.P521(), ecdhCurve: ecdh.P521(), crv: "P-521"},
	{name: "EdDSA", family: familyEdDSA, method: jwt.SigningMethodEdDSA, crv: "Ed25519"},
	{name: "Ed25519", family: familyEdDSA, method: jwt.SigningMethodEdDSA, crv: "Ed25519"},
}

// lookupAlgorithm returns the table's entry for name, nil if jwtauth does
// not verify it.
func lookupAlgorithm(name string) *algorithm {
	for i := range algorithmTable {
		if algorithmTable[i].name == name {
			return &algorithmTable[i]
		}
	}
	return nil
}

// algorithmNames returns, in table order, the names of the algorithms for
// which keep reports true (every one for a nil keep).
func algorithmNames(keep func(*algorithm) bool) []string {
	var names []string
	for i := range algorithmTable {
		if keep == nil || keep(&algorithmTable[i]) {
			names = append(names, algorithmTable[i].name)
		}
	}
	return names
}

// ecdsaCurve returns the ECDSA entry whose JWK "crv" is crv, nil if none.
func ecdsaCurve(crv string) *algorithm {
	for i := range algorithmTable {
		if a := &algorithmTable[i]; a.family == familyECDSA && a.crv == crv {
			return a
		}
	}
	return nil
}

// algorithms lists every algorithm jwtauth verifies.
var algorithms = algorithmNames(nil)

// signingMethod returns golang-jwt's method for alg, nil if jwtauth does
// not verify alg.
func signingMethod(alg string) jwt.SigningMethod {
	if a := lookupAlgorithm(alg); a != nil {
		return a.method
	}
	return nil
}
