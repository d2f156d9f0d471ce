package jwttest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// JWKSPath is the path at which a [JWKSServer] serves its key set, and
// DiscoveryPath the path of its OpenID Connect discovery document.
const (
	JWKSPath      = "/jwks.json"
	DiscoveryPath = "/.well-known/openid-configuration"
)

// JWKSServer is a JSON Web Key Set endpoint on a local [httptest.Server],
// with an OpenID Connect discovery document whose issuer is the server's base
// URL. Tests change what it serves while it runs ([JWKSServer.SetKeys],
// [JWKSServer.Rotate]), make it fail or slow ([JWKSServer.SetStatus],
// [JWKSServer.SetLatency]) and count its requests ([JWKSServer.Fetches]).
// All methods are safe for concurrent use.
type JWKSServer struct {
	srv *httptest.Server

	mu           sync.Mutex
	jwks         []JWK
	body         []byte // when non-nil, served instead of jwks
	status       int
	latency      time.Duration
	cacheControl string
	discovery    any // nil: the default document
	fetches      int
	discFetches  int
	changed      chan struct{} // closed and replaced on every request
	closed       chan struct{}
	closeOnce    sync.Once
}

// NewJWKSServer starts a plain-HTTP [JWKSServer] on the loopback interface
// publishing the public keys of keys, in order. It is closed when the test
// ends (t.Cleanup). By default it answers 200 with Content-Type
// application/json, no Cache-Control header and no delay.
func NewJWKSServer(t testing.TB, keys ...*Key) *JWKSServer {
	t.Helper()
	return newJWKSServer(t, false, keys)
}

// NewTLSJWKSServer is [NewJWKSServer] over HTTPS with a self-signed
// certificate; use [JWKSServer.Client] to reach it.
func NewTLSJWKSServer(t testing.TB, keys ...*Key) *JWKSServer {
	t.Helper()
	return newJWKSServer(t, true, keys)
}

func newJWKSServer(t testing.TB, tls bool, keys []*Key) *JWKSServer {
	t.Helper()
	s := &JWKSServer{changed: make(chan struct{}), closed: make(chan struct{})}
	s.SetKeys(keys...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JWKSPath, s.serveJWKS)
	mux.HandleFunc("GET "+DiscoveryPath, s.serveDiscovery)
	if tls {
		s.srv = httptest.NewTLSServer(mux)
	} else {
		s.srv = httptest.NewServer(mux)
	}
	t.Cleanup(s.Close)
	return s
}

// URL returns the key set's URL, the base URL followed by [JWKSPath].
func (s *JWKSServer) URL() string { return s.srv.URL + JWKSPath }

// Issuer returns the server's base URL, such as "http://127.0.0.1:12345",
// which is the "issuer" of its discovery document (unless changed with
// [JWKSServer.SetDiscoveryDocument]).
func (s *JWKSServer) Issuer() string { return s.srv.URL }

// Mint is [Mint] with the server's [JWKSServer.Issuer] as the default "iss"
// claim, so that a token minted with one of the server's keys is accepted
// by a verifier configured with the server's issuer (as jwtauth.NewOIDC is).
func (s *JWKSServer) Mint(t testing.TB, k *Key, claims any, opts ...MintOption) string {
	t.Helper()
	return Mint(t, k, claims, append([]MintOption{WithIssuer(s.Issuer())}, opts...)...)
}

// Client returns an HTTP client that trusts the server's certificate (for a
// server from [NewTLSJWKSServer]; a plain client otherwise).
func (s *JWKSServer) Client() *http.Client { return s.srv.Client() }

// SetKeys publishes the public keys of keys, in order, replacing the key set
// and any body set with [JWKSServer.SetBody].
func (s *JWKSServer) SetKeys(keys ...*Key) {
	jwks := make([]JWK, len(keys))
	for i, k := range keys {
		jwks[i] = k.JWK()
	}
	s.SetJWKs(jwks...)
}

// SetJWKs publishes jwks exactly as given, replacing the key set and any body
// set with [JWKSServer.SetBody].
func (s *JWKSServer) SetJWKs(jwks ...JWK) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwks = append([]JWK(nil), jwks...)
	s.body = nil
}

