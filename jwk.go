package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
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
	elems, err := jwksKeys(data)
	if err != nil {
		return nil, 0, err
	}
	var keys []*Key
	byKID := make(map[string][]*Key, len(elems)) // the duplicate check
	var skipped map[string]error
	compared := 0
	for i, raw := range elems {
		kid, bound, err := parseJWK(raw, algs)
		if err == nil {
			n, dup := countDuplicate(byKID[kid], bound)
			compared += n
			if dup {
				err = fmt.Errorf("%w: a key with the same kid and alg comes earlier in the set", ErrJWKInvalid)
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

// jwksKeys returns the elements of the "keys" array of a key set
// document, which must be a JSON object ([decodeObject]).
func jwksKeys(data []byte) ([]json.RawMessage, error) {
	doc, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	rawKeys, ok := doc["keys"]
	if !ok {
		return nil, errors.New(`no "keys" member`)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(rawKeys, &elems); err != nil || elems == nil {
		return nil, errors.New(`"keys" is not an array`)
	}
	return elems, nil
}

// countDuplicate reports whether a key of bound has the algorithm of one of
// earlier, the keys with the same kid that come before it in the set, and
// how many pairs of keys it compared to find out.
func countDuplicate(earlier, bound []*Key) (compared int, dup bool) {
	for _, k := range bound {
		for _, p := range earlier {
			compared++
			if p.alg == k.alg {
				return compared, true
			}
		}
	}
	return compared, false
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
			return nil, fmt.Errorf("duplicate member %s", strconv.Quote(name))
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

// jwkFits lists the algorithms a JWK's key type ("RSA") or curve ("P-256",
// "Ed25519") can verify, from the algorithm table.
var jwkFits = func() map[string][]string {
	fits := map[string][]string{}
	for _, a := range algorithmTable {
		switch a.family {
		case familyRSA:
			fits["RSA"] = append(fits["RSA"], a.name)
		case familyECDSA, familyEdDSA:
			fits[a.crv] = append(fits[a.crv], a.name)
		}
	}
	return fits
}()

// errEd448 is the reason an Ed448 key or algorithm is skipped.
var errEd448 = fmt.Errorf("%w: Ed448 is not supported (Go's standard library has no Ed448); publish an Ed25519 key", ErrJWKUnsupported)

// publicKey parses the public key of a usable k and returns it with its
// jwkFits entry (the key type, or the curve); an unknown kty wraps
// ErrJWKUnsupported.
func (k *jwk) publicKey() (crypto.PublicKey, string, error) {
	switch k.kty {
	case "RSA":
		pub, err := k.parseRSA()
		return pub, k.kty, err
	case "EC":
		pub, err := k.parseEC()
		return pub, k.crv, err
	case "OKP":
		pub, err := k.parseOKP()
		return pub, k.crv, err
	}
	return nil, "", fmt.Errorf("%w: key type %s", ErrJWKUnsupported, strconv.Quote(k.kty))
}

// parseJWK parses one JWK into keys bound to algorithms of algs: one key,
// except for an Ed25519 key without "alg", which is bound to each of EdDSA
// and Ed25519 that algs allows (two names of one signature scheme). The
// error wraps ErrJWKIgnored, ErrJWKUnsupported or ErrJWKInvalid.
func parseJWK(raw json.RawMessage, algs []string) (kid string, keys []*Key, err error) {
	k, err := readJWK(raw)
	if err != nil {
		return k.kid, nil, err
	}
	if err := k.usable(); err != nil {
		return k.kid, nil, err
	}
	pub, fitsKey, err := k.publicKey()
	if err != nil {
		return k.kid, nil, err
	}
	var buf [2]string // room for the usual bindings, without allocating
	bind, err := k.appendAlgorithms(buf[:0], algs, fitsKey)
	if err != nil {
		return k.kid, nil, err
	}
	for _, a := range bind {
		key, err := NewKey(k.kid, a, pub)
		if err != nil {
			return k.kid, nil, fmt.Errorf("%w: %s", ErrJWKInvalid, safetext.Escape(strings.TrimPrefix(err.Error(), "jwtauth: ")))
		}
		keys = append(keys, key)
	}
	return k.kid, keys, nil
}

// jwk is one JWK as a JSON object, with the members that every key type may
// have: readJWK reads them, and the parse methods of each key type read the
// others.
type jwk struct {
	members                 map[string]json.RawMessage
	kid, kty, use, alg, crv string
	ops                     []string // "key_ops"; nil without it
}

// readJWK decodes a JWK and reads its common members. Without a member, its
// field is empty; a member of the wrong type, or an empty string, is an
// error (the first such member in the order of the fields). The kid is set
// when it was read before the error.
func readJWK(raw json.RawMessage) (jwk, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return jwk{}, fmt.Errorf("%w: %s", ErrJWKInvalid, safetext.Escape(err.Error()))
	}
	return jwkFromMembers(m)
}

// jwkFromMembers reads the common members of a decoded JWK, as readJWK.
func jwkFromMembers(m map[string]json.RawMessage) (jwk, error) {
	var err error
	k := jwk{members: m}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"kid", &k.kid}, {"kty", &k.kty}, {"use", &k.use}, {"alg", &k.alg}, {"crv", &k.crv}} {
		if *f.dst, err = k.str(f.name); err != nil {
			return k, err
		}
	}
	if v, ok := m["key_ops"]; ok {
		var ops []string // not &k.ops: that would move k to the heap
		if json.Unmarshal(v, &ops) != nil || ops == nil {
			return k, fmt.Errorf("%w: \"key_ops\" is not an array of strings", ErrJWKInvalid)
		}
		k.ops = ops
	}
	return k, nil
}

// str returns the string member name, "" if there is none; it must be a
// non-empty string if present.
func (k *jwk) str(name string) (string, error) {
	v, ok := k.members[name]
	if !ok {
		return "", nil
	}
	s, err := jsonscan.StringValue(v) // v passed jsonscan.Check
	if err != nil || s == "" {
		return "", fmt.Errorf("%w: %s is not a non-empty string", ErrJWKInvalid, strconv.Quote(name))
	}
	return strings.Clone(s), nil // not the document's memory, which may be large
}

// b64 returns the bytes of the base64url member name, which must be present
// and not empty.
func (k *jwk) b64(name string) ([]byte, error) {
	s, err := k.str(name)
	if err != nil {
		return nil, err
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: %s is missing or not base64url without padding", ErrJWKInvalid, strconv.Quote(name))
	}
	return b, nil
}

// usable refuses, whatever its type, a key that is not for verifying
// signatures, that jwtauth never accepts (oct, Ed448) or that holds private
// key material.
func (k *jwk) usable() error {
	switch {
	case k.kty == "":
		return fmt.Errorf(`%w: no "kty"`, ErrJWKInvalid)
	case k.kty == "oct":
		return fmt.Errorf("%w: symmetric (oct) keys are refused: a published secret is no secret", ErrJWKUnsupported)
	case k.alg == "Ed448" || (k.kty == "OKP" && k.crv == "Ed448"):
		return errEd448
	case k.use != "" && k.use != "sig":
		return fmt.Errorf(`%w: "use" is %s, not "sig"`, ErrJWKIgnored, strconv.Quote(k.use))
	case k.ops != nil && !slices.Contains(k.ops, "verify"):
		return fmt.Errorf(`%w: "key_ops" lacks "verify"`, ErrJWKIgnored)
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, ok := k.members[private]; ok {
			return fmt.Errorf("%w: holds private key material (%s)", ErrJWKInvalid, strconv.Quote(private))
		}
	}
	return nil
}

// parseRSA returns the public key of an RSA JWK ("n", "e").
func (k *jwk) parseRSA() (crypto.PublicKey, error) {
	n, err := k.b64("n")
	if err != nil {
		return nil, err
	}
	e, err := k.b64("e")
	if err != nil {
		return nil, err
	}
	pub, err := rsaPublicKey(n, e)
	if err != nil {
		return nil, err
	}
	return pub, nil
}

// parseEC returns the public key of an EC JWK ("crv", "x", "y").
func (k *jwk) parseEC() (crypto.PublicKey, error) {
	x, err := k.b64("x")
	if err != nil {
		return nil, err
	}
	y, err := k.b64("y")
	if err != nil {
		return nil, err
	}
	pub, err := ecPublicKey(k.crv, x, y)
	if err != nil {
		return nil, err
	}
	return pub, nil
}

// parseOKP returns the public key of an OKP JWK, which must be Ed25519
// ("crv", "x").
func (k *jwk) parseOKP() (crypto.PublicKey, error) {
	if k.crv != "Ed25519" {
		return nil, fmt.Errorf("%w: OKP curve %s", ErrJWKUnsupported, strconv.Quote(k.crv))
	}
	x, err := k.b64("x")
	if err != nil {
		return nil, err
	}
	if len(x) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: Ed25519 key is %d bytes, not %d", ErrJWKInvalid, len(x), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(x), nil
}

// appendAlgorithms appends to dst the algorithms of algs the key is bound
// to, as [WithJWKSAlgorithms] describes; fitsKey names its jwkFits entry.
func (k *jwk) appendAlgorithms(dst, algs []string, fitsKey string) ([]string, error) {
	fits := jwkFits[fitsKey]
	if k.alg != "" {
		if !slices.Contains(algs, k.alg) {
			return nil, fmt.Errorf("%w: algorithm %s is not allowed", ErrJWKIgnored, strconv.Quote(k.alg))
		}
		if !slices.Contains(fits, k.alg) {
			return nil, fmt.Errorf("%w: algorithm %s does not fit a %s key", ErrJWKInvalid, strconv.Quote(k.alg), fitsKey)
		}
		return append(dst, k.alg), nil
	}
	n := 0 // allowed algorithms that fit
	for _, a := range fits {
		if slices.Contains(algs, a) {
			dst = append(dst, a)
			n++
		}
	}
	// EdDSA and Ed25519 name one scheme for an Ed25519 key: bind both.
	if n != 1 && (fitsKey != "Ed25519" || n == 0) {
		return nil, fmt.Errorf("%w: no \"alg\", and %d allowed algorithms fit a %s key (see WithJWKSAlgorithms)", ErrJWKIgnored, n, fitsKey)
	}
	return dst, nil
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
	a := ecdsaCurve(crv)
	if a == nil {
		return nil, fmt.Errorf("%w: EC curve %s", ErrJWKUnsupported, strconv.Quote(crv))
	}
	curve, ecdhCurve := a.curve, a.ecdhCurve
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
