// Command accounts is a second jwtauth example: a server that is its own
// token issuer. Users (in SQLite, or PostgreSQL when DATABASE_URL names
// one) log in with a username and an argon2id-hashed password at POST
// /token, the OAuth 2.0 password grant as FastAPI's
// OAuth2PasswordRequestForm takes it, and get ES256 tokens; the person
// routes verify those tokens with jwtauth.NewJWKS against the server's own
// /.well-known/jwks.json, exactly as a separate resource server would.
//
// Usage:
//
//	go run .                                   # serve on 127.0.0.1:8000, data in ./accounts.db
//	printf '%s' "$PW" | go run . useradd -scopes "persons:read persons:write" -roles admin alice
//	go run . disable alice                     # no more logins; her tokens are refused
//	go run . userdel alice                     # delete her and her persons
//	go run . rotate-key                        # a new signing key; the old one stays published until its tokens expire
//
// Every command takes -db FILE (the SQLite file, default accounts.db) and
// reads DATABASE_URL (postgres://...), which wins over -db. The schema is
// migrated at every start (table schema_migrations).
//
// Routes:
//
//	POST   /token                  form: username, password, scope, grant_type=password → {"access_token", "token_type", "expires_in", "scope"}
//	GET    /.well-known/jwks.json  the public signing keys
//	POST   /logout-everywhere      any valid token: 204; the user's tokens issued until now are refused
//	POST   /persons                scope persons:write: 201, Location, {"id","owner","person"}
//	GET    /persons/{id}           scope persons:read, owner or role admin: 200, 403, 404
//	PUT    /persons/{id}           scope persons:write, owner or role admin: 200, 403, 404
//	DELETE /persons/{id}           scope persons:write, owner or role admin: 204, 403, 404
//	GET    /openapi.json, /docs    the API's description and Swagger UI (Authorize logs in at /token)
//	GET    /healthz                200
//
// Passwords are argon2id with OWASP's parameters (m=19 MiB, t=2, p=1, a
// 16-byte salt, a 32-byte hash), stored as PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash). The password of useradd
// is the first line of standard input, never a flag (flags show in ps and
// shell history).
//
// The log never contains a password, a token or a hash; failed logins
// are logged with the client address only (a username field often holds a
// mistyped password).
package main

import (
	"bufio"
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

	"github.com/seedb5d7e80f/jwtauth"
)

func main() {
	err := run(context.Background(), os.Args[1:], os.LookupEnv, os.Stdin, os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a mistake in the command line; the process exits with 2
// for it, with 1 for other errors.
type usageError struct {
	err     error
	printed bool // the flag package has printed it
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintln(stderr, "accounts:", err)
		}
		return 2
	default:
		fmt.Fprintln(stderr, "accounts:", err)
		return 1
	}
}

// config is what the command line and the environment select.
type config struct {
	dbPath, databaseURL string

	addr, issuer, audience string
	tokenTTL               time.Duration
	docsAssets             string
	accessLog              bool

	// Not flags; tests set them.
	now           func() time.Time     // the clock; default time.Now
	jwksOpts      []jwtauth.JWKSOption // more options for the JWKS source
	listener      net.Listener         // instead of listening on addr
	failureLimits [2]int               // failed logins per username and per address; zero for the defaults
}

// commonFlags are the flags of every command.
func commonFlags(name string, c *config, lookupEnv func(string) (string, bool), stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("accounts "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dbPath, "db", "accounts.db", "SQLite database file (ignored when $DATABASE_URL is set)")
	c.databaseURL, _ = lookupEnv("DATABASE_URL")
	return fs
}

// run is main without the process.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var c config
	fs := commonFlags(cmd, &c, lookupEnv, stderr)
	var scopeList, roleList string
	switch cmd {
	case "serve":
		fs.StringVar(&c.addr, "addr", "127.0.0.1:8000", "listen address")
		fs.StringVar(&c.issuer, "issuer", "", "the iss of the tokens, the URL this server is reached at (default http://ADDR; required for a non-loopback -addr)")
		fs.StringVar(&c.audience, "audience", "accounts-api", "the aud of the tokens")
		fs.DurationVar(&c.tokenTTL, "token-ttl", 15*time.Minute, "lifetime of access tokens")
		fs.StringVar(&c.docsAssets, "docs-assets", jwtauth.DefaultSwaggerUIAssets, "base URL of swagger-ui-bundle.js and swagger-ui.css for /docs")
		fs.BoolVar(&c.accessLog, "access-log", true, "log every request (method, path, status, duration; never headers)")
	case "useradd":
		fs.StringVar(&scopeList, "scopes", "", "the scopes the user may be granted, space- or comma-separated")
		fs.StringVar(&roleList, "roles", "", "the user's roles (the roles claim), space- or comma-separated; admin sees every person")
	case "userdel", "disable", "rotate-key":
	default:
		return usagef("unknown command %q (serve, useradd, userdel, disable, rotate-key)", cmd)
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{err: err, printed: true}
	}
	wantArgs := 1
	if cmd == "serve" || cmd == "rotate-key" {
		wantArgs = 0
	}
	if fs.NArg() != wantArgs {
		return usagef("%s takes %d argument(s), got %d", cmd, wantArgs, fs.NArg())
	}
	if cmd == "serve" {
		return serve(ctx, c, stderr)
	}
	x, err := openDB(ctx, c.databaseURL, c.dbPath)
	if err != nil {
		return err
	}
	defer x.Close()
	if err := x.ensureSigningKey(ctx, time.Now()); err != nil {
		return err
	}
	name := fs.Arg(0)
	switch cmd {
	case "useradd":
		password, err := readPassword(stdin)
		if err != nil {
			return err
		}
		id, err := x.addUser(ctx, name, password, splitList(scopeList), splitList(roleList), time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q added with id %d\n", name, id)
	case "userdel":
		if err := x.deleteUser(ctx, name); err != nil {
			return fmt.Errorf("userdel %q: %w", name, err)
		}
		fmt.Fprintf(stdout, "user %q deleted, with their persons\n", name)
	case "disable":
		if err := x.disableUser(ctx, name, time.Now()); err != nil {
			return fmt.Errorf("disable %q: %w", name, err)
		}
		fmt.Fprintf(stdout, "user %q disabled; their tokens are refused from now on\n", name)
	case "rotate-key":
		kid, err := x.rotateKey(ctx, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "new signing key %s; the previous one stays published until its tokens expire\n", kid)
	}
	return nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' })
}

