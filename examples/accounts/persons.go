package main

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

// record is a stored person with its owner: the id of the user whose
// token created it (its sub). The same shape as examples/person's.
type record struct {
	ID     string         `json:"id"`
	Owner  string         `json:"owner"`
	Person jwtauth.Person `json:"person"`
}

var errNotFound = &jwtauth.HTTPError{Status: http.StatusNotFound, Detail: "Not Found"}

func subject(ctx context.Context) string {
	c, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
	if !ok {
		return ""
	}
	return c.Subject
}

// persons are the /persons handlers' queries.
type persons struct{ db *db }

func (s persons) create(ctx context.Context, p jwtauth.Person) (jwtauth.Created[record], error) {
	owner, ok := parseSub(subject(ctx))
	if !ok {
		return jwtauth.Created[record]{}, errNotFound
	}
	var id int64
	err := s.db.queryRow(ctx, `INSERT INTO persons (owner_id, name, gender, age, checked) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		owner, p.Name, p.Gender, p.Age, p.Checked).Scan(&id)
	if err != nil {
		return jwtauth.Created[record]{}, err // 500; Handle never shows its text
	}
	rec := record{ID: strconv.FormatInt(id, 10), Owner: strconv.FormatInt(owner, 10), Person: p}
	return jwtauth.Created[record]{Location: "/persons/" + rec.ID, Body: rec}, nil
}

// lookup returns the person with the id of the path, errNotFound if there
// is none.
func (s persons) lookup(ctx context.Context, rawID string) (record, error) {
	id, ok := parseSub(rawID) // the same rule: a canonical positive integer
	if !ok {
		return record{}, errNotFound
	}
	var rec record
	var owner int64
	err := s.db.queryRow(ctx, `SELECT owner_id, name, gender, age, checked FROM persons WHERE id = ?`, id).
		Scan(&owner, &rec.Person.Name, &rec.Person.Gender, &rec.Person.Age, &rec.Person.Checked)
	if errors.Is(err, sql.ErrNoRows) {
		return record{}, errNotFound
	}
	if err != nil {
		return record{}, err
	}
	rec.ID, rec.Owner = rawID, strconv.FormatInt(owner, 10)
	return rec, nil
}

// recordKey is the context key of the record owned has read.
type recordKey struct{}

func (s persons) get(ctx context.Context, _ jwtauth.NoInput) (record, error) {
	rec, ok := ctx.Value(recordKey{}).(record)
	if !ok {
		return record{}, errNotFound
	}
	return rec, nil
}

func (s persons) update(ctx context.Context, p jwtauth.Person) (record, error) {
	rec, ok := ctx.Value(recordKey{}).(record)
	if !ok {
		return record{}, errNotFound
	}
	res, err := s.db.exec(ctx, `UPDATE persons SET name = ?, gender = ?, age = ?, checked = ? WHERE id = ?`,
		p.Name, p.Gender, p.Age, p.Checked, rec.ID)
	if err != nil {
		return record{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 { // deleted since owned looked
		return record{}, errNotFound
	}
	rec.Person = p
	return rec, nil
}

func (s persons) delete(ctx context.Context, _ jwtauth.NoInput) (jwtauth.NoContent, error) {
	rec, ok := ctx.Value(recordKey{}).(record)
	if !ok {
		return jwtauth.NoContent{}, errNotFound
	}
	res, err := s.db.exec(ctx, `DELETE FROM persons WHERE id = ?`, rec.ID)
	if err != nil {
		return jwtauth.NoContent{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return jwtauth.NoContent{}, errNotFound
	}
	return jwtauth.NoContent{}, nil
}

// owned returns a handler that lets a request through to next only if the
// person of the path exists and the token may see and change it: its
// owner, or a token whose roles claim contains admin. Otherwise it answers
// 404, for someone else's person as for a missing one, so that the
// sequential ids do not tell others which persons exist. It runs before
// next reads the body, and hands next the record it read.
func (s persons) owned(next http.Handler) http.Handler { return &ownedHandler{s, next} }

// ownedHandler is owned's handler. It is a jwtauth.Wrapper, so that the
// API documents the handler inside it.
type ownedHandler struct {
	s    persons
	next http.Handler
}

func (h *ownedHandler) Unwrap() http.Handler { return h.next }

func (h *ownedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec, err := h.s.lookup(r.Context(), r.PathValue("id"))
	if err != nil {
		jwtauth.WriteError(w, r, err)
		return
	}
	if subject(r.Context()) != rec.Owner && !jwtauth.HasRolesIn(r.Context(), "roles", "admin") {
		jwtauth.WriteError(w, r, errNotFound)
		return
	}
	h.next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), recordKey{}, rec)))
}
