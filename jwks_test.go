package jwtauth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// fakeTimer replaces the refresh loop's timer: every call of after is
// reported on armed, and the loop wakes only when the test calls tick.
type fakeTimer struct {
	armed chan time.Duration
	fire  chan time.Time
}

func newFakeTimer() *fakeTimer {
	return &fakeTimer{armed: make(chan time.Duration, 100), fire: make(chan time.Time)}
}

func (f *fakeTimer) after(d time.Duration) <-chan time.Time {
	f.armed <- d
	return f.fire
}

// waitArmed waits until the loop has finished a fetch and armed the timer,
// and returns the delay it asked for.
func (f *fakeTimer) waitArmed(t *testing.T) time.Duration {
	t.Helper()
	select {
	case d := <-f.armed:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("the refresh loop did not arm its timer")
		return 0
	}
}

// tick fires the timer, so the loop fetches, and waits until that fetch has
// ended; it returns the delay the loop asks for next.
func (f *fakeTimer) tick(t *testing.T) time.Duration {
	t.Helper()
	select {
	case f.fire <- time.Now():
	case <-time.After(10 * time.Second):
		t.Fatal("the refresh loop is not waiting on its timer")
	}
	return f.waitArmed(t)
}

type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

func (l *errLog) take() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := l.errs
	l.errs = nil
	return errs
}

type harness struct {
	srv   *jwttest.JWKSServer
	src   *JWKS
	clock *jwttest.Clock
	timer *fakeTimer
	log   *errLog
}

// newHarness serves keys, creates a JWKS source for them with a fixed clock
// and a fake timer, and waits for its first fetch.
func newHarness(t *testing.T, keys []*jwttest.Key, opts ...JWKSOption) *harness {
	t.Helper()
	h := &harness{srv: jwttest.NewJWKSServer(t, keys...), clock: jwttest.NewClock(time.Time{}), timer: newFakeTimer(), log: &errLog{}}
	h.src = h.newSource(t, opts...)
	return h
}

