package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"os"
	"slices"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// MinRSABits is the smallest RSA modulus, in bits, that [NewKey] accepts.
const MinRSABits = 2048

// MinHMACKeyBytes is the smallest HS256 secret, in bytes, that [New] accepts
// unless [WithInsecureShortHMACKey] is given. RFC 7518 section 3.2 asks for a
// key at least as long as the hash output, so HS384 needs 48 bytes and HS512
// 64 (see [MinHMACKeyBytesFor]).
const MinHMACKeyBytes = 32

// MinHMACKeyBytesFor returns the smallest secret, in bytes, that [New] accepts
// for the HMAC algorithm alg without [WithInsecureShortHMACKey]: the size of
// its hash (32, 48 and 64 bytes for HS256, HS384 and HS512), and 0 for any
// other algorithm. The rule holds for every key source, a user's own
// [KeySource] included: a token whose key is shorter is refused (401).
func MinHMACKeyBytesFor(alg string) int {
	if a := lookupAlgorithm(alg); a != nil {
		return a.minSecret // 0 for the other families
	}
	return 0
}

// MaxRSABits is the longest RSA modulus, in bits, that [NewKey] accepts: a
// longer one would make every verification a denial of service.
const MaxRSABits = 16384

// Key is a verification key bound to exactly one algorithm and, optionally,
// to a key ID (the JOSE "kid"). A Key is immutable and safe for concurrent
// use. Create one with [NewKey].
type Key struct {
	id     string
	alg    string
	method jwt.SigningMethod
	key    any        // []byte (a private copy) for HMAC, a public key otherwise
	macs   *sync.Pool // HMAC keys: keyed hash.Hash values, reused
	short  bool       // HMAC secret shorter than the hash (MinHMACKeyBytesFor)
}

// verify checks sig over the signing input. HMAC keys reuse keyed hashes
// from a pool: hmac.New costs allocations and two block compressions per
// request, a Reset of a used one neither.
func (k *Key) verify(signingInput string, sig []byte) error {
	if k.macs == nil {
		return k.method.Verify(signingInput, sig, k.key)
	}
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write(unsafeBytes(signingInput))
	var buf [sha512.Size]byte
	sum := h.Sum(buf[:0])
	k.macs.Put(h)
	if !hmac.Equal(sum, sig) {
		return jwt.ErrSignatureInvalid
	}
	return nil
}

// ID returns the key ID the key was created with ("" for none).
func (k *Key) ID() string { return k.id }

// Algorithm returns the one JOSE algorithm the key verifies, such as "RS256".
func (k *Key) Algorithm() string { return k.alg }

// NewKey binds key to the algorithm alg and the key ID kid ("" for none). It
// returns an error if alg is not one jwtauth verifies or key does not fit it:
//
//   - HS256, HS384, HS512: a non-empty []byte secret (copied; [New] also
//     enforces [MinHMACKeyBytesFor], for keys of every source);
//   - RS256..RS512, PS256..PS512: an *rsa.PublicKey of [MinRSABits] to
//     [MaxRSABits] with an odd modulus and an odd public exponent in
//     [3, 2^31-1] (crypto/rsa cannot verify with any other, so such a key
//     would refuse every token at request time);
//   - ES256, ES384, ES512: an *ecdsa.PublicKey on P-256, P-384 or P-521
//     respectively;
//   - EdDSA and Ed25519 (RFC 9864's fully-specified name for the same
//     signature): an ed25519.PublicKey.
//
// Ed448 (and RFC 9864's "Ed448") is refused: Go's standard library has no
// Ed448. Private keys are refused: a verifier needs only the public half.
func NewKey(kid, alg string, key any) (*Key, error) {
	if alg == "Ed448" {
		return nil, errors.New("jwtauth: Ed448 is not supported (Go's standard library has no Ed448); use Ed25519")
	}
	a := lookupAlgorithm(alg)
	if a == nil {
		return nil, fmt.Errorf("jwtauth: unsupported algorithm %q", alg)
	}
	k := &Key{id: kid, alg: alg, method: a.method}
	switch a.family {
	case familyHMAC:
		b, ok := key.([]byte)
		if !ok {
			return nil, fmt.Errorf("jwtauth: %s needs a []byte secret, not %T", alg, key)
		}
		if len(b) == 0 {
			return nil, fmt.Errorf("jwtauth: %s secret is empty", alg)
		}
		secret := slices.Clone(b)
		k.key = secret
		k.short = len(secret) < a.minSecret
		newHash := a.newHash
		k.macs = &sync.Pool{New: func() any { return hmac.New(newHash, secret) }}
	case familyRSA:
		pk, ok := key.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("jwtauth: %s needs an *rsa.PublicKey, not %T", alg, key)
		}
		if err := checkRSAPublicKey(pk); err != nil {
			return nil, fmt.Errorf("jwtauth: %s key %w", alg, err)
		}
		k.key = pk
	case familyECDSA:
		pk, ok := key.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("jwtauth: %s needs an *ecdsa.PublicKey, not %T", alg, key)
		}
		if pk.Curve != a.curve {
			return nil, fmt.Errorf("jwtauth: %s needs a key on %s", alg, a.crv)
		}
		k.key = pk
	case familyEdDSA:
		pk, ok := key.(ed25519.PublicKey)
		if !ok {
			if p, isPtr := key.(*ed25519.PublicKey); isPtr && p != nil {
				pk, ok = *p, true
			}
		}
		if !ok {
			return nil, fmt.Errorf("jwtauth: %s needs an ed25519.PublicKey, not %T", alg, key)
		}
		if len(pk) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("jwtauth: %s public key has the wrong length", alg)
		}
		if ed25519SmallOrder(pk) {
			return nil, fmt.Errorf("jwtauth: %s public key is a point of small order (it would verify forged signatures)", alg)
		}
		k.key = slices.Clone(pk)
	}
	return k, nil
}

