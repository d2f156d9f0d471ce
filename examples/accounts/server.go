package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/seedb5d7e80f/jwtauth"
)

const jwksPath = "/.well-known/jwks.json"

// scopes are the scopes the API knows, with their descriptions for
// /docs. A user may be allowed others; they are granted but guard nothing.
var scopes = map[string]string{
	"persons:read":  "Read your persons",
	"persons:write": "Create, replace and delete your persons",
}

// app is the server's state, shared by its handlers. Safe for concurrent
// use.
type app struct {
	db                   *db
	log                  *slog.Logger
	now                  func() time.Time
	issuer, audience     string
	tokenTTL             time.Duration
	signer               *signer
	dummyHash            string // verified for unknown users, so that they take as long
	userFails, addrFails *limiter
}

// newApp returns the app c describes, on x.
func newApp(x *db, log *slog.Logger, c config) (*app, error) {
	dummy, err := hashPassword("not a password of anyone", hashParams)
	if err != nil {
		return nil, err
	}
	userLimit, addrLimit := maxFailuresPerUser, maxFailuresPerAddr
	if c.failureLimits != [2]int{} {
		userLimit, addrLimit = c.failureLimits[0], c.failureLimits[1]
	}
	return &app{
		db: x, log: log, now: c.now, issuer: c.issuer, audience: c.audience, tokenTTL: c.tokenTTL,
		signer:    &signer{db: x},
		dummyHash: dummy,
		userFails: newLimiter(userLimit, failureWindow, maxTrackedKeys),
		addrFails: newLimiter(addrLimit, failureWindow, maxTrackedKeys),
	}, nil
}

// keep is how long a retired key is still published: until the last
// token it signed has expired, with a minute for clock skew.
func (a *app) keep() time.Duration { return a.tokenTTL + time.Minute }

// serveJWKS is GET /.well-known/jwks.json: the current and recently retired
// public keys. Resource servers may cache it for a minute.
func (a *app) serveJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := a.db.jwks(r.Context(), a.now(), a.keep())
	if err != nil {
		a.log.Error("jwks: reading the keys failed", "err", err.Error())
		http.Error(w, "keys unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_, _ = w.Write(append(b, '\n'))
}

// newMiddleware verifies tokens as a separate resource server would: keys
// from the issuer's JWKS URL, iss and aud exact, ES256 only, with the
// revocation check. Verified tokens are cached (the revocation check and
// the claims checks still run on every request).
func (a *app) newMiddleware(keys jwtauth.KeySource) (*jwtauth.Middleware, error) {
	return jwtauth.New(keys,
		jwtauth.WithIssuer(a.issuer),
		jwtauth.WithAudience(a.audience),
		jwtauth.WithRealm("accounts"),
		jwtauth.WithRevocationCheck(a.revoked),
		jwtauth.WithCache(10000),
		jwtauth.WithTimeFunc(a.now),
		jwtauth.WithErrorObserver(func(r *http.Request, err error) {
			a.log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "reason", err.Error())
		}),
	)
}

