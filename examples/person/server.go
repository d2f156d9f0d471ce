package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

// record is a stored person with its owner (the sub of the token that
// created it).
type record struct {
	ID     string         `json:"id"`
	Owner  string         `json:"owner"`
	Person jwtauth.Person `json:"person"`
}

// store keeps persons in memory.
type store struct {
	mu      sync.Mutex
	next    int
	persons map[string]record
}

func newStore() *store { return &store{persons: make(map[string]record)} }

var errNotFound = &jwtauth.HTTPError{Status: http.StatusNotFound, Detail: "Not Found"}

// newServer returns the routes, described by an OpenAPI document at
// GET /openapi.json and browsable at GET /docs (both public), whose Swagger
// UI assets load from assets (jwtauth.DefaultSwaggerUIAssets if ""). Every
// protected route authenticates and checks its scope, and GET, PUT and
// DELETE of a person check ownership, before any body is read. /healthz
// answers 503 until ready is closed (the key source has keys), then 200.
func newServer(mw *jwtauth.Middleware, st *store, ready <-chan struct{}, assets string) (http.Handler, error) {
	read := mw.Require(jwtauth.Scopes("persons:read"))
	write := mw.Require(jwtauth.Scopes("persons:write"))

	tutorial, err := jwtauth.Handle(func(ctx context.Context, p jwtauth.Person) (tutorialReply, error) {
		claims, _ := jwtauth.RawClaimsFrom(ctx)
		return tutorialReply{Person: p, Claims: claims}, nil
	})
	if err != nil {
		return nil, err
	}
	create, err := jwtauth.Handle(st.create)
	if err != nil {
		return nil, err
	}
	get, err := jwtauth.Handle(st.get)
	if err != nil {
		return nil, err
	}
	update, err := jwtauth.Handle(st.update)
	if err != nil {
		return nil, err
	}
	del, err := jwtauth.Handle(st.delete)
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	api := jwtauth.NewAPI(jwtauth.Info{
		Title:       "Person API",
		Version:     "1.0.0",
		Description: "The FastAPI JWT tutorial's server in Go, with person resources guarded by scopes, ownership and an admin role.",
	})
	notFound := jwtauth.WithResponse(http.StatusNotFound, "No such person, or someone else's")
	persons := jwtauth.WithTags("persons")
	api.Handle(mux, "GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		select {
		case <-ready:
			_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		default:
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable","reason":"signing keys not yet available"}` + "\n"))
		}
	}), jwtauth.WithSummary("Readiness: 200 once the signing keys are available"),
		jwtauth.WithResponse(http.StatusServiceUnavailable, "Signing keys not yet available"))
	api.Handle(mux, "POST /{$}", mw.Handler(tutorial), jwtauth.WithSummary("The tutorial's endpoint: the person as sent and the token's claims"))
	api.Handle(mux, "POST /persons", mw.Handler(write(create)), persons, jwtauth.WithSummary("Create a person owned by the token's subject"))
	api.Handle(mux, "GET /persons/{id}", mw.Handler(read(st.owned(get))), persons, notFound, jwtauth.WithSummary("Read a person"))
	api.Handle(mux, "PUT /persons/{id}", mw.Handler(write(st.owned(update))), persons, notFound, jwtauth.WithSummary("Replace a person"))
	api.Handle(mux, "DELETE /persons/{id}", mw.Handler(write(st.owned(del))), persons, notFound, jwtauth.WithSummary("Delete a person"))
	var docOpts []jwtauth.DocsOption
	if assets != "" {
		docOpts = append(docOpts, jwtauth.WithSwaggerUIAssets(assets))
	}
	if err := api.Mount(mux, docOpts...); err != nil {
		return nil, err
	}
	return mux, nil
}

// tutorialReply is the FastAPI tutorial's answer: the person as sent and the
// token's claims.
type tutorialReply struct {
	Person jwtauth.Person  `json:"person"`
	Claims json.RawMessage `json:"claims"`
}

func subject(ctx context.Context) string {
	c, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
	if !ok {
		return ""
	}
	return c.Subject
}

func (s *store) create(ctx context.Context, p jwtauth.Person) (jwtauth.Created[record], error) {
	s.mu.Lock()
	s.next++
	rec := record{ID: strconv.Itoa(s.next), Owner: subject(ctx), Person: p}
	s.persons[rec.ID] = rec
	s.mu.Unlock()
	return jwtauth.Created[record]{Location: "/persons/" + rec.ID, Body: rec}, nil
}

func (s *store) lookup(id string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.persons[id]
	return rec, ok
}

func (s *store) get(ctx context.Context, _ jwtauth.NoInput) (record, error) {
	r, _ := jwtauth.RequestFrom(ctx)
	rec, ok := s.lookup(r.PathValue("id"))
	if !ok {
		return record{}, errNotFound
	}
	return rec, nil
}

// owned returns a handler that lets a request through to next only if the person exists and the
// token may see and change it: its owner, or a token whose roles claim
// contains admin. Otherwise it answers 404, for someone else's person as
// for a missing one, so that the sequential ids do not tell others which
// persons exist. It runs before next reads the body.
func (s *store) owned(next http.Handler) http.Handler { return &ownedHandler{s, next} }

// ownedHandler is owned's handler. It is a jwtauth.Wrapper, so that the
// API documents the handler inside it.
type ownedHandler struct {
	s    *store
	next http.Handler
}

func (h *ownedHandler) Unwrap() http.Handler { return h.next }

func (h *ownedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec, ok := h.s.lookup(r.PathValue("id"))
	if ok && (rec.Owner != "" && subject(r.Context()) == rec.Owner ||
		jwtauth.HasRolesIn(r.Context(), "roles", "admin")) {
		h.next.ServeHTTP(w, r)
		return
	}
	jwtauth.WriteError(w, r, errNotFound)
}

func (s *store) update(ctx context.Context, p jwtauth.Person) (record, error) {
	r, _ := jwtauth.RequestFrom(ctx)
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.persons[id]
	if !ok { // deleted since owned looked
		return record{}, errNotFound
	}
	rec.Person = p
	s.persons[id] = rec
	return rec, nil
}

func (s *store) delete(ctx context.Context, _ jwtauth.NoInput) (jwtauth.NoContent, error) {
	r, _ := jwtauth.RequestFrom(ctx)
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.persons[id]; !ok {
		return jwtauth.NoContent{}, errNotFound
	}
	delete(s.persons, id)
	return jwtauth.NoContent{}, nil
}
