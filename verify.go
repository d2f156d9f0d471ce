package jwtauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"
	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// TokenInfo identifies a verified token to a revocation check, without the
// token itself.
type TokenInfo struct {
	// ID is the jti claim, "" if absent.
	ID string
	// Subject is the sub claim, "" if absent.
	Subject string
	// Hash is the SHA-256 of the token's JWS signing input: the compact
	// token up to its second dot (base64url header, ".", base64url
	// payload), without the signature. It identifies what was signed, for
	// deny lists of tokens that carry no jti: a signature can be re-encoded
	// without the key (an ECDSA signature (r, s) verifies as (r, n-s) too),
	// and an issuer may sign the same content twice (ECDSA and RSASSA-PSS
	// signatures are randomised), so a hash over the whole token would let
	// one token pass a deny list in another encoding. The
	// verified-token cache (see [WithCache]) keys on the same hash.
	Hash [32]byte
	// IssuedAt is the iat claim, the zero time if absent. A store that
	// revokes a subject's tokens issued before a cutoff compares it.
	IssuedAt time.Time
	// ExpiresAt is the exp claim, the zero time if absent (see
	// [WithoutExpirationRequired]). A deny list entry need not outlive it.
	ExpiresAt time.Time
}

// SigningInputHash returns [TokenInfo.Hash] for a compact token: the
// SHA-256 of its part before the second dot (the whole token if it has
// fewer than two dots). A deny list can store it when it revokes a token.
func SigningInputHash(token string) [32]byte {
	return sha256.Sum256(unsafeBytes(signingInput(token)))
}

// signingInput returns the compact token up to its second dot.
func signingInput(tok string) string {
	if i := strings.IndexByte(tok, '.'); i >= 0 {
		if j := strings.IndexByte(tok[i+1:], '.'); j >= 0 {
			return tok[:i+1+j]
		}
	}
	return tok
}

// invalid wraps the reasons a token is refused.
func invalid(errs ...error) error {
	switch len(errs) {
	case 1:
		return fmt.Errorf("%w: %w", ErrInvalidToken, errs[0])
	default:
		return fmt.Errorf("%w: %w: %w", ErrInvalidToken, errs[0], errs[1])
	}
}

// b64 is the strict unpadded base64url decoding of RFC 7515.
var b64 = base64.RawURLEncoding.Strict()

// b64url marks the bytes of the base64url alphabet.
var b64url = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" {
		t[c] = true
	}
	return t
}()

var scanOpts = jsonscan.Options{MaxDepth: 32, RejectCaseVariants: true}

// verify checks a compact token and returns its principal.
func (m *Middleware) verify(ctx context.Context, tok string) (*principal, error) {
	if len(tok) > m.cfg.maxTokenLen {
		return nil, errTooLong
	}
	dot1, dot2, ok := compactDots(tok)
	if !ok {
		return nil, errShape
	}

	if m.cache == nil {
		vd, err := m.verifyFull(ctx, tok, dot1, dot2)
		if err != nil {
			return nil, err
		}
		return m.finish(ctx, vd.v, vd.p, nil)
	}
	// One slot per signed content, whatever the signature's encoding.
	sum := sha256.Sum256(unsafeBytes(tok[:dot2]))
	p, v, err := m.fromCache(ctx, tok, dot2, sum)
	if err != nil {
		return nil, err
	}
	if p != nil {
		p, err := m.finish(ctx, v, p, &sum)
		if err != nil {
			m.cache.drop(sum) // expired or revoked: the slot is better used
		}
		return p, err
	}
	vd, err := m.verifyFull(ctx, tok, dot1, dot2)
	if err != nil {
		return nil, err
	}
	if p, err = m.finish(ctx, vd.v, vd.p, &sum); err != nil {
		return nil, err // never cache a refused token
	}
	if vd.key != nil {
		m.cache.put(sum, dot2, vd, m.pristine(p))
	}
	return p, nil
}