// checkRSAPublicKey refuses an RSA public key that crypto/rsa cannot verify
// with, or that is too weak or too costly. The error continues "key ...".
func checkRSAPublicKey(pk *rsa.PublicKey) error {
	switch {
	case pk.N == nil || pk.N.Sign() <= 0:
		return errors.New("has no modulus")
	case pk.N.BitLen() < MinRSABits:
		return fmt.Errorf("is shorter than %d bits", MinRSABits)
	case pk.N.BitLen() > MaxRSABits:
		return fmt.Errorf("is longer than %d bits", MaxRSABits)
	case pk.N.Bit(0) == 0:
		return errors.New("has an even modulus")
	case pk.E < 3 || pk.E > 1<<31-1 || pk.E%2 == 0:
		return fmt.Errorf("has public exponent %d; it must be an odd number in [3, 2^31-1]", pk.E)
	}
	return nil
}

// KeySource supplies the keys that verify tokens. [New] takes one as its
// required argument. A source may also have the capabilities
// [SharedKeySource] (its keys serve several parties, so New requires an
// issuer and an audience) and [IssuerKeySource] (its keys belong to one
// issuer, so New accepts only that issuer). [Keyfunc] is the only source
// that sees the whole token to choose a key; every other source is asked
// for a kid and an algorithm only. Implementations must be safe for concurrent use; a
// source whose keys change (such as a JWKS endpoint) returns the new *Key
// values from Key, and [New]'s verified-token cache notices the change
// because it compares the *Key it verified with to the one Key returns now.
type KeySource interface {
	// Algorithms returns the algorithms this source's keys may use. New calls
	// it once; a token whose header names another algorithm is rejected
	// before any key lookup.
	Algorithms() []string

	// Key returns the key for a token whose protected header has the key ID
	// kid ("" when absent) and the algorithm alg. The returned key's
	// Algorithm must equal alg; the middleware checks it again. An error
	// wrapping [ErrKeysUnavailable] means no keys can be had right now (503);
	// any other error rejects the token (401).
	Key(ctx context.Context, kid, alg string) (*Key, error)
}

// SharedKeySource is the capability of a [KeySource] whose keys sign tokens
// for several parties: every application of an identity provider, every
// tenant of a multi-tenant one. [JWKS] and [OIDC] have it. [New] refuses such
// a source unless both [WithIssuer] and [WithAudience] are given (RFC 8725
// sections 3.8 and 3.9): without them, a token the provider issued for
// another application would be accepted. Implement it on your own source of
// shared keys to get the same check.
type SharedKeySource interface {
	KeySource
	// SharedKeys reports whether the source's keys are shared; true makes
	// New require an issuer and an audience.
	SharedKeys() bool
}

// IssuerKeySource is the capability of a [KeySource] whose keys belong to
// exactly one issuer, such as [OIDC], which found its keys through that
// issuer's discovery document. [New] accepts such a source only together
// with [WithIssuer] naming exactly that issuer (and with [NewMultiIssuer],
// only as that issuer's keys), so the keys can never vouch for another
// issuer's tokens. Any source with an Issuer() string method has this
// capability: make sure the method means this.
type IssuerKeySource interface {
	KeySource
	// Issuer returns the issuer whose tokens the keys sign, compared
	// exactly with the iss claim.
	Issuer() string
}