func (h *harness) newSource(t *testing.T, opts ...JWKSOption) *JWKS {
	t.Helper()
	all := append([]JWKSOption{withClock(h.clock.Now), withAfter(h.timer.after), withRand(noJitter), WithJWKSErrorHandler(h.log.add)}, opts...)
	src, err := NewJWKS(context.Background(), h.srv.URL(), all...)
	if err != nil {
		t.Fatalf("NewJWKS: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	h.timer.waitArmed(t)
	return src
}

func mustKey(t *testing.T, src KeySource, kid, alg string) *Key {
	t.Helper()
	k, err := src.Key(context.Background(), kid, alg)
	if err != nil {
		t.Fatalf("Key(%q, %q): %v", kid, alg, err)
	}
	if k.ID() != kid || k.Algorithm() != alg {
		t.Fatalf("Key(%q, %q) returned a key with kid %q, alg %q", kid, alg, k.ID(), k.Algorithm())
	}
	return k
}

func TestJWKSKeyTypes(t *testing.T) {
	t.Parallel()
	var keys []*jwttest.Key
	for _, alg := range []string{"RS256", "RS512", "PS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"} {
		keys = append(keys, jwttest.NewKey(t, alg))
	}
	h := newHarness(t, keys)
	if diff := cmp.Diff([]error(nil), h.log.take()); diff != "" {
		t.Errorf("errors reported (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(defaultJWKSAlgorithms, h.src.Algorithms()); diff != "" {
		t.Errorf("Algorithms (-want +got):\n%s", diff)
	}
	for _, tk := range keys {
		t.Run(tk.Algorithm(), func(t *testing.T) {
			k := mustKey(t, h.src, tk.ID(), tk.Algorithm())
			if !k.key.(interface{ Equal(crypto.PublicKey) bool }).Equal(tk.Public()) {
				t.Errorf("key material differs from the published key")
			}
			// Another algorithm for a known kid: rejected without a fetch.
			other := "ES256"
			if tk.Algorithm() == other {
				other = "ES384"
			}
			if _, err := h.src.Key(context.Background(), tk.ID(), other); !errors.Is(err, errAlgMismatch) {
				t.Errorf("Key(kid, %s) error = %v, want errAlgMismatch", other, err)
			}
		})
	}
	if got := h.srv.Fetches(); got != 1 {
		t.Errorf("Fetches = %d, want 1", got)
	}
	select {
	case <-h.src.Ready():
	default:
		t.Error("Ready is not closed after a successful fetch")
	}
	if err := h.src.Err(); err != nil {
		t.Errorf("Err = %v", err)
	}
}

func TestJWKSKIDMatchedExactly(t *testing.T) {
	t.Parallel()
	noKID := jwttest.NewKey(t, "EdDSA").WithID("")
	withKID := jwttest.NewKey(t, "ES256").WithID("Key-1")
	h := newHarness(t, []*jwttest.Key{noKID, withKID})
	mustKey(t, h.src, "", "EdDSA")
	mustKey(t, h.src, "Key-1", "ES256")
	for _, kid := range []string{"key-1", "Key-1 ", "Key", "x"} {
		if _, err := h.src.Key(context.Background(), kid, "ES256"); !errors.Is(err, errUnknownKey) {
			t.Errorf("Key(%q) error = %v, want errUnknownKey", kid, err)
		}
	}
	if _, err := h.src.Key(context.Background(), "", "ES256"); !errors.Is(err, errAlgMismatch) {
		t.Errorf(`Key("", ES256) error = %v, want errAlgMismatch`, err)
	}
}

// TestJWKSReportsSkippedKeys: every skipped key is reported with its index,
// kid and reason, and a token naming a skipped kid is refused with that
// reason (not "no key for the token's kid"), without key material.
func TestJWKSReportsSkippedKeys(t *testing.T) {
	t.Parallel()
	enc := jwttest.NewKey(t, "ES256").WithID("enc")
	sig := jwttest.NewKey(t, "ES256").WithID("sig")
	rsa := jwttest.NewKey(t, "RS256").WithID("rsa-no-alg")
	hmac := jwttest.NewKey(t, "HS256").WithID("hmac")
	h := &harness{srv: jwttest.NewJWKSServer(t), clock: jwttest.NewClock(time.Time{}), timer: newFakeTimer(), log: &errLog{}}
	encJWK := enc.JWK()
	encJWK.Use = "enc"
	rsaJWK := rsa.JWK()
	rsaJWK.Alg = ""
	h.srv.SetJWKs(encJWK, sig.JWK(), hmac.JWK(), rsaJWK, sig.JWK())
	h.src = h.newSource(t)
	type report struct {
		Index  int
		KID    string
		Reason error
	}
	reasonOf := func(err error) error {
		for _, reason := range []error{ErrJWKIgnored, ErrJWKUnsupported, ErrJWKInvalid} {
			if errors.Is(err, reason) {
				return reason
			}
		}
		return nil
	}
	var got []report
	for _, e := range h.log.take() {
		var je *JWKError
		if !errors.As(e, &je) {
			t.Fatalf("reported %v, not a *JWKError", e)
		}
		got = append(got, report{je.Index, je.KID, reasonOf(je)})
	}
	want := []report{{0, "enc", ErrJWKIgnored}, {2, "hmac", ErrJWKUnsupported}, {3, "rsa-no-alg", ErrJWKIgnored}, {4, "sig", ErrJWKInvalid}}
	sameErr := cmp.Comparer(func(a, b error) bool { return a == b })
	if diff := cmp.Diff(want, got, sameErr); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
	mustKey(t, h.src, "sig", "ES256")
	type refusal struct {
		Reason  error
		Unknown bool // matches errUnknownKey
		Text    string
	}
	tests := []struct {
		kid, alg string
		want     refusal
	}{
		{"enc", "ES256", refusal{ErrJWKIgnored, true, `jwtauth: key "enc" was skipped: JWK ignored: "use" is "enc", not "sig"`}},
		{"hmac", "HS256", refusal{nil, false, "jwtauth: the token's algorithm is not allowed for this key set"}},
		{"hmac", "ES256", refusal{ErrJWKUnsupported, true, `jwtauth: key "hmac" was skipped: JWK type unsupported: symmetric (oct) keys are refused: a published secret is no secret`}},
		{"rsa-no-alg", "RS256", refusal{ErrJWKIgnored, true, `jwtauth: key "rsa-no-alg" was skipped: JWK ignored: no "alg", and 6 allowed algorithms fit a RSA key (see WithJWKSAlgorithms)`}},
		{"never-published", "ES256", refusal{nil, true, "jwtauth: no key for the token's kid"}},
	}
	for _, tc := range tests {
		_, err := h.src.Key(context.Background(), tc.kid, tc.alg)
		got := refusal{reasonOf(err), errors.Is(err, errUnknownKey), fmt.Sprint(err)}
		if diff := cmp.Diff(tc.want, got, sameErr); diff != "" {
			t.Errorf("Key(%s, %s) (-want +got):\n%s", tc.kid, tc.alg, diff)
		}
		for _, secret := range []string{hmac.JWK().K, rsaJWK.N, encJWK.X} {
			if strings.Contains(got.Text, secret) {
				t.Errorf("Key(%s, %s) error holds key material: %s", tc.kid, tc.alg, got.Text)
			}
		}
	}
}

func TestJWKSRotation(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	b := jwttest.NewKey(t, "EdDSA").WithID("b")
	h := newHarness(t, []*jwttest.Key{a})
	ctx := context.Background()
	keyA := mustKey(t, h.src, "a", "ES256")

	// A new key published: accepted on its first request, right after the
	// first fetch (which does not use up the unknown-kid budget).
	h.srv.AddKeys(b)
	keyB := mustKey(t, h.src, "b", "EdDSA") // triggers and waits for a fetch
	if got := h.srv.Fetches(); got != 2 {
		t.Errorf("Fetches = %d, want 2", got)
	}
	if got := mustKey(t, h.src, "a", "ES256"); got != keyA {
		t.Error("a refresh that left key a unchanged replaced its *Key")
	}

	// A key removed: rejected after the next (background) refresh.
	h.srv.RemoveKeys("a")
	h.timer.tick(t)
	if _, err := h.src.Key(ctx, "a", "ES256"); !errors.Is(err, errUnknownKey) {
		t.Errorf("Key(a) after removal: error %v, want errUnknownKey", err)
	}
	if got := mustKey(t, h.src, "b", "EdDSA"); got != keyB {
		t.Error("a refresh that left key b unchanged replaced its *Key")
	}

	// The same kid with new material: a new *Key.
	b2 := jwttest.NewKey(t, "EdDSA").WithID("b")
	h.srv.SetKeys(b2)
	h.timer.tick(t)
	got := mustKey(t, h.src, "b", "EdDSA")
	if got == keyB || !got.key.(interface{ Equal(crypto.PublicKey) bool }).Equal(b2.Public()) {
		t.Error("key b's material changed but Key returned the old key")
	}
	if diff := cmp.Diff([]error(nil), h.log.take()); diff != "" {
		t.Errorf("errors reported (-want +got):\n%s", diff)
	}
}

// TestJWKSNewKIDBudget: a key published at any time is accepted on its
// first request: right after the first fetch, right after a background
// refresh, and again after a cooldown; floods of made-up kids in between
// fetch at most once per cooldown, and a removed key stops verifying at the
// next refresh.
func TestJWKSNewKIDBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	h := newHarness(t, []*jwttest.Key{a})
	flood := func() {
		for i := range 50 {
			if _, err := h.src.Key(ctx, fmt.Sprint("made-up-", i), "ES256"); !errors.Is(err, errUnknownKey) {
				t.Fatalf("Key(made-up) error = %v, want errUnknownKey", err)
			}
		}
	}
	steps := []struct {
		name        string
		before      func()
		kid         string // published, then looked up
		wantFetches int    // after the lookup and a flood
	}{
		{"at start", nil, "b", 2},
		{"right after a background refresh", func() {
			h.clock.Advance(defaultRefreshCooldown)
			h.timer.tick(t)
		}, "c", 4},
		{"within the cooldown of the last miss, after another refresh", func() {
			h.clock.Advance(defaultRefreshCooldown / 4)
			h.timer.tick(t)
		}, "", 5},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if st.kid != "" {
			h.srv.AddKeys(jwttest.NewKey(t, "EdDSA").WithID(st.kid))
			if _, err := h.src.Key(ctx, st.kid, "EdDSA"); err != nil {
				t.Errorf("%s: Key(%s) error = %v, want the new key", st.name, st.kid, err)
			}
		}
		flood()
		if got := h.srv.Fetches(); got != st.wantFetches {
			t.Errorf("%s: Fetches = %d, want %d", st.name, got, st.wantFetches)
		}
	}
	// A new kid within the cooldown of the last miss fetch waits for the
	// background refresh, which brings it.
	h.srv.AddKeys(jwttest.NewKey(t, "EdDSA").WithID("d"))
	if _, err := h.src.Key(ctx, "d", "EdDSA"); !errors.Is(err, errUnknownKey) {
		t.Errorf("Key(d) within the cooldown: error %v, want errUnknownKey", err)
	}
	h.timer.tick(t)
	mustKey(t, h.src, "d", "EdDSA")
	// Removed: refused after the next refresh.
	h.srv.RemoveKeys("a")
	h.timer.tick(t)
	if _, err := h.src.Key(ctx, "a", "ES256"); !errors.Is(err, errUnknownKey) {
		t.Errorf("Key(a) after removal: error %v, want errUnknownKey", err)
	}
}

// TestJWKSZeroCooldown: WithRefreshCooldown(0) lets every unknown kid fetch,
// and a failed fetch is retried after the interval, not in a busy loop.
func TestJWKSZeroCooldown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "ES256")}, WithRefreshCooldown(0))
	for i := range 3 {
		kid := fmt.Sprint("k", i)
		h.srv.AddKeys(jwttest.NewKey(t, "ES256").WithID(kid))
		mustKey(t, h.src, kid, "ES256")
	}
	if got := h.srv.Fetches(); got != 4 {
		t.Errorf("Fetches = %d, want 4", got)
	}
	h.srv.SetStatus(http.StatusInternalServerError)
	if got := h.timer.tick(t); got != defaultRefreshInterval {
		t.Errorf("retry after a failure in %v, want the interval %v", got, defaultRefreshInterval)
	}
}

