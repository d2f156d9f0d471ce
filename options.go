package jwtauth

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Option configures a [Middleware]. Options are applied in order by [New];
// an option given an unusable value makes New return an error.
//
// The three option types of the package ([Option], [JWKSOption],
// [DecodeOption]) share one shape and one rule: each is a function that
// returns an error for a value it cannot use, and zero never silently means
// "the default". A zero or negative size, limit, count or interval is an
// error; zero is accepted only where the option documents what it means
// (no leeway, no cooldown, no waiting).
type Option func(*config) error

// MaxLeeway is the largest clock-skew allowance [WithLeeway] accepts.
const MaxLeeway = 5 * time.Minute

// DefaultMaxTokenBytes is the default token length cap; see [WithMaxTokenBytes].
const DefaultMaxTokenBytes = 8 << 10

// DefaultRealm is the default realm of the WWW-Authenticate challenge; see
// [WithRealm].
const DefaultRealm = "api"

// config is what the options set; New turns it into a Middleware.
type config struct {
	leeway         time.Duration
	now            func() time.Time
	requireExp     bool
	issuers        []string
	audiences      []string
	maxTokenLen    int
	typ            string
	sources        []TokenSource
	optional       bool
	realm          string
	insecureHMAC   bool
	revoked        func(ctx context.Context, t TokenInfo) error
	errorHandler   func(w http.ResponseWriter, r *http.Request, err error)
	observer       func(r *http.Request, err error)
	cacheSize      int
	claims         claimsType
	claimsTypeSeen bool
	dpop           dpopConfig
}

// dpopConfig is what the DPoP options set.
type dpopConfig struct {
	mode       DPoPMode
	algs       []string
	window     time.Duration
	store      ReplayStore
	nonceKey   []byte
	nonceStep  time.Duration
	publicURL  *publicURL
	forwarded  bool
	optionsSet []string // the DPoP options given, for the error of DPoPDisabled
}

func defaultConfig() config {
	return config{
		requireExp:  true,
		maxTokenLen: DefaultMaxTokenBytes,
		realm:       DefaultRealm,
		sources:     []TokenSource{FromBearer()},
		claims:      claimsTypeOf[jwt.RegisteredClaims](),
		dpop:        dpopConfig{mode: DPoPAllowed, algs: defaultDPoPAlgorithms, window: DefaultDPoPProofWindow},
	}
}

// WithIssuer requires the iss claim to equal one of issuers exactly
// (case-sensitive, no normalisation). Default: iss is not checked. Key
// sources shared by several parties, such as a JWKS endpoint, need it
// (RFC 8725 section 3.8).
func WithIssuer(issuers ...string) Option {
	return func(c *config) error {
		if len(issuers) == 0 {
			return optionError("WithIssuer: no issuer given")
		}
		for _, s := range issuers {
			if s == "" {
				return optionError("WithIssuer: empty issuer")
			}
		}
		c.issuers = append([]string(nil), issuers...)
		return nil
	}
}

// WithAudience requires the aud claim to contain at least one of audiences,
// compared exactly. Default: aud is not checked. Key sources shared by several
// parties need it (RFC 8725 section 3.9).
func WithAudience(audiences ...string) Option {
	return func(c *config) error {
		if len(audiences) == 0 {
			return optionError("WithAudience: no audience given")
		}
		for _, s := range audiences {
			if s == "" {
				return optionError("WithAudience: empty audience")
			}
		}
		c.audiences = append([]string(nil), audiences...)
		return nil
	}
}

// WithoutExpirationRequired accepts tokens that have no exp claim. Default:
// exp is required. A token without exp never expires, so use this only for
// tokens you can revoke otherwise (see [WithRevocationCheck]) or for demos.
// A present exp is always checked.
func WithoutExpirationRequired() Option {
	return func(c *config) error { c.requireExp = false; return nil }
}

// WithLeeway allows d of clock skew when checking exp, nbf and iat. Default:
// 0. d must be between 0 and [MaxLeeway].
func WithLeeway(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > MaxLeeway {
			return optionError("WithLeeway: %v is outside [0, %v]", d, MaxLeeway)
		}
		c.leeway = d
		return nil
	}
}

// WithTimeFunc sets the clock used for exp, nbf and iat. Default: time.Now.
// Tests pass a fixed clock.
func WithTimeFunc(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return optionError("WithTimeFunc: nil function")
		}
		c.now = now
		return nil
	}
}