// compactDots finds the two dots of a compact JWS in one pass, checking
// the base64url alphabet and three non-empty segments. This also refuses
// padding, whitespace and line breaks anywhere.
func compactDots(tok string) (dot1, dot2 int, ok bool) {
	dot1, dot2 = -1, -1
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if b64url[c] {
			continue
		}
		if c != '.' || dot2 >= 0 {
			return 0, 0, false
		}
		if dot1 < 0 {
			dot1 = i
		} else {
			dot2 = i
		}
	}
	if dot2 < 0 || dot1 == 0 || dot2 == dot1+1 || dot2 == len(tok)-1 {
		return 0, 0, false
	}
	return dot1, dot2, true
}

// header is what jwtauth reads of a JOSE header.
type header struct {
	alg, kid, typ string
}

// verified is what a full verification found.
type verified struct {
	p   *principal
	v   *verifier // the trust relationship that accepted the token
	key *Key      // the key that verified it; nil for Keyfunc sources, whose keys a cache hit cannot look up again
	kid string
}

// verifyFull verifies a token that is not in the cache: header, the
// verifier its issuer selects, key, signature, claims JSON and decoding.
// The time-dependent checks are [Middleware.finish]'s.
func (m *Middleware) verifyFull(ctx context.Context, tok string, dot1, dot2 int) (verified, error) {
	hdr, err := decodeSegment(tok[:dot1])
	if err != nil {
		return verified{}, err
	}
	h, err := parseHeader(hdr)
	if err != nil {
		return verified{}, err
	}
	if m.cfg.typ != "" && !typeMatches(h.typ, m.cfg.typ) {
		return verified{}, errType
	}
	payload, err := decodeSegment(tok[dot1+1 : dot2])
	if err != nil {
		return verified{}, err
	}
	v, err := m.verifierFor(payload)
	if err != nil {
		return verified{}, err
	}
	if !slices.Contains(v.algs, h.alg) {
		return verified{}, errAlgNotAllowed
	}
	key, err := v.key(ctx, h, hdr, payload)
	if err != nil {
		return verified{}, err
	}
	sig, err := decodeSegment(tok[dot2+1:])
	if err != nil {
		return verified{}, err
	}
	if err := key.verify(tok[:dot2], sig); err != nil {
		return verified{}, invalid(jwt.ErrTokenSignatureInvalid, err)
	}
	if m.single != nil { // with several issuers, verifierFor has checked it
		if err := m.checkClaimsJSON(payload); err != nil {
			return verified{}, err
		}
	}
	claims, err := m.cfg.claims.decode(payload)
	if err != nil {
		return verified{}, err
	}
	if v.tokenKeys != nil {
		key = nil
	}
	return verified{p: &principal{m: m, token: tok, claims: claims, payload: payload}, v: v, key: key, kid: h.kid}, nil
}

// verifierFor returns the verifier for a token's (unverified) payload: the
// only one, or with several issuers the one its iss selects. The unverified
// iss only selects whose keys and rules apply; that issuer's validator then
// requires it exactly.
func (m *Middleware) verifierFor(payload []byte) (*verifier, error) {
	if m.single != nil {
		return m.single, nil
	}
	if err := m.checkClaimsJSON(payload); err != nil {
		return nil, err
	}
	if v := m.byIssuer[claimString(payload, "iss")]; v != nil {
		return v, nil
	}
	return nil, errIssuer
}

// key looks up the key for a token whose header is h and refuses one that
// does not fit: another algorithm, or an HMAC secret shorter than its hash
// (from any source, a user's own included) unless that is allowed.
func (v *verifier) key(ctx context.Context, h header, hdr, payload []byte) (*Key, error) {
	var key *Key
	var err error
	if v.tokenKeys != nil {
		key, err = keyFromFunc(v, hdr, h.alg, payload)
	} else {
		key, err = v.keys.Key(ctx, h.kid, h.alg)
	}
	switch {
	case err != nil && errors.Is(err, ErrKeysUnavailable):
		return nil, err
	case err != nil:
		return nil, invalid(jwt.ErrTokenUnverifiable, err)
	case key == nil || key.alg != h.alg:
		return nil, invalid(jwt.ErrTokenUnverifiable, errAlgMismatch)
	case key.short && !v.insecureHMAC:
		return nil, invalid(jwt.ErrTokenUnverifiable, errShortHMAC)
	}
	return key, nil
}

