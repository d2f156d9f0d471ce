// Command person is the FastAPI tutorial's server in Go, with its extra
// credit: a JWT-protected POST / that takes a JSON Person, and person
// resources guarded by scopes, ownership and an admin role.
//
// Usage:
//
//	go run ./examples/person                    # tutorial demo mode (insecure key "secret"), loopback only
//	JWT_SECRET=... go run ./examples/person     # HS256, strict defaults
//	go run ./examples/person -alg RS256 -key pub.pem -issuer https://issuer.example -audience person-api
//	go run ./examples/person -jwks https://idp.example/jwks.json -issuer https://idp.example/ -audience person-api
//	go run ./examples/person -oidc https://idp.example/ -audience person-api -alg RS256,ES256,EdDSA
//	JWT_SECRET=... go run ./examples/person -mint -sub alice -scope "persons:read persons:write"
//	JWT_SECRET=... go run ./examples/person -mint -dpop-jkt THUMBPRINT   # a token bound to a DPoP key
//	go run ./examples/person -dpop required -dpop-nonce                # DPoP only, with server nonces
//
// Routes:
//
//	POST   /               the tutorial endpoint: 200 {"person": ..., "claims": ...}
//	GET    /healthz        no authentication: 200, or 503 until a JWKS or OIDC source has keys
//	POST   /persons        scope persons:write: 201, Location, {"id","owner","person"}
//	GET    /persons/{id}   scope persons:read, owner or role admin: 200, 403, 404
//	PUT    /persons/{id}   scope persons:write, owner or role admin: 200, 403, 404
//	DELETE /persons/{id}   scope persons:write, owner or role admin: 204, 403, 404
//
// 403 means a missing scope; someone else's person is 404, as is a missing
// one, so that the sequential ids do not reveal which persons exist.
//
// With JWT_SECRET unset and no -key, -jwks or -oidc, the server runs in the
// tutorial's demo mode: HS256 with the key "secret", the token accepted raw
// or as Bearer, exp not required. It logs a warning, since anyone can forge
// such tokens, and listens only on a loopback address. Anything that looks
// like a half-configured deployment (JWT_SECRET set but empty, demo mode on
// another address, -mint without JWT_SECRET, an empty key flag, JWT_SECRET
// beside -key, -jwks or -oidc) is refused
// with exit status 2; other start-up failures exit with 1.
//
// DPoP (RFC 9449): -dpop allowed (the default) accepts Bearer tokens and
// DPoP tokens with a proof; -dpop required accepts only tokens bound to the
// proof's key, -dpop off only Bearer ones. A token whose claims carry
// "cnf": {"jkt": ...} (see -mint -dpop-jkt) is accepted only as
// "Authorization: DPoP <token>" with a "DPoP: <proof>" header signed by that
// key, whatever the mode, also in demo mode. -dpop-nonce makes proofs carry
// a server nonce: the secret comes from $DPOP_NONCE_SECRET (32 bytes or
// more), so that several instances accept each other's nonces, or is random
// at start (nonces then last only as long as the process). Proofs are
// checked against http(s)://<Host header><path>; behind a proxy that
// changes the origin, -dpop-public-url https://api.example.com names the
// URL clients see (jwtauth.WithDPoPPublicURL). The start-up line names the
// DPoP mode.
//
// The log never contains a token: each refused request is logged at WARN
// with its method, path and the middleware's reason, a JWKS fetch that
// fails at ERROR, and a JWKS key that is skipped at WARN with the reason.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake in the flags or the environment. The process
// exits with status 2 for it, as the flag package does for a bad flag;
// other errors (a key file that cannot be read, a port in use) exit with 1.
type usageError struct {
	err     error
	printed bool // the flag package has already printed it, with the usage
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a *usageError. Dynamic text must be quoted with %q, which
// escapes control characters.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// exitCode prints err to stderr unless the flag package already did, and
// returns the process's exit status: 0 for no error or -h, 2 for a
// *usageError, 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintln(stderr, "person:", err)
			fmt.Fprintln(stderr, "Run person -h for the flags.")
		}
		return 2
	default:
		fmt.Fprintln(stderr, "person:", err)
		return 1
	}
}

// keysKind is where the verification keys come from.
type keysKind int

const (
	keysDemo keysKind = iota // the tutorial's HS256 key "secret"
	keysHMAC                 // $JWT_SECRET
	keysPEM                  // -key
	keysJWKS                 // -jwks
	keysOIDC                 // -oidc
)