func TestJWKSKeepsLastGoodKeys(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	h := newHarness(t, []*jwttest.Key{a}, WithMaxJWKSBytes(4096))
	keyA := mustKey(t, h.src, "a", "ES256")
	var maxBytes *http.MaxBytesError
	tests := []struct {
		name    string
		breakIt func()
		check   func(error) bool
	}{
		{"503", func() { h.srv.SetStatus(http.StatusServiceUnavailable) }, func(err error) bool { return strings.Contains(err.Error(), "503") }},
		{"malformed", func() { h.srv.SetBody([]byte(`{"keys":[`)) }, func(err error) bool { return err != nil }},
		{"oversized", func() { h.srv.SetBody(jwksBody(t, strings.Repeat("x", 5000))) }, func(err error) bool { return errors.As(err, &maxBytes) && maxBytes.Limit == 4096 }},
		{"server down", func() { h.srv.Close() }, func(err error) bool { return err != nil }},
	}
	for _, tc := range tests { // sequential: they share the server
		tc.breakIt()
		if d := h.timer.tick(t); d != defaultRefreshCooldown {
			t.Errorf("%s: retry after %v, want %v", tc.name, d, defaultRefreshCooldown)
		}
		if err := h.src.Err(); err == nil || !tc.check(err) {
			t.Errorf("%s: Err = %v", tc.name, err)
		}
		if got := mustKey(t, h.src, "a", "ES256"); got != keyA {
			t.Errorf("%s: the last good key was replaced", tc.name)
		}
		if errs := h.log.take(); len(errs) == 0 || !errors.Is(errs[len(errs)-1], h.src.Err()) {
			t.Errorf("%s: handler got %v, want Err last", tc.name, errs)
		}
		h.srv.SetStatus(0)
		h.srv.SetKeys(a)
	}
}

