package jwtauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// Middleware verifies JWTs for net/http handlers. Create one with [New] or
// [NewMultiIssuer]; it is immutable and safe for concurrent use by any number
// of requests.
type Middleware struct {
	single   *verifier            // New
	byIssuer map[string]*verifier // NewMultiIssuer
	cfg      config
	cache    *tokenCache
}

// verifier is one trust relationship: a key source and the claims checks
// that go with it.
type verifier struct {
	keys      KeySource
	tokenKeys interface {
		keyForToken(t *jwt.Token, alg string) (*Key, error)
	} // Keyfunc sources
	insecureHMAC bool // WithInsecureShortHMACKey
	algs         []string
	validator    *jwt.Validator
	issuers      []string // checked here when more than one
}

// New returns a middleware that verifies tokens with the keys of keys and
// the given options. Without options it requires an "Authorization: Bearer"
// token whose algorithm is one of the key source's, whose signature verifies,
// and which has an unexpired exp claim (nbf and iat are checked when present,
// iat may not lie in the future).
//
// New returns an error when keys is nil or was built from an unusable key, the
// key source names no algorithm, an HMAC secret is shorter than
// [MinHMACKeyLen] (unless [WithInsecureShortHMACKey]), a key source that
// serves keys shared by several parties (JWKS, OIDC) lacks [WithIssuer] and
// [WithAudience], or an option has an unusable value.
func New(keys KeySource, opts ...Option) (*Middleware, error) {
	c, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	v, err := newVerifier(&c, keys, c.issuers, c.audiences)
	if err != nil {
		return nil, err
	}
	return newMiddleware(c, v, nil), nil
}

// Issuer binds one token issuer to its own keys and audiences, for
// [NewMultiIssuer].
type Issuer struct {
	// Issuer is the exact iss claim of this issuer's tokens. Required.
	Issuer string
	// Keys verifies this issuer's tokens, and no other issuer's. Required.
	Keys KeySource
	// Audiences, if any, must include one of the token's aud values.
	// Required for key sources shared by several parties (JWKS, OIDC).
	Audiences []string
}

// NewMultiIssuer returns a middleware that accepts tokens from several
// issuers (tenants, or two providers during a migration). A token's iss claim
// selects its issuer; its signature must verify with that issuer's keys and
// its aud must match that issuer's audiences, so a token that claims issuer A
// but is signed with B's key is refused. Tokens without a configured iss are
// refused. opts are as for [New], except [WithIssuer] and [WithAudience],
// which are per issuer here and an error as options.
func NewMultiIssuer(issuers []Issuer, opts ...Option) (*Middleware, error) {
	c, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if len(c.issuers) > 0 || len(c.audiences) > 0 {
		return nil, errors.New("jwtauth: NewMultiIssuer takes issuers and audiences per Issuer, not as options")
	}
	if len(issuers) == 0 {
		return nil, errors.New("jwtauth: NewMultiIssuer needs at least one issuer")
	}
	by := make(map[string]*verifier, len(issuers))
	for _, is := range issuers {
		if is.Issuer == "" {
			return nil, errors.New("jwtauth: Issuer without an issuer name")
		}
		if _, dup := by[is.Issuer]; dup {
			return nil, fmt.Errorf("jwtauth: issuer %q given twice", is.Issuer)
		}
		for _, a := range is.Audiences {
			if a == "" {
				return nil, fmt.Errorf("jwtauth: issuer %q has an empty audience", is.Issuer)
			}
		}
		v, err := newVerifier(&c, is.Keys, []string{is.Issuer}, is.Audiences)
		if err != nil {
			return nil, fmt.Errorf("%w (issuer %q)", err, is.Issuer)
		}
		by[is.Issuer] = v
	}
	return newMiddleware(c, nil, by), nil
}

func applyOptions(opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&c); err != nil {
			return c, fmt.Errorf("jwtauth: %w", err)
		}
	}
	return c, nil
}

func newMiddleware(c config, single *verifier, by map[string]*verifier) *Middleware {
	m := &Middleware{single: single, byIssuer: by, cfg: c}
	if c.cacheSize > 0 {
		m.cache = newTokenCache(c.cacheSize)
	}
	return m
}