// WithMaxTokenBytes rejects tokens longer than n bytes before any parsing.
// Default: [DefaultMaxTokenBytes] (8 KiB).
func WithMaxTokenBytes(n int) Option {
	return func(c *config) error {
		if n < 16 {
			return optionError("WithMaxTokenBytes: %d is too small", n)
		}
		c.maxTokenLen = n
		return nil
	}
}

// WithType requires the typ header to name the media type typ, such as
// "at+jwt" for OAuth 2.0 access tokens (RFC 9068). The comparison ignores
// case and an "application/" prefix, as RFC 7515 section 4.1.9 allows.
// Default: typ is not checked.
func WithType(typ string) Option {
	return func(c *config) error {
		t := normalizeType(typ)
		if t == "" {
			return optionError("WithType: empty type")
		}
		c.typ = t
		return nil
	}
}

// WithTokenSources sets where the token is taken from, in order. Default:
// [FromBearer] only. Every source is consulted; a token found by more than one
// source is a malformed request (400 invalid_request), never a choice.
func WithTokenSources(sources ...TokenSource) Option {
	return func(c *config) error {
		if len(sources) == 0 {
			return optionError("WithTokenSources: no source given")
		}
		for i, s := range sources {
			if s.err != nil {
				return optionError("%w", s.err)
			}
			for _, o := range sources[:i] {
				if s.place() == o.place() && s.kind != srcFunc {
					return optionError("WithTokenSources: two sources read the same place (%s)", s.place())
				}
			}
		}
		c.sources = append([]TokenSource(nil), sources...)
		return nil
	}
}

// WithCredentialsOptional lets requests without any token through to the
// next handler, without claims ([ClaimsFrom] reports false). A token that is
// present but invalid or malformed is still rejected. Default: a token is
// required.
func WithCredentialsOptional() Option {
	return func(c *config) error { c.optional = true; return nil }
}

// WithRealm sets the realm of the WWW-Authenticate challenge. Default:
// [DefaultRealm]. The realm may not contain quotes, backslashes or control
// characters.
func WithRealm(realm string) Option {
	return func(c *config) error {
		if realm == "" || strings.ContainsFunc(realm, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' || r == '\\' }) {
			return optionError("WithRealm: unusable realm")
		}
		c.realm = realm
		return nil
	}
}

// WithInsecureShortHMACKey accepts HMAC secrets shorter than their hash
// ([MinHMACKeyBytesFor]: 32, 48 and 64 bytes for HS256, HS384 and HS512).
// Default: such a secret is a construction error from a source of this
// package, and a refused token (401) when a [Keyfunc] or a user's own
// [KeySource] returns it. Short secrets can be brute-forced offline from a
// single token; this option exists for demos such as the FastAPI tutorial's
// key "secret", never for production.
func WithInsecureShortHMACKey() Option {
	return func(c *config) error { c.insecureHMAC = true; return nil }
}

// WithRevocationCheck calls check after a token has been verified, on every
// request (also when the token came from the verified-token cache). A non-nil
// error rejects the request: 401 invalid_token, or 503 if the error wraps
// [ErrKeysUnavailable]. Fail closed: a deny list that cannot be reached should
// return an error. Default: no check.
func WithRevocationCheck(check func(ctx context.Context, t TokenInfo) error) Option {
	return func(c *config) error {
		if check == nil {
			return optionError("WithRevocationCheck: nil function")
		}
		c.revoked = check
		return nil
	}
}

// WithErrorHandler replaces how failures are written. h receives an error
// that wraps one of [ErrMissingToken], [ErrMalformedRequest],
// [ErrInvalidToken], [ErrInsufficientScope] or [ErrKeysUnavailable] and, where
// there is one, golang-jwt's error (errors.Is(err, jwt.ErrTokenExpired)). It
// must not write err.Error() or the token to the client. Default:
// [WriteError].
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(c *config) error {
		if h == nil {
			return optionError("WithErrorHandler: nil function")
		}
		c.errorHandler = h
		return nil
	}
}