// finish runs the checks that depend on time or outside state, on every
// request (cached or not).
func (m *Middleware) finish(ctx context.Context, v *verifier, p *principal, sum *[32]byte) (*principal, error) {
	if err := v.validator.Validate(p.claims); err != nil {
		return nil, invalid(jwt.ErrTokenInvalidClaims, err)
	}
	if v.issuers != nil {
		iss, err := p.claims.GetIssuer()
		if err != nil || !slices.Contains(v.issuers, iss) {
			return nil, errIssuer
		}
	}
	if m.cfg.revoked != nil {
		info := TokenInfo{}
		if sum != nil {
			info.Hash = *sum
		} else {
			info.Hash = SigningInputHash(p.token)
		}
		info.Subject, _ = p.claims.GetSubject()
		info.ID = claimString(p.payload, "jti")
		if iat, _ := p.claims.GetIssuedAt(); iat != nil {
			info.IssuedAt = iat.Time
		}
		if exp, _ := p.claims.GetExpirationTime(); exp != nil {
			info.ExpiresAt = exp.Time
		}
		if err := m.cfg.revoked(ctx, info); err != nil {
			if errors.Is(err, ErrKeysUnavailable) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrRevoked)
		}
	}
	return p, nil
}

// decodeSegment decodes one strict base64url segment.
func decodeSegment(seg string) ([]byte, error) {
	buf := make([]byte, b64.DecodedLen(len(seg)))
	n, err := b64.Decode(buf, unsafeBytes(seg))
	if err != nil {
		return nil, errBase64
	}
	return buf[:n], nil
}

// parseHeader reads alg, kid and typ from a strict JSON header and refuses
// crit (RFC 7515 section 4.1.11: no extension is understood here) and b64
// (RFC 7797). Keys named by jku, jwk, x5u or x5c are never used.
func parseHeader(data []byte) (header, error) {
	var h header
	if jsonscan.Check(data, scanOpts) != nil {
		return h, errHeaderJSON
	}
	var bad error
	seenAlg := false
	err := jsonscan.Members(data, func(name []byte, kind jsonscan.Kind, raw []byte) bool {
		var dst *string
		switch string(name) {
		case "alg":
			dst, seenAlg = &h.alg, true
		case "kid":
			dst = &h.kid
		case "typ":
			dst = &h.typ
		case "crit", "b64":
			bad = errCrit
			return false
		default:
			if isCaseVariant(name, headerNames) {
				bad = errHeaderField
				return false
			}
			return true
		}
		if kind != jsonscan.String {
			bad = errHeaderField
			return false
		}
		s, err := jsonscan.Unquote(raw)
		if err != nil {
			bad = errHeaderField
			return false
		}
		*dst = s
		return true
	})
	if err != nil {
		return h, errHeaderJSON
	}
	if bad != nil {
		return h, bad
	}
	if !seenAlg || h.alg == "" {
		return h, errHeaderField
	}
	return h, nil
}

var headerNames = []string{"alg", "kid", "typ", "crit", "b64"}

// isCaseVariant reports whether name equals one of names under Unicode case
// folding (as encoding/json matches fields) without being byte-equal to it.
func isCaseVariant(name []byte, names []string) bool {
	for _, n := range names {
		if string(name) != n && strings.EqualFold(string(name), n) {
			return true
		}
	}
	return false
}