// routes returns every route, registered through an API that serves
// /openapi.json and /docs (Swagger UI, whose Authorize logs in at /token
// with a username and password).
func (a *app) routes(mw *jwtauth.Middleware, assets string) (http.Handler, error) {
	p := persons{a.db}
	read := mw.Require(jwtauth.Scopes("persons:read"))
	write := mw.Require(jwtauth.Scopes("persons:write"))
	create, err := jwtauth.Handle(p.create)
	if err != nil {
		return nil, err
	}
	get, err := jwtauth.Handle(p.get)
	if err != nil {
		return nil, err
	}
	update, err := jwtauth.Handle(p.update)
	if err != nil {
		return nil, err
	}
	del, err := jwtauth.Handle(p.delete)
	if err != nil {
		return nil, err
	}
	logout, err := jwtauth.Handle(func(ctx context.Context, _ jwtauth.NoInput) (jwtauth.NoContent, error) {
		if err := a.db.logoutEverywhere(ctx, subject(ctx), a.now()); err != nil {
			return jwtauth.NoContent{}, err
		}
		return jwtauth.NoContent{}, nil
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	api := jwtauth.NewAPI(jwtauth.Info{
		Title:       "Accounts API",
		Version:     "1.0.0",
		Description: "Users with argon2id passwords log in at /token (OAuth 2.0 password grant) for ES256 tokens; persons are stored per user.",
	}, jwtauth.WithOAuth2Password("/token", scopes))
	auth := jwtauth.WithTags("auth")
	api.Handle(mux, "POST /token", http.HandlerFunc(a.token), auth,
		jwtauth.WithSummary("Log in: OAuth 2.0 password grant"),
		jwtauth.WithDescription("An `application/x-www-form-urlencoded` form as FastAPI's OAuth2PasswordRequestForm: "+
			"`grant_type` (optional; `password`), `username`, `password`, `scope` (space-separated, optional). "+
			"Answers `{\"access_token\", \"token_type\": \"bearer\", \"expires_in\", \"scope\"}` with `Cache-Control: no-store`. "+
			"The scopes granted are those requested that the user is allowed; no `scope` grants all the user is allowed. "+
			"Failed logins are limited to 5 per username and 20 per client address in 15 minutes."),
		jwtauth.WithResponse(http.StatusBadRequest, "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_scope, or invalid_grant (wrong username or password, or a disabled user, all alike)"),
		jwtauth.WithResponse(http.StatusRequestEntityTooLarge, "The form is larger than 4 KiB"),
		jwtauth.WithResponse(http.StatusUnsupportedMediaType, "The body is not application/x-www-form-urlencoded"),
		jwtauth.WithResponse(http.StatusTooManyRequests, "Too many failed logins for this username or address; see Retry-After"))
	api.Handle(mux, "GET "+jwksPath, http.HandlerFunc(a.serveJWKS), auth,
		jwtauth.WithSummary("The public keys that verify this server's tokens (JWK Set)"))
	api.Handle(mux, "POST /logout-everywhere", mw.Handler(logout), auth,
		jwtauth.WithSummary("Refuse every token of yours issued until now"))
	api.Handle(mux, "GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}), jwtauth.WithSummary("Liveness"))

	tags := jwtauth.WithTags("persons")
	notFound := jwtauth.WithResponse(http.StatusNotFound, "No such person, or someone else's")
	api.Handle(mux, "POST /persons", mw.Handler(write(create)), tags, jwtauth.WithSummary("Create a person owned by you"))
	api.Handle(mux, "GET /persons/{id}", mw.Handler(read(p.owned(get))), tags, notFound, jwtauth.WithSummary("Read a person"))
	api.Handle(mux, "PUT /persons/{id}", mw.Handler(write(p.owned(update))), tags, notFound, jwtauth.WithSummary("Replace a person"))
	api.Handle(mux, "DELETE /persons/{id}", mw.Handler(write(p.owned(del))), tags, notFound, jwtauth.WithSummary("Delete a person"))

	var docOpts []jwtauth.DocsOption
	if assets != "" {
		docOpts = append(docOpts, jwtauth.WithSwaggerUIAssets(assets))
	}
	if err := api.Mount(mux, docOpts...); err != nil {
		return nil, err
	}
	return mux, nil
}

// front is the listener's handler. Until the routes are set it serves
// only the key set, so that the middleware's JWKS source, which fetches
// it from this very server at start, can; everything else is 503.
type front struct {
	app    *app
	routes atomic.Pointer[http.Handler]
}

func (f *front) set(h http.Handler) { f.routes.Store(&h) }

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := f.routes.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == jwksPath {
		f.app.serveJWKS(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "starting", http.StatusServiceUnavailable)
}

var errNoKeys = errors.New("the server could not fetch its own key set")
