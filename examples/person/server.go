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

// newServer returns the routes. Every protected route authenticates and
// checks its scope, and GET, PUT and DELETE of a person check ownership,
// before any body is read. /healthz answers 503 until ready is closed (the
// key source has keys), then 200.
func newServer(mw *jwtauth.Middleware, st *store, ready <-chan struct{}) (http.Handler, error) {
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
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
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
	})
	mux.Handle("POST /{$}", mw.Handler(tutorial))
	mux.Handle("POST /persons", mw.Handler(write(create)))
	mux.Handle("GET /persons/{id}", mw.Handler(read(st.owned(get))))
	mux.Handle("PUT /persons/{id}", mw.Handler(write(st.owned(update))))
	mux.Handle("DELETE /persons/{id}", mw.Handler(write(st.owned(del))))
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

func (s *store) create(ctx context.Context, p jwtauth.Person) (jwtauth.Response[record], error) {
	s.mu.Lock()
	s.next++
	rec := record{ID: strconv.Itoa(s.next), Owner: subject(ctx), Person: p}
	s.persons[rec.ID] = rec
	s.mu.Unlock()
	return jwtauth.Response[record]{
		Status: http.StatusCreated,
		Header: http.Header{"Location": {"/persons/" + rec.ID}},
		Body:   rec,
	}, nil
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

// owned lets a request through to next only if the person exists and the
// token may see and change it: its owner, or a token whose roles claim
// contains admin. Otherwise it answers 404, for someone else's person as
// for a missing one, so that the sequential ids do not tell others which
// persons exist. It runs before next reads the body.
func (s *store) owned(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := s.lookup(r.PathValue("id"))
		if ok && (rec.Owner != "" && subject(r.Context()) == rec.Owner ||
			jwtauth.HasRolesIn(r.Context(), "roles", "admin")) {
			next.ServeHTTP(w, r)
			return
		}
		jwtauth.WriteError(w, r, errNotFound)
	})
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

func (s *store) delete(ctx context.Context, _ jwtauth.NoInput) (jwtauth.Response[struct{}], error) {
	r, _ := jwtauth.RequestFrom(ctx)
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.persons[id]; !ok {
		return jwtauth.Response[struct{}]{}, errNotFound
	}
	delete(s.persons, id)
	return jwtauth.Response[struct{}]{Status: http.StatusNoContent}, nil
}
