package jwtauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
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
//   - [ErrInvalidDPoPProof]: 401, error="invalid_dpop_proof" in the DPoP
//     challenge, the body of ErrInvalidToken;
//   - [ErrUseDPoPNonce]: 401, error="use_dpop_nonce" in the DPoP challenge
//     and a fresh nonce in the DPoP-Nonce header, the same body;
//   - [ErrKeysUnavailable] and [ErrReplayStoreUnavailable]: 503 with
//     Retry-After: [RetryAfterSeconds];
//   - body decoding errors: 413, 415 or 422 (see [Decode]);
//   - [*HTTPError]: its status and detail;
//   - anything else: 500 with a generic body.
//
// A middleware that accepts DPoP (see [WithDPoP]) answers 401 and 403 with
// one WWW-Authenticate header per scheme it accepts, Bearer first, then
// DPoP realm="…", algs="…"; the error code goes into the challenge of the
// scheme the request used (Bearer for a token without a scheme, such as a
// cookie), or into the DPoP challenge when Bearer is not accepted.
//
// The realm and schemes are those of the middleware that handled r (or, in
// a [WithErrorHandler] handler, of the one that refused err), else
// [DefaultRealm] and Bearer only. err.Error() is never written.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	ch, viaDPoP := &defaultChallenge, false
	if r != nil {
		if p := principalFrom(r.Context()); p != nil && p.m != nil {
			ch, viaDPoP = &p.m.challenge, p.dpop != nil
		}
	}
	var ce *challengeError
	if errors.As(err, &ce) {
		ch = ce.ch
	}
	if writeAuthError(w, ch, viaDPoP, err) {
		return
	}
	if writeBodyError(w, err) {
		return
	}
	writeResponse(w, http.StatusInternalServerError, "", "", bodyInternal)
}

// challenge holds the WWW-Authenticate challenges of one middleware without
// their error codes, built once by New.
type challenge struct {
	bearer string // `Bearer realm="…"`, "" when Bearer is not accepted
	dpop   string // `DPoP realm="…", algs="…"`, "" when DPoP is disabled
	// values are the WWW-Authenticate values for each error code (without
	// a scope attribute) and scheme of the request, built once, so that a
	// refusal costs no string building.
	values map[challengeKey][]string
}

type challengeKey struct {
	code   string
	onDPoP bool // the error goes on the DPoP challenge
}

// challengeCodes are the error codes of the precomputed values.
var challengeCodes = []string{"", "invalid_request", "invalid_token", "invalid_dpop_proof", "use_dpop_nonce", "insufficient_scope"}

// defaultChallenge is the challenge of a response written without a
// middleware.
var defaultChallenge = challenge{bearer: `Bearer realm="` + DefaultRealm + `"`}

// newChallenge returns the challenges for a realm; dpopAlgs is "" when DPoP
// is disabled, required says Bearer is not accepted.
func newChallenge(realm, dpopAlgs string, required bool) challenge {
	var ch challenge
	if !required {
		ch.bearer = `Bearer realm="` + realm + `"`
	}
	if dpopAlgs != "" {
		ch.dpop = `DPoP realm="` + realm + `", algs="` + dpopAlgs + `"`
	}
	ch.values = make(map[challengeKey][]string, 2*len(challengeCodes))
	for _, code := range challengeCodes {
		params := ""
		if code != "" {
			params = `, error="` + code + `"`
		}
		for _, onDPoP := range []bool{false, true} {
			ch.values[challengeKey{code, onDPoP}] = challengeValues(ch.bearer, ch.dpop, params, onDPoP)
		}
	}
	return ch
}

// challengeValues returns the WWW-Authenticate values for the challenges
// bearer and dpop (either may be ""), with params on the DPoP one if onDPoP,
// else on the Bearer one.
func challengeValues(bearer, dpop, params string, onDPoP bool) []string {
	var v []string
	if bearer != "" {
		if onDPoP {
			v = append(v, bearer)
		} else {
			v = append(v, bearer+params)
		}
	}
	if dpop != "" {
		if onDPoP {
			v = append(v, dpop+params)
		} else {
			v = append(v, dpop)
		}
	}
	return v
}