// readPassword returns the first line of r without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxPasswordBytes+2), maxPasswordBytes+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	if !strings.HasSuffix(line, "\n") && len(line) > maxPasswordBytes {
		return "", errBadPassword
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("useradd reads the password from standard input: printf '%s' \"$PW\" | accounts useradd NAME")
	}
	return line, nil
}

// isLoopbackHost reports whether host is "localhost" or a loopback IP.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve runs the server until ctx is done or SIGINT/SIGTERM.
func serve(ctx context.Context, c config, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := start(ctx, c, log)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", s.addr, "issuer", s.app.issuer, "database", s.app.db.d.name)
	select {
	case err := <-s.errc:
		s.close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	return s.close()
}

// instance is a started server.
type instance struct {
	app  *app
	addr string
	srv  *http.Server
	jwks *jwtauth.JWKS
	errc chan error // Serve's result
}

// start opens the database, listens, and serves: first only the key set,
// then, once the JWKS source has fetched it from this server, every route.
func start(ctx context.Context, c config, log *slog.Logger) (*instance, error) {
	if c.now == nil {
		c.now = time.Now
	}
	if c.tokenTTL <= 0 {
		return nil, usagef("-token-ttl must be positive")
	}
	ln := c.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", c.addr); err != nil {
			return nil, err
		}
	}
	addr := ln.Addr().String()
	if c.issuer == "" {
		host, _, _ := net.SplitHostPort(addr)
		if !isLoopbackHost(host) {
			ln.Close()
			return nil, usagef("-issuer is required when listening on %q, which is not loopback: the URL clients and resource servers reach this server at", addr)
		}
		c.issuer = "http://" + addr
	}
	c.issuer = strings.TrimSuffix(c.issuer, "/")
	x, err := openDB(ctx, c.databaseURL, c.dbPath)
	if err != nil {
		ln.Close()
		return nil, err
	}
	fail := func(err error) (*instance, error) {
		ln.Close()
		x.Close()
		return nil, err
	}
	if err := x.ensureSigningKey(ctx, c.now()); err != nil {
		return fail(err)
	}
	a, err := newApp(x, log, c)
	if err != nil {
		return fail(err)
	}
	f := &front{app: a}
	var h http.Handler = f
	if c.accessLog {
		h = logRequests(log, h)
	}
	s := &instance{app: a, addr: addr, errc: make(chan error, 1), srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    32 << 10,
	}}
	go func() { s.errc <- s.srv.Serve(ln) }()
	opts := append([]jwtauth.JWKSOption{
		jwtauth.WithJWKSAlgorithms("ES256"),
		jwtauth.WithJWKSErrorHandler(func(err error) { log.Error("JWKS fetch failed", "err", err.Error()) }),
	}, c.jwksOpts...)
	s.jwks, err = jwtauth.NewJWKS(ctx, c.issuer+jwksPath, opts...)
	if err == nil {
		err = s.jwks.Err()
	}
	if err != nil {
		s.close()
		return nil, fmt.Errorf("%w: %w", errNoKeys, err)
	}
	mw, err := a.newMiddleware(s.jwks)
	if err != nil {
		s.close()
		return nil, err
	}
	routes, err := a.routes(mw, c.docsAssets)
	if err != nil {
		s.close()
		return nil, err
	}
	f.set(routes)
	return s, nil
}

// close stops the server, the JWKS source and the database.
func (s *instance) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if s.jwks != nil {
		s.jwks.Close()
	}
	if serr := <-s.errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	s.errc <- http.ErrServerClosed // for a second close
	return errors.Join(err, s.app.db.Close())
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

// logRequests logs method, path, status and duration; never headers or
// bodies, so never a token or a password.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		begin := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(begin).Round(time.Microsecond))
	})
}
