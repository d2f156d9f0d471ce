package jwtauth_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

func TestWriteErrorRealm(t *testing.T) {
	t.Parallel()
	m := strictHS256(t, jwtauth.WithRealm("persons"))
	got := do(t, m.Handler, nil)
	want := missingResult
	want.Challenge = `Bearer realm="persons"`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
