package jwtauth

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// TestAlgorithmTable pins the lists every part of the package derives from
// the one table, and checks that jwttest, which cannot import this package,
// knows the same algorithms.
func TestAlgorithmTable(t *testing.T) {
	t.Parallel()
	all := []string{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"}
	if diff := cmp.Diff(all, algorithms); diff != "" {
		t.Errorf("algorithms (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all[3:], defaultJWKSAlgorithms); diff != "" {
		t.Errorf("defaultJWKSAlgorithms (-want +got):\n%s", diff)
	}
	wantFits := map[string][]string{
		"RSA":     {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
		"P-256":   {"ES256"},
		"P-384":   {"ES384"},
		"P-521":   {"ES512"},
		"Ed25519": {"EdDSA", "Ed25519"},
	}
	if diff := cmp.Diff(wantFits, jwkFits); diff != "" {
		t.Errorf("jwkFits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(all, append(jwttest.Algorithms(), jwttest.Ed25519)); diff != "" {
		t.Errorf("jwttest's algorithms (-want +got):\n%s", diff)
	}
	for _, a := range algorithmTable {
		if a.method == nil {
			t.Errorf("%s has no golang-jwt method", a.name)
		}
		if a.family == familyHMAC && a.minSecret != a.newHash().Size() {
			t.Errorf("%s: minimum secret %d, hash size %d", a.name, a.minSecret, a.newHash().Size())
		}
		if a.family == familyECDSA && a.curve.Params().Name != a.crv {
			t.Errorf("%s: curve %s, crv %s", a.name, a.curve.Params().Name, a.crv)
		}
	}
}
