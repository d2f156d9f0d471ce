package jwtauth

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/seedb5d7e80f/jwtauth/internal/safetext"
)

// Sentinel errors. Every error the middleware reports wraps exactly one of
// them, and golang-jwt's own error where there is one, so errors.Is works for
// both (for example errors.Is(err, jwt.ErrTokenExpired)).
var (
	// ErrMissingToken means the request carries no token (401, no error code).
	ErrMissingToken = errors.New("jwtauth: no token in request")
	// ErrMalformedRequest means the credentials are malformed, such as two
	// Authorization headers or "Bearer" with no token (400 invalid_request).
	ErrMalformedRequest = errors.New("jwtauth: malformed authorization request")
	// ErrInvalidToken means the token is present but not acceptable, for any
	// reason (401 invalid_token).
	ErrInvalidToken = errors.New("jwtauth: invalid token")
	// ErrInsufficientScope means the token is valid but lacks a required scope,
	// role or permission (403 insufficient_scope).
	ErrInsufficientScope = errors.New("jwtauth: insufficient scope")
	// ErrKeysUnavailable means no verification keys can be had right now, for
	// example a JWKS endpoint never answered (503 with Retry-After).
	ErrKeysUnavailable = errors.New("jwtauth: verification keys unavailable")
	// ErrRevoked means the revocation check of [WithRevocationCheck] refused the
	// token. It is always wrapped together with [ErrInvalidToken].
	ErrRevoked = errors.New("jwtauth: token revoked")
)

// Sentinel errors of DPoP (RFC 9449, see [WithDPoP]). Like the ones above,
// each error the middleware reports for a DPoP request wraps exactly one of
// ErrInvalidDPoPProof, ErrUseDPoPNonce and ErrReplayStoreUnavailable, or one
// of the sentinels above.
var (
	// ErrInvalidDPoPProof means the DPoP proof is missing, malformed, or does
	// not fit the request or the token (401, DPoP error="invalid_dpop_proof").
	ErrInvalidDPoPProof = errors.New("jwtauth: invalid DPoP proof")
	// ErrUseDPoPNonce means the proof lacks the current server nonce of
	// [WithDPoPNonce] (401, DPoP error="use_dpop_nonce" and a DPoP-Nonce header).
	ErrUseDPoPNonce = errors.New("jwtauth: DPoP nonce required")
	// ErrDPoPReplay means the proof's jti was already used for its URI; it is
	// always wrapped together with [ErrInvalidDPoPProof].
	ErrDPoPReplay = errors.New("jwtauth: DPoP proof replayed")
	// ErrReplayStoreUnavailable means the replay check could not be made: the
	// [ReplayStore] failed or is full (503 with Retry-After; fail closed).
	ErrReplayStoreUnavailable = errors.New("jwtauth: DPoP replay store unavailable")
	// ErrReplayStoreFull is what a [MemoryReplayStore] returns when it cannot
	// record another key; the middleware wraps it in [ErrReplayStoreUnavailable].
	ErrReplayStoreFull = errors.New("jwtauth: DPoP replay store full")
)

// Sentinel errors for requests refused before the body is decoded. The
// [*RequestError] carrying them unwraps to them, so errors.Is works.
var (
	// ErrBodyTooLarge means the body is larger than the limit (413).
	ErrBodyTooLarge = errors.New("jwtauth: request body too large")
	// ErrUnsupportedMediaType means the Content-Type is not application/json
	// (charset utf-8 if any) or the Content-Encoding is not identity (415).
	ErrUnsupportedMediaType = errors.New("jwtauth: unsupported media type")
	// ErrBodyRead means the body could not be read, for example because the
	// client went away (400).
	ErrBodyRead = errors.New("jwtauth: request body could not be read")
)

// RequestError is a request refused as a whole before its body was
// validated: Status is 413 ([ErrBodyTooLarge]), 415 ([ErrUnsupportedMediaType])
// or 400 ([ErrBodyRead]), Detail the text of the {"detail":"..."} response.
// It unwraps to its sentinel and, for a read error, to the reader's error.
type RequestError struct {
	Status int    // 413, 415 or 400
	Detail string // the {"detail": ...} text of the response
	kind   error
	err    error
}

// Error returns the sentinel's message and, if any, the underlying error,
// with control characters escaped.
func (e *RequestError) Error() string {
	if e.err != nil {
		return e.kind.Error() + ": " + safetext.Escape(e.err.Error())
	}
	return e.kind.Error()
}

