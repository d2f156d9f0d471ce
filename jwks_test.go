package jwtauth

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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
	all := append([]JWKSOption{withClock(h.clock.Now), withAfter(h.timer.after), WithJWKSErrorHandler(h.log.add)}, opts...)
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

func TestJWKSSnapshotSizes(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, linearSearchMax, linearSearchMax + 1, 20} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			var jwks []any
			for i := range n {
				jwks = append(jwks, jwkMap(t, jwttest.NewKey(t, "ES256").WithID(fmt.Sprint("k", i))))
			}
			// One kid published for two algorithms.
			jwks = append(jwks, jwkMap(t, jwttest.NewKey(t, "ES384").WithID("k0")))
			snap, err := parseJWKS(jwksBody(t, jwks...), defaultJWKSAlgorithms, nil, func(e error) { t.Error(e) })
			if err != nil {
				t.Fatal(err)
			}
			if got, want := snap.byKID != nil, n+1 > linearSearchMax; got != want {
				t.Errorf("map used: %v, want %v", got, want)
			}
			type result struct {
				Found, KIDKnown bool
			}
			tests := []struct {
				kid, alg string
				want     result
			}{
				{"k0", "ES256", result{true, true}},
				{"k0", "ES384", result{true, true}},
				{fmt.Sprint("k", n-1), "ES256", result{true, true}},
				{"k0", "ES512", result{false, true}},
				{"k", "ES256", result{false, false}},
				{"", "ES256", result{false, false}},
			}
			for _, tc := range tests {
				k, known := snap.lookup(tc.kid, tc.alg)
				got := result{k != nil, known}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("lookup(%q, %q) (-want +got):\n%s", tc.kid, tc.alg, diff)
				}
				if k != nil && (k.id != tc.kid || k.alg != tc.alg) {
					t.Errorf("lookup(%q, %q) = %q/%q", tc.kid, tc.alg, k.id, k.alg)
				}
			}
		})
	}
}