// WithErrorObserver calls observe for every rejected request, before the
// response is written, for logging or metrics. err is as for
// [WithErrorHandler]; the library's own messages never contain the token or
// a key (an error from your own Keyfunc, claims Validate method or revocation
// check is passed on as you wrote it). Default: none.
func WithErrorObserver(observe func(r *http.Request, err error)) Option {
	return func(c *config) error {
		if observe == nil {
			return optionError("WithErrorObserver: nil function")
		}
		c.observer = observe
		return nil
	}
}

// WithCache keeps up to size verified tokens, keyed by the SHA-256 of the
// signing input ([TokenInfo.Hash]), so a repeated token skips signature
// verification. The encodings of one token's signature share one entry: a
// token whose signature differs from the one the entry verified is served
// from it only after the entry's key verifies that signature. On every hit
// the key is looked up again (a changed or removed key drops the entry), the
// claims are validated again against the clock (exp, nbf, iat, and a claims
// type's own Validate), the revocation check runs, and the handler gets its
// own copy of the claims. Only accepted tokens are cached. When full, an
// arbitrary entry is evicted. Tokens verified through a [Keyfunc] source are
// never cached (their keys cannot be looked up again). Default: no cache.
func WithCache(size int) Option {
	return func(c *config) error {
		if size <= 0 {
			return optionError("WithCache: size %d must be positive", size)
		}
		c.cacheSize = size
		return nil
	}
}

// WithClaims makes the middleware decode claims into a fresh C for every
// request, so handlers read them with ClaimsFrom[*C]. Default:
// [jwt.RegisteredClaims].
//
// Spell it with the struct type, not a pointer: WithClaims[MyClaims]()
// (WithClaims[*MyClaims]() does not compile: "**MyClaims does not satisfy
// ..."). The claims are then a *MyClaims, which [ClaimsFrom] and [Check]
// also give as MyClaims (a copy) and, when MyClaims embeds
// jwt.RegisteredClaims, as *jwt.RegisteredClaims.
//
// If *C implements [jwt.ClaimsValidator], its Validate method runs after the
// standard checks and its error rejects the token; Validate methods of
// nested values run as they do for bodies.
//
// C is decoded by the strict decoder of [Decode], not encoding/json: member
// names match JSON names exactly at every level (a case variant of a field's
// name is refused), types are not coerced, jwt.NumericDate fields take JSON
// numbers only, members C does not declare are ignored, and validate tags
// apply. New reports an error if C cannot be decoded into (see [TagError]).
func WithClaims[C any, P interface {
	*C
	jwt.Claims
}]() Option {
	return func(c *config) error {
		if c.claimsTypeSeen {
			return optionError("WithClaims: given twice")
		}
		c.claimsTypeSeen = true
		c.claims = claimsTypeOf[C, P]()
		if c.claims.err != nil {
			return optionError("WithClaims: %w", c.claims.err)
		}
		return nil
	}
}

// WithDPoP sets which authorization schemes the middleware accepts (RFC
// 9449, OAuth 2.0 Demonstrating Proof of Possession). Default:
// [DPoPAllowed]. Whatever the mode, a token with a "cnf" (confirmation)
// claim is accepted only under the DPoP scheme with a valid proof of its
// "cnf"."jkt" key, never as a Bearer token, a raw token of
// [FromAuthorization], a cookie or a query parameter (RFC 9449 section
// 7.2), and a "cnf" with any other confirmation method (such as RFC 8705's
// "x5t#S256") is refused, since it cannot be checked here.
//
// With [DPoPAllowed] or [DPoPRequired], "Authorization: DPoP <token>" is read
// by the [FromBearer] and [FromAuthorization] sources, and each such request
// needs one DPoP header holding a proof that passes every check of RFC 9449
// section 4.3 (see [DPoPProof]) and has not been used before (see
// [WithDPoPReplayStore]). [DPoPRequired] refuses Bearer and raw tokens and
// tokens without "cnf"."jkt", and [New] refuses it together with a token
// source that cannot carry the DPoP scheme (a cookie, query or function
// source).
func WithDPoP(mode DPoPMode) Option {
	return func(c *config) error {
		if mode < DPoPDisabled || mode > DPoPRequired {
			return optionError("WithDPoP: unknown mode %d", mode)
		}
		c.dpop.mode = mode
		return nil
	}
}