// staticKeys is the capability of this package's sources whose keys are
// fixed at construction ([HMAC], [PublicKey], [PEM], [KeySet]), so that
// [New] can check them (HMAC length) and report a construction error.
type staticKeys interface {
	keys() ([]*Key, error)
}

// tokenKeySource is the capability of a [Keyfunc] source: it needs the
// parsed token, not only its kid and alg, to choose a key.
type tokenKeySource interface {
	keyForToken(t *jwt.Token, alg string) (*Key, error)
}

// keySet is a fixed set of keys. With a single key without an ID it accepts
// tokens with any kid or none; otherwise the kid must match a key's ID exactly.
type keySet struct {
	all  []*Key
	byID map[string]*Key
	algs []string
	err  error
}

func newKeySet(keys []*Key, err error) *keySet {
	s := &keySet{all: keys, err: err}
	if err != nil {
		return s
	}
	if len(keys) == 0 {
		s.err = errors.New("jwtauth: no keys given")
		return s
	}
	if len(keys) > 1 {
		s.byID = make(map[string]*Key, len(keys))
	}
	for _, k := range keys {
		if k == nil {
			s.err = errors.New("jwtauth: nil key")
			return s
		}
		if !slices.Contains(s.algs, k.alg) {
			s.algs = append(s.algs, k.alg)
		}
		if s.byID == nil {
			continue
		}
		if k.id == "" {
			s.err = errors.New("jwtauth: every key of a key set needs a distinct, non-empty ID")
			return s
		}
		if _, dup := s.byID[k.id]; dup {
			s.err = fmt.Errorf("jwtauth: duplicate key ID %q", k.id)
			return s
		}
		s.byID[k.id] = k
	}
	return s
}

func (s *keySet) keys() ([]*Key, error) { return s.all, s.err }

func (s *keySet) Algorithms() []string { return slices.Clone(s.algs) }

func (s *keySet) Key(_ context.Context, kid, alg string) (*Key, error) {
	var k *Key
	if s.byID == nil {
		k = s.all[0]
		if k.id != "" && kid != k.id {
			return nil, errUnknownKey
		}
	} else if k = s.byID[kid]; k == nil {
		return nil, errUnknownKey
	}
	if k.alg != alg {
		return nil, errAlgMismatch
	}
	return k, nil
}

var (
	errUnknownKey  = errors.New("jwtauth: no key for the token's kid")
	errAlgMismatch = errors.New("jwtauth: token algorithm differs from the key's")
)

// HMAC returns a source holding one shared secret for alg (HS256, HS384 or
// HS512). The secret is copied. [New] rejects secrets shorter than
// [MinHMACKeyBytes] unless [WithInsecureShortHMACKey] is given. Tokens are
// accepted whatever their kid.
func HMAC(alg string, secret []byte) KeySource {
	if a := lookupAlgorithm(alg); a == nil || a.family != familyHMAC {
		return newKeySet(nil, fmt.Errorf("jwtauth: HMAC needs HS256, HS384 or HS512, not %q", alg))
	}
	k, err := NewKey("", alg, secret)
	return newKeySet([]*Key{k}, err)
}

// PublicKey returns a source holding one public key for alg; see [NewKey] for
// which keys fit which algorithm. Tokens are accepted whatever their kid.
func PublicKey(alg string, key crypto.PublicKey) KeySource {
	k, err := NewKey("", alg, key)
	return newKeySet([]*Key{k}, err)
}

// PEM returns a source holding the public key in the first PEM block of data:
// a PKIX "PUBLIC KEY", a PKCS #1 "RSA PUBLIC KEY" or an X.509 "CERTIFICATE"
// (whose public key is used; the certificate's validity is not checked). The
// key must fit alg, as for [NewKey].
func PEM(alg string, data []byte) KeySource {
	pub, err := ParsePublicKeyPEM(data)
	if err != nil {
		return newKeySet(nil, err)
	}
	return PublicKey(alg, pub)
}

// PEMFile is [PEM] with the PEM read from the file at path, once, when PEMFile
// is called.
func PEMFile(alg, path string) KeySource {
	data, err := os.ReadFile(path)
	if err != nil {
		return newKeySet(nil, fmt.Errorf("jwtauth: reading key file: %w", err))
	}
	return PEM(alg, data)
}