// checkClaimsJSON checks the claims JSON strictly: RFC 8259 with unique,
// case-distinct names and valid UTF-8, no case variant of a name the claims
// type decodes (encoding/json would match it), and exp, nbf and iat as
// numbers only.
func (m *Middleware) checkClaimsJSON(payload []byte) error {
	if jsonscan.Check(payload, scanOpts) != nil {
		return errClaimsJSON
	}
	names := m.cfg.claims.names
	bad := false
	err := jsonscan.Members(payload, func(name []byte, kind jsonscan.Kind, raw []byte) bool {
		switch string(name) {
		case "exp", "nbf", "iat":
			_, ok := claimDate(kind, raw)
			bad = !ok
		default:
			bad = isCaseVariant(name, names)
		}
		return !bad
	})
	if err != nil {
		return errClaimsJSON
	}
	if bad {
		return errClaimsShape
	}
	return nil
}

// claimString returns the top-level string claim name of checked claims
// JSON, "" if absent or not a string.
func claimString(payload []byte, name string) string {
	if kind, raw := jsonscan.Member(payload, name); kind == jsonscan.String {
		s, _ := jsonscan.StringValue(raw)
		return s
	}
	return ""
}

// keyFromFunc serves Keyfunc sources: it builds the golang-jwt token their
// function expects from the already strictly checked header and claims.
func keyFromFunc(v *verifier, hdr []byte, alg string, payload []byte) (*Key, error) {
	var hm map[string]any
	if json.Unmarshal(hdr, &hm) != nil {
		return nil, errHeaderJSON
	}
	var mc jwt.MapClaims
	if json.Unmarshal(payload, &mc) != nil {
		return nil, errClaimsJSON
	}
	t := &jwt.Token{Header: hm, Claims: mc, Method: signingMethod(alg)}
	return v.tokenKeys.keyForToken(t, alg)
}

// unsafeBytes returns the bytes of s without copying them, for functions
// that only read their argument (base64 decoding, hashing): the token is
// already a string, and copying it costs an allocation per segment.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// The reasons a token is refused; each wraps ErrInvalidToken and
// golang-jwt's matching error.
var (
	errTooLong       = invalid(jwt.ErrTokenMalformed, errors.New("token exceeds the length limit"))
	errShape         = invalid(jwt.ErrTokenMalformed, errors.New("not a compact JWS of three base64url segments"))
	errBase64        = invalid(jwt.ErrTokenMalformed, errors.New("segment is not strict unpadded base64url"))
	errHeaderJSON    = invalid(jwt.ErrTokenMalformed, errors.New("header is not strict JSON"))
	errHeaderField   = invalid(jwt.ErrTokenMalformed, errors.New("header has a missing or mistyped alg, kid or typ"))
	errCrit          = invalid(jwt.ErrTokenUnverifiable, errors.New("header has crit or b64 parameters, which are not supported"))
	errAlgNotAllowed = invalid(jwt.ErrTokenSignatureInvalid, errors.New("algorithm not allowed"))
	errType          = invalid(jwt.ErrTokenMalformed, errors.New("typ header does not match"))
	errClaimsJSON    = invalid(jwt.ErrTokenMalformed, errors.New("claims are not strict JSON"))
	errClaimsShape   = invalid(jwt.ErrTokenInvalidClaims, errors.New("claim has a case-variant name, or a NumericDate that is not a number within 2^53 seconds"))
	errClaimsDecode  = invalid(jwt.ErrTokenMalformed, errors.New("claims do not decode into the claims type"))
	errIssuer        = invalid(jwt.ErrTokenInvalidClaims, jwt.ErrTokenInvalidIssuer)
)

// normalizeType lower-cases a typ value and drops an "application/" prefix
// (RFC 7515 section 4.1.9); New stores the configured type this way.
func normalizeType(t string) string {
	return strings.TrimPrefix(strings.ToLower(t), "application/")
}

// typeMatches reports whether the header's typ names the normalized type
// want, without allocating.
func typeMatches(typ, want string) bool {
	const prefix = "application/"
	if len(typ) > len(prefix) && strings.EqualFold(typ[:len(prefix)], prefix) {
		typ = typ[len(prefix):]
	}
	return strings.EqualFold(typ, want)
}