// WithDPoPAlgorithms sets the algorithms a DPoP proof may be signed with,
// which the DPoP challenge lists in its algs parameter in this order.
// Default: ES256, ES384, ES512, RS256, PS256, EdDSA and Ed25519. algs must be
// asymmetric algorithms jwtauth verifies (see [WithJWKSAlgorithms]); HMAC
// and "none" never are. Needs DPoP enabled (see [WithDPoP]).
func WithDPoPAlgorithms(algs ...string) Option {
	return func(c *config) error {
		if len(algs) == 0 {
			return optionError("WithDPoPAlgorithms: no algorithms given")
		}
		var list []string
		for _, a := range algs {
			if !slices.Contains(defaultJWKSAlgorithms, a) {
				return optionError("WithDPoPAlgorithms: %s is not an asymmetric algorithm jwtauth verifies", strconv.Quote(a))
			}
			if !slices.Contains(list, a) {
				list = append(list, a)
			}
		}
		c.dpop.algs = list
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPAlgorithms")
		return nil
	}
}

// MaxDPoPProofWindow is the longest proof window [WithDPoPProofWindow] accepts.
const MaxDPoPProofWindow = time.Hour

// WithDPoPProofWindow sets how old a DPoP proof may be: its iat must lie
// after now - d - leeway and at most now + leeway, with the leeway of
// [WithLeeway] (0 by default, so clients whose clocks run ahead need a
// leeway or server nonces, see [WithDPoPNonce]). The replay check remembers
// each proof for as long as it is acceptable plus [MaxLeeway], so that
// instances sharing a store whose clocks differ by up to that much still
// refuse each other's replays. Default:
// [DefaultDPoPProofWindow] (5 minutes); d must lie in (0, [MaxDPoPProofWindow]].
// Needs DPoP enabled.
func WithDPoPProofWindow(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > MaxDPoPProofWindow {
			return optionError("WithDPoPProofWindow: %v is outside (0, %v]", d, MaxDPoPProofWindow)
		}
		c.dpop.window = d
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPProofWindow")
		return nil
	}
}

// WithDPoPReplayStore sets the store that refuses a second use of a proof.
// Default: a [MemoryReplayStore] of [DefaultReplayStoreSize] keys for this
// middleware alone, on the middleware's clock. Several instances behind one
// load balancer must share a store, or a proof sent to one can be replayed
// to another within the proof window. A store error or a full store
// refuses the request (503, [ErrReplayStoreUnavailable]). Needs DPoP enabled.
func WithDPoPReplayStore(store ReplayStore) Option {
	return func(c *config) error {
		if store == nil {
			return optionError("WithDPoPReplayStore: nil store")
		}
		c.dpop.store = store
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPReplayStore")
		return nil
	}
}

// MinDPoPNonceSecretBytes is the shortest secret [WithDPoPNonce] accepts.
const MinDPoPNonceSecretBytes = 32

// WithDPoPNonce makes the middleware require server nonces in DPoP proofs
// (RFC 9449 section 8). A nonce is an HMAC-SHA256 with secret over a time
// step of length step: it is valid during its step and the next one, so
// between step and 2*step, and instances that share secret accept each
// other's nonces with no shared state. A proof without a valid nonce is
// refused with 401, WWW-Authenticate: DPoP error="use_dpop_nonce" and a
// fresh nonce in the DPoP-Nonce header ([ErrUseDPoPNonce]); a request whose
// nonce is of the previous step succeeds and gets the current nonce in
// DPoP-Nonce, so that a client that keeps using the latest nonce it was
// given never sees use_dpop_nonce again. Browser clients can read these
// headers across origins only if the CORS layer sends
// Access-Control-Expose-Headers: WWW-Authenticate, DPoP-Nonce. Default: no
// nonces. secret must be at least [MinDPoPNonceSecretBytes] bytes (it is
// copied); step must lie in [10s, 1h]. Changing the secret invalidates the
// nonces handed out, which costs each client one extra round trip. Needs
// DPoP enabled.
func WithDPoPNonce(secret []byte, step time.Duration) Option {
	return func(c *config) error {
		if len(secret) < MinDPoPNonceSecretBytes {
			return optionError("WithDPoPNonce: the secret must be at least %d bytes", MinDPoPNonceSecretBytes)
		}
		if step < 10*time.Second || step > time.Hour {
			return optionError("WithDPoPNonce: step %v is outside [10s, 1h]", step)
		}
		c.dpop.nonceKey = slices.Clone(secret)
		c.dpop.nonceStep = step
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPNonce")
		return nil
	}
}

