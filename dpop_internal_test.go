package jwtauth

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rfc9449Proof is the DPoP proof of RFC 9449 section 4.2 (for the token
// endpoint: no ath).
const rfc9449Proof = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"

func TestThumbprintVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, jwk, want string
	}{
		{
			name: "RFC 7638 section 3.1 RSA",
			jwk:  `{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`,
			want: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
		},
		{
			name: "RFC 9449 section 4.2 EC key, the jkt of section 6.1",
			jwk:  `{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}`,
			want: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := readJWK([]byte(tc.jwk))
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.thumbprint()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("thumbprint (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRFC9449Proof(t *testing.T) {
	t.Parallel()
	pr, err := parseProof(rfc9449Proof, defaultDPoPAlgorithms, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{pr.alg, pr.jti, pr.htm, pr.htu, pr.thumbprint, pr.iat.UTC().Format("2006-01-02T15:04:05Z")}
	want := []string{"ES256", "-BwC3ESc6acc2lTc", "POST", "https://server.example.com/token", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "2019-07-04T17:50:16Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed proof (-want +got):\n%s", diff)
	}
}

func TestAccessTokenHash(t *testing.T) {
	t.Parallel()
	// RFC 9449 section 7.1's access token and the ath of its proof.
	got := accessTokenHash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")
	if diff := cmp.Diff("fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo", got); diff != "" {
		t.Errorf("ath (-want +got):\n%s", diff)
	}
}

// FuzzDPoPProof feeds the proof parser arbitrary DPoP header values: it
// never panics, refuses with an error that wraps ErrInvalidDPoPProof and
// holds none of the input, and what it accepts has every required claim
// and a thumbprint.
func FuzzDPoPProof(f *testing.F) {
	seeds := []string{
		rfc9449Proof,
		rfc9449Proof[:len(rfc9449Proof)-1] + "A",
		"", ".", "..", "a.b.c", "garbage",
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6Im5vbmUifQ.e30.",
		// {"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}}.{}
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoiQUEiLCJ5IjoiQUEiLCJkIjoiQUEifX0.e30.c2ln",
		// {"typ":"dpop+jwt","alg":"ES256","crit":["x"]}.{}
		"eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiY3JpdCI6WyJ4Il19.e30.c2ln",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pr, err := parseProof(s, defaultDPoPAlgorithms, nil)
		if err != nil {
			if !errors.Is(err, ErrInvalidDPoPProof) {
				t.Fatalf("error %v does not wrap ErrInvalidDPoPProof", err)
			}
			if len(s) > 8 && strings.Contains(err.Error(), s) {
				t.Fatalf("error %q holds the input", err)
			}
			return
		}
		if pr.jti == "" || pr.htm == "" || pr.htu == "" || pr.iat.IsZero() || len(pr.thumbprint) != 43 || pr.key == nil {
			t.Fatalf("accepted an incomplete proof: %+v", pr)
		}
	})
}

// TestProofKeyCache: a cached header gives what parsing gives, refused
// headers are not kept, the allowlist applies to hits too, and the cache
// stays within its size.
func TestProofKeyCache(t *testing.T) {
	t.Parallel()
	c := newProofKeyCache()
	count := func() int {
		n := 0
		for i := range c.shards {
			n += len(c.shards[i].m)
		}
		return n
	}
	first, err := parseProof(rfc9449Proof, defaultDPoPAlgorithms, c)
	if err != nil {
		t.Fatal(err)
	}
	again, err := parseProof(rfc9449Proof, defaultDPoPAlgorithms, c)
	if err != nil || again.key != first.key || again.thumbprint != "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I" {
		t.Errorf("second parse: key %p, thumbprint %q, %v; want the first key %p", again.key, again.thumbprint, err, first.key)
	}
	if _, err := parseProof(rfc9449Proof, []string{"RS256"}, c); !errors.Is(err, errProofAlg) {
		t.Errorf("a cached ES256 header under an RS256 allowlist: %v, want errProofAlg", err)
	}
	bad := "eyJhbGciOiJFUzI1NiJ9" + rfc9449Proof[strings.IndexByte(rfc9449Proof, '.'):] // {"alg":"ES256"}: no typ, no jwk
	for range 2 {
		if _, err := parseProof(bad, defaultDPoPAlgorithms, c); err == nil {
			t.Error("a header without typ and jwk: no error")
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d entries, want 1 (refused headers are not kept)", n)
	}
	parsed := 0
	for i := range proofKeyCacheSize * 2 {
		if _, err := c.get(strconv.Itoa(i), func() (proofHeader, error) { parsed++; return proofHeader{alg: "ES256"}, nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n > proofKeyCacheSize || parsed != proofKeyCacheSize*2 {
		t.Errorf("%d entries after %d parses, want at most %d", n, parsed, proofKeyCacheSize)
	}
}

// TestProofKeyCacheShards: headers spread over the shards.
func TestProofKeyCacheShards(t *testing.T) {
	t.Parallel()
	c := newProofKeyCache()
	used := map[*proofKeyShard]bool{}
	for i := range 200 {
		used[c.shard("eyJ0eXAiOiJkcG9wK2p3dCJ9"+strconv.Itoa(i)+"fQ")] = true
	}
	if len(used) < proofKeyShards/2 {
		t.Errorf("200 headers in %d of %d shards", len(used), proofKeyShards)
	}
}
