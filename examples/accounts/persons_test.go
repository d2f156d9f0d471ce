package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPersons(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write", "")
		ts.addUser(t, "bob", "pw-bob", "persons:read persons:write", "")
		ts.addUser(t, "root", "pw-root", "persons:read persons:write", "admin")
		alice := ts.login(t, "alice", "pw-alice", "")
		aliceRead := ts.login(t, "alice", "pw-alice", "persons:read")
		bob := ts.login(t, "bob", "pw-bob", "")
		admin := ts.login(t, "root", "pw-root", "")

		r := ts.do(t, "POST", "/persons", alice, personBody)
		if r.status != http.StatusCreated || r.header.Get("Location") != "/persons/1" {
			t.Fatalf("create: %d, Location %q, %s", r.status, r.header.Get("Location"), r.body)
		}
		var rec record
		if err := json.Unmarshal([]byte(r.body), &rec); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(record{ID: "1", Owner: "1", Person: rec.Person}, rec); diff != "" || rec.Person.Name != "Foo" {
			t.Errorf("created (-want +got):\n%s", diff)
		}
		if r := ts.do(t, "POST", "/persons", bob, `{"name":"Bar","gender":"female","age":30,"checked":true}`); r.status != 201 {
			t.Fatalf("bob's create: %d", r.status)
		}
		notFound := `{"detail":"Not Found"}` + "\n"
		for _, tc := range []struct {
			name, method, path, token, body string
			status                          int
			wantBody                        string
		}{
			{"owner reads", "GET", "/persons/1", alice, "", 200, `{"id":"1","owner":"1","person":{"name":"Foo","gender":"male","age":25.5,"checked":false}}` + "\n"},
			{"read-only token reads", "GET", "/persons/1", aliceRead, "", 200, ""},
			{"read-only token cannot write", "PUT", "/persons/1", aliceRead, personBody, 403, ""},
			{"read-only token cannot create", "POST", "/persons", aliceRead, personBody, 403, ""},
			{"other user cannot read", "GET", "/persons/1", bob, "", 404, notFound},
			{"other user cannot replace", "PUT", "/persons/1", bob, personBody, 404, notFound},
			{"other user cannot delete", "DELETE", "/persons/1", bob, "", 404, notFound},
			{"missing person", "GET", "/persons/99", alice, "", 404, notFound},
			{"not an id", "GET", "/persons/01", alice, "", 404, notFound},
			{"no token", "GET", "/persons/1", "", "", 401, ""},
			{"bad body", "PUT", "/persons/1", alice, `{"name":"Foo"}`, 422, ""},
			{"owner replaces", "PUT", "/persons/1", alice, `{"name":"Baz","gender":"male","age":26,"checked":true}`, 200, `{"id":"1","owner":"1","person":{"name":"Baz","gender":"male","age":26,"checked":true}}` + "\n"},
			{"admin reads another's", "GET", "/persons/2", admin, "", 200, `{"id":"2","owner":"2","person":{"name":"Bar","gender":"female","age":30,"checked":true}}` + "\n"},
			{"admin replaces another's", "PUT", "/persons/2", admin, personBody, 200, `{"id":"2","owner":"2","person":{"name":"Foo","gender":"male","age":25.5,"checked":false}}` + "\n"},
			{"admin deletes another's", "DELETE", "/persons/2", admin, "", 204, ""},
			{"deleted is gone", "GET", "/persons/2", bob, "", 404, notFound},
			{"owner deletes", "DELETE", "/persons/1", alice, "", 204, ""},
			{"deleted twice", "DELETE", "/persons/1", alice, "", 404, notFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.do(t, tc.method, tc.path, tc.token, tc.body)
				if r.status != tc.status {
					t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
				}
				if tc.wantBody != "" {
					if diff := cmp.Diff(tc.wantBody, r.body); diff != "" {
						t.Errorf("body (-want +got):\n%s", diff)
					}
				}
			})
		}
	})
}

func TestUserdelRemovesPersons(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write", "")
		ts.addUser(t, "root", "pw-root", "persons:read", "admin")
		tok := ts.login(t, "alice", "pw-alice", "")
		ts.do(t, "POST", "/persons", tok, personBody)
		if err := ts.app.db.deleteUser(t.Context(), "alice"); err != nil {
			t.Fatal(err)
		}
		if r := ts.do(t, "GET", "/persons/1", ts.login(t, "root", "pw-root", ""), ""); r.status != 404 {
			t.Errorf("a deleted user's person: %d, want 404", r.status)
		}
		if r := ts.do(t, "GET", "/persons/1", tok, ""); r.status != 401 {
			t.Errorf("a deleted user's token: %d, want 401", r.status)
		}
	})
}