// config is what the flags and environment select.
type config struct {
	addr, keyFile, issuer, audience string
	keys                            keysKind
	alg                             string   // with HMAC and -key: the one algorithm
	algs                            []string // with -jwks and -oidc: the allowlist; nil for the library's default
	secret                          []byte
	demo                            bool
	accessLog                       bool
	jwksURL, oidcIssuer             string
	docsAssets                      string

	mint             bool
	sub, scope, role string
	ttl              time.Duration
	dpopJKT          string // with -mint: the cnf.jkt claim

	dpop jwtauth.DPoPMode
	// dpopPublicURL is -dpop-public-url: the origin (and path prefix)
	// proofs' htu name behind a proxy; "" for the request's own.
	dpopPublicURL string
	nonceSecret   []byte // -dpop-nonce: $DPOP_NONCE_SECRET or random; nil without

	// Not flags; tests set them.
	startWait time.Duration        // how long to wait for a provider's keys at start (default 10s)
	jwksOpts  []jwtauth.JWKSOption // more options for a JWKS or OIDC source
}

// demoSecret is the FastAPI tutorial's HS256 key.
const demoSecret = "secret"

const algHelp = `token algorithm(s). With $JWT_SECRET or -key exactly one (default HS256; -key needs an asymmetric one such as RS256, ES256 or EdDSA). ` +
	`With -jwks or -oidc a comma-separated allowlist such as RS256,ES256,EdDSA (default: every asymmetric algorithm); ` +
	`keys with "alg" outside it are skipped, and RSA keys without "alg" need exactly one RSA algorithm in it`