// TestJWKSNoUsableKeyDropsTheOldOnes: a well-formed answer replaces the
// keys even when none of its keys is usable (an empty set, only symmetric
// keys), so a key the provider removed stops verifying; the source then has
// no keys (ErrKeysUnavailable, 503) until a fetch brings one.
func TestJWKSNoUsableKeyDropsTheOldOnes(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	for name, publish := range map[string]func(*jwttest.JWKSServer){
		"empty set":       func(s *jwttest.JWKSServer) { s.SetJWKs() },
		"only an oct key": func(s *jwttest.JWKSServer) { s.SetJWKs(jwttest.NewKey(t, "HS256").JWK()) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, []*jwttest.Key{a})
			mustKey(t, h.src, "a", "ES256")
			publish(h.srv)
			if d := h.timer.tick(t); d != defaultRefreshCooldown {
				t.Errorf("retry after %v, want the cooldown %v", d, defaultRefreshCooldown)
			}
			if err := h.src.Err(); !errors.Is(err, errNoUsableKey) {
				t.Errorf("Err = %v, want errNoUsableKey", err)
			}
			if _, err := h.src.Key(context.Background(), "a", "ES256"); !errors.Is(err, ErrKeysUnavailable) {
				t.Errorf("Key(a) = %v, want ErrKeysUnavailable", err)
			}
			h.srv.SetKeys(a)
			h.timer.tick(t)
			mustKey(t, h.src, "a", "ES256")
		})
	}
}