// newVerifier checks a key source and builds the claims validator for it.
func newVerifier(c *config, keys KeySource, issuers, audiences []string) (*verifier, error) {
	if keys == nil {
		return nil, errors.New("jwtauth: nil key source")
	}
	v := &verifier{keys: keys, insecureHMAC: c.insecureHMAC}
	if tk, ok := keys.(interface {
		keyForToken(t *jwt.Token, alg string) (*Key, error)
	}); ok {
		v.tokenKeys = tk
	}
	if sk, ok := keys.(staticKeys); ok {
		ks, err := sk.keys()
		if err != nil {
			return nil, err
		}
		for _, k := range ks {
			if k.short && !c.insecureHMAC {
				return nil, shortHMACError(k)
			}
		}
	}
	if shared, ok := keys.(interface{ requiresIssuer() bool }); ok && shared.requiresIssuer() {
		if len(issuers) == 0 || len(audiences) == 0 {
			return nil, errors.New("jwtauth: this key source serves keys shared by several parties: an issuer and an audience are required (RFC 8725 sections 3.8, 3.9)")
		}
	}
	// A source that knows its issuer (OIDC discovery) vouches for that
	// issuer's tokens only.
	if known, ok := keys.(interface{ Issuer() string }); ok {
		if len(issuers) != 1 || issuers[0] != known.Issuer() {
			return nil, fmt.Errorf("jwtauth: the key source belongs to issuer %q: accept exactly that issuer", known.Issuer())
		}
	}
	for _, a := range keys.Algorithms() {
		if !slices.Contains(algorithms, a) {
			return nil, fmt.Errorf("jwtauth: unsupported algorithm %q", a)
		}
		if !slices.Contains(v.algs, a) {
			v.algs = append(v.algs, a)
		}
	}
	if len(v.algs) == 0 {
		return nil, errors.New("jwtauth: the key source allows no algorithm")
	}

	popts := []jwt.ParserOption{jwt.WithIssuedAt(), jwt.WithLeeway(c.leeway)}
	if c.requireExp {
		popts = append(popts, jwt.WithExpirationRequired())
	}
	if c.now != nil {
		popts = append(popts, jwt.WithTimeFunc(c.now))
	}
	if len(audiences) > 0 {
		popts = append(popts, jwt.WithAudience(audiences...))
	}
	switch len(issuers) {
	case 0:
	case 1:
		popts = append(popts, jwt.WithIssuer(issuers[0]))
	default:
		v.issuers = issuers
	}
	v.validator = jwt.NewValidator(popts...)
	return v, nil
}

// Handler returns a handler that authenticates each request and then calls
// next with the claims in the request context (see [ClaimsFrom]). On failure
// it writes the error response (see [WriteError], [WithErrorHandler]) and
// does not call next; the request body is never read.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := m.authenticate(r)
		if err != nil {
			if !(m.cfg.optional && errors.Is(err, ErrMissingToken)) {
				m.fail(w, r, err)
				return
			}
			p = &principal{m: m}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	})
}

// fail reports err to the observer and writes the response.
func (m *Middleware) fail(w http.ResponseWriter, r *http.Request, err error) {
	if m.cfg.observer != nil {
		m.cfg.observer(r, err)
	}
	if m.cfg.errorHandler != nil {
		m.cfg.errorHandler(w, r, err)
		return
	}
	writeAuthError(w, m.cfg.realm, err)
}

// authenticate extracts and verifies the request's token.
func (m *Middleware) authenticate(r *http.Request) (*principal, error) {
	tok, err := extractToken(r, m.cfg.sources)
	if err != nil {
		return nil, err
	}
	return m.verify(r.Context(), tok)
}

// principal is what a verified request carries in its context.
type principal struct {
	m       *Middleware
	token   string
	claims  jwt.Claims // this request's own copy
	payload []byte     // the verified claims JSON, read-only
}

type ctxKey struct{}

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(ctxKey{}).(*principal)
	return p
}

// ClaimsFrom returns the verified claims the middleware put into ctx, as T:
// *jwt.RegisteredClaims by default, or *C for [WithClaims][C]. T may also be
// an interface the claims implement, such as jwt.Claims. It reports false if
// ctx holds no claims (no middleware, or [WithCredentialsOptional] without a
// token) or they are not a T. Each request has its own claims value.
func ClaimsFrom[T any](ctx context.Context) (T, bool) {
	var zero T
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		return zero, false
	}
	t, ok := p.claims.(T)
	return t, ok
}

// RawClaimsFrom returns the verified claims JSON exactly as the token
// carried it (a copy), for handlers that pass claims on or need members the
// claims type does not declare, without decoding into a map.
func RawClaimsFrom(ctx context.Context) (json.RawMessage, bool) {
	p := principalFrom(ctx)
	if p == nil || p.claims == nil {
		return nil, false
	}
	return bytes.Clone(p.payload), true
}