// jwkMap returns k's JWK as a map, to be edited.
func jwkMap(t testing.TB, k *jwttest.Key) map[string]any {
	t.Helper()
	data, _ := json.Marshal(k.JWK())
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func jwksBody(t testing.TB, keys ...any) []byte {
	t.Helper()
	data, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseJWKSSkipsKeys(t *testing.T) {
	t.Parallel()
	rsa := jwttest.NewKey(t, "RS256").WithID("rsa")
	ec := jwttest.NewKey(t, "ES256").WithID("ec")
	ed := jwttest.NewKey(t, "EdDSA").WithID("ed")
	hs := jwttest.NewKey(t, "HS256").WithID("hs")
	weak := weakRSAJWK(t)
	edit := func(k *jwttest.Key, change map[string]any) map[string]any {
		m := jwkMap(t, k)
		for name, v := range change {
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
		return m
	}
	tests := []struct {
		name string
		jwk  any
		algs []string
		want error // nil: accepted
	}{
		{"rsa", edit(rsa, nil), nil, nil},
		{"ec without alg gets ES256", edit(ec, map[string]any{"alg": nil}), nil, nil},
		{"ed without alg gets EdDSA", edit(ed, map[string]any{"alg": nil}), []string{"EdDSA"}, nil},
		{"rsa without alg, allowlist RS256", edit(rsa, map[string]any{"alg": nil}), []string{"RS256", "ES256"}, nil},
		{"key_ops verify", edit(ec, map[string]any{"key_ops": []string{"verify"}, "use": nil}), nil, nil},
		{"use enc", edit(ec, map[string]any{"use": "enc"}), nil, ErrJWKIgnored},
		{"key_ops without verify", edit(ec, map[string]any{"key_ops": []string{"encrypt"}}), nil, ErrJWKIgnored},
		{"alg outside the allowlist", edit(rsa, nil), []string{"ES256"}, ErrJWKIgnored},
		{"alg none", edit(ec, map[string]any{"alg": "none"}), nil, ErrJWKIgnored},
		{"alg HS256 on an RSA key", edit(rsa, map[string]any{"alg": "HS256"}), nil, ErrJWKIgnored},
		{"rsa without alg, default allowlist", edit(rsa, map[string]any{"alg": nil}), nil, ErrJWKIgnored},
		{"ec without alg, curve not allowed", edit(ec, map[string]any{"alg": nil}), []string{"ES384"}, ErrJWKIgnored},
		{"oct", edit(hs, nil), nil, ErrJWKUnsupported},
		{"oct without alg", edit(hs, map[string]any{"alg": nil}), nil, ErrJWKUnsupported},
		{"OKP X25519", edit(ed, map[string]any{"crv": "X25519", "alg": nil}), nil, ErrJWKUnsupported},
		{"EC secp256k1", edit(ec, map[string]any{"crv": "secp256k1"}), nil, ErrJWKUnsupported},
		{"unknown kty", edit(ec, map[string]any{"kty": "PQC"}), nil, ErrJWKUnsupported},
		{"rsa 1024", weak, []string{"RS256"}, ErrJWKInvalid},
		{"ec alg of another curve", edit(ec, map[string]any{"alg": "ES384"}), nil, ErrJWKInvalid},
		{"ec alg of RSA", edit(ec, map[string]any{"alg": "RS256"}), nil, ErrJWKInvalid},
		{"ec curve name of another size", edit(ec, map[string]any{"crv": "P-384", "alg": nil}), nil, ErrJWKInvalid},
		{"ec point not on curve", edit(ec, map[string]any{"y": flipLastByte(t, ec.JWK().Y)}), nil, ErrJWKInvalid},
		{"ec coordinates padded with base64 '='", edit(ec, map[string]any{"x": ec.JWK().X + "="}), nil, ErrJWKInvalid},
		{"ed wrong length", edit(ed, map[string]any{"x": "AAAA"}), nil, ErrJWKInvalid},
		{"ed identity point (forgeable)", edit(ed, map[string]any{"x": "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}), nil, ErrJWKInvalid},
		{"ed point of order 8", edit(ed, map[string]any{"x": "JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"}), nil, ErrJWKInvalid},
		{"rsa exponent 1", edit(rsa, map[string]any{"e": "AQ"}), nil, ErrJWKInvalid},
		{"rsa even exponent", edit(rsa, map[string]any{"e": "AQAA"}), nil, ErrJWKInvalid},
		{"rsa missing n", edit(rsa, map[string]any{"n": nil}), nil, ErrJWKInvalid},
		{"rsa n leading zero", edit(rsa, map[string]any{"n": "AAAA" + jwkMap(t, rsa)["n"].(string)}), nil, ErrJWKInvalid},
		{"private d", edit(ec, map[string]any{"d": "AAAA"}), nil, ErrJWKInvalid},
		{"missing kty", edit(ec, map[string]any{"kty": nil}), nil, ErrJWKInvalid},
		{"kty in another case", edit(ec, map[string]any{"kty": nil, "KTY": "EC"}), nil, ErrJWKInvalid},
		{"kid a number", edit(ec, map[string]any{"kid": 7}), nil, ErrJWKInvalid},
		{"kid empty", edit(ec, map[string]any{"kid": ""}), nil, ErrJWKInvalid},
		{"key_ops a string", edit(ec, map[string]any{"key_ops": "verify"}), nil, ErrJWKInvalid},
		{"not an object", "RSA", nil, ErrJWKInvalid},
		{"null", nil, nil, ErrJWKInvalid},
	}
	good := jwkMap(t, jwttest.NewKey(t, "ES384").WithID("good"))
	tests = append(tests, struct {
		name string
		jwk  any
		algs []string
		want error
	}{"same kid and alg as an earlier key", good, nil, ErrJWKInvalid})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			algs := tc.algs
			if algs == nil {
				algs = defaultJWKSAlgorithms
			}
			if !slices.Contains(algs, "ES384") {
				algs = append(algs[:len(algs):len(algs)], "ES384")
			}
			var skipped []error
			snap, err := parseJWKS(jwksBody(t, good, tc.jwk), algs, nil, func(e error) { skipped = append(skipped, e) })
			if err != nil {
				t.Fatalf("parseJWKS: %v (skipped: %v)", err, skipped)
			}
			if k, _ := snap.lookup("good", "ES384"); k == nil {
				t.Error("the good key was lost")
			}
			if tc.want == nil {
				if len(skipped) != 0 {
					t.Errorf("skipped: %v", skipped)
				}
				if n := len(snap.all); n != 2 {
					t.Errorf("%d kids in the set, want 2", n)
				}
				return
			}
			if len(skipped) != 1 {
				t.Fatalf("skipped %v, want one error wrapping %v", skipped, tc.want)
			}
			t.Log(skipped[0])
			var je *JWKError
			if !errors.As(skipped[0], &je) || je.Index != 1 || !errors.Is(je, tc.want) {
				t.Errorf("skipped %#v (%v), want a *JWKError for index 1 wrapping %v", skipped[0], skipped[0], tc.want)
			}
			if n := len(snap.all); n != 1 {
				t.Errorf("%d kids in the set, want 1", n)
			}
		})
	}
}

// TestParseJWKSEd25519: RFC 9864's "Ed25519" algorithm next to "EdDSA". A key
// without "alg" is bound to each of the two that the allowlist names (one
// *Key per name, the same material: the same signature scheme); Ed448 is
// refused with a reason that says so.
func TestParseJWKSEd25519(t *testing.T) {
	t.Parallel()
	ed := jwttest.NewKey(t, "EdDSA").WithID("ed")
	edit := func(change map[string]any) map[string]any {
		m := jwkMap(t, ed)
		for name, v := range change {
			if v == nil {
				delete(m, name)
			} else {
				m[name] = v
			}
		}
		return m
	}
	ec := jwkMap(t, jwttest.NewKey(t, "ES256").WithID("ed"))
	ec["alg"] = "Ed25519"
	tests := []struct {
		name       string
		jwk        map[string]any
		algs       []string
		wantAlgs   []string // the algorithms kid "ed" is bound to
		wantReason error
		wantText   string // in the skipped key's error
	}{
		{"alg Ed25519", edit(map[string]any{"alg": "Ed25519"}), nil, []string{"Ed25519"}, nil, ""},
		{"alg EdDSA", edit(nil), nil, []string{"EdDSA"}, nil, ""},
		{"no alg, both allowed", edit(map[string]any{"alg": nil}), nil, []string{"EdDSA", "Ed25519"}, nil, ""},
		{"no alg, only Ed25519 allowed", edit(map[string]any{"alg": nil}), []string{"Ed25519"}, []string{"Ed25519"}, nil, ""},
		{"no alg, only EdDSA allowed", edit(map[string]any{"alg": nil}), []string{"EdDSA"}, []string{"EdDSA"}, nil, ""},
		{"no alg, neither allowed", edit(map[string]any{"alg": nil}), []string{"ES256"}, nil, ErrJWKIgnored, "0 allowed algorithms"},
		{"alg Ed25519 not allowed", edit(map[string]any{"alg": "Ed25519"}), []string{"EdDSA"}, nil, ErrJWKIgnored, "not allowed"},
		{"alg Ed25519 on an EC key", ec, nil, nil, ErrJWKInvalid, "does not fit"},
		{"Ed448 key", edit(map[string]any{"crv": "Ed448", "alg": nil}), nil, nil, ErrJWKUnsupported, "Ed448 is not supported"},
		{"alg Ed448", edit(map[string]any{"alg": "Ed448"}), nil, nil, ErrJWKUnsupported, "Ed448 is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			algs := tc.algs
			if algs == nil {
				algs = defaultJWKSAlgorithms
			}
			var skipped []error
			good := jwkMap(t, jwttest.NewKey(t, "ES256").WithID("good"))
			snap, err := parseJWKS(jwksBody(t, good, tc.jwk), append(slices.Clone(algs), "ES256"), nil, func(e error) { skipped = append(skipped, e) })
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range snap.all {
				if k.id == "ed" {
					got = append(got, k.alg)
				}
			}
			if diff := cmp.Diff(tc.wantAlgs, got); diff != "" {
				t.Errorf("algorithms bound (-want +got):\n%s", diff)
			}
			if tc.wantReason == nil {
				if len(skipped) != 0 {
					t.Errorf("skipped: %v", skipped)
				}
				return
			}
			if len(skipped) != 1 || !errors.Is(skipped[0], tc.wantReason) || !strings.Contains(skipped[0].Error(), tc.wantText) {
				t.Errorf("skipped %v, want one error wrapping %v and saying %q", skipped, tc.wantReason, tc.wantText)
			}
		})
	}
	if diff := cmp.Diff(true, slices.Contains(defaultJWKSAlgorithms, "Ed25519")); diff != "" {
		t.Errorf("Ed25519 in the default allowlist (-want +got):\n%s", diff)
	}
	_, err := NewJWKS(context.Background(), "https://idp.example/jwks", WithAlgorithms("EdDSA", "Ed448"))
	if err == nil || !strings.Contains(err.Error(), "Ed448 is not supported") {
		t.Errorf("WithAlgorithms(Ed448) error = %v, want Ed448 refused clearly", err)
	}
}

// weakRSAJWK is the JWK of a fresh 1024-bit RSA key, which jwttest does not
// make.
func weakRSAJWK(t testing.TB) map[string]any {
	t.Helper()
	pk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	return map[string]any{"kty": "RSA", "kid": "weak", "use": "sig", "n": b64(pk.N.Bytes()), "e": "AQAB"}
}

// flipLastByte changes the last byte of a base64url member.
func flipLastByte(t *testing.T, s string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwks10k is a key set of 10,000 distinct Ed25519 keys (one key material,
// distinct kids: cheap to make), followed by a duplicate of the first and of
// the last, under the default 1 MiB limit.
func jwks10k(t testing.TB) []byte {
	t.Helper()
	jwk := jwkMap(t, jwttest.NewKey(t, "EdDSA"))
	delete(jwk, "use")
	delete(jwk, "alg") // bound to EdDSA by jwks10kAlgs
	var keys []any
	for i := range 10000 {
		k := maps.Clone(jwk)
		k["kid"] = fmt.Sprint("k", i)
		keys = append(keys, k)
	}
	keys = append(keys, keys[0], keys[9999])
	body := jwksBody(t, keys...)
	if len(body) > defaultMaxJWKSSize {
		t.Fatalf("the set is %d bytes, over the default limit", len(body))
	}
	return body
}

// jwks10kAlgs is the allowlist jwks10k is parsed with.
var jwks10kAlgs = []string{"EdDSA", "ES256"}

// TestParseJWKS10k: duplicates are found by kid, not by comparing each key
// with all the earlier ones, so a large set parses in linear time.
func TestParseJWKS10k(t *testing.T) {
	t.Parallel()
	var skipped []int
	snap, compared, err := parseJWKSCounted(jwks10k(t), jwks10kAlgs, nil, func(e error) {
		var je *JWKError
		if errors.As(e, &je) && errors.Is(e, ErrJWKInvalid) {
			skipped = append(skipped, je.Index)
		} else {
			t.Errorf("skipped: %v", e)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{10000, 10001}, skipped); diff != "" {
		t.Errorf("duplicates skipped (-want +got):\n%s", diff)
	}
	if n := len(snap.all); n != 10000 {
		t.Errorf("%d keys, want 10000", n)
	}
	if k, _ := snap.lookup("k5000", "EdDSA"); k == nil {
		t.Error("k5000 not found")
	}
	// One comparison for each duplicate; a scan of all the earlier keys
	// would make about 50 million.
	if compared != 2 {
		t.Errorf("the duplicate check compared %d pairs of keys, want 2", compared)
	}
}

func BenchmarkParseJWKS10k(b *testing.B) {
	body := jwks10k(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseJWKS(body, jwks10kAlgs, nil, func(error) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseJWKSDocument(t *testing.T) {
	t.Parallel()
	good := jwkMap(t, jwttest.NewKey(t, "EdDSA"))
	goodJSON, _ := json.Marshal(good)
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"one key", `{"keys":[` + string(goodJSON) + `]}`, true},
		{"extra members", `{"other":1,"keys":[` + string(goodJSON) + `]}`, true},
		{"not JSON", `keys`, false},
		{"empty", ``, false},
		{"array", `[` + string(goodJSON) + `]`, false},
		{"no keys", `{}`, false},
		{"keys null", `{"keys":null}`, false},
		{"keys object", `{"keys":{}}`, false},
		{"empty keys", `{"keys":[]}`, false},
		{"no usable key", `{"keys":[{"kty":"oct","k":"AAAA"}]}`, false},
		{"duplicate keys member", `{"keys":[],"keys":[` + string(goodJSON) + `]}`, false},
		{"invalid UTF-8", `{"keys":[` + string(goodJSON) + `],"x":"` + "\xff" + `"}`, false},
		{"trailing data", `{"keys":[` + string(goodJSON) + `]} {}`, false},
		{"truncated", `{"keys":[` + string(goodJSON), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseJWKS([]byte(tc.body), defaultJWKSAlgorithms, nil, func(error) {})
			if got := err == nil; got != tc.ok {
				t.Errorf("parseJWKS ok = %v (err %v), want %v", got, err, tc.ok)
			}
		})
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
		{"rsa-no-alg", "RS256", refusal{ErrJWKIgnored, true, `jwtauth: key "rsa-no-alg" was skipped: JWK ignored: no "alg", and 6 allowed algorithms fit a RSA key (see WithAlgorithms)`}},
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
	h := newHarness(t, []*jwttest.Key{a}, WithMaxJWKSSize(4096))
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

func TestJWKSCacheControl(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "EdDSA")})
	tests := []struct {
		header string
		status int
		want   time.Duration
	}{
		{"", 0, defaultRefreshInterval},
		{"max-age=300", 0, 5 * time.Minute},
		{"public, max-age=600, must-revalidate", 0, 10 * time.Minute},
		{"max-age=7200", 0, defaultRefreshInterval}, // never later than the interval
		{"max-age=86400", 0, defaultRefreshInterval},
		{"max-age=5", 0, time.Minute},
		{"max-age=0", 0, time.Minute},
		{"max-age=99999999999999999999", 0, defaultRefreshInterval}, // unparsable: ignored
		{"max-age=999999", 0, defaultRefreshInterval},
		{`max-age="600"`, 0, 10 * time.Minute},
		{"no-store", 0, time.Minute},
		{"no-cache, max-age=3600", 0, time.Minute},
		{"max-age=abc", 0, defaultRefreshInterval},
		{"max-age=300", http.StatusBadGateway, defaultRefreshCooldown}, // failed fetch: retry
	}
	for _, tc := range tests { // sequential: they share the server
		h.srv.SetCacheControl(tc.header)
		h.srv.SetStatus(tc.status)
		if got := h.timer.tick(t); got != tc.want {
			t.Errorf("Cache-Control %q, status %d: next refresh in %v, want %v", tc.header, tc.status, got, tc.want)
		}
	}
	// An interval below the 1-minute floor stays the interval.
	short := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "EdDSA")}, WithRefreshInterval(10*time.Second))
	for _, header := range []string{"no-store", "max-age=0", "max-age=86400"} {
		short.srv.SetCacheControl(header)
		if got := short.timer.tick(t); got != 10*time.Second {
			t.Errorf("interval 10s, Cache-Control %q: next refresh in %v, want 10s", header, got)
		}
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
		{"zero size", "https://idp.example/jwks", []JWKSOption{WithMaxJWKSSize(0)}, false},
		{"nil client", "https://idp.example/jwks", []JWKSOption{WithHTTPClient(nil)}, false},
		{"nil option", "https://idp.example/jwks", []JWKSOption{nil}, false},
		{"no algorithms", "https://idp.example/jwks", []JWKSOption{WithAlgorithms()}, false},
		{"HMAC algorithm", "https://idp.example/jwks", []JWKSOption{WithAlgorithms("RS256", "HS256")}, false},
		{"none algorithm", "https://idp.example/jwks", []JWKSOption{WithAlgorithms("none")}, false},
		{"algorithms", "https://idp.example/jwks", []JWKSOption{WithAlgorithms("RS256", "ES256", "RS256")}, true},
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
	src, err := NewJWKS(context.Background(), "https://idp.example/jwks", offline, WithAlgorithms("RS256", "ES256", "RS256"))
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

// redirectServer answers every request with a 302 to target(), evaluated
// per request so that chains can be built in any order.
func redirectServer(t *testing.T, tls bool, target func() string) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target(), http.StatusFound)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestJWKSRedirects(t *testing.T) {
	t.Parallel()
	keys := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	body := jwksBody(t, jwkMap(t, jwttest.NewKey(t, "ES256").WithID("a")))
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/jwks.json", http.StatusMovedPermanently))
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	sameOrigin := httptest.NewServer(mux)
	t.Cleanup(sameOrigin.Close)
	// https -> https (another origin) -> plain http, and
	// plain http -> https -> plain http: the downgrade is refused at any hop.
	tlsToPlain := redirectServer(t, true, keys.URL)
	tlsToTLS := redirectServer(t, true, func() string { return tlsToPlain.URL })
	plainToTLS := redirectServer(t, false, func() string { return tlsToPlain.URL })
	tlsClient := tlsToPlain.Client() // trusts every httptest TLS server
	cross := WithCrossOriginRedirects()
	tests := []struct {
		name   string
		start  string
		opts   []JWKSOption
		refuse string // "" for a successful fetch
	}{
		{"same origin", sameOrigin.URL + "/old", nil, ""},
		{"to another loopback port", redirectServer(t, false, keys.URL).URL, nil, "to another origin"},
		{"to another loopback port, allowed", redirectServer(t, false, keys.URL).URL, []JWKSOption{cross}, ""},
		{"to non-loopback http", redirectServer(t, false, func() string { return "http://idp.example/jwks" }).URL, []JWKSOption{cross}, "https is required"},
		{"https to http", tlsToPlain.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"https to https to http", tlsToTLS.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"http to https to http", plainToTLS.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"https to https, another origin", tlsToTLS.URL, []JWKSOption{WithHTTPClient(tlsClient)}, "to another origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The caller's client would follow anything; the source must not.
			opts := append([]JWKSOption{WithHTTPClient(&http.Client{})}, tc.opts...)
			src, err := NewJWKS(context.Background(), tc.start, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			err = src.Err()
			if tc.refuse == "" {
				if err != nil {
					t.Errorf("Err = %v, want a successful fetch", err)
				}
				return
			}
			if msg := fmt.Sprint(err); !strings.Contains(msg, "redirect refused") || !strings.Contains(msg, tc.refuse) {
				t.Errorf("Err = %v, want a redirect refused with %q", err, tc.refuse)
			}
		})
	}
	if n := keys.Fetches(); n != 1 {
		t.Errorf("the plain-http key server was fetched %d times, want 1 (the allowed redirect)", n)
	}
}

// TestJWKSRedirectPolicyKeepsCallersClient: the caller's client and its
// own redirect policy are left alone, and its policy still has a say.
func TestJWKSRedirectPolicyKeepsCallersClient(t *testing.T) {
	t.Parallel()
	keys := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	redirect := redirectServer(t, false, keys.URL)
	var asked int
	mine := func(*http.Request, []*http.Request) error { asked++; return errors.New("my policy says no") }
	client := &http.Client{CheckRedirect: mine}
	src, err := NewJWKS(context.Background(), redirect.URL, WithHTTPClient(client), WithCrossOriginRedirects())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Err(); !strings.Contains(fmt.Sprint(err), "my policy says no") || asked != 1 {
		t.Errorf("Err = %v, asked %d times; want the caller's policy asked once", err, asked)
	}
	if fmt.Sprintf("%p", client.CheckRedirect) != fmt.Sprintf("%p", mine) || client.Transport != nil {
		t.Error("the caller's client was changed")
	}
}

// TestJWKSErrorsHideSecrets: errors (which reach logs) name the key set URL
// without its query, and never the server's reason phrase or body.
func TestJWKSErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "internal secret detail")
	}))
	defer srv.Close()
	src, err := NewJWKS(context.Background(), srv.URL+"/jwks?access_token=SECRET123")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msg := fmt.Sprint(src.Err())
	if !strings.Contains(msg, "status 500") || strings.Contains(msg, "SECRET123") || strings.Contains(msg, "secret detail") {
		t.Errorf("Err = %q", msg)
	}
	if _, err := NewJWKS(context.Background(), "https://user:pass@idp.example/jwks"); err == nil || strings.Contains(err.Error(), "pass") {
		t.Errorf("a URL with credentials: err = %v", err)
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

func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","alg":"RS256"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","KTY":"EC"}],"keys":1}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","alg":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},{"kty":"OKP","crv":"Ed25519","kid":"a","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed448","alg":"Ed448","x":"AAAA"}]}`))
	f.Add(jwksBody(f, weakRSAJWK(f)))
	for _, alg := range []string{"RS256", "PS512", "ES256", "ES384", "ES512", "EdDSA", jwttest.Ed25519} {
		k := jwttest.NewKey(f, alg)
		noAlg := jwkMap(f, k)
		delete(noAlg, "alg")
		f.Add(jwksBody(f, jwkMap(f, k), noAlg))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, algs := range [][]string{defaultJWKSAlgorithms, {"RS256", "ES384"}} {
			snap, err := parseJWKS(data, algs, nil, func(e error) {
				var je *JWKError
				if !errors.As(e, &je) {
					t.Fatalf("skip reported %T %v", e, e)
				}
				if !errors.Is(e, ErrJWKIgnored) && !errors.Is(e, ErrJWKUnsupported) && !errors.Is(e, ErrJWKInvalid) {
					t.Fatalf("skip reason %v wraps no sentinel", e)
				}
			})
			if err != nil {
				// Only a well-formed set without usable keys yields a
				// (empty) snapshot with its error.
				if snap != nil && (!errors.Is(err, errNoUsableKey) || len(snap.all) != 0) {
					t.Fatalf("a snapshot with keys and the error %v", err)
				}
				continue
			}
			for _, k := range snap.all {
				if got, _ := snap.lookup(k.id, k.alg); got != k {
					t.Fatalf("key %q/%q cannot be looked up", k.id, k.alg)
				}
				if !slices.Contains(algs, k.alg) {
					t.Fatalf("key %q/%q outside the allowlist %v", k.id, k.alg, algs)
				}
				if _, err := NewKey(k.id, k.alg, k.key); err != nil {
					t.Fatalf("accepted a key NewKey refuses: %v", err)
				}
				if k.alg[:2] == "HS" {
					t.Fatal("accepted a symmetric key")
				}
			}
		}
	})
}

func BenchmarkJWKSKey(b *testing.B) {
	k := jwttest.NewKey(b, "ES256").WithID("a")
	srv := jwttest.NewJWKSServer(b, jwttest.NewKey(b, "ES256").WithID("other"), k)
	src, err := NewJWKS(context.Background(), srv.URL())
	if err != nil || src.Err() != nil {
		b.Fatal(err, src.Err())
	}
	defer src.Close()
	sources := []struct {
		name string
		src  KeySource
		kid  string
	}{
		{"PublicKey", PublicKey("ES256", k.Public()), "a"},
		{"JWKS", src, "a"},
	}
	for _, s := range sources {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.src.Key(ctx, s.kid, "ES256"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
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
	_, err = NewJWKS(context.Background(), "https://idp.example", WithAlgorithms("RS256"+forged))
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