// writeAuthError writes the authentication and authorization errors and
// reports whether err was one. viaDPoP says the request presented a DPoP
// token (also when err says so itself).
func writeAuthError(w http.ResponseWriter, ch *challenge, viaDPoP bool, err error) bool {
	h := w.Header()
	var (
		status int
		code   string
		body   []byte
	)
	switch {
	case errors.Is(err, ErrKeysUnavailable), errors.Is(err, ErrReplayStoreUnavailable):
		h.Set("Retry-After", RetryAfterSeconds)
		writeResponse(w, http.StatusServiceUnavailable, "", "", bodyUnavailable)
		return true
	case errors.Is(err, ErrMalformedRequest):
		status, code, body = http.StatusBadRequest, "invalid_request", bodyMalformed
	case errors.Is(err, ErrUseDPoPNonce):
		status, code, body, viaDPoP = http.StatusUnauthorized, "use_dpop_nonce", bodyInvalidToken, true
		var ne *nonceError
		if errors.As(err, &ne) {
			h.Set("DPoP-Nonce", ne.nonce)
		}
	case errors.Is(err, ErrInvalidDPoPProof):
		status, code, body, viaDPoP = http.StatusUnauthorized, "invalid_dpop_proof", bodyInvalidToken, true
	case errors.Is(err, ErrInvalidToken):
		status, code, body = http.StatusUnauthorized, "invalid_token", bodyInvalidToken
	case errors.Is(err, ErrMissingToken):
		status, body = http.StatusUnauthorized, bodyNotAuthenticated
	case errors.Is(err, ErrInsufficientScope):
		status, code, body = http.StatusForbidden, "insufficient_scope", bodyForbidden
	default:
		return false
	}
	var se *dpopSchemeError
	if errors.As(err, &se) {
		viaDPoP = true
	}
	var scope string
	var sc *scopeError
	if code != "" && errors.As(err, &sc) {
		scope = sc.scope
	}
	dpop := ch.dpop
	if dpop == "" && viaDPoP { // a DPoP error written without its middleware
		dpop = defaultDPoPChallenge
	}
	onDPoP := dpop != "" && (viaDPoP || ch.bearer == "")
	if v, ok := ch.values[challengeKey{code, onDPoP}]; ok && scope == "" && dpop == ch.dpop {
		h["Www-Authenticate"] = slices.Clone(v) // the response's own copy
	} else {
		params := ""
		if code != "" {
			params = `, error="` + code + `"`
			if scope != "" {
				params += `, scope="` + scope + `"`
			}
		}
		h["Www-Authenticate"] = challengeValues(ch.bearer, dpop, params, onDPoP)
	}
	if len(h["Www-Authenticate"]) == 0 {
		delete(h, "Www-Authenticate")
	}
	writeResponse(w, status, "", "", body)
	return true
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

// writeBodyError writes err as a response if it is one of the body errors
// ([*ValidationError] 422 {"detail":[...]}, [*RequestError] and [*HTTPError]
// {"detail":"..."} with their status) and reports whether it did.
func writeBodyError(w http.ResponseWriter, err error) bool {
	var (
		ve *ValidationError
		re *RequestError
		he *HTTPError
	)
	switch {
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, nil, struct {
			Detail []FieldError `json:"detail"`
		}{ve.Errors})
	case errors.As(err, &re):
		if re.Status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close") // the rest of the body is not read
		}
		writeJSON(w, re.Status, nil, detail{re.Detail})
	case errors.As(err, &he):
		addHeaders(w, he.Header)
		writeJSON(w, he.Status, he.Header, detail{he.Detail})
	default:
		return false
	}
	return true
}

type detail struct {
	Detail string `json:"detail"`
}

// writeJSON writes v as JSON with status, the Content-Type and
// Cache-Control of hdr (a [Response] or [HTTPError] header; may be nil), or
// a 500 if v cannot be encoded (a Validate method's FieldError may hold
// anything in Ctx).
func writeJSON(w http.ResponseWriter, status int, hdr http.Header, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeResponse(w, http.StatusInternalServerError, "", "", bodyInternal)
		return
	}
	writeResponse(w, status, hdr.Get("Content-Type"), hdr.Get("Cache-Control"), append(b, '\n'))
}

// addHeaders adds h to the response's headers, except Content-Type and
// Cache-Control, which writeResponse sets.
func addHeaders(w http.ResponseWriter, h http.Header) {
	for k, vs := range h {
		if k == "Content-Type" || k == "Cache-Control" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// writeResponse is the package's one response writer. It writes status and
// the JSON body b, which ends with a newline like every body the library
// writes (b may be nil for 204 and 304, which get neither a body nor a
// Content-Type). Content-Type is set to contentType (from a [Response] or
// [HTTPError] header), or application/json if that is "", replacing what an
// outer handler may have put on w.
//
// The Cache-Control policy, the same for every response: the value the
// handler gave in its [Response] or [HTTPError] header (cacheControl) if
// any; otherwise an error response (status 400 and above: a refused
// credential, a refused body, a failure) gets "no-store", so that no cache
// keeps or replays an answer about a request's credentials, and a success
// leaves caching alone. The middleware's own errors always have "no-store".
func writeResponse(w http.ResponseWriter, status int, contentType, cacheControl string, b []byte) {
	h := w.Header()
	switch {
	case cacheControl != "":
		h.Set("Cache-Control", cacheControl)
	case status >= http.StatusBadRequest:
		h.Set("Cache-Control", "no-store")
	}
	if status == http.StatusNoContent || status == http.StatusNotModified {
		h.Del("Content-Type")
		w.WriteHeader(status)
		return
	}
	if contentType == "" {
		contentType = "application/json"
	}
	h.Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