// WithDPoPPublicURL sets the external origin of the API, for the check of a
// proof's htu claim behind a reverse proxy or a load balancer that
// terminates TLS: base is an absolute http or https URL such as
// "https://api.example.com" or "https://example.com/api", without query,
// fragment or user information, and the request's URI is base's scheme and
// host, then base's path (without a trailing slash), then the request's
// path. Default: the scheme is https if the request came over TLS, http
// otherwise, and the host is the request's Host header. Excludes
// [WithDPoPTrustedForwardedHeaders]. Needs DPoP enabled.
func WithDPoPPublicURL(base string) Option {
	return func(c *config) error {
		u, err := parsePublicURL(base)
		if err != nil {
			return optionError("WithDPoPPublicURL: %w", err)
		}
		c.dpop.publicURL = u
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPPublicURL")
		return nil
	}
}

// WithDPoPTrustedForwardedHeaders takes the scheme and host of the request
// URI that a proof's htu must match from the X-Forwarded-Proto and
// X-Forwarded-Host headers when the request has them (each at most once,
// holding one value; more is a refused proof), and as by default when it has
// not. Security: anyone who can reach the server directly can set these
// headers, so use this only behind a proxy that sets or overwrites both on
// every request and only when the server cannot be reached around it;
// prefer [WithDPoPPublicURL]. Default: forwarded headers are never read.
// Excludes WithDPoPPublicURL. Needs DPoP enabled.
func WithDPoPTrustedForwardedHeaders() Option {
	return func(c *config) error {
		c.dpop.forwarded = true
		c.dpop.optionsSet = append(c.dpop.optionsSet, "WithDPoPTrustedForwardedHeaders")
		return nil
	}
}

// DecodeOption configures [Decode], [DecodeReader], [DecodeBytes] and
// [Handle].
type DecodeOption func(*decodeConfig) error

// WithMaxBodyBytes sets the body size limit; a larger body is refused with
// 413 ([ErrBodyTooLarge]): before reading if Content-Length says so, or as
// soon as the limit is passed for a chunked body. The default is
// [DefaultMaxBodyBytes] (1 MiB). n must be positive; a limit above
// [MaxBodyBytesLimit] is lowered to it. [DecodeBytes] has no limit (an unusable n is still an error).
func WithMaxBodyBytes(n int64) DecodeOption {
	return func(c *decodeConfig) error {
		if n <= 0 {
			return optionError("WithMaxBodyBytes: limit must be positive, not %d", n)
		}
		c.maxBytes = min(n, MaxBodyBytesLimit)
		return nil
	}
}

// MaxBodyBytesLimit is the largest body limit [WithMaxBodyBytes] sets (1 GiB):
// the body is held in memory while it is decoded.
const MaxBodyBytesLimit = 1 << 30

// WithMaxDepth sets how deeply arrays and objects may nest; a deeper body is
// refused with 422 json_invalid. The default is [DefaultMaxDepth] (32); n
// must be positive.
func WithMaxDepth(n int) DecodeOption {
	return func(c *decodeConfig) error {
		if n <= 0 {
			return optionError("WithMaxDepth: depth must be positive, not %d", n)
		}
		c.maxDepth = n
		return nil
	}
}

// WithIgnoreUnknownFields makes the decoder skip object keys that match no
// struct field. By default each is an "extra_forbidden" error (pydantic's
// extra="forbid"). Duplicate and case-variant keys are refused either way.
func WithIgnoreUnknownFields() DecodeOption {
	return func(c *decodeConfig) error { c.ignoreUnknown = true; return nil }
}

// WithHandlerErrorObserver makes a [Handle] handler call observe with every
// error it answers with, just before writing the response: a body refused
// by the decoder (413, 415, 400, 422), an error the handler function returns
// ([*HTTPError] and every error that becomes a 500), and a result that
// cannot be encoded as JSON (500). Successful responses are not observed.
// observe gets the request, and the error as it is (err.Error() escapes
// control characters for the library's own errors; an error from the
// handler function is the function's own). It must be safe for concurrent
// use. The default is no observer; the middleware's [WithErrorObserver] is
// separate and sees only authentication failures. [Decode], [DecodeReader]
// and [DecodeBytes] do not call observe, but a nil observe is an error from
// every one of them, as any misused option is.
func WithHandlerErrorObserver(observe func(r *http.Request, err error)) DecodeOption {
	return func(c *decodeConfig) error {
		if observe == nil {
			return optionError("WithHandlerErrorObserver: nil function")
		}
		c.observe = observe
		return nil
	}
}

