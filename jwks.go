package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// defaultJWKSAlgorithms is the allowlist of a [JWKS] source without
// [WithJWKSAlgorithms]: every asymmetric algorithm jwtauth verifies, RFC 9864's
// Ed25519 included.
var defaultJWKSAlgorithms = algorithmNames(func(a *algorithm) bool { return a.family != familyHMAC })

// JWKS is a [KeySource] backed by a JSON Web Key Set (RFC 7517) fetched over
// HTTPS and kept fresh in the background. Create one with [NewJWKS]; call
// [JWKS.Close] when done with it. A JWKS is safe for concurrent use.
//
// Keys: RSA, EC (P-256, P-384, P-521) and OKP Ed25519 keys are used;
// symmetric "oct" keys are refused, because a secret that is published in a
// key set is not a secret, and Ed448 keys because Go has no Ed448. Keys
// whose "use" is not "sig" are ignored. A key is bound to its "alg" (EdDSA
// or Ed25519 for an Ed25519 key) or, without one, to algorithms of the
// allowlist as [WithJWKSAlgorithms] describes. A token's kid selects the key whose "kid" is
// exactly equal (a token without kid, a key without "kid"), and the token's
// algorithm must be that key's. The "x5u", "jku" and "x5c" members are never
// followed or used. A malformed or unusable key is skipped, and reported to
// the handler of [WithJWKSErrorHandler], without affecting the others.
//
// Caching: the set is refreshed every 15 minutes, or sooner as its
// Cache-Control max-age says, at randomly spread times so that many
// instances do not fetch together ([WithRefreshInterval] says how, and what
// load N instances put on the key server), and when a token names
// an unknown kid, at most once per cooldown ([WithRefreshCooldown], whose
// budget the background refreshes do not use, so a newly published key is
// accepted on its first request); concurrent lookups
// share one fetch, and none waits longer than the lookup timeout
// ([WithLookupTimeout]). A fetch that fails (a network error, a status other
// than 200, a malformed or oversized document) leaves the last good keys in
// use; keys missing from a well-formed answer are dropped, and an answer
// with no usable key at all leaves the source without keys (503) until a
// later fetch brings one. While the set is unchanged, Key returns the
// same *Key values, so a verified-token cache keyed on them stays valid.
//
// Outage: until a first fetch succeeds, Key returns an error wrapping
// [ErrKeysUnavailable], which the middleware answers with 503.
//
// A key set is usually shared by many issuers' or audiences' tokens, so use
// it only with a middleware that checks the issuer and the audience (RFC 8725
// sections 3.8 and 3.9); [New] requires both for this source.
type JWKS struct {
	cfg     *jwksConfig
	resolve func(ctx context.Context) (string, error) // the key set's URL
	keys    atomic.Pointer[jwksSnapshot]

	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the refresh loop and fetches in flight
	ready  chan struct{}  // closed after the first successful fetch
	done   chan struct{}  // closed when the refresh loop has returned

	mu        sync.Mutex
	inflight  *jwksFetch // the fetch all callers share, if one runs
	lastMiss  time.Time  // start of the latest fetch an unknown kid caused, for the cooldown
	lastErr   error      // error of the latest completed fetch
	fetched   bool       // a fetch has completed
	closed    bool
	closeOnce sync.Once
}

// jwksFetch is one fetch of the key set, shared by everyone waiting for it.
type jwksFetch struct {
	done chan struct{} // closed when the fetch has ended
	err  error
	next time.Duration // delay to the next background refresh
}

// NewJWKS returns a [JWKS] source for the key set at rawURL, which must use
// https unless its host is loopback or [WithInsecureHTTP] is given.
//
// NewJWKS starts the first fetch and waits for it until it ends, ctx is done
// or the fetch timeout passes ([WithFetchTimeout], default 10 seconds),
// whichever comes first; ctx bounds only this wait, not the source's life.
// It returns an error only for a configuration mistake (a bad URL or
// option), never because the key server is unreachable: the source then
// keeps trying in the background, [JWKS.Err] says why it has no keys,
// [JWKS.Ready] tells when it gets them, and meanwhile Key returns an error
// wrapping [ErrKeysUnavailable]. To fail startup instead, check Err after
// NewJWKS returns.
func NewJWKS(ctx context.Context, rawURL string, opts ...JWKSOption) (*JWKS, error) {
	cfg, err := newJWKSConfig(opts)
	if err != nil {
		return nil, err
	}
	u, err := checkFetchURL(rawURL, cfg.insecureHTTP)
	if err != nil {
		return nil, err
	}
	s := newJWKS(cfg, func(context.Context) (string, error) { return u, nil })
	s.start(ctx)
	return s, nil
}

