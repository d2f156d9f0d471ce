package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/seedb5d7e80f/jwtauth/internal/safetext"
)

// checkFetchURL returns rawURL if it is an absolute http(s) URL allowed by the
// https rule of [WithInsecureHTTP].
func checkFetchURL(rawURL string, insecureHTTP bool) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error // its message repeats the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("jwtauth: invalid URL: %w", escapedError{err})
	}
	if u.User != nil {
		// Credentials in a URL end up in errors and logs.
		return "", errors.New("jwtauth: a key set URL must not contain credentials (use WithHTTPClient)")
	}
	if u.Host == "" || u.Opaque != "" {
		return "", fmt.Errorf("jwtauth: URL %s is not absolute", strconv.Quote(redactURL(rawURL)))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !insecureHTTP && !isLoopback(u.Hostname()) {
			return "", fmt.Errorf("jwtauth: URL %s: https is required for a host other than loopback (see WithInsecureHTTP)", strconv.Quote(redactURL(rawURL)))
		}
	default:
		return "", fmt.Errorf("jwtauth: URL %s: scheme must be https", strconv.Quote(redactURL(rawURL)))
	}
	if u.Fragment != "" {
		return "", fmt.Errorf("jwtauth: URL %s has a fragment", strconv.Quote(redactURL(rawURL)))
	}
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL returns u without its query (which may carry an API key) or
// credentials, escaped ([safetext.Escape]), for error messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(invalid URL)"
	}
	p.RawQuery, p.ForceQuery, p.User = "", false, nil
	return safetext.Escape(p.String())
}

// fetchClient returns the client a source fetches with (see
// [WithHTTPClient]): a private copy of c, or of a zero client if c is nil,
// so that the redirect rule cannot be lost by a caller changing their client
// later and the caller's client is never changed. Its CheckRedirect is c's
// wrapped by [redirectPolicy]. If c's Transport is nil or an
// *[http.Transport], the copy gets a clone of it and own is true: a
// transport of the source's own, so that Close can close its idle
// connections without touching anybody else's.
func fetchClient(c *http.Client, insecureHTTP, crossOrigin bool) (client *http.Client, own bool) {
	client = &http.Client{}
	if c != nil {
		*client = *c
	}
	client.CheckRedirect = redirectPolicy(client.CheckRedirect, insecureHTTP, crossOrigin)
	switch t := client.Transport.(type) {
	case nil:
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			client.Transport, own = dt.Clone(), true
		}
	case *http.Transport:
		client.Transport, own = t.Clone(), true
	}
	return client, own
}

// redirectPolicy returns a CheckRedirect that applies the https rule of
// [WithInsecureHTTP] to every hop, refuses any hop from https to http
// anywhere in the chain, refuses a hop to another origin than the original
// URL's unless crossOrigin, and then defers to next (the caller's own
// policy) or to net/http's limit of 10 redirects.
func redirectPolicy(next func(*http.Request, []*http.Request) error, insecure, crossOrigin bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if _, err := checkFetchURL(req.URL.String(), insecure); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		// Never from https down to http, loopback included: a remote server
		// must not steer the fetch to the verifier's own plain-http services.
		if req.URL.Scheme != "https" {
			for _, v := range via {
				if v.URL.Scheme == "https" {
					return errors.New("redirect refused: from https to http")
				}
			}
		}
		if !crossOrigin && len(via) > 0 && origin(req.URL) != origin(via[0].URL) {
			return errors.New("redirect refused: to another origin (see WithCrossOriginRedirects)")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// origin returns the scheme, host and port of u (RFC 6454), with the
// scheme's default port made explicit.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// get fetches u with the size limit and returns the body of a 200 answer.
func (s *JWKS) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	shown := redactURL(u)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("jwtauth: fetching %s: %w", shown, escapedError{err})
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := s.cfg.client.Do(req)
	if err != nil {
		var ue *url.Error // its message repeats the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, fmt.Errorf("jwtauth: fetching %s: %w", shown, escapedError{err})
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The status code only: the reason phrase is the server's text.
		return nil, nil, fmt.Errorf("jwtauth: fetching %s: status %d", shown, resp.StatusCode)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, resp.Body, s.cfg.maxSize))
	if err != nil {
		return nil, nil, fmt.Errorf("jwtauth: reading %s: %w", shown, escapedError{err})
	}
	return body, resp.Header, nil
}

// cacheMaxAge returns the Cache-Control max-age of h clamped to
// [minMaxAge, maxMaxAge], minMaxAge for no-cache and no-store, and -1 if h
// says none of these. The caller caps it at the refresh interval.
func cacheMaxAge(h http.Header) time.Duration {
	age := time.Duration(-1)
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				return minMaxAge
			case "max-age":
				n, err := strconv.ParseUint(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
				if err != nil {
					continue
				}
				if n > uint64(maxMaxAge/time.Second) {
					n = uint64(maxMaxAge / time.Second)
				}
				age = time.Duration(n) * time.Second
			}
		}
	}
	if age < 0 {
		return -1
	}
	return min(max(age, minMaxAge), maxMaxAge)
}
