package jwtauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// TokenSource is one place a token may be carried in a request. Build one
// with [FromBearer], [FromAuthorization], [FromCookie], [FromQuery] or
// [FromFunc], and pass them to [WithTokenSources].
type TokenSource struct {
	kind sourceKind
	name string
	fn   func(*http.Request) (string, error)
	err  error
}

// place names where the source reads, so that two sources reading the same
// place (which would make every request "a token in two places") are a
// construction error.
func (s TokenSource) place() string {
	switch s.kind {
	case srcBearer, srcAuthorization:
		return "the Authorization header"
	case srcCookie:
		return "cookie " + s.name
	case srcQuery:
		return "query parameter " + s.name
	}
	return "custom"
}

type sourceKind uint8

const (
	srcBearer sourceKind = iota
	srcAuthorization
	srcCookie
	srcQuery
	srcFunc
)

// FromBearer takes the token from an "Authorization: Bearer <token>" header
// (RFC 6750 section 2.1; the scheme is case-insensitive). It is the default
// source. Two Authorization headers, or "Bearer" with no token, are a
// malformed request; an Authorization header with another scheme counts as no
// token. With DPoP enabled (the default, see [WithDPoP]) it also reads
// "Authorization: DPoP <token>", which then needs a DPoP proof.
func FromBearer() TokenSource { return TokenSource{kind: srcBearer} }

// FromAuthorization takes the token from the Authorization header either as
// "Bearer <token>" or as the raw token with no scheme, as the FastAPI
// tutorial's curl sends it, and, with DPoP enabled, as "DPoP <token>". A raw
// token is treated as a Bearer token: one with a "cnf" claim is refused.
// Prefer [FromBearer] for new clients.
func FromAuthorization() TokenSource {
	return TokenSource{kind: srcAuthorization}
}

// FromCookie takes the token from the cookie called name. Two cookies of
// that name are a malformed request. Cookies are sent by browsers
// automatically: pair this source with CSRF protection.
func FromCookie(name string) TokenSource {
	s := TokenSource{kind: srcCookie, name: name}
	if name == "" || strings.ContainsAny(name, " \t\r\n;=,") {
		s.err = errors.New("FromCookie: unusable cookie name")
	}
	return s
}

// FromQuery takes the token from the URL query parameter name. This is
// discouraged (RFC 6750 section 2.3): URLs end up in logs, browser history
// and Referer headers. Two parameters of that name are a malformed request.
func FromQuery(name string) TokenSource {
	s := TokenSource{kind: srcQuery, name: name}
	if name == "" {
		s.err = errors.New("FromQuery: empty parameter name")
	}
	return s
}

// FromFunc takes the token from fn, which returns "" when the request
// carries none. An error from fn is a malformed request (400); fn must not
// read the request body.
func FromFunc(fn func(r *http.Request) (string, error)) TokenSource {
	s := TokenSource{kind: srcFunc, fn: fn}
	if fn == nil {
		s.err = errors.New("FromFunc: nil function")
	}
	return s
}

// Errors of extraction; each wraps ErrMissingToken or ErrMalformedRequest.
var (
	errNoToken          = fmt.Errorf("%w", ErrMissingToken)
	errTwoAuthHeaders   = fmt.Errorf("%w: more than one Authorization header", ErrMalformedRequest)
	errEmptyBearer      = fmt.Errorf("%w: Bearer scheme without a token", ErrMalformedRequest)
	errEmptyDPoP        = fmt.Errorf("%w: DPoP scheme without a token", ErrMalformedRequest)
	errEmptyAuth        = fmt.Errorf("%w: empty Authorization header", ErrMalformedRequest)
	errTwoCookies       = fmt.Errorf("%w: more than one token cookie", ErrMalformedRequest)
	errTwoQueryParams   = fmt.Errorf("%w: more than one token query parameter", ErrMalformedRequest)
	errTokenInTwoPlaces = fmt.Errorf("%w: token found in more than one place", ErrMalformedRequest)
	errCustomSource     = fmt.Errorf("%w: custom token source failed", ErrMalformedRequest)
)

