package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth/redisstore/internal/redistest"
)

// TestRun plays the demo against a real redis-server of its own.
func TestRun(t *testing.T) {
	srv := redistest.Start(t)
	var out strings.Builder
	// A generous timeout: CI machines can be loaded.
	if err := run(context.Background(), srv.Addr, 5*time.Second, &out); err != nil {
		t.Fatal(err)
	}
	want := `A GET  /me                alice's phone token                                      -> 200 hello alice
B GET  /me                alice's phone token                                      -> 200 hello alice
A POST /logout            alice's phone token: revoked by jti, through A           -> 204
B GET  /me                alice's phone token, revoked on A                        -> 401 {"detail":"Could not validate credentials"}
A GET  /me                alice's phone token, revoked on A                        -> 401 {"detail":"Could not validate credentials"}
B GET  /me                alice's laptop token                                     -> 200 hello alice
B POST /logout-everywhere alice everywhere, through B                              -> 204
A GET  /me                alice's laptop token, after logging out everywhere on B  -> 401 {"detail":"Could not validate credentials"}
A GET  /me                carol's DPoP-bound token with a proof                    -> 200 hello carol
B GET  /me                carol's DPoP-bound token, the same proof replayed        -> 401 {"detail":"Could not validate credentials"}
B GET  /me                carol's DPoP-bound token with a fresh proof              -> 200 hello carol
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
