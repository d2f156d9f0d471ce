package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strings"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
	"github.com/seedb5d7e80f/jwtauth/internal/safetext"
)

// parseJWKS parses a JSON Web Key Set. Keys that cannot be used are reported
// to skip, as *JWKError, and left out. A *Key of old with the same kid,
// algorithm and key material is reused. It fails if the document is not a
// JSON object with a "keys" array, or if no key is usable.
func parseJWKS(data []byte, algs []string, old *jwksSnapshot, skip func(error)) (*jwksSnapshot, error) {
	snap, _, err := parseJWKSCounted(data, algs, old, skip)
	return snap, err
}

// parseJWKSCounted is parseJWKS that also returns how many earlier keys the
// duplicate check compared a key with, summed over the set: about one per
// key, so that a large set parses in linear time (tests check it).
func parseJWKSCounted(data []byte, algs []string, old *jwksSnapshot, skip func(error)) (*jwksSnapshot, int, error) {
	doc, err := decodeObject(data)
	if err != nil {
		return nil, 0, err
	}
	rawKeys, ok := doc["keys"]
	if !ok {
		return nil, 0, errors.New(`no "keys" member`)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(rawKeys, &elems); err != nil || elems == nil {
		return nil, 0, errors.New(`"keys" is not an array`)
	}
	var keys []*Key
	byKID := make(map[string][]*Key, len(elems)) // the duplicate check
	var skipped map[string]error
	compared := 0
	for i, raw := range elems {
		kid, bound, err := parseJWK(raw, algs)
		for _, k := range bound {
			if err != nil {
				break
			}
			for _, p := range byKID[kid] {
				compared++
				if p.alg == k.alg {
					err = fmt.Errorf("%w: a key with the same kid and alg comes earlier in the set", ErrJWKInvalid)
					break
				}
			}
		}
		if err != nil {
			skip(&JWKError{Index: i, KID: kid, Err: err})
			if skipped == nil {
				skipped = map[string]error{}
			}
			if _, seen := skipped[kid]; !seen {
				skipped[kid] = err
			}
			continue
		}
		for _, k := range bound {
			if old != nil {
				if o, _ := old.lookup(kid, k.alg); o != nil && sameKey(o, k) {
					k = o
				}
			}
			keys = append(keys, k)
			byKID[kid] = append(byKID[kid], k)
		}
	}
	if len(keys) == 0 {
		// A well-formed answer: its keys replace the old ones even though
		// none is usable, so keys the provider removed stop verifying.
		return newJWKSSnapshot(nil, skipped), compared, fmt.Errorf("%w among %d", errNoUsableKey, len(elems))
	}
	return newJWKSSnapshot(keys, skipped), compared, nil
}

// errNoUsableKey: the key set was fetched and parsed but holds no key this
// source can use; the source then has no keys (503) until one arrives.
var errNoUsableKey = errors.New("the key set holds no usable key")

func sameKey(a, b *Key) bool {
	eq, ok := a.key.(interface{ Equal(crypto.PublicKey) bool })
	return ok && a.id == b.id && a.alg == b.alg && eq.Equal(b.key)
}

// decodeObject decodes one JSON object whose member names are compared
// exactly (JWK member names are case-sensitive) and must be distinct.
func decodeObject(data []byte) (map[string]json.RawMessage, error) {
	// Strict first: encoding/json replaces invalid UTF-8 silently.
	if err := jsonscan.Check(data, jsonscan.Options{}); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate member %s", quote(name))
		}
		m[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// jwkFits lists the algorithms a key type (and curve) can verify.
var jwkFits = map[string][]string{
	"RSA":     {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
	"P-256":   {"ES256"},
	"P-384":   {"ES384"},
	"P-521":   {"ES512"},
	"Ed25519": {"EdDSA", "Ed25519"},
}

// errEd448 is the reason an Ed448 key or algorithm is skipped.
var errEd448 = fmt.Errorf("%w: Ed448 is not supported (Go's standard library has no Ed448); publish an Ed25519 key", ErrJWKUnsupported)

// parseJWK parses one JWK into keys bound to algorithms of algs: one key,
// except for an Ed25519 key without "alg", which is bound to each of EdDSA
// and Ed25519 that algs allows (two names of one signature scheme). The
// error wraps ErrJWKIgnored, ErrJWKUnsupported or ErrJWKInvalid.
func parseJWK(raw json.RawMessage, algs []string) (kid string, keys []*Key, err error) {
	m, err := decodeObject(raw)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %s", ErrJWKInvalid, safetext.Escape(err.Error()))
	}
	str := func(name string) string {
		v, ok := m[name]
		if !ok {
			return ""
		}
		var s string
		if e := json.Unmarshal(v, &s); e != nil || s == "" {
			if err == nil {
				err = fmt.Errorf("%w: %s is not a non-empty string", ErrJWKInvalid, quote(name))
			}
		}
		return s
	}
	kid, kty, use, alg, crv := str("kid"), str("kty"), str("use"), str("alg"), str("crv")
	var ops []string
	if v, ok := m["key_ops"]; ok && err == nil {
		if json.Unmarshal(v, &ops) != nil || ops == nil {
			err = fmt.Errorf("%w: \"key_ops\" is not an array of strings", ErrJWKInvalid)
		}
	}
	if err != nil {
		return kid, nil, err
	}
	switch {
	case kty == "":
		return kid, nil, fmt.Errorf(`%w: no "kty"`, ErrJWKInvalid)
	case kty == "oct":
		return kid, nil, fmt.Errorf("%w: symmetric (oct) keys are refused: a published secret is no secret", ErrJWKUnsupported)
	case alg == "Ed448" || (kty == "OKP" && crv == "Ed448"):
		return kid, nil, errEd448
	case use != "" && use != "sig":
		return kid, nil, fmt.Errorf(`%w: "use" is %s, not "sig"`, ErrJWKIgnored, quote(use))
	case ops != nil && !slices.Contains(ops, "verify"):
		return kid, nil, fmt.Errorf(`%w: "key_ops" lacks "verify"`, ErrJWKIgnored)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := m[private]; ok {
			return kid, nil, fmt.Errorf("%w: holds private key material (%s)", ErrJWKInvalid, quote(private))
		}
	}
	b64 := func(name string) []byte {
		s := str(name)
		if err != nil {
			return nil
		}
		b, e := base64.RawURLEncoding.Strict().DecodeString(s)
		if e != nil || len(b) == 0 {
			err = fmt.Errorf("%w: %s is missing or not base64url without padding", ErrJWKInvalid, quote(name))
		}
		return b
	}
	var pub any
	fitsKey := kty
	switch kty {
	case "RSA":
		n, e := b64("n"), b64("e")
		if err != nil {
			return kid, nil, err
		}
		pub, err = rsaPublicKey(n, e)
	case "EC":
		fitsKey = crv
		x, y := b64("x"), b64("y")
		if err != nil {
			return kid, nil, err
		}
		pub, err = ecPublicKey(crv, x, y)
	case "OKP":
		fitsKey = crv
		if crv != "Ed25519" {
			return kid, nil, fmt.Errorf("%w: OKP curve %s", ErrJWKUnsupported, quote(crv))
		}
		x := b64("x")
		if err != nil {
			return kid, nil, err
		}
		if len(x) != ed25519.PublicKeySize {
			return kid, nil, fmt.Errorf("%w: Ed25519 key is %d bytes, not %d", ErrJWKInvalid, len(x), ed25519.PublicKeySize)
		}
		pub = ed25519.PublicKey(x)
	default:
		return kid, nil, fmt.Errorf("%w: key type %s", ErrJWKUnsupported, quote(kty))
	}
	if err != nil {
		return kid, nil, err
	}
	fits := jwkFits[fitsKey]
	bind := []string{alg}
	if alg != "" {
		if !slices.Contains(algs, alg) {
			return kid, nil, fmt.Errorf("%w: algorithm %s is not allowed", ErrJWKIgnored, quote(alg))
		}
		if !slices.Contains(fits, alg) {
			return kid, nil, fmt.Errorf("%w: algorithm %s does not fit a %s key", ErrJWKInvalid, quote(alg), fitsKey)
		}
	} else {
		var allowed []string
		for _, a := range fits {
			if slices.Contains(algs, a) {
				allowed = append(allowed, a)
			}
		}
		// EdDSA and Ed25519 name one scheme for an Ed25519 key: bind both.
		if len(allowed) != 1 && (fitsKey != "Ed25519" || len(allowed) == 0) {
			return kid, nil, fmt.Errorf("%w: no \"alg\", and %d allowed algorithms fit a %s key (see WithAlgorithms)", ErrJWKIgnored, len(allowed), fitsKey)
		}
		bind = allowed
	}
	for _, a := range bind {
		k, err := NewKey(kid, a, pub)
		if err != nil {
			return kid, nil, fmt.Errorf("%w: %s", ErrJWKInvalid, safetext.Escape(strings.TrimPrefix(err.Error(), "jwtauth: ")))
		}
		keys = append(keys, k)
	}
	return kid, keys, nil
}

func rsaPublicKey(n, e []byte) (*rsa.PublicKey, error) {
	if n[0] == 0 || e[0] == 0 {
		return nil, fmt.Errorf("%w: RSA \"n\" or \"e\" has a leading zero byte", ErrJWKInvalid)
	}
	if len(n)*8 > MaxRSABits {
		return nil, fmt.Errorf("%w: RSA modulus longer than %d bits", ErrJWKInvalid, MaxRSABits)
	}
	if len(e) > 4 {
		return nil, fmt.Errorf("%w: RSA exponent too large", ErrJWKInvalid)
	}
	exp := new(big.Int).SetBytes(e).Int64()
	if exp < 3 || exp > 1<<31-1 || exp%2 == 0 {
		return nil, fmt.Errorf("%w: RSA exponent %d is not an odd number in [3, 2^31-1]", ErrJWKInvalid, exp)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
}

func ecPublicKey(crv string, x, y []byte) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	var ecdhCurve ecdh.Curve
	switch crv {
	case "P-256":
		curve, ecdhCurve = elliptic.P256(), ecdh.P256()
	case "P-384":
		curve, ecdhCurve = elliptic.P384(), ecdh.P384()
	case "P-521":
		curve, ecdhCurve = elliptic.P521(), ecdh.P521()
	default:
		return nil, fmt.Errorf("%w: EC curve %s", ErrJWKUnsupported, quote(crv))
	}
	size := (curve.Params().BitSize + 7) / 8
	if len(x) != size || len(y) != size {
		return nil, fmt.Errorf("%w: %s coordinates must be %d bytes each", ErrJWKInvalid, crv, size)
	}
	point := append(append([]byte{4}, x...), y...)
	if _, err := ecdhCurve.NewPublicKey(point); err != nil {
		return nil, fmt.Errorf("%w: the point is not on %s", ErrJWKInvalid, crv)
	}
	return &ecdsa.PublicKey{Curve: curve, X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}, nil
}

// jwksSnapshot is an immutable view of a key set. Small sets, the usual
// case, are searched linearly, which is faster than hashing the kid; larger
// ones through byKID (kid -> the keys with that kid, usually one; more when
// the same kid is published for several algorithms).
type jwksSnapshot struct {
	all   []*Key
	byKID map[string][]*Key // nil for up to linearSearchMax keys
	// skipped maps the kid of each skipped key to why it was skipped, for
	// the error of a token that names it; the first reason wins.
	skipped map[string]error
}

func (s *jwksSnapshot) lookup(kid, alg string) (key *Key, kidKnown bool) {
	keys := s.all
	if s.byKID != nil {
		keys = s.byKID[kid]
	}
	for _, k := range keys {
		if k.id == kid {
			if k.alg == alg {
				return k, true
			}
			kidKnown = true
		}
	}
	return nil, kidKnown
}

const linearSearchMax = 8

func newJWKSSnapshot(keys []*Key, skipped map[string]error) *jwksSnapshot {
	s := &jwksSnapshot{all: keys, skipped: skipped}
	if len(keys) > linearSearchMax {
		s.byKID = make(map[string][]*Key, len(keys))
		for _, k := range keys {
			s.byKID[k.id] = append(s.byKID[k.id], k)
		}
	}
	return s
}