// Defaults and bounds of a [JWKS] source; each is documented on the option
// that changes it.
const (
	defaultRefreshInterval = 15 * time.Minute
	defaultRefreshCooldown = time.Minute
	defaultLookupTimeout   = 2 * time.Second
	defaultFetchTimeout    = 10 * time.Second
	defaultMaxJWKSBytes    = 1 << 20
	minMaxAge              = time.Minute
	maxMaxAge              = 24 * time.Hour
)

// JWKSOption configures a [JWKS] or [OIDC] source.
type JWKSOption func(*jwksConfig) error

type jwksConfig struct {
	client        *http.Client
	interval      time.Duration
	cooldown      time.Duration
	lookupTimeout time.Duration
	fetchTimeout  time.Duration
	maxSize       int64
	algs          []string
	insecureHTTP  bool
	crossOrigin   bool
	ownTransport  bool // client.Transport is a clone only this source uses
	onError       func(error)

	// Test hooks.
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
	rand  func() float64 // in [0, 1), for the refresh jitter; called by the refresh loop only
}

// optionError is the error of a misused option of any of the three kinds,
// as New, NewJWKS, NewOIDC, Handle and the Decode functions return it.
func optionError(format string, args ...any) error {
	return fmt.Errorf("jwtauth: "+format, args...)
}

// WithHTTPClient sets the client that fetches the key set (and the discovery
// document of [NewOIDC]). The default is a client with a clone of
// [http.DefaultTransport]. The source uses a copy of c, whose redirect
// policy is wrapped so that every redirect must obey the same https rule as
// the URL itself (see [WithInsecureHTTP]), never go from https to http and
// stay on the URL's origin (see [WithCrossOriginRedirects]) before c's own
// CheckRedirect is asked; c itself is not changed. The copy is otherwise
// used as it is, including its Timeout.
//
// Connections: if c's Transport is nil or an *[http.Transport], the source
// uses its own clone of it (same settings, its own connection pool), and
// [JWKS.Close] closes that clone's idle connections, so that nothing the
// source opened outlives it and nobody else's connections are touched. Any
// other [http.RoundTripper] is used as it is and Close leaves it alone,
// since it may be shared: its owner closes its idle connections (for
// example with c.CloseIdleConnections) after closing the source.
func WithHTTPClient(c *http.Client) JWKSOption {
	return func(cfg *jwksConfig) error {
		if c == nil {
			return optionError("WithHTTPClient: nil client")
		}
		cfg.client = c
		return nil
	}
}

// WithRefreshInterval sets how often the key set is fetched again in the
// background. The default is 15 minutes; d must be positive.
//
// The interval is the longest the source goes between refreshes, whatever
// the key server says, so that a key the provider removed stops verifying
// within it. A successful answer with a Cache-Control max-age directive may
// make the next refresh sooner, never later: it comes after the smaller of
// the interval and max-age, but not sooner than 1 minute (no-cache and
// no-store count as max-age=0, so as 1 minute). After a failed fetch the next
// attempt is made after the smaller of the interval and the cooldown
// ([WithRefreshCooldown]).
//
// Jitter: so that instances started at the same moment (a deployment, an
// autoscaler) do not fetch in step, every background delay so chosen is
// shortened by a random share of itself, never lengthened: the first
// refresh after the start fetch comes after 10–100 % of it, chosen
// uniformly, which spreads the instances' phases over the interval, and
// each later one after 80–100 % (90 % ± 10 %), which keeps them spread.
// A max-age of 1 minute may thus refresh after 48 seconds.
//
// Load on the key server: each instance fetches once when it starts
// (instances started together fetch together then), and afterwards about
// once every 0.9 × interval, at times spread evenly over the interval, so
// N instances make about N / (0.9 × interval) fetches per unit of time
// with no bursts: 100 instances at the default 15 minutes make about 7.4
// fetches a minute. Tokens with unknown kids add at most one fetch per
// instance per cooldown: a newly published key costs each instance one
// fetch (N in all), and made-up kids at most N per cooldown.
func WithRefreshInterval(d time.Duration) JWKSOption {
	return func(cfg *jwksConfig) error {
		if d <= 0 {
			return optionError("WithRefreshInterval: interval must be positive, not %v", d)
		}
		cfg.interval = d
		return nil
	}
}