func newJWKS(cfg *jwksConfig, resolve func(context.Context) (string, error)) *JWKS {
	s := &JWKS{
		cfg:     cfg,
		resolve: resolve,
		ready:   make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// start launches the first fetch and the refresh loop, and waits for the
// first fetch or ctx.
func (s *JWKS) start(ctx context.Context) {
	s.mu.Lock()
	first := s.startFetchLocked()
	s.mu.Unlock()
	s.wg.Add(1)
	go s.loop(first)
	select {
	case <-first.done:
	case <-ctx.Done():
	}
}

// loop refreshes the key set in the background until Close.
func (s *JWKS) loop(f *jwksFetch) {
	defer s.wg.Done()
	defer close(s.done)
	for first := true; f != nil; first = false {
		select {
		case <-f.done:
		case <-s.ctx.Done():
			return
		}
		select {
		case <-s.cfg.after(jitter(f.next, first, s.cfg.rand())):
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
		if f = s.inflight; f == nil {
			f = s.startFetchLocked()
		}
		s.mu.Unlock()
	}
}

// Refresh jitter: the share of a background refresh's delay that is random,
// so that instances started together (a deployment, an autoscaler) do not
// fetch together. See [WithRefreshInterval].
const (
	refreshJitter      = 0.2 // a refresh comes after 80–100 % of its delay
	firstRefreshJitter = 0.9 // the first after the start fetch, 10–100 %
)

// jitter returns the delay d of a background refresh shortened by a random
// share of it, r in [0, 1) from the source's randomness: by up to
// [firstRefreshJitter] for the first refresh after the start fetch, which
// sets the instance's phase, and by up to [refreshJitter] for every later
// one. The delay is never longer than d, so the refresh interval stays the
// longest the source goes between refreshes. r = 0 gives d.
func jitter(d time.Duration, first bool, r float64) time.Duration {
	share := refreshJitter
	if first {
		share = firstRefreshJitter
	}
	return d - time.Duration(share*r*float64(d))
}

// startFetchLocked starts a fetch; s.mu must be held and no fetch in flight.
// It returns nil after Close.
func (s *JWKS) startFetchLocked() *jwksFetch {
	if s.closed {
		return nil
	}
	f := &jwksFetch{done: make(chan struct{})}
	s.inflight = f
	s.wg.Add(1)
	go s.runFetch(f)
	return f
}

func (s *JWKS) runFetch(f *jwksFetch) {
	defer s.wg.Done()
	snap, maxAge, skipped, err := s.fetch()
	if err == nil {
		s.keys.Store(snap)
		f.next = s.cfg.interval
		if maxAge >= 0 {
			f.next = min(maxAge, s.cfg.interval) // sooner, never later
		}
	} else {
		if snap != nil && errors.Is(err, errNoUsableKey) {
			s.keys.Store(snap) // fail closed: removed keys must stop verifying
		}
		f.err = err
		f.next = s.cfg.interval
		if s.cfg.cooldown > 0 {
			f.next = min(s.cfg.interval, s.cfg.cooldown)
		}
	}
	s.mu.Lock()
	s.inflight = nil
	s.lastErr = err
	s.fetched = true
	s.mu.Unlock()
	if err == nil {
		select {
		case <-s.ready:
		default:
			close(s.ready)
		}
	}
	if s.cfg.onError != nil {
		for _, e := range skipped {
			s.cfg.onError(e)
		}
		if err != nil {
			s.cfg.onError(err)
		}
	}
	close(f.done)
}

// fetch gets and parses the key set. maxAge is -1 without a Cache-Control
// max-age.
func (s *JWKS) fetch() (snap *jwksSnapshot, maxAge time.Duration, skipped []error, err error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.fetchTimeout)
	defer cancel()
	u, err := s.resolve(ctx)
	if err != nil {
		return nil, -1, nil, err
	}
	body, header, err := s.get(ctx, u)
	if err != nil {
		return nil, -1, nil, err
	}
	snap, err = parseJWKS(body, s.cfg.algs, s.keys.Load(), func(e error) { skipped = append(skipped, e) })
	if err != nil {
		// snap is an empty set for errNoUsableKey, nil otherwise.
		return snap, -1, skipped, fmt.Errorf("jwtauth: key set from %s: %w", redactURL(u), escapedError{err})
	}
	return snap, cacheMaxAge(header), skipped, nil
}

// Algorithms returns the source's algorithm allowlist ([WithJWKSAlgorithms]).
func (s *JWKS) Algorithms() []string { return slices.Clone(s.cfg.algs) }

// Key returns the key whose "kid" is exactly kid and whose algorithm is alg.
// A known kid is answered from memory without locks or allocation. An unknown
// kid triggers a refresh if the cooldown allows, and waits for it up to the
// lookup timeout or ctx's end. The error wraps [ErrKeysUnavailable] while no
// fetch has ever succeeded. If kid names only keys of the set that were
// skipped, the error says so and why (`key "kid" was skipped: ...`) and
// wraps the reason ([ErrJWKIgnored], [ErrJWKUnsupported] or [ErrJWKInvalid]);
// it never holds key material. After [JWKS.Close], Key keeps answering from the
// last keys fetched.
func (s *JWKS) Key(ctx context.Context, kid, alg string) (*Key, error) {
	if snap := s.keys.Load(); snap != nil {
		if k, known := snap.lookup(kid, alg); k != nil {
			return k, nil
		} else if known {
			return nil, errAlgMismatch
		}
	}
	return s.slowKey(ctx, kid, alg)
}

var errJWKSAlg = errors.New("jwtauth: the token's algorithm is not allowed for this key set")

func (s *JWKS) slowKey(ctx context.Context, kid, alg string) (*Key, error) {
	if !slices.Contains(s.cfg.algs, alg) {
		return nil, errJWKSAlg // never the header's text: it is the client's
	}
	if f := s.missFetch(); f != nil && s.cfg.lookupTimeout > 0 {
		t := time.NewTimer(s.cfg.lookupTimeout)
		select {
		case <-f.done:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	snap := s.keys.Load()
	if snap == nil || len(snap.all) == 0 {
		return nil, s.unavailable()
	}
	if k, known := snap.lookup(kid, alg); k != nil {
		return k, nil
	} else if known {
		return nil, errAlgMismatch
	}
	if reason, ok := snap.skipped[kid]; ok {
		return nil, &skippedKeyError{kid: kid, reason: reason}
	}
	return nil, errUnknownKey
}

// missFetch returns the fetch in flight, or starts one if no fetch caused by
// an unknown kid has started within the cooldown, or returns nil.
func (s *JWKS) missFetch() *jwksFetch {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight != nil {
		return s.inflight
	}
	// Only fetches caused by unknown kids use up the budget: the first fetch
	// and the background refreshes must not delay a newly published key.
	now := s.cfg.now()
	if !s.lastMiss.IsZero() && now.Sub(s.lastMiss) < s.cfg.cooldown {
		return nil
	}
	f := s.startFetchLocked()
	if f != nil {
		s.lastMiss = now
	}
	return f
}

func (s *JWKS) unavailable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastErr != nil {
		return fmt.Errorf("%w: %w", ErrKeysUnavailable, s.lastErr)
	}
	return fmt.Errorf("%w: the first fetch of the key set has not completed", ErrKeysUnavailable)
}

// Ready returns a channel that is closed once a fetch has succeeded, so that
// the source has keys.
func (s *JWKS) Ready() <-chan struct{} { return s.ready }

// Err returns the error of the latest fetch, or nil if it succeeded. Before
// the first fetch has ended it returns an error wrapping
// [ErrKeysUnavailable]. A non-nil Err while [JWKS.Ready] is closed means the
// source is serving the last good keys.
func (s *JWKS) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fetched {
		return fmt.Errorf("%w: the first fetch of the key set has not completed", ErrKeysUnavailable)
	}
	return s.lastErr
}

// Close stops the background refresh, cancels a fetch in flight, waits for
// both to end and closes the idle connections of the source's own transport
// (see [WithHTTPClient]), so that no goroutine or connection of the source
// remains. A client whose Transport is another [http.RoundTripper] (a
// tracing or retrying wrapper) is not the source's to close: its owner
// closes its idle connections after Close. It always returns nil; calling
// it again does nothing.
func (s *JWKS) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.wg.Wait()
		if s.cfg.ownTransport {
			s.cfg.client.CloseIdleConnections()
		}
	})
	return nil
}

// SharedKeys reports true: an identity provider's keys sign tokens for
// many parties, so [New] requires an issuer and an audience (see
// [SharedKeySource]).
func (s *JWKS) SharedKeys() bool { return true }