// scheme is how a request presented its token.
type scheme uint8

const (
	schemeOther  scheme = iota // a cookie, query parameter or FromFunc source
	schemeBearer               // "Authorization: Bearer"
	schemeRaw                  // a raw token of FromAuthorization
	schemeDPoP                 // "Authorization: DPoP"
)

// credential is the token a request carries and how.
type credential struct {
	token  string
	scheme scheme
}

// extractToken applies every source and returns the one token found. With
// dpop, the Authorization sources also read the DPoP scheme. On an error
// the credential's scheme is the one the error concerns, if known.
func extractToken(r *http.Request, sources []TokenSource, dpop bool) (credential, error) {
	var cred credential
	found := false
	for i := range sources {
		c, ok, err := sources[i].extract(r, dpop)
		if err != nil {
			return c, err
		}
		if !ok {
			continue
		}
		if found {
			return credential{}, errTokenInTwoPlaces
		}
		cred, found = c, true
	}
	if !found {
		return credential{}, errNoToken
	}
	return cred, nil
}

func (s *TokenSource) extract(r *http.Request, dpop bool) (credential, bool, error) {
	switch s.kind {
	case srcBearer, srcAuthorization:
		vals := r.Header.Values("Authorization")
		switch len(vals) {
		case 0:
			return credential{}, false, nil
		case 1:
		default:
			return credential{}, false, errTwoAuthHeaders
		}
		return parseAuthorization(strings.Trim(vals[0], " \t"), s.kind == srcAuthorization, dpop)
	case srcCookie:
		cs := r.CookiesNamed(s.name)
		switch len(cs) {
		case 0:
			return credential{}, false, nil
		case 1:
			return credential{token: cs[0].Value}, cs[0].Value != "", nil
		default:
			return credential{}, false, errTwoCookies
		}
	case srcQuery:
		vals, ok := r.URL.Query()[s.name]
		if !ok {
			return credential{}, false, nil
		}
		if len(vals) != 1 {
			return credential{}, false, errTwoQueryParams
		}
		return credential{token: vals[0]}, vals[0] != "", nil
	default:
		t, err := s.fn(r)
		if err != nil {
			return credential{}, false, errCustomSource
		}
		return credential{token: t}, t != "", nil
	}
}

// parseAuthorization splits an Authorization value into the Bearer token,
// or with dpop the DPoP token. With raw set, a value that is neither is
// the token itself.
func parseAuthorization(v string, raw, dpop bool) (credential, bool, error) {
	if v == "" {
		return credential{}, false, errEmptyAuth
	}
	if tok, ok := cutScheme(v, "bearer"); ok {
		if tok == "" {
			return credential{scheme: schemeBearer}, false, errEmptyBearer
		}
		return credential{tok, schemeBearer}, true, nil
	}
	if dpop {
		if tok, ok := cutScheme(v, "dpop"); ok {
			if tok == "" {
				return credential{scheme: schemeDPoP}, false, errEmptyDPoP
			}
			return credential{tok, schemeDPoP}, true, nil
		}
	}
	if raw {
		return credential{v, schemeRaw}, true, nil
	}
	return credential{}, false, nil
}

// cutScheme reports whether v is the authorization scheme name
// (case-insensitively) alone or followed by spaces, and returns what follows
// the spaces. "Bearerxyz" is another scheme (or a raw token starting with
// "bearer").
func cutScheme(v, name string) (string, bool) {
	if len(v) < len(name) || !strings.EqualFold(v[:len(name)], name) {
		return "", false
	}
	rest := v[len(name):]
	if rest == "" {
		return "", true
	}
	if rest[0] != ' ' {
		return "", false
	}
	return strings.TrimLeft(rest, " "), true
}
