package jwtauth

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// DPoPMode says which authorization schemes a [Middleware] accepts; see
// [WithDPoP]. The zero DPoPMode is not a mode.
type DPoPMode uint8

// The DPoP modes.
const (
	// DPoPDisabled accepts Bearer (and, with [FromAuthorization], raw)
	// tokens only; "Authorization: DPoP" counts as no token, as any other
	// scheme does. Tokens with a "cnf" claim are refused.
	DPoPDisabled DPoPMode = iota + 1
	// DPoPAllowed, the default, accepts both schemes: Bearer for tokens
	// without "cnf", DPoP with a valid proof for any token. A token bound
	// to a key ("cnf"."jkt") is accepted only under DPoP with a proof signed
	// by that key; a token without "cnf" is accepted under DPoP too (RFC 9449
	// section 7.1 lets a resource server do so), but only with a valid proof.
	DPoPAllowed
	// DPoPRequired accepts only DPoP tokens bound to the proof's key:
	// Bearer and raw tokens, and DPoP tokens without "cnf"."jkt", are
	// refused (401 invalid_token).
	DPoPRequired
)

// DefaultDPoPProofWindow is how old a DPoP proof may be by default; see
// [WithDPoPProofWindow].
const DefaultDPoPProofWindow = 5 * time.Minute

// MaxDPoPProofBytes caps the DPoP header: a longer proof is refused before
// any parsing. It fits a proof with an RSA key of 4096 bits.
const MaxDPoPProofBytes = 4 << 10

