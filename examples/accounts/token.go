package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxFormBytes caps the /token body; a larger one is refused with 413.
const maxFormBytes = 4 << 10

// tokenReply is the successful /token answer (RFC 6749 section 5.1).
type tokenReply struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// oauthError is an error answer of /token (RFC 6749 section 5.2). Its
// description is a constant, never client input.
type oauthError struct {
	status      int
	code        string
	description string
}

var (
	errForm          = &oauthError{http.StatusBadRequest, "invalid_request", "The body must be an application/x-www-form-urlencoded form with username and password, each parameter at most once"}
	errFormMedia     = &oauthError{http.StatusUnsupportedMediaType, "invalid_request", "The body must be application/x-www-form-urlencoded"}
	errFormTooLarge  = &oauthError{http.StatusRequestEntityTooLarge, "invalid_request", "The form is too large"}
	errGrantType     = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "Only the password grant is supported"}
	errBadLogin      = &oauthError{http.StatusBadRequest, "invalid_grant", "Incorrect username or password"}
	errNoScope       = &oauthError{http.StatusBadRequest, "invalid_scope", "None of the requested scopes is granted to this user"}
	errTooManyLogins = &oauthError{http.StatusTooManyRequests, "invalid_request", "Too many failed logins; retry after the time in Retry-After"}
	errServer        = &oauthError{http.StatusInternalServerError, "server_error", "The token could not be issued"}
)

// writeJSON writes v as the JSON body of a response that must not be
// cached (RFC 6749 section 5.1 asks it of token responses).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func (e *oauthError) write(w http.ResponseWriter) {
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

// readForm reads the /token form from the body only (never from the
// query, where a password would end up in logs), refusing another media
// type, a body over maxFormBytes and a parameter given twice (RFC 6749
// section 3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthError) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, errFormMedia
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errFormTooLarge
		}
		return nil, errForm
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errForm
	}
	for _, v := range form {
		if len(v) > 1 {
			return nil, errForm
		}
	}
	return form, nil
}

// token is POST /token, the OAuth 2.0 password grant (RFC 6749 section
// 4.3) as FastAPI's OAuth2PasswordRequestForm takes it: grant_type
// (optional, "password" if present), username, password, and scope
// (space-separated, optional). client_id and client_secret are accepted
// and ignored: there are no clients to authenticate.
//
// The granted scopes are those requested that the user is allowed, in
// the user's order; no scope requested grants every scope the user is
// allowed; requested scopes none of which are allowed are invalid_scope.
//
// A wrong password, an unknown user and a disabled user get the same 400
// invalid_grant answer after the same work: one argon2id verification,
// against a dummy hash for an unknown user. Failures are throttled per
// username and per client address (see limiter.go) with 429 and
// Retry-After.
func (a *app) token(w http.ResponseWriter, r *http.Request) {
	form, ferr := readForm(w, r)
	if ferr != nil {
		ferr.write(w)
		return
	}
	if _, ok := form["grant_type"]; ok && form.Get("grant_type") != "password" {
		errGrantType.write(w)
		return
	}
	username, password := form.Get("username"), form.Get("password")
	if username == "" || password == "" {
		errForm.write(w)
		return
	}
	addr := clientAddr(r)
	now := a.now()
	tooMany := func(wait time.Duration) {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
		errTooManyLogins.write(w)
	}
	// Counted as failures from here on, until the password is found right.
	if wait := a.userFails.attempt(username, now); wait > 0 {
		tooMany(wait)
		return
	}
	if wait := a.addrFails.attempt(addr, now); wait > 0 {
		a.userFails.forgive(username, now)
		tooMany(wait)
		return
	}
	u, err := a.db.userByName(r.Context(), username)
	hash := a.dummyHash
	switch {
	case len(password) > maxPasswordBytes:
		u = nil // refused as an unknown user is, after the same work
	case err == nil:
		hash = u.passwordHash
	case !errors.Is(err, errNoSuchUser):
		a.userFails.forgive(username, now)
		a.addrFails.forgive(addr, now)
		a.log.Error("login: reading the user failed", "err", err.Error())
		errServer.write(w)
		return
	}
	ok, err := verifyPassword(password, hash)
	if err != nil && u != nil {
		a.log.Error("login: unreadable password hash", "user_id", u.id)
	}
	if !ok || u == nil || u.disabled {
		a.log.Info("login failed", "addr", addr) // never the username: it may be a mistyped password
		errBadLogin.write(w)
		return
	}
	a.userFails.reset(username)
	a.addrFails.forgive(addr, now)
	granted := u.scopes
	if requested := strings.Fields(form.Get("scope")); len(requested) > 0 {
		granted = slices.DeleteFunc(slices.Clone(u.scopes), func(s string) bool { return !slices.Contains(requested, s) })
		if len(granted) == 0 {
			errNoScope.write(w)
			return
		}
	}
	tok, err := a.issue(r, u, granted, now)
	if err != nil {
		a.log.Error("login: signing failed", "err", err.Error())
		errServer.write(w)
		return
	}
	a.log.Info("login", "user_id", u.id, "addr", addr)
	writeJSON(w, http.StatusOK, tokenReply{AccessToken: tok, TokenType: "bearer", ExpiresIn: int64(a.tokenTTL / time.Second), Scope: strings.Join(granted, " ")})
}

// accessClaims are the claims of the tokens /token issues.
type accessClaims struct {
	jwt.RegisteredClaims
	Scope string   `json:"scope"`
	Roles []string `json:"roles,omitempty"`
}

// issue signs an access token for u with the current key.
func (a *app) issue(r *http.Request, u *user, scopes []string, now time.Time) (string, error) {
	k, err := a.signer.current(r.Context())
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    a.issuer,
			Subject:   strconv.FormatInt(u.id, 10),
			Audience:  jwt.ClaimStrings{a.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(a.tokenTTL)),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Scope: strings.Join(scopes, " "),
		Roles: u.roles,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = k.kid
	return t.SignedString(k.key)
}

// clientAddr is the client's IP address from the connection. Headers such
// as X-Forwarded-For are not read (a client could set them): behind a
// proxy every client has the proxy's address, and the per-address limit
// counts them together.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