// TokenFrom returns the raw compact token the request was authenticated with,
// for forwarding to another service. Never log it.
func TokenFrom(ctx context.Context) (string, bool) {
	p := principalFrom(ctx)
	if p == nil || p.token == "" {
		return "", false
	}
	return p.token, true
}

// NewContext returns a copy of ctx carrying claims as if a middleware had
// verified them, for tests of handlers that read [ClaimsFrom] or sit behind
// [Middleware.Require]. claims are marshalled with encoding/json for the
// scope and role checks. There is no token ([TokenFrom] reports false).
func NewContext(ctx context.Context, claims jwt.Claims) context.Context {
	payload, err := json.Marshal(claims)
	if err != nil {
		payload = []byte("{}")
	}
	return context.WithValue(ctx, ctxKey{}, &principal{claims: claims, payload: payload})
}

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
	// One pass: the base64url alphabet and exactly two dots. This also
	// refuses padding, whitespace and line breaks anywhere.
	dot1, dot2 := -1, -1
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if b64url[c] {
			continue
		}
		if c != '.' || dot2 >= 0 {
			return nil, errShape
		}
		if dot1 < 0 {
			dot1 = i
		} else {
			dot2 = i
		}
	}
	if dot2 < 0 || dot1 == 0 || dot2 == dot1+1 || dot2 == len(tok)-1 {
		return nil, errShape
	}

	if m.cache == nil {
		p, v, _, _, err := m.verifyFull(ctx, tok, dot1, dot2)
		if err != nil {
			return nil, err
		}
		return m.finish(ctx, v, p, nil)
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
	p, v, key, kid, err := m.verifyFull(ctx, tok, dot1, dot2)
	if err != nil {
		return nil, err
	}
	if p, err = m.finish(ctx, v, p, &sum); err != nil {
		return nil, err // never cache a refused token
	}
	if key != nil {
		m.cache.put(sum, dot2, v, key, kid, p, m.pristine(p))
	}
	return p, nil
}

// header is what jwtauth reads of a JOSE header.
type header struct {
	alg, kid, typ string
}

