package jwtauth

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNonceSource(t *testing.T) {
	t.Parallel()
	const step = time.Minute
	t0 := time.Unix(1_800_000_000, 0)
	n := newNonceSource([]byte("a-nonce-secret-of-32-bytes-long!"), step)
	other := newNonceSource([]byte("another-secret-of-32-bytes-long!"), step)
	nonce := n.at(t0)
	forged := []byte(nonce)
	forged[len(forged)-1] ^= 1
	type res struct{ Current, Valid bool }
	for _, tc := range []struct {
		name  string
		nonce string
		at    time.Time
		want  res
	}{
		{"same step", nonce, t0, res{true, true}},
		{"next step", nonce, t0.Add(step), res{false, true}},
		{"two steps later", nonce, t0.Add(2 * step), res{false, false}},
		{"from the future", nonce, t0.Add(-step), res{false, false}},
		{"another secret", other.at(t0), t0, res{false, false}},
		{"forged", string(forged), t0, res{false, false}},
		{"empty", "", t0, res{false, false}},
		{"too long", nonce + "A", t0, res{false, false}},
		{"not base64url", "!" + nonce[1:], t0, res{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur, valid := n.check(tc.nonce, tc.at)
			if diff := cmp.Diff(tc.want, res{cur, valid}); diff != "" {
				t.Errorf("check (-want +got):\n%s", diff)
			}
		})
	}
	if n.at(t0) != nonce || n.at(t0.Add(step)) == nonce {
		t.Error("a nonce is not one per step")
	}
}