// Unwrap returns the sentinel and the underlying error, if any.
func (e *RequestError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

// FieldError is one problem in a body, in the shape of a pydantic v2 error:
// Type is pydantic's error type (such as "missing" or "float_parsing"), Loc
// the location (string and int elements, starting with "body" in errors from
// the decoder, such as ["body","items",0,"price"]), Msg pydantic's message
// and Ctx the values the message was built from (such as {"ge":0}), or nil.
//
// A FieldError is also an error, so a Validate method (see [Decode]) can
// return one; its Loc is then relative to the validated value.
type FieldError struct {
	Type string         `json:"type"`          // pydantic's error type, such as "missing"
	Loc  []any          `json:"loc"`           // where: string and int elements, such as ["body","items",0]
	Msg  string         `json:"msg"`           // pydantic's message, such as "Field required"
	Ctx  map[string]any `json:"ctx,omitempty"` // the values in Msg, such as {"ge":0}; may be nil
}

// Error returns the location, dot-separated, and the message, with control
// characters escaped (a location holds the client's key names).
func (e FieldError) Error() string {
	var b strings.Builder
	for i, l := range e.Loc {
		if i > 0 {
			b.WriteByte('.')
		}
		switch l := l.(type) {
		case string:
			b.WriteString(safetext.Escape(l))
		case int:
			b.WriteString(strconv.Itoa(l))
		default:
			b.WriteString(safetext.Escape(fmt.Sprint(l)))
		}
	}
	b.WriteString(": ")
	b.WriteString(safetext.Escape(e.Msg))
	return b.String()
}

// ValidationError lists every problem found in a body (at most
// [MaxFieldErrors]). [Decode] returns it for a body that is not valid JSON or
// does not fit the type; the response is 422 {"detail":[...]} with Errors.
// A Validate method may return one too.
type ValidationError struct {
	Errors []FieldError // every problem, in pydantic's order
}

// Error summarises the first three errors, with control characters escaped;
// it is bounded in size.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("jwtauth: ")
	b.WriteString(strconv.Itoa(len(e.Errors)))
	b.WriteString(" validation error(s)")
	for i, fe := range e.Errors {
		if i == 3 {
			b.WriteString("; and ")
			b.WriteString(strconv.Itoa(len(e.Errors) - 3))
			b.WriteString(" more")
			break
		}
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(fe.Error())
	}
	return b.String()
}

// TagError reports a type [Decode] cannot decode into: a malformed validate
// or json tag, a rule that does not fit the field's type, or an unsupported
// field type (such as a channel, or a pointer cycle like type P *P, which no
// JSON value ends). It is a programming error, found once per type and cached;
// [Handle] returns it at construction, [Decode] on every call, and the
// response is 500.
type TagError struct {
	Type  reflect.Type // the struct type holding the field
	Field string       // the Go field name ("" for the type itself)
	Msg   string       // what is wrong
}

// Error names the type, the field and the problem, with control characters
// escaped.
func (e *TagError) Error() string {
	if e.Field == "" {
		return "jwtauth: cannot decode into " + safetext.Escape(fmt.Sprint(e.Type)) + ": " + safetext.Escape(e.Msg)
	}
	return "jwtauth: " + safetext.Escape(fmt.Sprint(e.Type)) + "." + safetext.Escape(e.Field) + ": " + safetext.Escape(e.Msg)
}

// HTTPError is an error a [Handle] handler returns to answer with Status and
// FastAPI's {"detail": Detail} body, plus Header (may be nil; a Content-Type
// in it is kept instead of application/json), like FastAPI's HTTPException.
// Any other error from a handler is a 500.
type HTTPError struct {
	Status int         // the response status, such as 404
	Detail string      // the {"detail": ...} text
	Header http.Header // added to the response; may be nil
}

// Error returns the status and the detail, with control characters escaped.
func (e *HTTPError) Error() string {
	return "jwtauth: HTTP " + strconv.Itoa(e.Status) + ": " + safetext.Escape(e.Detail)
}

// Reasons a key of a JSON Web Key Set is skipped. The [JWKError] passed to
// the handler of [WithJWKSErrorHandler] wraps exactly one of them.
var (
	// ErrJWKIgnored: the key is well formed but not for this verifier: its
	// "use" is not "sig", its "key_ops" lack "verify", its "alg" is not in
	// the allowlist, or it has no "alg" and the allowlist does not name
	// exactly one algorithm that fits it.
	ErrJWKIgnored = errors.New("jwtauth: JWK ignored")
	// ErrJWKUnsupported: the key's type or curve is not one jwtauth verifies
	// with, such as a symmetric "oct" key, X25519 or Ed448.
	ErrJWKUnsupported = errors.New("jwtauth: JWK type unsupported")
	// ErrJWKInvalid: the key is malformed or too weak: a missing or
	// malformed member, a point not on its curve, an RSA modulus shorter
	// than [MinRSABits], an "alg" that does not fit the key, private key
	// material, or a second key with the same "kid" and "alg".
	ErrJWKInvalid = errors.New("jwtauth: JWK invalid")
)