// WithRefreshCooldown sets the least time between the starts of two fetches
// caused by tokens whose kid is unknown: a token with an unknown kid triggers
// a fetch only if no such fetch has started within the cooldown (a fetch
// already in flight, whatever started it, is joined instead), and is rejected
// otherwise. The first fetch and the background refreshes do not count
// against this budget, so a key published at any time is accepted on its
// first request as long as no other unknown kid has fetched within the
// cooldown. This bounds the load that tokens with made-up kids put on the key
// server to one fetch per cooldown. The default is 1 minute.
//
// d must not be negative. 0 means no cooldown: every token with an unknown
// kid fetches (still one fetch at a time, shared by concurrent lookups), and
// a failed fetch is retried after the refresh interval. That suits tests that
// rotate keys several times; in production it lets anyone with made-up kids
// keep the source fetching back to back.
func WithRefreshCooldown(d time.Duration) JWKSOption {
	return func(cfg *jwksConfig) error {
		if d < 0 {
			return optionError("WithRefreshCooldown: cooldown must not be negative, not %v", d)
		}
		cfg.cooldown = d
		return nil
	}
}

// WithLookupTimeout sets the longest a request waits for a fetch caused by
// its unknown kid (or by there being no keys yet); after it, the request is
// rejected while the fetch goes on in the background. The request's context
// can cut the wait shorter. The default is 2 seconds.
//
// d must not be negative. 0 means never wait: such a request is answered
// from the keys at hand, and a key the fetch brings serves later requests.
func WithLookupTimeout(d time.Duration) JWKSOption {
	return func(cfg *jwksConfig) error {
		if d < 0 {
			return optionError("WithLookupTimeout: timeout must not be negative, not %v", d)
		}
		cfg.lookupTimeout = d
		return nil
	}
}

// WithFetchTimeout sets the longest one fetch of the key set may take,
// including discovery for [NewOIDC], connecting and reading the body. The
// default is 10 seconds.
func WithFetchTimeout(d time.Duration) JWKSOption {
	return func(cfg *jwksConfig) error {
		if d <= 0 {
			return optionError("WithFetchTimeout: timeout must be positive, not %v", d)
		}
		cfg.fetchTimeout = d
		return nil
	}
}

// WithMaxJWKSBytes sets the largest key set (and discovery document) body
// accepted, in bytes; a larger one fails the fetch. The default is 1 MiB.
func WithMaxJWKSBytes(n int64) JWKSOption {
	return func(cfg *jwksConfig) error {
		if n <= 0 {
			return optionError("WithMaxJWKSBytes: size must be positive, not %d", n)
		}
		cfg.maxSize = n
		return nil
	}
}

// WithJWKSAlgorithms sets the algorithm allowlist of the source, returned by its
// Algorithms method. algs must be asymmetric algorithms jwtauth verifies
// (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA and
// Ed25519, RFC 9864's fully-specified name for EdDSA with an Ed25519 key);
// Ed448 is refused, as Go's standard library has no Ed448. The default is
// all of them.
//
// Each key is bound to algorithms of the allowlist as follows, and skipped
// (reported to [WithJWKSErrorHandler]; a token naming its kid is refused
// with the reason, see [JWKS.Key]) when none is left:
//
//   - A key with "alg" is bound to that algorithm, if the allowlist names it
//     ([ErrJWKIgnored] otherwise) and it fits the key ([ErrJWKInvalid]).
//   - An EC key without "alg" is bound to the algorithm of its curve (ES256
//     for P-256, ES384 for P-384, ES512 for P-521), if allowed.
//   - An Ed25519 key without "alg" is bound to each of EdDSA and Ed25519
//     that the allowlist names, as one *Key per name with the same key
//     material: the two names denote one signature scheme, so a token
//     saying either verifies.
//   - An RSA key without "alg" fits all six RS and PS algorithms, and is
//     bound only when the allowlist names exactly one of them. A key set
//     whose RSA keys have no "alg" (as some identity providers publish)
//     therefore needs, for example, WithJWKSAlgorithms("RS256", "ES256",
//     "EdDSA"): its RSA keys are then RS256 keys and its EC and Ed25519
//     keys are served as well. With the default allowlist such RSA keys
//     are skipped.
func WithJWKSAlgorithms(algs ...string) JWKSOption {
	return func(cfg *jwksConfig) error {
		if len(algs) == 0 {
			return optionError("WithJWKSAlgorithms: no algorithms given")
		}
		cfg.algs = nil
		for _, a := range algs {
			if a == "Ed448" {
				return optionError("WithJWKSAlgorithms: Ed448 is not supported (Go's standard library has no Ed448)")
			} else if !slices.Contains(defaultJWKSAlgorithms, a) {
				return optionError("WithJWKSAlgorithms: %s is not an asymmetric algorithm jwtauth verifies", strconv.Quote(a))
			}
			if !slices.Contains(cfg.algs, a) {
				cfg.algs = append(cfg.algs, a)
			}
		}
		return nil
	}
}

