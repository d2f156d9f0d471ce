package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Middleware verifies JWTs for net/http handlers. Create one with [New] or
// [NewMultiIssuer]; it is immutable and safe for concurrent use by any number
// of requests.
type Middleware struct {
	single   *verifier            // New
	byIssuer map[string]*verifier // NewMultiIssuer
	cfg      config
	cache    *tokenCache

	dpop      *dpopVerifier // nil with DPoPDisabled
	challenge challenge
}

// verifier is one trust relationship: a key source and the claims checks
// that go with it.
type verifier struct {
	keys         KeySource
	tokenKeys    tokenKeySource // Keyfunc sources
	insecureHMAC bool           // WithInsecureShortHMACKey
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
// [MinHMACKeyBytes] (unless [WithInsecureShortHMACKey]), a key source that
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
			return c, errors.New("jwtauth: nil Option")
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, c.checkDPoP()
}

func newMiddleware(c config, single *verifier, by map[string]*verifier) *Middleware {
	m := &Middleware{single: single, byIssuer: by, cfg: c, dpop: newDPoPVerifier(&c)}
	algs := ""
	if m.dpop != nil {
		algs = strings.Join(m.dpop.algs, " ")
	}
	m.challenge = newChallenge(c.realm, algs, c.dpop.mode == DPoPRequired)
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
	if tk, ok := keys.(tokenKeySource); ok {
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
	if shared, ok := keys.(SharedKeySource); ok && shared.SharedKeys() {
		if len(issuers) == 0 || len(audiences) == 0 {
			return nil, errors.New("jwtauth: this key source serves keys shared by several parties: an issuer and an audience are required (RFC 8725 sections 3.8, 3.9)")
		}
	}
	// A source that knows its issuer (OIDC discovery) vouches for that
	// issuer's tokens only.
	if known, ok := keys.(IssuerKeySource); ok {
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
	return &authHandler{m: m, next: next}
}

// authHandler is the handler [Middleware.Handler] returns; a named type so
// that an [API] can read the middleware and the handler it wraps.
type authHandler struct {
	m    *Middleware
	next http.Handler
}

func (h *authHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	p, err := m.authenticate(w, r)
	if err != nil {
		if !(m.cfg.optional && errors.Is(err, ErrMissingToken)) {
			m.fail(w, r, err)
			return
		}
		p = &principal{m: m}
	}
	h.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
}

// fail reports err to the observer and writes the response.
func (m *Middleware) fail(w http.ResponseWriter, r *http.Request, err error) {
	if m.cfg.observer != nil {
		m.cfg.observer(r, err)
	}
	if m.cfg.errorHandler != nil {
		m.cfg.errorHandler(w, r, &challengeError{err: err, ch: &m.challenge})
		return
	}
	p := principalFrom(r.Context())
	writeAuthError(w, &m.challenge, p != nil && p.dpop != nil, err)
}

// authenticate extracts and verifies the request's token and, for the
// DPoP scheme, its proof (which may set a DPoP-Nonce header on w).
func (m *Middleware) authenticate(w http.ResponseWriter, r *http.Request) (*principal, error) {
	cred, err := extractToken(r, m.cfg.sources, m.dpop != nil)
	if err != nil {
		return nil, viaScheme(cred.scheme, err)
	}
	p, err := m.verify(r.Context(), cred.token)
	if err != nil {
		return nil, viaScheme(cred.scheme, err)
	}
	return m.checkBinding(w, r, cred.scheme, p)
}
