package main

import (
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
	ID     string          `json:"id"`
	Owner  string          `json:"owner"`
	Person jwtauth.Person `json:"person"`
}

// store keeps persons in memory.
type store struct {
	mu      sync.Mutex
	next    int
	persons map[string]record
}

func newStore() *store { return &store{persons: make(map[string]record)} }

// newServer returns the routes. Every protected route authenticates (and
// checks scopes) before its body is read.
func newServer(mw *jwtauth.Middleware, st *store) http.Handler {
	read := func(h http.HandlerFunc) http.Handler {
		return mw.Handler(mw.Require(jwtauth.Scopes("persons:read"))(h))
	}
	write := func(h http.HandlerFunc) http.Handler {
		return mw.Handler(mw.Require(jwtauth.Scopes("persons:write"))(h))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("POST /{$}", mw.Handler(http.HandlerFunc(tutorial)))
	mux.Handle("POST /persons", write(st.create))
	mux.Handle("GET /persons/{id}", read(st.get))
	mux.Handle("PUT /persons/{id}", write(st.update))
	mux.Handle("DELETE /persons/{id}", write(st.delete))
	return mux
}

// tutorial is the FastAPI tutorial's POST /: the person as sent, and the
// token's claims.
func tutorial(w http.ResponseWriter, r *http.Request) {
	p, err := jwtauth.Decode[jwtauth.Person](r)
	if err != nil {
		jwtauth.WriteError(w, r, err)
		return
	}
	claims, _ := jwtauth.ClaimsFrom[*jwt.MapClaims](r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"person": p, "claims": claims})
}

func subject(r *http.Request) string {
	c, ok := jwtauth.ClaimsFrom[*jwt.MapClaims](r.Context())
	if !ok {
		return ""
	}
	sub, _ := c.GetSubject()
	return sub
}

func (s *store) create(w http.ResponseWriter, r *http.Request) {
	p, err := jwtauth.Decode[jwtauth.Person](r)
	if err != nil {
		jwtauth.WriteError(w, r, err)
		return
	}
	s.mu.Lock()
	s.next++
	rec := record{ID: strconv.Itoa(s.next), Owner: subject(r), Person: p}
	s.persons[rec.ID] = rec
	s.mu.Unlock()
	w.Header().Set("Location", "/persons/"+rec.ID)
	writeJSON(w, http.StatusCreated, rec)
}

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rec, ok := s.persons[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

// mayModify reports whether the request's token may change rec: its owner,
// or a token whose roles claim contains admin.
func mayModify(r *http.Request, rec record) bool {
	return subject(r) == rec.Owner && rec.Owner != "" || jwtauth.HasRole(r.Context(), "roles", "admin")
}

func (s *store) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	rec, ok := s.persons[id]
	s.mu.Unlock()
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	case !mayModify(r, rec):
		jwtauth.WriteError(w, r, jwtauth.ErrInsufficientScope)
		return
	}
	p, err := jwtauth.Decode[jwtauth.Person](r)
	if err != nil {
		jwtauth.WriteError(w, r, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, still := s.persons[id]; !still {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	}
	rec.Person = p
	s.persons[id] = rec
	writeJSON(w, http.StatusOK, rec)
}

func (s *store) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.persons[id]
	switch {
	case !ok:
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	case !mayModify(r, rec):
		jwtauth.WriteError(w, r, jwtauth.ErrInsufficientScope)
	default:
		delete(s.persons, id)
		w.WriteHeader(http.StatusNoContent)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
