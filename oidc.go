package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// OIDC is a [KeySource] for an OpenID Connect issuer: it finds the issuer's
// key set through OpenID Connect Discovery 1.0 and then behaves as a [JWKS]
// for it, with the same options, caching and outage behaviour. Create one
// with [NewOIDC]; call [OIDC.Close] when done with it. An OIDC is safe for
// concurrent use.
//
// An identity provider signs tokens for many clients with the same keys, so
// use it only with a middleware that checks the issuer (see [OIDC.Issuer])
// and the audience (RFC 8725 sections 3.8 and 3.9); [New] requires both for
// this source.
type OIDC struct {
	issuer string
	jwks   *JWKS

	mu      sync.Mutex
	jwksURI string // "" until discovery has succeeded
}

// errDiscoveryConfig marks discovery answers that show a configuration
// mistake rather than an outage; [NewOIDC] returns them.
var errDiscoveryConfig = errors.New("jwtauth: OIDC discovery refused")

// NewOIDC returns an [OIDC] source for issuer, an https URL (or a loopback
// http one, see [WithInsecureHTTP]) with no query or fragment.
//
// It fetches issuer's discovery document from issuer without a trailing "/"
// followed by "/.well-known/openid-configuration", requires the document's
// "issuer" to equal issuer exactly (so a trailing "/" matters) and its
// "jwks_uri" to obey the same https rule, and then fetches that key set. The
// document is fetched until this succeeds; its jwks_uri is then used for the
// source's lifetime. Discovery counts as part of the first fetch: NewOIDC
// waits for it as [NewJWKS] does, under ctx and the fetch timeout. It returns
// an error for a bad issuer URL or option, and for a discovery document that
// was fetched within the wait but names another issuer or an insecure
// jwks_uri; if the provider is merely unreachable it returns the source,
// whose Key fails with [ErrKeysUnavailable] until discovery and a fetch
// succeed in the background.
func NewOIDC(ctx context.Context, issuer string, opts ...JWKSOption) (*OIDC, error) {
	cfg, err := newJWKSConfig(opts)
	if err != nil {
		return nil, err
	}
	if _, err := checkFetchURL(issuer, cfg.insecureHTTP); err != nil {
		return nil, err
	}
	if u, _ := url.Parse(issuer); u.RawQuery != "" || u.ForceQuery {
		return nil, fmt.Errorf("jwtauth: issuer %s has a query", strconv.Quote(redactURL(issuer)))
	}
	o := &OIDC{issuer: issuer}
	o.jwks = newJWKS(cfg, o.resolve)
	o.jwks.start(ctx)
	if err := o.jwks.Err(); errors.Is(err, errDiscoveryConfig) {
		o.jwks.Close()
		return nil, err
	}
	return o, nil
}

// resolve returns the jwks_uri, fetching the discovery document until it
// has been fetched successfully once.
func (o *OIDC) resolve(ctx context.Context) (string, error) {
	o.mu.Lock()
	u := o.jwksURI
	o.mu.Unlock()
	if u != "" {
		return u, nil
	}
	docURL := strings.TrimSuffix(o.issuer, "/") + "/.well-known/openid-configuration"
	body, _, err := o.jwks.get(ctx, docURL)
	if err != nil {
		return "", err
	}
	m, err := decodeObject(body)
	if err != nil {
		return "", fmt.Errorf("jwtauth: discovery document %s: %w", redactURL(docURL), escapedError{err})
	}
	// A missing or non-string member reads as "", which never matches.
	var issuer, jwksURI string
	_ = json.Unmarshal(m["issuer"], &issuer)
	_ = json.Unmarshal(m["jwks_uri"], &jwksURI)
	if issuer != o.issuer {
		if len(issuer) > 200 { // the server's text: keep errors short
			issuer = strings.ToValidUTF8(issuer[:200], "") + "…"
		}
		return "", fmt.Errorf("%w: the discovery document's issuer %s differs from the configured %s", errDiscoveryConfig, strconv.Quote(issuer), strconv.Quote(o.issuer))
	}
	u, err = checkFetchURL(jwksURI, o.jwks.cfg.insecureHTTP)
	if err != nil {
		return "", fmt.Errorf("%w: jwks_uri: %w", errDiscoveryConfig, err)
	}
	// The discovery hop counts as the first hop of the key fetch: an https
	// issuer may not send it to plain http, loopback included.
	if strings.HasPrefix(docURL, "https:") && strings.HasPrefix(u, "http:") {
		return "", fmt.Errorf("%w: jwks_uri %s is plain http, but the issuer is https", errDiscoveryConfig, strconv.Quote(redactURL(u)))
	}
	o.mu.Lock()
	o.jwksURI = u
	o.mu.Unlock()
	return u, nil
}

// Issuer returns the issuer URL the source was created with, which every
// accepted token's "iss" claim must equal.
func (o *OIDC) Issuer() string { return o.issuer }

// Algorithms returns the source's algorithm allowlist ([WithJWKSAlgorithms]).
func (o *OIDC) Algorithms() []string { return o.jwks.Algorithms() }

// Key returns the key for kid and alg, as [JWKS.Key] does.
func (o *OIDC) Key(ctx context.Context, kid, alg string) (*Key, error) {
	return o.jwks.Key(ctx, kid, alg)
}

// Ready returns a channel that is closed once discovery and a key set fetch
// have succeeded, as [JWKS.Ready] does.
func (o *OIDC) Ready() <-chan struct{} { return o.jwks.Ready() }

// Err returns the error of the latest discovery or key set fetch, as
// [JWKS.Err] does.
func (o *OIDC) Err() error { return o.jwks.Err() }

// Close stops the background work, as [JWKS.Close] does.
func (o *OIDC) Close() error { return o.jwks.Close() }

// SharedKeys reports true: an identity provider's keys sign tokens for
// many parties, so [New] requires an issuer and an audience (see
// [SharedKeySource]).
func (o *OIDC) SharedKeys() bool { return true }
