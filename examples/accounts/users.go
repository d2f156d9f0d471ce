package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// user is a row of the users table. Scopes and roles are stored
// space-separated.
type user struct {
	id               int64
	username         string
	passwordHash     string
	scopes, roles    []string
	disabled         bool
	tokensValidAfter int64 // Unix seconds: tokens with iat at or before it are refused
}

var (
	errUserExists   = errors.New("a user with that name exists")
	errNoSuchUser   = errors.New("no such user")
	errBadUsername  = errors.New("a username is 1 to 64 letters, digits and . _ @ -")
	errBadPassword  = fmt.Errorf("a password is 1 to %d bytes", maxPasswordBytes)
	errBadScopeList = errors.New("scopes and roles are names without quotes, backslashes or control characters")
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)

// checkNames checks scope or role names, which end up in tokens and in the
// OpenAPI document.
func checkNames(names []string) error {
	for _, n := range names {
		if strings.ContainsAny(n, "\"\\") || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return errBadScopeList
		}
	}
	return nil
}

// addUser creates a user with the argon2id hash of password.
func (x *db) addUser(ctx context.Context, username, password string, scopes, roles []string, now time.Time) (int64, error) {
	if !usernamePattern.MatchString(username) {
		return 0, errBadUsername
	}
	if password == "" || len(password) > maxPasswordBytes {
		return 0, errBadPassword
	}
	if err := checkNames(scopes); err != nil {
		return 0, err
	}
	if err := checkNames(roles); err != nil {
		return 0, err
	}
	hash, err := hashPassword(password, hashParams)
	if err != nil {
		return 0, err
	}
	var id int64
	err = x.queryRow(ctx, `INSERT INTO users (username, password_hash, scopes, roles, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING RETURNING id`,
		username, hash, strings.Join(scopes, " "), strings.Join(roles, " "), now.Unix()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errUserExists
	}
	return id, err
}

const userColumns = `id, username, password_hash, scopes, roles, disabled, tokens_valid_after`

func scanUser(row interface{ Scan(...any) error }) (*user, error) {
	var u user
	var scopes, roles string
	if err := row.Scan(&u.id, &u.username, &u.passwordHash, &scopes, &roles, &u.disabled, &u.tokensValidAfter); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoSuchUser
		}
		return nil, err
	}
	u.scopes, u.roles = strings.Fields(scopes), strings.Fields(roles)
	return &u, nil
}

// userByName returns the user called username, or errNoSuchUser.
func (x *db) userByName(ctx context.Context, username string) (*user, error) {
	return scanUser(x.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = ?`, username))
}

// parseSub reads a token's sub claim as a user id.
func parseSub(sub string) (int64, bool) {
	id, err := strconv.ParseInt(sub, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == sub
}

// userState returns whether the user with id sub (a token's sub claim)
// exists and is enabled, and its tokens-valid-after time.
func (x *db) userState(ctx context.Context, sub string) (enabled bool, validAfter int64, err error) {
	id, ok := parseSub(sub)
	if !ok {
		return false, 0, nil
	}
	var disabled bool
	err = x.queryRow(ctx, `SELECT disabled, tokens_valid_after FROM users WHERE id = ?`, id).Scan(&disabled, &validAfter)
	if errors.Is(err, sql.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	return !disabled, validAfter, nil
}

// deleteUser removes the user called username and, by the foreign key,
// the persons it owns.
func (x *db) deleteUser(ctx context.Context, username string) error {
	return x.changeOne(ctx, `DELETE FROM users WHERE username = ?`, username)
}

// disableUser refuses the user's logins and, from now on, every token it
// was issued before now.
func (x *db) disableUser(ctx context.Context, username string, now time.Time) error {
	return x.changeOne(ctx, `UPDATE users SET disabled = TRUE, tokens_valid_after = ? WHERE username = ?`, now.Unix(), username)
}

// logoutEverywhere refuses, from now on, every token of the user with id
// sub issued up to now (iat ≤ now, in whole seconds).
func (x *db) logoutEverywhere(ctx context.Context, sub string, now time.Time) error {
	id, ok := parseSub(sub)
	if !ok {
		return errNoSuchUser
	}
	return x.changeOne(ctx, `UPDATE users SET tokens_valid_after = ? WHERE id = ?`, now.Unix(), id)
}

// changeOne runs a statement that should change one row; errNoSuchUser if
// it changed none.
func (x *db) changeOne(ctx context.Context, query string, args ...any) error {
	res, err := x.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNoSuchUser
	}
	return nil
}
