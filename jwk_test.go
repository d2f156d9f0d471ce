package jwtauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

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
	edit := func(k *jwttest.Key, change map[string]any) map[string]any { return editJWK(t, k, change) }
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
	edit := func(change map[string]any) map[string]any { return editJWK(t, ed, change) }
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
	_, err := NewJWKS(context.Background(), "https://idp.example/jwks", WithJWKSAlgorithms("EdDSA", "Ed448"))
	if err == nil || !strings.Contains(err.Error(), "Ed448 is not supported") {
		t.Errorf("WithJWKSAlgorithms(Ed448) error = %v, want Ed448 refused clearly", err)
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
	if len(body) > defaultMaxJWKSBytes {
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

// editJWK returns k's JWK as a map with change applied: a nil value removes
// the member, any other sets it.
func editJWK(t *testing.T, k *jwttest.Key, change map[string]any) map[string]any {
	t.Helper()
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