// parseFlags reads the flags and $JWT_SECRET and refuses every
// combination that looks like a half-configured deployment. Demo mode is
// selected only when JWT_SECRET is unset and no key flag is given, and only
// on a loopback address.
func parseFlags(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (config, error) {
	var c config
	var algList string
	fs := flag.NewFlagSet("person", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8000", "listen address (demo mode: loopback only)")
	fs.StringVar(&algList, "alg", "", algHelp)
	fs.StringVar(&c.keyFile, "key", "", "PEM public key or certificate for RS*/PS*/ES*/EdDSA (needs -alg)")
	fs.StringVar(&c.issuer, "issuer", "", "required iss claim (optional)")
	fs.StringVar(&c.audience, "audience", "", "required aud claim (needed with -jwks and -oidc)")
	fs.StringVar(&c.jwksURL, "jwks", "", "verify with the keys of this JWKS URL (needs -issuer and -audience)")
	fs.StringVar(&c.oidcIssuer, "oidc", "", "verify tokens of this OpenID Connect issuer, keys found by discovery (needs -audience)")
	fs.StringVar(&c.docsAssets, "docs-assets", jwtauth.DefaultSwaggerUIAssets, "base URL of swagger-ui-bundle.js and swagger-ui.css for /docs (https, a loopback http URL, or a path)")
	fs.BoolVar(&c.accessLog, "access-log", true, "log every request (method, path, status, duration; never headers)")
	fs.BoolVar(&c.mint, "mint", false, "print a token signed with $JWT_SECRET (required) and exit")
	fs.StringVar(&c.sub, "sub", "user-1", "with -mint: the sub claim")
	fs.StringVar(&c.scope, "scope", "persons:read persons:write", "with -mint: the scope claim (space-delimited)")
	fs.StringVar(&c.role, "roles", "", "with -mint: comma-separated roles claim, such as admin")
	fs.DurationVar(&c.ttl, "ttl", time.Hour, "with -mint: lifetime of the token")
	fs.StringVar(&c.dpopJKT, "dpop-jkt", "", "with -mint: bind the token to the DPoP key of this RFC 7638 thumbprint (cnf.jkt)")
	dpopMode := fs.String("dpop", "allowed", "DPoP (RFC 9449): off, allowed (Bearer and DPoP) or required (DPoP-bound tokens only)")
	fs.StringVar(&c.dpopPublicURL, "dpop-public-url", "", "the public URL DPoP proofs name (htu) behind a proxy or load balancer, such as https://api.example.com")
	nonce := fs.Bool("dpop-nonce", false, "require DPoP server nonces; secret from $DPOP_NONCE_SECRET (32+ bytes), else random at start")
	if err := fs.Parse(args); err != nil {
		return c, &usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return c, usagef("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := c.chooseKeys(set, lookupEnv); err != nil {
		return c, err
	}
	if err := c.chooseAlgorithms(set, algList); err != nil {
		return c, err
	}
	if err := c.chooseDPoP(set, *dpopMode, *nonce, lookupEnv); err != nil {
		return c, err
	}
	return c, nil
}

// chooseDPoP reads -dpop, -dpop-nonce with $DPOP_NONCE_SECRET,
// -dpop-public-url and -dpop-jkt.
func (c *config) chooseDPoP(set map[string]bool, mode string, nonce bool, lookupEnv func(string) (string, bool)) error {
	switch mode {
	case "off":
		c.dpop = jwtauth.DPoPDisabled
	case "allowed":
		c.dpop = jwtauth.DPoPAllowed
	case "required":
		c.dpop = jwtauth.DPoPRequired
	default:
		return usagef("-dpop %q: use off, allowed or required", mode)
	}
	if set["dpop-jkt"] {
		if !c.mint {
			return usagef("-dpop-jkt binds a minted token: it needs -mint")
		}
		if !isThumbprint(c.dpopJKT) {
			return usagef("-dpop-jkt: not an RFC 7638 SHA-256 thumbprint (43 base64url characters)")
		}
	}
	if set["dpop-public-url"] && c.dpop == jwtauth.DPoPDisabled {
		return usagef("-dpop-public-url needs DPoP: not with -dpop off")
	}
	if !nonce {
		return nil
	}
	if c.dpop == jwtauth.DPoPDisabled {
		return usagef("-dpop-nonce needs DPoP: not with -dpop off")
	}
	secret, ok := lookupEnv("DPOP_NONCE_SECRET")
	switch {
	case ok && len(secret) < jwtauth.MinDPoPNonceSecretBytes:
		return usagef("DPOP_NONCE_SECRET must be at least %d bytes", jwtauth.MinDPoPNonceSecretBytes)
	case ok:
		c.nonceSecret = []byte(secret)
	default:
		c.nonceSecret = make([]byte, 32)
		_, _ = rand.Read(c.nonceSecret) // crypto/rand.Read never fails (Go 1.24+)
	}
	return nil
}

// isThumbprint reports whether s looks like a base64url SHA-256 thumbprint.
func isThumbprint(s string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

// chooseKeys picks the one key source the flags and $JWT_SECRET name, or
// demo mode when none is named and the address is loopback.
func (c *config) chooseKeys(set map[string]bool, lookupEnv func(string) (string, bool)) error {
	var keyFlags []string
	for _, f := range []struct{ name, value string }{{"key", c.keyFile}, {"jwks", c.jwksURL}, {"oidc", c.oidcIssuer}} {
		if !set[f.name] {
			continue
		}
		if f.value == "" {
			return usagef("-%s is empty", f.name)
		}
		keyFlags = append(keyFlags, "-"+f.name)
	}
	if len(keyFlags) > 1 {
		return usagef("%s exclude each other", strings.Join(keyFlags, " and "))
	}
	secret, haveSecret := lookupEnv("JWT_SECRET")
	switch {
	case haveSecret && secret == "":
		return usagef("JWT_SECRET is set but empty: set it to a secret of at least 32 bytes, or unset it for the tutorial's demo mode")
	case haveSecret && len(keyFlags) == 1 && !c.mint:
		// One of the two would be ignored: refuse, as for two key flags.
		return usagef("JWT_SECRET and %s both name the verification keys: unset JWT_SECRET, or drop %s", keyFlags[0], keyFlags[0])
	case c.jwksURL != "":
		c.keys = keysJWKS
	case c.oidcIssuer != "":
		c.keys = keysOIDC
	case c.keyFile != "":
		c.keys = keysPEM
	case haveSecret:
		c.keys = keysHMAC
	case c.mint:
		return usagef("-mint needs JWT_SECRET: it signs with that secret, never with the demo key")
	default:
		c.keys, c.demo = keysDemo, true
	}
	if haveSecret {
		c.secret = []byte(secret)
	}
	if c.demo {
		c.secret = []byte(demoSecret)
		if !isLoopbackAddr(c.addr) {
			return usagef("demo mode (key %q, no exp) listens on loopback only, not on -addr %q: "+
				"use -addr 127.0.0.1:PORT, or set JWT_SECRET or -key, -jwks or -oidc", demoSecret, c.addr)
		}
	}
	return nil
}

// chooseAlgorithms reads -alg: exactly one algorithm for a secret or a PEM
// key, an allowlist for -jwks and -oidc.
func (c *config) chooseAlgorithms(set map[string]bool, algList string) error {
	var algs []string
	if set["alg"] {
		for _, a := range strings.Split(algList, ",") {
			if a = strings.TrimSpace(a); a == "" {
				return usagef("-alg %q: empty algorithm in the list", algList)
			}
			algs = append(algs, a)
		}
	}
	switch c.keys {
	case keysJWKS, keysOIDC:
		c.algs = algs
	default:
		switch {
		case len(algs) > 1:
			return usagef("-alg %q: exactly one algorithm with JWT_SECRET or -key (a list is for -jwks and -oidc)", algList)
		case len(algs) == 1:
			c.alg = algs[0]
		case c.keys == keysPEM:
			return usagef("-key needs -alg, such as RS256, ES256 or EdDSA")
		default:
			c.alg = "HS256"
		}
		if c.keys != keysPEM && !strings.HasPrefix(c.alg, "HS") {
			if c.mint {
				return usagef("-mint signs with the HMAC secret only, not with -alg %q", c.alg)
			}
			return usagef("-alg %q needs -key, -jwks or -oidc", c.alg)
		}
	}
	if c.mint && c.keys != keysHMAC {
		return usagef("-mint signs with JWT_SECRET only; it does not combine with -key, -jwks or -oidc")
	}
	return nil
}

// isLoopbackAddr reports whether the listen address addr names a loopback
// host: "localhost" or a loopback IP. An empty host (":8000") listens on
// every interface, so it is not loopback; nor is any other host name.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run is main without the process: testable, and it returns instead of
// exiting.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	c, err := parseFlags(args, lookupEnv, stderr)
	if err != nil {
		return err
	}
	if c.mint {
		tok, err := mintToken(c, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	v, err := newMiddleware(ctx, c, log)
	if err != nil {
		return err
	}
	defer v.close()
	if c.demo {
		log.Warn("INSECURE tutorial demo mode: HS256 key \"secret\", raw tokens accepted, exp not required; set JWT_SECRET (32+ bytes) or -key for real use")
	}
	routes, err := newServer(v.mw, newStore(), v.ready, c.docsAssets)
	if err != nil {
		return err
	}
	if c.accessLog {
		routes = logRequests(log, routes)
	}
	srv := &http.Server{
		Addr:              c.addr,
		Handler:           routes,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	if a, ok := ln.Addr().(*net.TCPAddr); c.demo && (!ok || !a.IP.IsLoopback()) {
		// "localhost" resolved to something else.
		ln.Close()
		return usagef("demo mode listens on loopback only, and -addr %q is %q", c.addr, ln.Addr().String())
	}
	log.Info("listening", append([]any{"addr", ln.Addr().String()}, append(dpopAttrs(c), keySourceAttrs(c)...)...)...)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	select {
	case <-v.ready:
	default:
		go func() {
			select {
			case <-v.ready:
				log.Info("signing keys available")
			case <-ctx.Done():
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// dpopAttrs describes the DPoP mode for the start-up log.
func dpopAttrs(c config) []any {
	mode := map[jwtauth.DPoPMode]string{jwtauth.DPoPDisabled: "off", jwtauth.DPoPAllowed: "allowed", jwtauth.DPoPRequired: "required"}[c.dpop]
	attrs := []any{"dpop", mode}
	if c.nonceSecret != nil {
		attrs = append(attrs, "dpop_nonce", true)
	}
	if c.dpopPublicURL != "" {
		attrs = append(attrs, "dpop_public_url", redactURL(c.dpopPublicURL))
	}
	return attrs
}

// keySourceAttrs names the key source for the start-up log: never a
// secret, and URLs without credentials or query.
func keySourceAttrs(c config) []any {
	algs := "default"
	if c.algs != nil {
		algs = strings.Join(c.algs, ",")
	}
	switch c.keys {
	case keysJWKS:
		return []any{"keys", "jwks", "url", redactURL(c.jwksURL), "algs", algs}
	case keysOIDC:
		return []any{"keys", "oidc", "issuer", redactURL(c.oidcIssuer), "algs", algs}
	case keysPEM:
		return []any{"keys", "pem", "file", c.keyFile, "alg", c.alg}
	case keysHMAC:
		return []any{"keys", "hmac", "alg", c.alg}
	default:
		return []any{"keys", "demo", "alg", c.alg}
	}
}

// redactURL returns u without user information and with its query (which
// may carry an API key) replaced by "REDACTED", for logs.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	p.User = nil
	if p.RawQuery != "" || p.ForceQuery {
		p.RawQuery, p.ForceQuery = "REDACTED", false
	}
	p.Fragment, p.RawFragment = "", ""
	return p.String()
}

// verifier is the middleware the flags describe, with its key source's
// readiness.
type verifier struct {
	mw    *jwtauth.Middleware
	ready <-chan struct{} // closed once verification keys are available
	close func()          // stops a JWKS or OIDC source's background refresh
}

// closedChan is the readiness of key sources that are ready at once.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// newMiddleware builds the verifier the flags describe. It logs every
// refused request (its reason, never the token), and for -jwks and -oidc
// every failed fetch (ERROR) and skipped key (WARN).
func newMiddleware(ctx context.Context, c config, log *slog.Logger) (*verifier, error) {
	v := &verifier{ready: closedChan, close: func() {}}
	jwksOpts := []jwtauth.JWKSOption{jwtauth.WithJWKSErrorHandler(func(err error) {
		var skipped *jwtauth.JWKError
		if errors.As(err, &skipped) {
			log.Warn("JWKS key skipped", "index", skipped.Index, "kid", skipped.KID, "reason", skipped.Err.Error())
			return
		}
		log.Error("JWKS fetch failed", "err", err.Error())
	})}
	if c.algs != nil {
		jwksOpts = append(jwksOpts, jwtauth.WithJWKSAlgorithms(c.algs...))
	}
	jwksOpts = append(jwksOpts, c.jwksOpts...)
	// Wait at most this long for a provider's keys at start; the source
	// keeps trying in the background (503 until it has keys).
	wait := c.startWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	startCtx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var keys jwtauth.KeySource
	switch c.keys {
	case keysJWKS:
		src, err := jwtauth.NewJWKS(startCtx, c.jwksURL, jwksOpts...)
		if err != nil {
			return nil, err
		}
		keys, v.ready, v.close = src, src.Ready(), func() { src.Close() }
		logUnavailable(log, src.Err())
	case keysOIDC:
		src, err := jwtauth.NewOIDC(startCtx, c.oidcIssuer, jwksOpts...)
		if err != nil {
			return nil, err
		}
		keys, v.ready, v.close = src, src.Ready(), func() { src.Close() }
		logUnavailable(log, src.Err())
		if c.issuer == "" {
			c.issuer = c.oidcIssuer
		}
	case keysPEM:
		keys = jwtauth.PEMFile(c.alg, c.keyFile)
	default:
		keys = jwtauth.HMAC(c.alg, c.secret)
	}
	opts := []jwtauth.Option{
		jwtauth.WithRealm("persons"),
		jwtauth.WithErrorObserver(func(r *http.Request, err error) {
			// The library's errors never contain the token; slog quotes
			// the path, so it cannot forge a line.
			log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
		}),
	}
	if c.issuer != "" {
		opts = append(opts, jwtauth.WithIssuer(c.issuer))
	}
	if c.audience != "" {
		opts = append(opts, jwtauth.WithAudience(c.audience))
	}
	opts = append(opts, jwtauth.WithDPoP(c.dpop))
	if c.dpopPublicURL != "" {
		opts = append(opts, jwtauth.WithDPoPPublicURL(c.dpopPublicURL))
	}
	if c.nonceSecret != nil {
		opts = append(opts, jwtauth.WithDPoPNonce(c.nonceSecret, 5*time.Minute))
	}
	if c.demo {
		opts = append(opts,
			jwtauth.WithInsecureShortHMACKey(),
			jwtauth.WithoutExpirationRequired(),
			jwtauth.WithTokenSources(jwtauth.FromAuthorization()))
	}
	mw, err := jwtauth.New(keys, opts...)
	if err != nil {
		v.close()
		return nil, err
	}
	v.mw = mw
	return v, nil
}

// logUnavailable logs at ERROR that a provider's keys could not be had at
// start (a failed discovery or first fetch, or one still running).
func logUnavailable(log *slog.Logger, err error) {
	if err != nil {
		log.Error("signing keys not yet available; /healthz answers 503 until they are", "err", err.Error())
	}
}

// mintToken signs a token with the HS256 secret for the README's curl lines.
func mintToken(c config, now time.Time) (string, error) {
	if !strings.HasPrefix(c.alg, "HS") {
		return "", errors.New("-mint signs with the HMAC secret only")
	}
	claims := jwt.MapClaims{
		"sub": c.sub,
		"iat": now.Unix(),
		"exp": now.Add(c.ttl).Unix(),
	}
	if c.scope != "" {
		claims["scope"] = c.scope
	}
	if c.role != "" {
		claims["roles"] = strings.Split(c.role, ",")
	}
	if c.issuer != "" {
		claims["iss"] = c.issuer
	}
	if c.audience != "" {
		claims["aud"] = c.audience
	}
	if c.dpopJKT != "" {
		claims["cnf"] = map[string]string{"jkt": c.dpopJKT}
	}
	method := jwt.GetSigningMethod(c.alg)
	if method == nil {
		return "", fmt.Errorf("-mint: unknown algorithm %q", c.alg)
	}
	return jwt.NewWithClaims(method, claims).SignedString(c.secret)
}

// statusRecorder keeps the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// logRequests logs method, path, status and duration; never headers, so
// never a token.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond))
	})
}
