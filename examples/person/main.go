// Command person is the FastAPI tutorial's server in Go, with its extra
// credit: a JWT-protected POST / that takes a JSON Person, and person
// resources guarded by scopes, ownership and an admin role.
//
// Usage:
//
//	go run ./examples/person                    # tutorial demo mode (insecure key "secret")
//	JWT_SECRET=... go run ./examples/person     # HS256, strict defaults
//	go run ./examples/person -alg RS256 -key pub.pem -issuer https://issuer.example -audience person-api
//	go run ./examples/person -jwks https://idp.example/jwks.json -issuer https://idp.example/ -audience person-api
//	go run ./examples/person -oidc https://idp.example/ -audience person-api
//	JWT_SECRET=... go run ./examples/person -mint -sub alice -scope "persons:read persons:write"
//
// Routes:
//
//	POST   /               the tutorial endpoint: 200 {"person": ..., "claims": ...}
//	GET    /healthz        200, no authentication
//	POST   /persons        scope persons:write: 201, Location, {"id","owner","person"}
//	GET    /persons/{id}   scope persons:read: 200 or 404
//	PUT    /persons/{id}   scope persons:write, owner or role admin: 200, 403, 404
//	DELETE /persons/{id}   scope persons:write, owner or role admin: 204, 403, 404
//
// With JWT_SECRET unset and no -key, -jwks or -oidc, the server runs in the tutorial's demo
// mode: HS256 with the key "secret", the token accepted raw or as Bearer, exp
// not required. It logs a warning, since anyone can forge such tokens.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "person:", err)
		os.Exit(1)
	}
}

// config is what the flags and environment select.
type config struct {
	addr, alg, keyFile, issuer, audience string
	secret                               []byte
	demo                                 bool
	accessLog                            bool
	jwksURL, oidcIssuer                  string
	algSet                               bool // -alg given explicitly

	mint             bool
	sub, scope, role string
	ttl              time.Duration
}

// demoSecret is the FastAPI tutorial's HS256 key.
const demoSecret = "secret"

func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("person", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8000", "listen address")
	fs.StringVar(&c.alg, "alg", "HS256", "token algorithm (HS256 uses $JWT_SECRET; others need -key)")
	fs.StringVar(&c.keyFile, "key", "", "PEM public key or certificate for RS*/PS*/ES*/EdDSA")
	fs.StringVar(&c.issuer, "issuer", "", "required iss claim (optional)")
	fs.StringVar(&c.audience, "audience", "", "required aud claim (needed with -jwks and -oidc)")
	fs.StringVar(&c.jwksURL, "jwks", "", "verify with the keys of this JWKS URL (needs -issuer and -audience)")
	fs.StringVar(&c.oidcIssuer, "oidc", "", "verify tokens of this OpenID Connect issuer, keys found by discovery (needs -audience)")
	fs.BoolVar(&c.accessLog, "access-log", true, "log every request (method, path, status, duration; never headers)")
	fs.BoolVar(&c.mint, "mint", false, "print a token signed with the current HS256 secret and exit")
	fs.StringVar(&c.sub, "sub", "user-1", "with -mint: the sub claim")
	fs.StringVar(&c.scope, "scope", "persons:read persons:write", "with -mint: the scope claim (space-delimited)")
	fs.StringVar(&c.role, "roles", "", "with -mint: comma-separated roles claim, such as admin")
	fs.DurationVar(&c.ttl, "ttl", time.Hour, "with -mint: lifetime of the token")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { c.algSet = c.algSet || f.Name == "alg" })
	if s := getenv("JWT_SECRET"); s != "" {
		c.secret = []byte(s)
	} else if c.keyFile == "" && c.jwksURL == "" && c.oidcIssuer == "" {
		c.secret, c.demo = []byte(demoSecret), true
	}
	return c, nil
}

// run is main without the process: testable, and it returns instead of
// exiting.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, getenv, stderr)
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
	mw, closeKeys, err := newMiddleware(ctx, c)
	if err != nil {
		return err
	}
	defer closeKeys()
	if c.demo {
		log.Warn("INSECURE tutorial demo mode: HS256 key \"secret\", raw tokens accepted, exp not required; set JWT_SECRET (32+ bytes) or -key for real use")
	}
	routes, err := newServer(mw, newStore())
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
	log.Info("listening", "addr", ln.Addr().String(), "alg", c.alg)

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
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

// newMiddleware builds the verifier the flags describe. The returned
// function stops a JWKS source's background refresh.
func newMiddleware(ctx context.Context, c config) (*jwtauth.Middleware, func(), error) {
	var keys jwtauth.KeySource
	closeKeys := func() {}
	var jwksOpts []jwtauth.JWKSOption
	if c.algSet {
		jwksOpts = append(jwksOpts, jwtauth.WithAlgorithms(c.alg))
	}
	// Wait at most this long for a provider's keys at start; the source
	// keeps trying in the background (503 until it has keys).
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch {
	case c.jwksURL != "" && c.oidcIssuer != "":
		return nil, nil, errors.New("-jwks and -oidc exclude each other")
	case c.jwksURL != "":
		src, err := jwtauth.NewJWKS(startCtx, c.jwksURL, jwksOpts...)
		if err != nil {
			return nil, nil, err
		}
		keys, closeKeys = src, func() { src.Close() }
	case c.oidcIssuer != "":
		src, err := jwtauth.NewOIDC(startCtx, c.oidcIssuer, jwksOpts...)
		if err != nil {
			return nil, nil, err
		}
		keys, closeKeys = src, func() { src.Close() }
		if c.issuer == "" {
			c.issuer = c.oidcIssuer
		}
	case c.keyFile != "":
		keys = jwtauth.PEMFile(c.alg, c.keyFile)
	case strings.HasPrefix(c.alg, "HS"):
		keys = jwtauth.HMAC(c.alg, c.secret)
	default:
		return nil, nil, fmt.Errorf("-alg %s needs -key, -jwks or -oidc", c.alg)
	}
	opts := []jwtauth.Option{jwtauth.WithRealm("persons")}
	if c.issuer != "" {
		opts = append(opts, jwtauth.WithIssuer(c.issuer))
	}
	if c.audience != "" {
		opts = append(opts, jwtauth.WithAudience(c.audience))
	}
	if c.demo {
		opts = append(opts,
			jwtauth.WithInsecureShortHMACKey(),
			jwtauth.WithoutExpirationRequired(),
			jwtauth.WithTokenSources(jwtauth.FromAuthorization()))
	}
	mw, err := jwtauth.New(keys, opts...)
	if err != nil {
		closeKeys()
		return nil, nil, err
	}
	return mw, closeKeys, nil
}

// mintToken signs a token with the HS256 secret for the README's curl lines.
func mintToken(c config, now time.Time) (string, error) {
	if !strings.HasPrefix(c.alg, "HS") {
		return "", errors.New("-mint signs with the HS256 secret only")
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
