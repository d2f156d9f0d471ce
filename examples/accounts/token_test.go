package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLogin(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read persons:write extra", "admin,auditor")
		for _, tc := range []struct {
			name  string
			form  url.Values
			scope string // granted
		}{
			{"no scope requested grants all allowed", url.Values{"username": {"alice"}, "password": {"pw-alice"}}, "persons:read persons:write extra"},
			{"grant_type password", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw-alice"}}, "persons:read persons:write extra"},
			{"intersection of requested and allowed", url.Values{"username": {"alice"}, "password": {"pw-alice"}, "scope": {"persons:write admin:all persons:read"}}, "persons:read persons:write"},
			{"one scope", url.Values{"username": {"alice"}, "password": {"pw-alice"}, "scope": {"persons:read"}}, "persons:read"},
			{"client_id ignored", url.Values{"username": {"alice"}, "password": {"pw-alice"}, "client_id": {"swagger"}}, "persons:read persons:write extra"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.postForm(t, tc.form)
				if r.status != http.StatusOK {
					t.Fatalf("status %d, body %s", r.status, r.body)
				}
				for _, h := range []string{"Cache-Control", "Pragma", "Content-Type"} {
					want := map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache", "Content-Type": "application/json"}[h]
					if got := r.header.Get(h); got != want {
						t.Errorf("%s = %q, want %q", h, got, want)
					}
				}
				var tr tokenReply
				if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tokenReply{AccessToken: tr.AccessToken, TokenType: "bearer", ExpiresIn: 900, Scope: tc.scope}, tr); diff != "" {
					t.Errorf("reply (-want +got):\n%s", diff)
				}
				header, claims := tokenParts(t, tr.AccessToken)
				now := float64(ts.clock.Now().Unix())
				want := map[string]any{
					"iss": ts.app.issuer, "aud": []any{"accounts-api"}, "sub": "1",
					"iat": now, "exp": now + 900, "jti": claims["jti"], "scope": tc.scope,
					"roles": []any{"admin", "auditor"},
				}
				if diff := cmp.Diff(want, claims); diff != "" {
					t.Errorf("claims (-want +got):\n%s", diff)
				}
				if s, _ := claims["jti"].(string); len(s) < 20 {
					t.Errorf("jti %q is not a random id", s)
				}
				if header["alg"] != "ES256" || header["kid"] == nil || header["kid"] == "" {
					t.Errorf("header %v: want alg ES256 and a kid", header)
				}
			})
		}
	})
}

func TestLoginRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read", "")
		form := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i < len(kv); i += 2 {
				v.Add(kv[i], kv[i+1])
			}
			return v.Encode()
		}
		for _, tc := range []struct {
			name, contentType, body string
			status                  int
			code                    string
		}{
			{"json body", "application/json", `{"username":"alice","password":"pw-alice"}`, 415, "invalid_request"},
			{"no content type", "", form("username", "alice", "password", "pw-alice"), 415, "invalid_request"},
			{"too large", "application/x-www-form-urlencoded", form("username", "alice", "password", strings.Repeat("x", maxFormBytes)), 413, "invalid_request"},
			{"password twice", "application/x-www-form-urlencoded", form("username", "alice", "password", "a", "password", "pw-alice"), 400, "invalid_request"},
			{"no password", "application/x-www-form-urlencoded", form("username", "alice"), 400, "invalid_request"},
			{"no username", "application/x-www-form-urlencoded", form("password", "pw-alice"), 400, "invalid_request"},
			{"bad encoding", "application/x-www-form-urlencoded", "username=alice&password=%zz", 400, "invalid_request"},
			{"other grant type", "application/x-www-form-urlencoded", form("grant_type", "client_credentials", "username", "alice", "password", "pw-alice"), 400, "unsupported_grant_type"},
			{"empty grant type", "application/x-www-form-urlencoded", form("grant_type", "", "username", "alice", "password", "pw-alice"), 400, "unsupported_grant_type"},
			{"no allowed scope requested", "application/x-www-form-urlencoded", form("username", "alice", "password", "pw-alice", "scope", "persons:write"), 400, "invalid_scope"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest("POST", ts.url+"/token", strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				r := send(t, req)
				var got map[string]string
				if err := json.Unmarshal([]byte(r.body), &got); err != nil {
					t.Fatalf("body %q: %v", r.body, err)
				}
				if r.status != tc.status || got["error"] != tc.code || got["error_description"] == "" {
					t.Errorf("got %d %v, want %d with error %q and a description", r.status, got, tc.status, tc.code)
				}
				if strings.Contains(r.body, "alice") || strings.Contains(r.body, "pw-alice") {
					t.Errorf("the answer echoes input: %s", r.body)
				}
				if r.header.Get("Cache-Control") != "no-store" {
					t.Errorf("Cache-Control %q", r.header.Get("Cache-Control"))
				}
			})
		}
	})
}

