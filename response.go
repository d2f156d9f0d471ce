package jwtauth

import (
	"errors"
	"net/http"
)

// RetryAfterSeconds is the Retry-After value of a 503 response when no
// verification keys can be had.
const RetryAfterSeconds = "30"

// WriteError writes err as the response the library gives for it, with a
// JSON body in FastAPI's shape ({"detail": ...}) and Content-Type
// application/json:
//
//   - [ErrMissingToken]: 401, WWW-Authenticate: Bearer realm="…";
//   - [ErrInvalidToken] (any reason): 401, Bearer realm="…",
//     error="invalid_token", always the same body;
//   - [ErrMalformedRequest]: 400, error="invalid_request";
//   - [ErrInsufficientScope]: 403, error="insufficient_scope" and, for
//     [Scopes] requirements, scope="…";
//   - [ErrKeysUnavailable]: 503 with Retry-After: [RetryAfterSeconds];
//   - body decoding errors: 413, 415 or 422 (see [Decode]);
//   - [*HTTPError]: its status and detail;
//   - anything else: 500 with a generic body.
//
// The realm is the one of the middleware that handled r, else [DefaultRealm].
// err.Error() is never written.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	realm := DefaultRealm
	if r != nil {
		if p := principalFrom(r.Context()); p != nil && p.m != nil {
			realm = p.m.cfg.realm
		}
	}
	if writeAuthError(w, realm, err) {
		return
	}
	if writeBodyError(w, err) {
		return
	}
	writeBody(w, http.StatusInternalServerError, bodyInternal)
}

// writeAuthError writes the authentication and authorization errors and
// reports whether err was one.
func writeAuthError(w http.ResponseWriter, realm string, err error) bool {
	h := w.Header()
	challenge := `Bearer realm="` + realm + `"`
	switch {
	case errors.Is(err, ErrKeysUnavailable):
		h.Set("Retry-After", RetryAfterSeconds)
		writeBody(w, http.StatusServiceUnavailable, bodyUnavailable)
	case errors.Is(err, ErrMalformedRequest):
		h.Set("WWW-Authenticate", challenge+`, error="invalid_request"`)
		writeBody(w, http.StatusBadRequest, bodyMalformed)
	case errors.Is(err, ErrInvalidToken):
		h.Set("WWW-Authenticate", challenge+`, error="invalid_token"`)
		writeBody(w, http.StatusUnauthorized, bodyInvalidToken)
	case errors.Is(err, ErrMissingToken):
		h.Set("WWW-Authenticate", challenge)
		writeBody(w, http.StatusUnauthorized, bodyNotAuthenticated)
	case errors.Is(err, ErrInsufficientScope):
		c := challenge + `, error="insufficient_scope"`
		var se *scopeError
		if errors.As(err, &se) && se.scope != "" {
			c += `, scope="` + se.scope + `"`
		}
		h.Set("WWW-Authenticate", c)
		writeBody(w, http.StatusForbidden, bodyForbidden)
	default:
		return false
	}
	return true
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Response bodies: constants, never built from the request or the token.
var (
	bodyNotAuthenticated = []byte(`{"detail":"Not authenticated"}` + "\n")
	bodyInvalidToken     = []byte(`{"detail":"Could not validate credentials"}` + "\n")
	bodyMalformed        = []byte(`{"detail":"Malformed authorization request"}` + "\n")
	bodyForbidden        = []byte(`{"detail":"Not enough permissions"}` + "\n")
	bodyUnavailable      = []byte(`{"detail":"Authentication temporarily unavailable"}` + "\n")
	bodyInternal         = []byte(`{"detail":"Internal Server Error"}` + "\n")
)