// WithInsecureHTTP allows fetching over plain http from any host. Without it,
// the key set URL, an issuer, a discovered jwks_uri and every redirect must
// use https, except for the loopback hosts localhost, 127.0.0.0/8 and ::1.
// Keys fetched over plain http can be replaced by anyone on the network path.
func WithInsecureHTTP() JWKSOption {
	return func(cfg *jwksConfig) error { cfg.insecureHTTP = true; return nil }
}

// WithCrossOriginRedirects lets a fetch follow a redirect to another origin
// (scheme, host or port) than the URL it started from. Without it, such a
// redirect fails the fetch: the key set URL, and for [NewOIDC] the issuer's
// discovery URL and the discovered jwks_uri, are the only servers the keys
// may come from. Every hop must still obey the https rule of
// [WithInsecureHTTP], and no hop may go from https to http.
//
// Security: whoever the key server can redirect to decides which tokens are
// accepted. Allow it only when the provider really serves its keys through
// such a redirect (a CDN, say) and the URLs involved are trusted.
func WithCrossOriginRedirects() JWKSOption {
	return func(cfg *jwksConfig) error { cfg.crossOrigin = true; return nil }
}

// WithJWKSErrorHandler sets a function called with every failed fetch (the
// error [JWKS.Err] then returns) and with a [*JWKError] for every key skipped
// by an otherwise successful fetch. It is called from the fetching goroutine,
// one call at a time per source; it must not block for long. The default
// discards these errors.
func WithJWKSErrorHandler(fn func(error)) JWKSOption {
	return func(cfg *jwksConfig) error {
		if fn == nil {
			return optionError("WithJWKSErrorHandler: nil function")
		}
		cfg.onError = fn
		return nil
	}
}

// withClock sets the clock the cooldown is measured with (tests only).
func withClock(now func() time.Time) JWKSOption {
	return func(cfg *jwksConfig) error { cfg.now = now; return nil }
}

// withAfter sets the timer of the background refresh (tests only).
func withAfter(after func(time.Duration) <-chan time.Time) JWKSOption {
	return func(cfg *jwksConfig) error { cfg.after = after; return nil }
}

// withRand sets the randomness of the refresh jitter, a function returning
// values in [0, 1) (tests only; one that returns 0 turns the jitter off).
func withRand(r func() float64) JWKSOption {
	return func(cfg *jwksConfig) error { cfg.rand = r; return nil }
}

func newJWKSConfig(opts []JWKSOption) (*jwksConfig, error) {
	cfg := &jwksConfig{
		interval:      defaultRefreshInterval,
		cooldown:      defaultRefreshCooldown,
		lookupTimeout: defaultLookupTimeout,
		fetchTimeout:  defaultFetchTimeout,
		maxSize:       defaultMaxJWKSBytes,
		algs:          defaultJWKSAlgorithms,
		now:           time.Now,
		after:         time.After,
		rand:          mrand.Float64,
	}
	for _, o := range opts {
		if o == nil {
			return nil, optionError("nil JWKSOption")
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	cfg.algs = slices.Clone(cfg.algs)
	cfg.client, cfg.ownTransport = fetchClient(cfg.client, cfg.insecureHTTP, cfg.crossOrigin)
	return cfg, nil
}