// defaultDPoPAlgorithms is the default proof allowlist, in the order the
// challenge names it.
var defaultDPoPAlgorithms = []string{"ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "Ed25519"}

// defaultDPoPChallenge is the DPoP challenge of a DPoP error written without
// its middleware.
var defaultDPoPChallenge = newChallenge(DefaultRealm, strings.Join(defaultDPoPAlgorithms, " "), false).dpop

// DPoPProof is what a verified DPoP proof tells a handler about the
// client's key; read it with [DPoPFrom].
type DPoPProof struct {
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of the proof's public
	// key, base64url without padding: the "cnf"."jkt" of a bound token.
	Thumbprint string
	// PublicKey is the proof's public key: an *rsa.PublicKey,
	// *ecdsa.PublicKey or ed25519.PublicKey. It is shared by the requests
	// of the same key (parsed keys are cached): do not modify it.
	PublicKey crypto.PublicKey
	// Algorithm is the proof's signature algorithm, such as "ES256".
	Algorithm string
}

// dpopVerifier checks the DPoP proofs of one middleware. It is built by New
// and immutable.
type dpopVerifier struct {
	mode      DPoPMode
	algs      []string
	window    time.Duration
	leeway    time.Duration
	now       func() time.Time
	store     ReplayStore
	nonces    *nonceSource // nil without WithDPoPNonce
	publicURL *publicURL
	forwarded bool
	keys      *proofKeyCache
}

// checkDPoP refuses DPoP options that do not fit together; applyOptions
// calls it once all options are applied.
func (c *config) checkDPoP() error {
	d := &c.dpop
	if d.mode == DPoPDisabled && len(d.optionsSet) > 0 {
		return optionError("%s needs DPoP enabled, not WithDPoP(DPoPDisabled)", d.optionsSet[0])
	}
	if d.publicURL != nil && d.forwarded {
		return optionError("WithDPoPPublicURL and WithDPoPTrustedForwardedHeaders exclude each other")
	}
	if d.mode == DPoPRequired {
		for _, s := range c.sources {
			if s.kind != srcBearer && s.kind != srcAuthorization {
				return optionError("WithDPoP(DPoPRequired): %s cannot carry the DPoP scheme; use FromBearer or FromAuthorization only", s.place())
			}
		}
	}
	return nil
}

// newDPoPVerifier returns the verifier of a checked configuration, nil when
// DPoP is disabled.
func newDPoPVerifier(c *config) *dpopVerifier {
	d := &c.dpop
	if d.mode == DPoPDisabled {
		return nil
	}
	now := c.now
	if now == nil {
		now = time.Now
	}
	v := &dpopVerifier{
		mode:      d.mode,
		algs:      slices.Clone(d.algs),
		window:    d.window,
		leeway:    c.leeway,
		now:       now,
		store:     d.store,
		publicURL: d.publicURL,
		forwarded: d.forwarded,
		keys:      newProofKeyCache(),
	}
	if v.store == nil {
		v.store = newMemoryReplayStore(DefaultReplayStoreSize, now)
	}
	if d.nonceKey != nil {
		v.nonces = newNonceSource(d.nonceKey, d.nonceStep)
	}
	return v
}

// checkBinding applies the DPoP rules to a request whose token verified:
// a token with "cnf" needs the DPoP scheme, and the DPoP scheme needs a
// valid proof. On success with server nonces it may set a fresh DPoP-Nonce
// header on w.
func (m *Middleware) checkBinding(w http.ResponseWriter, r *http.Request, sch scheme, p *principal) (*principal, error) {
	jkt, bound, err := confirmation(p.payload)
	if err != nil {
		return nil, viaScheme(sch, err)
	}
	d := m.dpop
	if sch != schemeDPoP {
		switch {
		case bound:
			return nil, errBoundWithoutProof
		case d != nil && d.mode == DPoPRequired:
			return nil, errBearerRefused
		}
		return p, nil
	}
	if !bound && d.mode == DPoPRequired {
		return nil, viaScheme(sch, errNotBound)
	}
	proof, nonce, err := d.verify(r, p.token, jkt, bound)
	if err != nil {
		return nil, err
	}
	if nonce != "" {
		w.Header().Set("DPoP-Nonce", nonce)
	}
	p.dpop = proof
	return p, nil
}

// viaScheme marks err as one of a DPoP request (see [dpopSchemeError]).
func viaScheme(sch scheme, err error) error {
	if sch == schemeDPoP {
		return &dpopSchemeError{err}
	}
	return err
}

// confirmation reads the "cnf" claim of verified claims JSON: the jkt of
// a token bound to a key, or bound false for a token without "cnf". A "cnf"
// that is not an object with exactly one member, a non-empty string "jkt",
// is an error: a token bound by another method (such as RFC 8705's
// "x5t#S256") cannot be checked here, so it is never accepted.
func confirmation(payload []byte) (jkt string, bound bool, err error) {
	// Fast path: without the bytes "cnf" and without escapes, no member can
	// be called cnf.
	if !bytes.Contains(payload, []byte("cnf")) && bytes.IndexByte(payload, '\\') < 0 {
		return "", false, nil
	}
	kind, raw := jsonscan.Member(payload, "cnf")
	switch kind {
	case jsonscan.Invalid:
		return "", false, nil
	case jsonscan.Object:
	default:
		return "", true, errCnf
	}
	n := 0
	bad := false
	if jsonscan.Members(raw, func(name []byte, kind jsonscan.Kind, v []byte) bool {
		n++
		if string(name) != "jkt" || kind != jsonscan.String {
			bad = true
			return false
		}
		jkt, err = jsonscan.StringValue(v)
		bad = err != nil || jkt == ""
		return !bad
	}) != nil || bad || n != 1 {
		return "", true, errCnf
	}
	return jkt, true, nil
}

// dpopProof is a parsed DPoP proof whose signature verified.
type dpopProof struct {
	alg, jti, htm, htu, ath, nonce string
	iat                            time.Time
	key                            *Key
	thumbprint                     string
}

// verify checks the request's DPoP proof for token (RFC 9449 section 4.3)
// and, for a bound token, that it was signed by the key of jkt; then the
// nonce, and last the replay check, so that only proofs that passed
// everything else are recorded. renew is a fresh nonce for the response,
// or "".
func (d *dpopVerifier) verify(r *http.Request, token, jkt string, bound bool) (proof *DPoPProof, renew string, err error) {
	vals := r.Header.Values("DPoP")
	switch len(vals) {
	case 0:
		return nil, "", errProofMissing
	case 1:
	default:
		return nil, "", errProofTwo
	}
	pr, err := parseProof(vals[0], d.algs, d.keys)
	if err != nil {
		return nil, "", err
	}
	if pr.htm != r.Method {
		return nil, "", errProofMethod
	}
	htu, ok := normalizeHTU(pr.htu)
	if !ok {
		return nil, "", errProofURI
	}
	reqURI, err := d.requestURI(r)
	if err != nil {
		return nil, "", err
	}
	if want, ok := normalizeHTU(reqURI); !ok || want != htu {
		return nil, "", errProofURI
	}
	now := d.now()
	switch {
	case !pr.iat.After(now.Add(-d.window - d.leeway)):
		// At iat + window + leeway exactly, the proof is too old: the
		// replay entry's expiry is later than the last instant accepted.
		return nil, "", errProofOld
	case pr.iat.After(now.Add(d.leeway)):
		return nil, "", errProofFuture
	}
	if pr.ath == "" {
		return nil, "", errProofNoATH
	}
	if pr.ath != accessTokenHash(token) {
		return nil, "", errProofATH
	}
	if bound && pr.thumbprint != jkt {
		return nil, "", errProofBinding
	}
	if d.nonces != nil {
		current, valid := d.nonces.check(pr.nonce, now)
		if !valid {
			return nil, "", &nonceError{nonce: d.nonces.at(now)}
		}
		if !current {
			renew = d.nonces.at(now)
		}
	}
	fresh, err := d.store.CheckAndSet(r.Context(), replayKey(pr.thumbprint, htu, pr.jti), pr.iat.Add(d.window+d.leeway+replayMargin))
	switch {
	case err != nil:
		return nil, "", fmt.Errorf("%w: %w", ErrReplayStoreUnavailable, escapedError{err})
	case !fresh:
		return nil, "", errProofReplay
	}
	return &DPoPProof{Thumbprint: pr.thumbprint, PublicKey: pr.key.key, Algorithm: pr.alg}, renew, nil
}

// replayMargin is how much longer than a proof is accepted its replay entry
// is kept: instances whose clocks differ by up to [MaxLeeway] share a store,
// and one behind the others still accepts a proof the others' entry no
// longer covers, unless the entry outlives that.
const replayMargin = MaxLeeway

// accessTokenHash returns the ath of token: base64url(SHA-256(token)).
func accessTokenHash(token string) string {
	sum := sha256.Sum256(unsafeBytes(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// replayKey is the [ReplayStore] key of a proof: base64url (no padding) of
// the SHA-256 of "jwtauth-dpop-v1", the proof key's thumbprint, the
// normalised htu and the jti, each preceded by its length as 4 bytes
// big-endian. All of them are signed parts of the proof, so a re-encoded
// signature or a re-serialised header does not make a new key, and the key
// holds no client input in the clear.
func replayKey(thumbprint, htu, jti string) string {
	h := sha256.New()
	var n [4]byte
	for _, part := range [...]string{"jwtauth-dpop-v1", thumbprint, htu, jti} {
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		h.Write(n[:])
		h.Write(unsafeBytes(part))
	}
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(h.Sum(sum[:0]))
}

// parseProof parses a DPoP proof and verifies its signature with the key
// in its header: at most [MaxDPoPProofBytes], one compact JWS over strict
// base64url, a strict JSON header with typ dpop+jwt, an allowed alg and a
// public jwk (no crit), and strict JSON claims with jti, htm, htu and iat.
// keys, if not nil, keeps the keys it has parsed.
func parseProof(s string, algs []string, keys *proofKeyCache) (dpopProof, error) {
	var pr dpopProof
	if len(s) > MaxDPoPProofBytes {
		return pr, errProofTooLong
	}
	dot1, dot2, ok := compactDots(s)
	if !ok {
		return pr, errProofShape
	}
	parse := func() (proofHeader, error) {
		hdr, err := decodeSegment(s[:dot1])
		if err != nil {
			return proofHeader{}, errProofShape
		}
		alg, jwkRaw, err := parseProofHeader(hdr)
		if err != nil {
			return proofHeader{}, err
		}
		if !slices.Contains(algs, alg) {
			return proofHeader{}, errProofAlg // before parsing a key for it
		}
		key, thumbprint, err := proofKey(jwkRaw, alg)
		if err != nil {
			return proofHeader{}, err
		}
		return proofHeader{alg, key, thumbprint}, nil
	}
	var h proofHeader
	var err error
	if keys != nil {
		h, err = keys.get(s[:dot1], parse)
	} else {
		h, err = parse()
	}
	if err != nil {
		return pr, err
	}
	if !slices.Contains(algs, h.alg) { // a cache holds what one allowlist let through
		return pr, errProofAlg
	}
	alg, key, thumbprint := h.alg, h.key, h.thumbprint
	payload, err := decodeSegment(s[dot1+1 : dot2])
	if err != nil {
		return pr, errProofShape
	}
	sig, err := decodeSegment(s[dot2+1:])
	if err != nil {
		return pr, errProofShape
	}
	if key.verify(s[:dot2], sig) != nil {
		return pr, errProofSignature
	}
	if err := parseProofClaims(payload, &pr); err != nil {
		return pr, err
	}
	pr.alg, pr.key, pr.thumbprint = alg, key, thumbprint
	return pr, nil
}

var proofHeaderNames = []string{"typ", "alg", "jwk", "crit", "b64"}

// parseProofHeader returns the alg and the raw jwk object of a strict JSON
// proof header whose typ is dpop+jwt. crit and b64 are refused, as for
// tokens; kid, x5c, jku and other members are ignored.
func parseProofHeader(data []byte) (alg string, jwkRaw []byte, err error) {
	if jsonscan.Check(data, scanOpts) != nil {
		return "", nil, errProofHeader
	}
	var typ string
	var bad error
	seenTyp := false
	err = jsonscan.Members(data, func(name []byte, kind jsonscan.Kind, raw []byte) bool {
		var dst *string
		switch string(name) {
		case "typ":
			dst, seenTyp = &typ, true
		case "alg":
			dst = &alg
		case "jwk":
			if kind != jsonscan.Object {
				bad = errProofHeader
				return false
			}
			jwkRaw = raw
			return true
		case "crit", "b64":
			bad = errProofCrit
			return false
		default:
			if isCaseVariant(name, proofHeaderNames) {
				bad = errProofHeader
				return false
			}
			return true
		}
		if kind != jsonscan.String {
			bad = errProofHeader
			return false
		}
		*dst, bad = jsonscan.StringValue(raw)
		if bad != nil {
			bad = errProofHeader
		}
		return bad == nil
	})
	switch {
	case err != nil:
		return "", nil, errProofHeader
	case bad != nil:
		return "", nil, bad
	case !seenTyp || !typeMatches(typ, "dpop+jwt"):
		return "", nil, errProofType
	case alg == "" || jwkRaw == nil:
		return "", nil, errProofHeader
	}
	return alg, jwkRaw, nil
}

// proofKey returns the key of a proof's jwk header, bound to alg, and its
// RFC 7638 thumbprint. It takes the JWK rules of key sets: no private
// members (d, p, q, dp, dq, qi, oth, k), no symmetric key, an RSA key of
// [MinRSABits] with a sane exponent, an EC point on its curve, an Ed25519
// key that is not of small order, and an "alg" member, if any, equal to alg.
func proofKey(raw []byte, alg string) (*Key, string, error) {
	// The header passed jsonscan.Check: no decodeObject needed.
	members := make(map[string]json.RawMessage, 4)
	if jsonscan.Members(raw, func(name []byte, _ jsonscan.Kind, v []byte) bool {
		members[string(name)] = v
		return true
	}) != nil {
		return nil, "", errProofKey
	}
	k, err := jwkFromMembers(members)
	if err != nil {
		return nil, "", errProofKey
	}
	if err := k.usable(); err != nil {
		return nil, "", errProofKey
	}
	pub, fitsKey, err := k.publicKey()
	if err != nil {
		return nil, "", errProofKey
	}
	var buf [2]string
	if _, err := k.appendAlgorithms(buf[:0], []string{alg}, fitsKey); err != nil {
		return nil, "", errProofKey
	}
	key, err := NewKey("", alg, pub)
	if err != nil {
		return nil, "", errProofKey
	}
	thumbprint, err := k.thumbprint()
	if err != nil {
		return nil, "", errProofKey
	}
	return key, thumbprint, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of a parsed public
// JWK: the hash of its required members, in lexicographic order, with no
// white space ({"crv","kty","x","y"} for EC, {"e","kty","n"} for RSA,
// {"crv","kty","x"} for OKP), base64url without padding. The members have
// been checked to be strict base64url or a known curve name, so they need
// no escaping.
func (k *jwk) thumbprint() (string, error) {
	str := func(name string) string { s, _ := k.str(name); return s }
	var b string
	switch k.kty {
	case "EC":
		b = `{"crv":"` + k.crv + `","kty":"EC","x":"` + str("x") + `","y":"` + str("y") + `"}`
	case "RSA":
		b = `{"e":"` + str("e") + `","kty":"RSA","n":"` + str("n") + `"}`
	case "OKP":
		b = `{"crv":"` + k.crv + `","kty":"OKP","x":"` + str("x") + `"}`
	default:
		return "", errors.New("no thumbprint for this key type")
	}
	sum := sha256.Sum256([]byte(b))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

var proofClaimNames = []string{"jti", "htm", "htu", "iat", "ath", "nonce"}

// parseProofClaims reads the claims of a proof from strict JSON (no
// duplicate or case-variant names): jti, htm and htu non-empty strings and
// iat a number, all required; ath and nonce strings if present.
func parseProofClaims(payload []byte, pr *dpopProof) error {
	if jsonscan.Check(payload, scanOpts) != nil {
		return errProofClaimsJSON
	}
	bad := false
	seenIAT := false
	err := jsonscan.Members(payload, func(name []byte, kind jsonscan.Kind, raw []byte) bool {
		var dst *string
		switch string(name) {
		case "jti":
			dst = &pr.jti
		case "htm":
			dst = &pr.htm
		case "htu":
			dst = &pr.htu
		case "ath":
			dst = &pr.ath
		case "nonce":
			dst = &pr.nonce
		case "iat":
			d, ok := claimDate(kind, raw)
			if !ok {
				bad = true
				return false
			}
			pr.iat, seenIAT = d.Time, true
			return true
		default:
			bad = isCaseVariant(name, proofClaimNames)
			return !bad
		}
		if kind != jsonscan.String {
			bad = true
			return false
		}
		s, err := jsonscan.Unquote(raw)
		if err != nil {
			bad = true
			return false
		}
		*dst = s
		return true
	})
	if err != nil || bad || !seenIAT || pr.jti == "" || pr.htm == "" || pr.htu == "" {
		return errProofClaims
	}
	return nil
}

// The reasons a DPoP request is refused; each wraps ErrInvalidDPoPProof,
// or ErrInvalidToken for reasons that concern the token.
var (
	errProofMissing    = invalidProof("no DPoP header")
	errProofTwo        = invalidProof("more than one DPoP header")
	errProofTooLong    = invalidProof("proof exceeds the length limit")
	errProofShape      = invalidProof("proof is not a compact JWS of three strict base64url segments")
	errProofHeader     = invalidProof("proof header is not strict JSON with string typ and alg and an object jwk")
	errProofType       = invalidProof(`proof typ is not "dpop+jwt"`)
	errProofCrit       = invalidProof("proof header has crit or b64 parameters, which are not supported")
	errProofAlg        = invalidProof("proof algorithm not allowed")
	errProofKey        = invalidProof("proof jwk is not a usable public key for its algorithm")
	errProofSignature  = invalidProof("proof signature does not verify")
	errProofClaimsJSON = invalidProof("proof claims are not strict JSON")
	errProofClaims     = invalidProof("proof claims jti, htm, htu or iat missing or mistyped, or a case-variant claim name")
	errProofMethod     = invalidProof("proof htm is not the request method")
	errProofURI        = invalidProof("proof htu is not the request URI")
	errProofForwarded  = invalidProof("forwarded headers are repeated or malformed")
	errProofOld        = invalidProof("proof iat is too old")
	errProofFuture     = invalidProof("proof iat lies in the future")
	errProofNoATH      = invalidProof("proof has no ath claim")
	errProofATH        = invalidProof("proof ath is not the hash of the access token")
	errProofReplay     = fmt.Errorf("%w: %w", ErrInvalidDPoPProof, ErrDPoPReplay)

	errProofBinding      = &dpopSchemeError{fmt.Errorf("%w: the proof's key is not the token's cnf.jkt", ErrInvalidToken)}
	errNotBound          = fmt.Errorf("%w: DPoP is required and the token has no cnf.jkt", ErrInvalidToken)
	errBoundWithoutProof = fmt.Errorf("%w: the token has a cnf claim and needs the DPoP scheme with a proof", ErrInvalidToken)
	errBearerRefused     = fmt.Errorf("%w: DPoP is required; the token was not sent with the DPoP scheme", ErrInvalidToken)
	errCnf               = fmt.Errorf("%w: the cnf claim is not an object with one string member jkt", ErrInvalidToken)
)

func invalidProof(reason string) error {
	return fmt.Errorf("%w: %s", ErrInvalidDPoPProof, reason)
}