func TestJWKSNeverAvailable(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	h := &harness{srv: jwttest.NewJWKSServer(t, a), clock: jwttest.NewClock(time.Time{}), timer: newFakeTimer(), log: &errLog{}}
	h.srv.SetStatus(http.StatusInternalServerError)
	h.src = h.newSource(t)
	_, err := h.src.Key(context.Background(), "a", "ES256")
	if !errors.Is(err, ErrKeysUnavailable) || !strings.Contains(err.Error(), "500") {
		t.Errorf("Key error = %v, want ErrKeysUnavailable with the cause", err)
	}
	if err := h.src.Err(); err == nil || errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Err = %v, want the fetch error", err)
	}
	select {
	case <-h.src.Ready():
		t.Error("Ready is closed without keys")
	default:
	}
	// The server recovers; the next lookup after the cooldown fetches.
	h.srv.SetStatus(0)
	h.clock.Advance(defaultRefreshCooldown)
	mustKey(t, h.src, "a", "ES256")
	<-h.src.Ready()

	// A URL where nothing listens.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	src, err := NewJWKS(context.Background(), dead.URL+"/jwks")
	if err != nil {
		t.Fatalf("NewJWKS: %v", err)
	}
	defer src.Close()
	if _, err := src.Key(context.Background(), "a", "ES256"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Key error = %v, want ErrKeysUnavailable", err)
	}
}

func TestJWKSUnknownKIDStorm(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	h := newHarness(t, []*jwttest.Key{a})
	lookups := func() {
		var wg sync.WaitGroup
		for range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				kid := fmt.Sprintf("random-%d", mrand.Uint64())
				if _, err := h.src.Key(context.Background(), kid, "ES256"); !errors.Is(err, errUnknownKey) {
					t.Errorf("Key(%s) error = %v, want errUnknownKey", kid, err)
				}
			}()
		}
		wg.Wait()
	}
	steps := []struct {
		name    string
		advance time.Duration
		latency time.Duration
		want    int
	}{
		// The first fetch leaves the budget whole: one fetch for the flood.
		{"right after the first fetch", 0, 0, 2},
		{"within the cooldown", time.Second, 0, 2},
		{"just before its end", defaultRefreshCooldown - 2*time.Second, 0, 2},
		{"after it", time.Second, 0, 3},
		{"after it, slow server", defaultRefreshCooldown, 50 * time.Millisecond, 4},
		{"again within it", defaultRefreshCooldown / 2, 0, 4},
	}
	for _, st := range steps {
		h.clock.Advance(st.advance)
		h.srv.SetLatency(st.latency)
		lookups()
		if got := h.srv.Fetches(); got != st.want {
			t.Errorf("%s: Fetches = %d, want %d", st.name, got, st.want)
		}
	}
}

func TestJWKSSlowServer(t *testing.T) {
	t.Parallel()
	a := jwttest.NewKey(t, "ES256").WithID("a")
	srv := jwttest.NewJWKSServer(t, a)
	srv.SetLatency(time.Hour)
	clock := jwttest.NewClock(time.Time{})
	const bound = time.Second // generous: the race detector and a busy machine are slow

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	src, err := NewJWKS(ctx, srv.URL(), WithLookupTimeout(bound), withClock(clock.Now))
	if err != nil {
		t.Fatalf("NewJWKS: %v", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("NewJWKS waited %v for a slow server, past its context's 100ms", elapsed)
	}
	// No keys yet, the first fetch still hanging: the lookup joins it and
	// gives up after the bound.
	start = time.Now()
	_, err = src.Key(context.Background(), "a", "ES256")
	if elapsed := time.Since(start); elapsed < bound || elapsed > 5*time.Second {
		t.Errorf("Key took %v, want about %v", elapsed, bound)
	}
	if !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Key error = %v, want ErrKeysUnavailable", err)
	}
	// A request context shorter than the bound wins.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer rcancel()
	start = time.Now()
	if _, err := src.Key(rctx, "a", "ES256"); !errors.Is(err, ErrKeysUnavailable) {
		t.Errorf("Key error = %v, want ErrKeysUnavailable", err)
	}
	if elapsed := time.Since(start); elapsed > bound*9/10 {
		t.Errorf("Key took %v, past its context's 10ms", elapsed)
	}
	// Close cancels the hanging fetch instead of waiting for it.
	start = time.Now()
	src.Close()
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Close took %v", elapsed)
	}
}

