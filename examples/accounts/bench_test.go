package main

import (
	"net/url"
	"path/filepath"
	"testing"
)

// BenchmarkHashPassword is one argon2id hash with OWASP's parameters
// (m=19 MiB, t=2, p=1): the cost of every login.
func BenchmarkHashPassword(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := hashPassword("correct horse battery staple", owaspParams); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is POST /token end to end on SQLite, over loopback, with
// OWASP's parameters.
func BenchmarkLogin(b *testing.B) {
	hashParams = owaspParams
	b.Cleanup(func() { hashParams = cheapParams })
	ts := newServer(b, config{dbPath: filepath.Join(b.TempDir(), "a.db"), failureLimits: [2]int{1 << 30, 1 << 30}})
	ts.addUser(b, "alice", "pw-alice", "persons:read persons:write", "")
	form := url.Values{"username": {"alice"}, "password": {"pw-alice"}}
	b.ReportAllocs()
	for b.Loop() {
		if r := ts.postForm(b, form); r.status != 200 {
			b.Fatal(r.status)
		}
	}
}

// BenchmarkGetPerson is GET /persons/{id} end to end on SQLite, over
// loopback: a cached token, the two revocation queries and the person's.
func BenchmarkGetPerson(b *testing.B) {
	ts := newServer(b, config{dbPath: filepath.Join(b.TempDir(), "a.db")})
	ts.addUser(b, "alice", "pw-alice", "persons:read persons:write", "")
	tok := ts.login(b, "alice", "pw-alice", "")
	ts.do(b, "POST", "/persons", tok, personBody)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r := ts.do(b, "GET", "/persons/1", tok, ""); r.status != 200 {
				b.Error(r.status)
				return
			}
		}
	})
}