// AddKeys publishes the public keys of keys after those already published.
func (s *JWKSServer) AddKeys(keys ...*Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.jwks = append(s.jwks, k.JWK())
	}
	s.body = nil
}

// RemoveKeys withdraws every published key whose "kid" is one of kids.
func (s *JWKSServer) RemoveKeys(kids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.jwks[:0:0]
	for _, j := range s.jwks {
		if !slices.Contains(kids, j.Kid) {
			kept = append(kept, j)
		}
	}
	s.jwks = kept
	s.body = nil
}

// Rotate rotates keys the way an identity provider does: it publishes next
// as the first key and keeps only the key that was first before it, so that
// tokens signed with the previous key stay verifiable for one more
// rotation. After two calls to Rotate the original keys are gone.
//
// A jwtauth source accepts a token signed with next on its first request,
// by fetching the set again; see the package documentation for tests that
// rotate more than once.
func (s *JWKSServer) Rotate(next *Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	jwks := []JWK{next.JWK()}
	if len(s.jwks) > 0 {
		jwks = append(jwks, s.jwks[0])
	}
	s.jwks = jwks
	s.body = nil
}

// SetBody makes the key set endpoint answer with exactly body, for example a
// malformed or oversized document; SetBody(nil) goes back to serving the keys.
func (s *JWKSServer) SetBody(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body = append([]byte(nil), body...)
	if body == nil {
		s.body = nil
	}
}

// SetStatus makes both endpoints answer with the HTTP status code and no
// body, to simulate an outage; 0 or 200 restores normal answers.
func (s *JWKSServer) SetStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = code
}

// SetLatency delays every answer by d (0, the default, for none). A delayed
// request ends early, without an answer, if the client gives up or the server
// is closed.
func (s *JWKSServer) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetCacheControl sets the Cache-Control header of the key set's answers,
// such as "max-age=300"; "" (the default) sends none.
func (s *JWKSServer) SetCacheControl(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cacheControl = v
}

// SetDiscoveryDocument replaces the discovery document, which is by default
// {"issuer": s.Issuer(), "jwks_uri": s.URL()}, with doc marshalled as JSON.
// SetDiscoveryDocument(nil) restores the default.
func (s *JWKSServer) SetDiscoveryDocument(doc any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.discovery = doc
}

// Fetches returns how many requests the key set endpoint has received,
// including failed and abandoned ones.
func (s *JWKSServer) Fetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// DiscoveryFetches returns how many requests the discovery endpoint has
// received.
func (s *JWKSServer) DiscoveryFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.discFetches
}

// WaitFetches waits until the key set endpoint has received at least n
// requests, or timeout has passed, and reports whether it had.
func (s *JWKSServer) WaitFetches(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := s.fetches, s.changed
		s.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// Close shuts the server down; later requests fail to connect. It is called
// automatically when the test ends, and calling it again does nothing.
func (s *JWKSServer) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.srv.Close()
	})
}

// begin counts a request, applies the latency and reports the status to
// answer with (0 when the request was abandoned).
func (s *JWKSServer) begin(r *http.Request, counter *int) int {
	s.mu.Lock()
	*counter++
	close(s.changed)
	s.changed = make(chan struct{})
	latency, status := s.latency, s.status
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return 0
		case <-s.closed:
			return 0
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	return status
}

func (s *JWKSServer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	status := s.begin(r, &s.fetches)
	if status == 0 {
		return
	}
	s.mu.Lock()
	body, jwks, cc := s.body, s.jwks, s.cacheControl
	s.mu.Unlock()
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	if body == nil {
		if jwks == nil {
			jwks = []JWK{}
		}
		body, _ = json.Marshal(struct {
			Keys []JWK `json:"keys"`
		}{jwks})
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func (s *JWKSServer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	status := s.begin(r, &s.discFetches)
	if status == 0 {
		return
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		return
	}
	s.mu.Lock()
	doc := s.discovery
	s.mu.Unlock()
	if doc == nil {
		doc = map[string]any{"issuer": s.Issuer(), "jwks_uri": s.URL()}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