// badLogins are the three refusals that must look alike.
var badLogins = []struct{ name, username, password string }{
	{"wrong password", "alice", "not-her-password"},
	{"unknown user", "nobody-here", "whatever"},
	{"disabled user", "carol", "pw-carol"},
}

// timingBound is how far apart the medians of the three refusals' times
// may be: within 25% of the smallest.
const timingBound = 0.25

// TestIndistinguishableFailures checks that a wrong password, an unknown
// user and a disabled user get the same answer (status, headers, body) in
// the same time, with the real argon2id parameters: the medians of 15
// interleaved logins each are within timingBound of each other.
func TestIndistinguishableFailures(t *testing.T) {
	hashParams = owaspParams
	t.Cleanup(func() { hashParams = cheapParams })
	eachDB(t, func(t *testing.T, c config) {
		c.failureLimits = [2]int{1000, 1000} // not throttled, to time them
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read", "")
		ts.addUser(t, "carol", "pw-carol", "persons:read", "")
		if err := ts.app.db.disableUser(t.Context(), "carol", ts.clock.Now()); err != nil {
			t.Fatal(err)
		}
		first := map[string]reply{}
		times := map[string][]time.Duration{}
		const rounds = 15
		for i := range rounds + 1 {
			for _, b := range badLogins {
				begin := time.Now()
				r := ts.postForm(t, url.Values{"username": {b.username}, "password": {b.password}})
				d := time.Since(begin)
				r.header.Del("Date")
				if f, ok := first[b.name]; !ok {
					first[b.name] = r
				} else if diff := cmp.Diff(f, r, cmp.AllowUnexported(reply{})); diff != "" {
					t.Errorf("%s: answers differ between tries (-first +now):\n%s", b.name, diff)
				}
				if i > 0 { // the first round warms up
					times[b.name] = append(times[b.name], d)
				}
			}
		}
		want := first[badLogins[0].name]
		if want.status != http.StatusBadRequest || want.body != `{"error":"invalid_grant","error_description":"Incorrect username or password"}`+"\n" {
			t.Errorf("wrong password: %d %s", want.status, want.body)
		}
		for _, b := range badLogins[1:] {
			if diff := cmp.Diff(want, first[b.name], cmp.AllowUnexported(reply{})); diff != "" {
				t.Errorf("%s answers unlike a wrong password (-wrong password +%s):\n%s", b.name, b.name, diff)
			}
		}
		medians := map[string]time.Duration{}
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for name, ds := range times {
			sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
			m := ds[len(ds)/2]
			medians[name] = m
			lo, hi = min(lo, m), max(hi, m)
		}
		t.Logf("median times: %v (spread %.1f%%)", medians, 100*float64(hi-lo)/float64(lo))
		if raceEnabled {
			t.Log("race detector on: timing not checked")
			return
		}
		if float64(hi-lo) > timingBound*float64(lo) {
			t.Errorf("medians %v differ by more than %.0f%%", medians, 100*timingBound)
		}
	})
}

func TestLockout(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		ts.addUser(t, "alice", "pw-alice", "persons:read", "")
		ts.addUser(t, "bob", "pw-bob", "persons:read", "")
		fail := func(name string) reply {
			return ts.postForm(t, url.Values{"username": {name}, "password": {"wrong"}})
		}
		for i := range maxFailuresPerUser {
			if r := fail("alice"); r.status != 400 {
				t.Fatalf("failure %d: %d", i+1, r.status)
			}
			ts.clock.Advance(time.Minute)
		}
		// The fifth failure was 1 minute ago, the first 5 minutes ago: the
		// lock lasts until the first leaves the 15-minute window.
		r := ts.postForm(t, url.Values{"username": {"alice"}, "password": {"pw-alice"}})
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "600" {
			t.Errorf("right password while locked: %d, Retry-After %q; want 429 and 600", r.status, r.header.Get("Retry-After"))
		}
		if !strings.Contains(r.body, `"error":"invalid_request"`) {
			t.Errorf("429 body %s", r.body)
		}
		ts.login(t, "bob", "pw-bob", "") // another username is not locked
		ts.clock.Advance(10 * time.Minute)
		ts.login(t, "alice", "pw-alice", "") // the window has moved on

		// A success cleared alice's count; 4 more failures do not lock her.
		for range maxFailuresPerUser - 1 {
			fail("alice")
		}
		ts.login(t, "alice", "pw-alice", "")

		// The client address: failures spread over many usernames.
		ts.clock.Advance(time.Hour)
		for i := range maxFailuresPerAddr {
			if r := fail(fmt.Sprintf("user%d", i)); r.status != 400 {
				t.Fatalf("address failure %d: %d", i+1, r.status)
			}
		}
		r = ts.postForm(t, url.Values{"username": {"bob"}, "password": {"pw-bob"}})
		if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "900" {
			t.Errorf("address locked: %d, Retry-After %q; want 429 and 900", r.status, r.header.Get("Retry-After"))
		}
	})
}