// ParsePublicKeyPEM returns the public key in the first PEM block of data: a
// PKIX "PUBLIC KEY", a PKCS #1 "RSA PUBLIC KEY" or an X.509 "CERTIFICATE".
// Private keys are refused.
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("jwtauth: no PEM block found")
	}
	switch block.Type {
	case "PUBLIC KEY":
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwtauth: parsing PKIX public key: %w", err)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		pub, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwtauth: parsing PKCS #1 public key: %w", err)
		}
		return pub, nil
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("jwtauth: parsing certificate: %w", err)
		}
		return cert.PublicKey, nil
	default:
		return nil, fmt.Errorf("jwtauth: PEM block %q is not a public key or certificate", block.Type)
	}
}

// KeySet returns a source for key rotation: each token's kid selects the key
// with exactly that ID, and the token's algorithm must be that key's. Every
// key needs a distinct, non-empty ID; a token without a kid is rejected.
func KeySet(keys ...*Key) KeySource {
	if len(keys) == 1 && keys[0] != nil && keys[0].id == "" {
		return newKeySet(nil, errors.New("jwtauth: every key of a key set needs a distinct, non-empty ID"))
	}
	// A private copy: the caller may reuse its slice. With one key the
	// single-key path already requires kid == ID.
	return newKeySet(slices.Clone(keys), nil)
}

// Keyfunc adapts a golang-jwt [jwt.Keyfunc] as a key source: the escape
// hatch for key logic this package does not offer. algs is the required
// allowlist (at least one algorithm); a token whose header names any other
// algorithm is rejected before fn is called, and the key fn returns must fit
// the token's algorithm as for [NewKey]. fn sees the token's header and
// unverified claims; it must not trust them beyond choosing a key.
func Keyfunc(fn jwt.Keyfunc, algs ...string) KeySource {
	s := &funcSource{fn: fn, algs: slices.Clone(algs)}
	switch {
	case fn == nil:
		s.err = errors.New("jwtauth: Keyfunc needs a function")
	case len(algs) == 0:
		s.err = errors.New("jwtauth: Keyfunc needs an algorithm allowlist")
	}
	for _, a := range algs {
		if !slices.Contains(algorithms, a) {
			s.err = fmt.Errorf("jwtauth: unsupported algorithm %q", a)
		}
	}
	return s
}

type funcSource struct {
	fn   jwt.Keyfunc
	algs []string
	err  error
}

func (s *funcSource) keys() ([]*Key, error) { return nil, s.err }

func (s *funcSource) Algorithms() []string { return slices.Clone(s.algs) }

// Key is not used for a Keyfunc source: the middleware calls keyForToken,
// which hands fn the parsed token. It fails closed if called directly.
func (s *funcSource) Key(context.Context, string, string) (*Key, error) {
	return nil, errors.New("jwtauth: a Keyfunc source needs the token")
}

func (s *funcSource) keyForToken(t *jwt.Token, alg string) (*Key, error) {
	raw, err := s.fn(t)
	if err != nil {
		return nil, err
	}
	k, ok := raw.(*Key)
	if !ok {
		if k, err = NewKey("", alg, raw); err != nil {
			return nil, err
		}
	}
	if k.alg != alg {
		return nil, errAlgMismatch
	}
	return k, nil
}

// errShortHMAC refuses, at request time, a token whose HMAC key (from any
// source) is shorter than its hash.
var errShortHMAC = errors.New("jwtauth: the key source returned an HMAC secret shorter than the algorithm's hash (RFC 7518 section 3.2)")

// shortHMACError is New's error for a static HMAC secret that is too short.
func shortHMACError(k *Key) error {
	return fmt.Errorf("jwtauth: %s secret is %d bytes; at least %d are needed (RFC 7518 section 3.2; WithInsecureShortHMACKey overrides for demos)",
		k.alg, len(k.key.([]byte)), MinHMACKeyBytesFor(k.alg))
}

// ed25519SmallOrderY are the y-coordinates (little-endian, sign bit clear)
// of the Ed25519 points of order 1, 2, 4 and 8, including the non-canonical
// encodings p and p+1 that Go's decoder accepts, as in libsodium's
// ge25519_has_small_order. A public key that is such a point verifies a
// signature (R = identity, S = 0) for any message.
var ed25519SmallOrderY = [...][32]byte{
	{0x00}, // y = 0: order 4
	{0x01}, // y = 1: the identity
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05}, // order 8
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a}, // order 8
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p-1: order 2
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p, non-canonical 0
	{0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}, // y = p+1, non-canonical 1
}

// ed25519SmallOrder reports whether the encoded point pk has small order.
func ed25519SmallOrder(pk []byte) bool {
	var y [32]byte
	copy(y[:], pk)
	y[31] &= 0x7f // the sign of x does not change the order
	for _, bad := range ed25519SmallOrderY {
		if y == bad {
			return true
		}
	}
	return false
}
