package main

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRevocation(t *testing.T) {
	const invalid = `Bearer realm="accounts", error="invalid_token"`
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write", "")
		ts.addUser(t, "bob", "pw-bob", "persons:read persons:write", "")
		alice1 := ts.login(t, "alice", "pw-alice", "")
		alice2 := ts.login(t, "alice", "pw-alice", "persons:read")
		bob := ts.login(t, "bob", "pw-bob", "")
		ts.do(t, "POST", "/persons", alice1, personBody)
		ts.do(t, "POST", "/persons", bob, personBody)
		ts.clock.Advance(time.Second)

		t.Run("logout everywhere", func(t *testing.T) {
			if r := ts.do(t, "POST", "/logout-everywhere", alice2, ""); r.status != http.StatusNoContent {
				t.Fatalf("logout-everywhere: %d %s", r.status, r.body)
			}
			for name, tok := range map[string]string{"the token used": alice2, "another token": alice1} {
				r := ts.do(t, "GET", "/persons/1", tok, "")
				if r.status != 401 || r.header.Get("WWW-Authenticate") != invalid {
					t.Errorf("%s: %d %q, want 401 %q", name, r.status, r.header.Get("WWW-Authenticate"), invalid)
				}
			}
			if r := ts.do(t, "GET", "/persons/2", bob, ""); r.status != 200 {
				t.Errorf("bob's token: %d, want 200", r.status)
			}
			// A token of the same second is refused too; a second later they work.
			if r := ts.do(t, "GET", "/persons/1", ts.login(t, "alice", "pw-alice", ""), ""); r.status != 401 {
				t.Errorf("token of the logout's second: %d, want 401", r.status)
			}
			ts.clock.Advance(time.Second)
			if r := ts.do(t, "GET", "/persons/1", ts.login(t, "alice", "pw-alice", ""), ""); r.status != 200 {
				t.Errorf("new token: %d, want 200", r.status)
			}
		})

		t.Run("disable", func(t *testing.T) {
			if r := ts.do(t, "GET", "/persons/2", bob, ""); r.status != 200 {
				t.Fatalf("before: %d", r.status)
			}
			if err := ts.app.db.disableUser(t.Context(), "bob", ts.clock.Now()); err != nil {
				t.Fatal(err)
			}
			r := ts.do(t, "GET", "/persons/2", bob, "")
			if r.status != 401 || r.header.Get("WWW-Authenticate") != invalid {
				t.Errorf("after disable: %d %q, want 401 %q", r.status, r.header.Get("WWW-Authenticate"), invalid)
			}
			ts.clock.Advance(time.Minute)
			if r := ts.postForm(t, url.Values{"username": {"bob"}, "password": {"pw-bob"}}); r.status != 400 {
				t.Errorf("login after disable: %d, want 400", r.status)
			}
		})
	})
}