func TestConcurrentLogins(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		ts := newServer(t, c)
		users := []string{"u0", "u1", "u2", "u3"}
		for _, u := range users {
			ts.addUser(t, u, "pw-"+u, "persons:read persons:write", "")
		}
		var mu sync.Mutex
		var jtis []string
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 4 {
					u := users[(g+i)%len(users)]
					resp, err := http.PostForm(ts.url+"/token", url.Values{"username": {u}, "password": {"pw-" + u}})
					if err != nil {
						t.Error(err)
						return
					}
					var tr tokenReply
					err = json.NewDecoder(resp.Body).Decode(&tr)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 {
						t.Errorf("%s: login %d %v", u, resp.StatusCode, err)
						return
					}
					mu.Lock()
					jtis = append(jtis, tr.AccessToken)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		var ids []string
		for _, tok := range jtis {
			_, claims := tokenParts(t, tok)
			ids = append(ids, claims["jti"].(string))
			if r := ts.do(t, "POST", "/persons", tok, personBody); r.status != 201 {
				t.Errorf("create: %d %s", r.status, r.body)
			}
		}
		slices.Sort(ids)
		if len(slices.Compact(ids)) != 32 {
			t.Errorf("jti repeated among 32 tokens")
		}
	})
}

// FuzzToken posts arbitrary forms to /token: every answer is one of the
// endpoint's statuses with a JSON body, and no body repeats what the
// client sent (a username or password could end up in a log or a page).
func FuzzToken(f *testing.F) {
	ts := newServer(f, config{dbPath: filepath.Join(f.TempDir(), "accounts.db")})
	ts.addUser(f, "alice", "pw-alice", "persons:read persons:write", "")
	for _, seed := range []struct{ contentType, body string }{
		{"application/x-www-form-urlencoded", "username=alice&password=pw-alice"},
		{"application/x-www-form-urlencoded", "grant_type=password&username=alice&password=pw-alice&scope=persons:read"},
		{"application/x-www-form-urlencoded", "username=alice&password=wrong-secret-value"},
		{"application/x-www-form-urlencoded", "username=alice&username=bob&password=x"},
		{"application/x-www-form-urlencoded", "grant_type=client_credentials"},
		{"application/x-www-form-urlencoded; charset=utf-8", "username=%zz"},
		{"application/json", `{"username":"alice"}`},
		{"", "username=alice"},
		{"application/x-www-form-urlencoded", strings.Repeat("a", 5000)},
	} {
		f.Add(seed.contentType, seed.body)
	}
	allowed := map[int]bool{200: true, 400: true, 401: true, 413: true, 415: true, 429: true}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.RemoteAddr = "192.0.2.1:1234"
		rec := httptest.NewRecorder()
		ts.app.token(rec, r)
		if !allowed[rec.Code] {
			t.Fatalf("status %d for %q %q: %s", rec.Code, contentType, body, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type %q", ct)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body is not JSON: %q", rec.Body)
		}
		if form, err := url.ParseQuery(body); err == nil {
			for _, key := range []string{"username", "password", "scope"} {
				for _, v := range form[key] {
					if len(v) >= 6 && rec.Code != 200 && strings.Contains(rec.Body.String(), v) {
						t.Fatalf("the answer repeats the %s %q: %s", key, v, rec.Body)
					}
				}
			}
		}
	})
}

// TestLoginThrottleConcurrent: 40 wrong passwords for one user sent at
// once, with the real argon2id parameters (so that they overlap): at most
// the limit are checked, the rest get 429.
func TestLoginThrottleConcurrent(t *testing.T) {
	hashParams = owaspParams
	defer func() { hashParams = cheapParams }()
	ts := newServer(t, config{dbPath: filepath.Join(t.TempDir(), "accounts.db")})
	ts.addUser(t, "alice", "right password", "persons:read", "")
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.postForm(t, url.Values{"username": {"alice"}, "password": {"guess"}})
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(map[int]int{400: maxFailuresPerUser, 429: 40 - maxFailuresPerUser}, counts); diff != "" {
		t.Errorf("40 concurrent guesses, statuses (-want +got):\n%s", diff)
	}
}

// TestLoginLongPasswordRefused: a password over maxPasswordBytes is refused as a
// wrong one, also for a user whose password it starts with.
func TestLoginLongPasswordRefused(t *testing.T) {
	ts := newServer(t, config{dbPath: filepath.Join(t.TempDir(), "accounts.db")})
	long := strings.Repeat("p", maxPasswordBytes+1)
	ts.addUser(t, "alice", long[:maxPasswordBytes], "persons:read", "")
	if r := ts.postForm(t, url.Values{"username": {"alice"}, "password": {long}}); r.status != 400 || !strings.Contains(r.body, "invalid_grant") {
		t.Errorf("a password of %d bytes: %d %s, want 400 invalid_grant", len(long), r.status, r.body)
	}
}