func TestJWKSRefreshInterval(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []JWKSOption
		wantOK   time.Duration
		wantFail time.Duration
	}{
		{"defaults", nil, 15 * time.Minute, time.Minute},
		{"interval", []JWKSOption{WithRefreshInterval(time.Hour)}, time.Hour, time.Minute},
		{"short interval", []JWKSOption{WithRefreshInterval(10 * time.Second)}, 10 * time.Second, 10 * time.Second},
		{"cooldown", []JWKSOption{WithRefreshCooldown(5 * time.Minute)}, 15 * time.Minute, 5 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "ES256")}, tc.opts...)
			if got := h.timer.tick(t); got != tc.wantOK {
				t.Errorf("after success: %v, want %v", got, tc.wantOK)
			}
			h.srv.SetStatus(http.StatusInternalServerError)
			if got := h.timer.tick(t); got != tc.wantFail {
				t.Errorf("after failure: %v, want %v", got, tc.wantFail)
			}
		})
	}
}

// failingTransport fails every request without touching the network.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in this test")
}

func TestNewJWKSConfiguration(t *testing.T) {
	t.Parallel()
	offline := WithHTTPClient(&http.Client{Transport: failingTransport{}})
	tests := []struct {
		name string
		url  string
		opts []JWKSOption
		ok   bool
	}{
		{"https", "https://idp.example/jwks", nil, true},
		{"http loopback v4", "http://127.0.0.1:1/jwks", nil, true},
		{"http loopback v4 /8", "http://127.3.2.1:1/jwks", nil, true},
		{"http loopback v6", "http://[::1]:1/jwks", nil, true},
		{"http localhost", "http://localhost:1/jwks", nil, true},
		{"http non-loopback", "http://idp.example/jwks", nil, false},
		{"http private address", "http://10.0.0.1/jwks", nil, false},
		{"http localhost suffix", "http://localhost.idp.example/jwks", nil, false},
		{"http with WithInsecureHTTP", "http://idp.example/jwks", []JWKSOption{WithInsecureHTTP()}, true},
		{"ftp", "ftp://idp.example/jwks", nil, false},
		{"relative", "/jwks", nil, false},
		{"no host", "https:///jwks", nil, false},
		{"fragment", "https://idp.example/jwks#x", nil, false},
		{"credentials in the URL", "https://user:pass@idp.example/jwks", nil, false},
		{"not a URL", "https://idp.example/%zz", nil, false},
		{"zero interval", "https://idp.example/jwks", []JWKSOption{WithRefreshInterval(0)}, false},
		{"zero cooldown", "https://idp.example/jwks", []JWKSOption{WithRefreshCooldown(0)}, true},
		{"negative cooldown", "https://idp.example/jwks", []JWKSOption{WithRefreshCooldown(-time.Second)}, false},
		{"negative lookup timeout", "https://idp.example/jwks", []JWKSOption{WithLookupTimeout(-1)}, false},
		{"zero lookup timeout", "https://idp.example/jwks", []JWKSOption{WithLookupTimeout(0)}, true},
		{"zero fetch timeout", "https://idp.example/jwks", []JWKSOption{WithFetchTimeout(0)}, false},
		{"zero size", "https://idp.example/jwks", []JWKSOption{WithMaxJWKSBytes(0)}, false},
		{"nil client", "https://idp.example/jwks", []JWKSOption{WithHTTPClient(nil)}, false},
		{"nil option", "https://idp.example/jwks", []JWKSOption{nil}, false},
		{"no algorithms", "https://idp.example/jwks", []JWKSOption{WithJWKSAlgorithms()}, false},
		{"HMAC algorithm", "https://idp.example/jwks", []JWKSOption{WithJWKSAlgorithms("RS256", "HS256")}, false},
		{"none algorithm", "https://idp.example/jwks", []JWKSOption{WithJWKSAlgorithms("none")}, false},
		{"algorithms", "https://idp.example/jwks", []JWKSOption{WithJWKSAlgorithms("RS256", "ES256", "RS256")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src, err := NewJWKS(context.Background(), tc.url, append([]JWKSOption{offline}, tc.opts...)...)
			if (err == nil) != tc.ok {
				t.Fatalf("NewJWKS error = %v, want ok %v", err, tc.ok)
			}
			if err == nil {
				src.Close()
			}
		})
	}
	src, err := NewJWKS(context.Background(), "https://idp.example/jwks", offline, WithJWKSAlgorithms("RS256", "ES256", "RS256"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if diff := cmp.Diff([]string{"RS256", "ES256"}, src.Algorithms()); diff != "" {
		t.Errorf("Algorithms (-want +got):\n%s", diff)
	}
	if !src.SharedKeys() {
		t.Error("SharedKeys = false")
	}
}

// TestJWKSClose is not parallel: it counts goroutines.
func TestJWKSClose(t *testing.T) {
	srv := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	before := runtime.NumGoroutine()
	var sources []*JWKS
	for range 5 {
		src, err := NewJWKS(context.Background(), srv.URL(), WithRefreshInterval(time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, src)
	}
	// With a 1ms interval the loops are busy refreshing.
	srv.WaitFetches(20, 10*time.Second)
	for _, src := range sources {
		src.Close()
		select {
		case <-src.done:
		default:
			t.Error("Close returned before the refresh loop ended")
		}
		src.Close() // idempotent
		// Keys stay usable, and no fetch can start any more.
		mustKey(t, src, "a", "ES256")
		src.mu.Lock()
		f := src.startFetchLocked()
		src.mu.Unlock()
		if f != nil {
			t.Error("a fetch started after Close")
		}
	}
	// Closed connections take a moment to wind down their goroutines; Close
	// itself must have closed them (nobody else does here).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after Close", before, after)
	}
}

// connTracker records the state of every connection a server sees.
type connTracker struct {
	mu    sync.Mutex
	order []net.Conn
	state map[net.Conn]http.ConnState
}

func (c *connTracker) hook(conn net.Conn, st http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == nil {
		c.state = map[net.Conn]http.ConnState{}
	}
	if _, seen := c.state[conn]; !seen {
		c.order = append(c.order, conn)
	}
	c.state[conn] = st
}

// states returns the states of the connections, in the order they opened.
func (c *connTracker) states() []http.ConnState {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []http.ConnState
	for _, conn := range c.order {
		out = append(out, c.state[conn])
	}
	return out
}

// waitStates polls until the connection states are want, or 5 seconds.
func (c *connTracker) waitStates(want []http.ConnState) []http.ConnState {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := c.states()
		if slices.Equal(got, want) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestJWKSCloseClosesConnections: Close closes the keep-alive connections the
// source opened, with the default client and with the caller's own client and
// *http.Transport, plain or TLS, and leaves the caller's own connections open.
func TestJWKSCloseClosesConnections(t *testing.T) {
	t.Parallel()
	body := jwksBody(t, jwkMap(t, jwttest.NewKey(t, "ES256").WithID("a")))
	tests := []struct {
		name   string
		tls    bool
		client func(srv *httptest.Server) *http.Client // nil: no WithHTTPClient
		// callersConn: the caller opens a keep-alive connection of its own
		// first, which must survive. Not with http.DefaultTransport, whose
		// idle connections any httptest.Server.Close closes.
		callersConn bool
	}{
		{"default client", false, nil, false},
		{"own client and transport", false, func(*httptest.Server) *http.Client {
			return &http.Client{Transport: &http.Transport{}}
		}, true},
		{"own client, nil transport", false, func(*httptest.Server) *http.Client { return &http.Client{} }, false},
		{"TLS", true, func(srv *httptest.Server) *http.Client { return srv.Client() }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tracker := &connTracker{}
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
			srv.Config.ConnState = tracker.hook
			if tc.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			defer srv.Close()
			var opts []JWKSOption
			want := []http.ConnState{http.StateClosed}
			var client *http.Client
			if tc.client != nil {
				client = tc.client(srv)
				opts = append(opts, WithHTTPClient(client))
			}
			if tc.callersConn {
				// The caller's own keep-alive connection, opened first.
				resp, err := client.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				defer client.CloseIdleConnections()
				want = []http.ConnState{http.StateIdle, http.StateClosed}
			}
			src, err := NewJWKS(context.Background(), srv.URL, opts...)
			if err != nil || src.Err() != nil {
				t.Fatal(err, src.Err())
			}
			before := slices.Clone(want)
			before[len(before)-1] = http.StateIdle
			if diff := cmp.Diff(before, tracker.waitStates(before)); diff != "" {
				t.Fatalf("connections before Close (-want +got):\n%s", diff)
			}
			src.Close()
			if diff := cmp.Diff(want, tracker.waitStates(want)); diff != "" {
				t.Errorf("connections after Close (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJWKSConcurrentRefresh runs lookups while the key set is refreshed and
// rotated, for the race detector.
func TestJWKSConcurrentRefresh(t *testing.T) {
	t.Parallel()
	stable := jwttest.NewKey(t, "ES256").WithID("stable")
	h := newHarness(t, []*jwttest.Key{stable}, WithLookupTimeout(time.Millisecond))
	want := mustKey(t, h.src, "stable", "ES256")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if k, err := h.src.Key(context.Background(), "stable", "ES256"); err != nil || k != want {
					t.Errorf("Key(stable) = %p, %v; want %p", k, err, want)
					return
				}
				_, _ = h.src.Key(context.Background(), fmt.Sprintf("r%d-%d", i, n), "ES256")
				_ = h.src.Err()
			}
		}()
	}
	for i := range 30 {
		other := jwttest.NewKey(t, "EdDSA").WithID(fmt.Sprint("other", i))
		h.srv.SetKeys(stable, other)
		h.clock.Advance(defaultRefreshCooldown / 3)
		h.timer.tick(t)
	}
	close(stop)
	wg.Wait()
}

// errTransport fails every request with its error text.
type errTransport string

func (e errTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New(string(e))
}

// TestJWKSErrorsEscapeControlCharacters: text from the network or the
// configuration (a kid, a member value, a transport's error, a discovery
// issuer) reaches error strings escaped, so that logging one cannot forge a
// log line.
func TestJWKSErrorsEscapeControlCharacters(t *testing.T) {
	t.Parallel()
	const forged = "\nlevel=INFO msg=forged\r\u2028"
	var msgs []string
	ed := jwttest.NewKey(t, "EdDSA")
	badKID := jwkMap(t, ed.WithID("kid"+forged))
	badKID["use"] = "enc" + forged
	badCrv := jwkMap(t, ed.WithID("crv"))
	badCrv["crv"] = "X" + forged
	delete(badCrv, "alg")
	badAlg := jwkMap(t, ed.WithID("alg"))
	badAlg["alg"] = "EdDSA" + forged
	_, err := parseJWKS(jwksBody(t, badKID, badCrv, badAlg), defaultJWKSAlgorithms, nil, func(e error) { msgs = append(msgs, e.Error()) })
	msgs = append(msgs, fmt.Sprint(err))
	_, err = parseJWKS([]byte(`{"keys":[],"k`+"\\n"+`":1,"k`+"\\n"+`":2}`), defaultJWKSAlgorithms, nil, func(error) {})
	msgs = append(msgs, fmt.Sprint(err))

	offline, err := NewJWKS(context.Background(), "https://idp.example/jwks",
		WithHTTPClient(&http.Client{Transport: errTransport("dial tcp: no such host" + forged)}))
	if err != nil {
		t.Fatal(err)
	}
	defer offline.Close()
	msgs = append(msgs, fmt.Sprint(offline.Err()))
	if _, err := offline.Key(context.Background(), "kid"+forged, "ES256"); err != nil {
		msgs = append(msgs, err.Error())
	}

	srv := jwttest.NewJWKSServer(t, ed)
	srv.SetDiscoveryDocument(map[string]any{"issuer": srv.Issuer() + forged, "jwks_uri": srv.URL()})
	_, err = NewOIDC(context.Background(), srv.Issuer())
	msgs = append(msgs, fmt.Sprint(err))
	srv.SetDiscoveryDocument(map[string]any{"issuer": srv.Issuer(), "jwks_uri": "ftp://idp.example/" + forged})
	_, err = NewOIDC(context.Background(), srv.Issuer())
	msgs = append(msgs, fmt.Sprint(err))
	_, err = NewJWKS(context.Background(), "https://idp.example/\u2028jwks#x")
	msgs = append(msgs, fmt.Sprint(err))
	_, err = NewJWKS(context.Background(), "https://idp.example", WithJWKSAlgorithms("RS256"+forged))
	msgs = append(msgs, fmt.Sprint(err))

	if len(msgs) != 11 {
		t.Errorf("%d messages, want 11: %q", len(msgs), msgs)
	}
	for _, msg := range msgs {
		t.Log(msg)
		if strings.ContainsAny(msg, "\n\r\u2028") || msg == "<nil>" {
			t.Errorf("error %q holds a raw line break (or is missing)", msg)
		}
	}
}