// verifyFull verifies a token that is not in the cache. It returns the
// verifier and the key that verified it (a nil key for Keyfunc sources, whose
// keys cannot be re-checked on a cache hit) and the token's kid.
func (m *Middleware) verifyFull(ctx context.Context, tok string, dot1, dot2 int) (p *principal, v *verifier, key *Key, kid string, err error) {
	fail := func(err error) (*principal, *verifier, *Key, string, error) { return nil, nil, nil, "", err }
	hdr, err := decodeSegment(tok[:dot1])
	if err != nil {
		return fail(err)
	}
	h, err := parseHeader(hdr)
	if err != nil {
		return fail(err)
	}
	if m.cfg.typ != "" && !typeMatches(h.typ, m.cfg.typ) {
		return fail(errType)
	}
	payload, err := decodeSegment(tok[dot1+1 : dot2])
	if err != nil {
		return fail(err)
	}
	v = m.single
	if v == nil {
		// Several issuers: the unverified iss only selects whose keys and
		// rules apply; that issuer's validator then requires it exactly.
		if err := m.checkClaimsJSON(payload); err != nil {
			return fail(err)
		}
		if v = m.byIssuer[claimString(payload, "iss")]; v == nil {
			return fail(errIssuer)
		}
	}
	if !slices.Contains(v.algs, h.alg) {
		return fail(errAlgNotAllowed)
	}

	if v.tokenKeys != nil {
		key, err = keyFromFunc(v, hdr, h.alg, payload)
	} else {
		key, err = v.keys.Key(ctx, h.kid, h.alg)
	}
	if err != nil {
		if errors.Is(err, ErrKeysUnavailable) {
			return fail(err)
		}
		return fail(invalid(jwt.ErrTokenUnverifiable, err))
	}
	if key == nil || key.alg != h.alg {
		return fail(invalid(jwt.ErrTokenUnverifiable, errAlgMismatch))
	}
	if key.short && !v.insecureHMAC { // every source, a user's own included
		return fail(invalid(jwt.ErrTokenUnverifiable, errShortHMAC))
	}

	sig, err := decodeSegment(tok[dot2+1:])
	if err != nil {
		return fail(err)
	}
	if err := key.verify(tok[:dot2], sig); err != nil {
		return fail(invalid(jwt.ErrTokenSignatureInvalid, err))
	}

	if m.single != nil {
		if err := m.checkClaimsJSON(payload); err != nil {
			return fail(err)
		}
	}
	claims, err := m.cfg.claims.decode(payload)
	if err != nil {
		return fail(err)
	}
	p = &principal{m: m, token: tok, claims: claims, payload: payload}
	if v.tokenKeys != nil {
		key = nil
	}
	return p, v, key, h.kid, nil
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

// claim returns the kind and raw value of the top-level member name of
// checked claims JSON; Invalid if absent.
func claim(payload []byte, name string) (jsonscan.Kind, []byte) {
	kind, raw := jsonscan.Invalid, []byte(nil)
	_ = jsonscan.Members(payload, func(n []byte, k jsonscan.Kind, r []byte) bool {
		if string(n) != name {
			return true
		}
		kind, raw = k, r
		return false
	})
	return kind, raw
}

// claimString returns the top-level string claim name of checked claims
// JSON, "" if absent or not a string.
func claimString(payload []byte, name string) string {
	if kind, raw := claim(payload, name); kind == jsonscan.String {
		s, _ := rawString(raw)
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

// Response bodies: constants, never built from the request or the token.
var (
	bodyNotAuthenticated = []byte(`{"detail":"Not authenticated"}` + "\n")
	bodyInvalidToken     = []byte(`{"detail":"Could not validate credentials"}` + "\n")
	bodyMalformed        = []byte(`{"detail":"Malformed authorization request"}` + "\n")
	bodyForbidden        = []byte(`{"detail":"Not enough permissions"}` + "\n")
	bodyUnavailable      = []byte(`{"detail":"Authentication temporarily unavailable"}` + "\n")
	bodyInternal         = []byte(`{"detail":"Internal Server Error"}` + "\n")
)

// RetryAfterSeconds is the Retry-After value of a 503 response when no
// verification keys can be had.
const RetryAfterSeconds = "30"

// WriteError writes err as the response the library gives for it, with a
// JSON body in FastAPI's shape ({"detail": ...}) and Content-Type
// application/json:
//
//   - [ErrMissingToken]: 401, WWW-Authenticate: Bearer realm="…";
//   - [ErrInvalidToken] (any reason): 401, Bearer realm="…",
//     error="invalid_token", always the same body;
//   - [ErrMalformedRequest]: 400, error="invalid_request";
//   - [ErrInsufficientScope]: 403, error="insufficient_scope" and, for
//     [Scopes] requirements, scope="…";
//   - [ErrKeysUnavailable]: 503 with Retry-After: [RetryAfterSeconds];
//   - body decoding errors: 413, 415 or 422 (see [Decode]);
//   - [*HTTPError]: its status and detail;
//   - anything else: 500 with a generic body.
//
// The realm is the one of the middleware that handled r, else [DefaultRealm].
// err.Error() is never written.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	realm := DefaultRealm
	if r != nil {
		if p := principalFrom(r.Context()); p != nil && p.m != nil {
			realm = p.m.cfg.realm
		}
	}
	if writeAuthError(w, realm, err) {
		return
	}
	if writeBodyError(w, err) {
		return
	}
	writeBody(w, http.StatusInternalServerError, bodyInternal)
}

// writeAuthError writes the authentication and authorization errors and
// reports whether err was one.
func writeAuthError(w http.ResponseWriter, realm string, err error) bool {
	h := w.Header()
	challenge := `Bearer realm="` + realm + `"`
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		h.Set("Retry-After", RetryAfterSeconds)
		writeBody(w, http.StatusServiceUnavailable, bodyUnavailable)
	case errors.Is(err, ErrMalformedRequest):
		h.Set("WWW-Authenticate", challenge+`, error="invalid_request"`)
		writeBody(w, http.StatusBadRequest, bodyMalformed)
	case errors.Is(err, ErrInvalidToken):
		h.Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
		writeBody(w, http.StatusUnauthorized, bodyInvalidToken)
	case errors.Is(err, ErrMissingToken):
		h.Set("WWW-Authenticate", challenge)
		writeBody(w, http.StatusUnauthorized, bodyNotAuthenticated)
	case errors.Is(err, ErrInsufficientScope):
		c := challenge + `, error="insufficient_scope"`
		var se *scopeError
		if errors.As(err, &se) && se.scope != "" {
			c += `, scope="` + se.scope + `"`
		}
		h.Set("WWW-Authenticate", c)
		writeBody(w, http.StatusForbidden, bodyForbidden)
	default:
		return false
	}
	return true
}

// unsafeBytes returns the bytes of s without copying them, for functions
// that only read their argument (base64 decoding, hashing): the token is
// already a string, and copying it costs an allocation per segment.
func unsafeBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