// JWKError reports a key of a JSON Web Key Set that was skipped. Skipping one
// key never rejects the others.
type JWKError struct {
	Index int    // the key's position in the set's "keys" array
	KID   string // the key's "kid", if it could be read
	Err   error  // wraps ErrJWKIgnored, ErrJWKUnsupported or ErrJWKInvalid
}

// Error describes the skipped key.
func (e *JWKError) Error() string {
	return fmt.Sprintf("jwtauth: JWKS key %d (kid %s) skipped: %s", e.Index, strconv.Quote(e.KID), safetext.Escape(fmt.Sprint(e.Err)))
}

// escapedError is an error whose text is escaped ([safetext.Escape]) and
// which still matches what it wraps for [errors.Is] and [errors.As]: for
// errors of net/http, encoding/json and the like, whose text may hold the
// server's words.
type escapedError struct{ err error }

func (e escapedError) Error() string { return safetext.Escape(e.err.Error()) }

func (e escapedError) Unwrap() error { return e.err }

// Unwrap returns e.Err.
func (e *JWKError) Unwrap() error { return e.Err }

// skippedKeyError: the token's kid names only keys of the set that were
// skipped. It matches errUnknownKey and the skip reason (ErrJWKIgnored,
// ErrJWKUnsupported or ErrJWKInvalid), and says which, without key material.
type skippedKeyError struct {
	kid    string
	reason error
}

func (e *skippedKeyError) Error() string {
	return "jwtauth: key " + strconv.Quote(e.kid) + " was skipped: " + strings.TrimPrefix(safetext.Escape(e.reason.Error()), "jwtauth: ")
}

func (e *skippedKeyError) Unwrap() []error { return []error{errUnknownKey, e.reason} }

// scopeError is an insufficient-scope failure with the scope to name.
type scopeError struct{ scope string }

func (e *scopeError) Error() string { return "jwtauth: insufficient scope" }

func (e *scopeError) Unwrap() error { return ErrInsufficientScope }

// claimsError names, for the error observer, where custom claims failed to
// decode: each problem's claim path and pydantic error type, such as
// "claims.profile.role: string_type". It holds no claim values. It is
// deliberately not a [*ValidationError], so that no error handler mistakes
// a refused token for a 422 body error; the client gets the one 401.
type claimsError struct{ errs []FieldError }

func (e *claimsError) Error() string {
	var b strings.Builder
	for i, fe := range e.errs {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.errs)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("claims")
		for _, l := range fe.Loc[min(1, len(fe.Loc)):] { // Loc[0] is "body"
			switch l := l.(type) {
			case int:
				fmt.Fprintf(&b, "[%d]", l)
			default:
				b.WriteByte('.')
				b.WriteString(safetext.Escape(fmt.Sprint(l)))
			}
		}
		b.WriteString(": ")
		b.WriteString(safetext.Escape(fe.Type))
	}
	return b.String()
}

// nonceError is a proof refused for its nonce: it carries the fresh nonce
// that the response's DPoP-Nonce header gives the client. The nonce is the
// server's own, never client input, and stays out of the error text.
type nonceError struct{ nonce string }

func (e *nonceError) Error() string { return "jwtauth: DPoP nonce required" }

func (e *nonceError) Unwrap() error { return ErrUseDPoPNonce }

// dpopSchemeError marks an error of a request that presented its token with
// the DPoP scheme, so that the error code goes into the DPoP challenge. Its
// text and what it wraps are err's.
type dpopSchemeError struct{ err error }

func (e *dpopSchemeError) Error() string { return e.err.Error() }

func (e *dpopSchemeError) Unwrap() error { return e.err }

// challengeError carries the challenges of the middleware that refused a
// request to [WriteError], when a [WithErrorHandler] handler calls it. Its
// text and what it wraps are err's.
type challengeError struct {
	err error
	ch  *challenge
}

func (e *challengeError) Error() string { return e.err.Error() }

func (e *challengeError) Unwrap() error { return e.err }
