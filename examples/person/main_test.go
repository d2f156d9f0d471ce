package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// The tutorial's curl: raw token, key "secret", payload {"hello":"world"}.
const (
	tutorialToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJoZWxsbyI6IndvcmxkIn0.bqxXg9VwcbXKoiWtp-osd0WKPX307RjcN7EuXbdq-CE"
	tutorialBody  = `{"name": "Foo","gender": "male","age": 25.5,"checked": false}`
	strictSecret  = "a-test-secret-that-is-32-bytes!!"
)

// env returns a lookupEnv for the variables in m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

var discardLog = slog.New(slog.DiscardHandler)

// parse parses args and env as run would, failing the test on an error.
func parse(t *testing.T, vars map[string]string, args ...string) config {
	t.Helper()
	c, err := parseFlags(args, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// build builds the example's handler for c, as run would, logging to log.
func build(t *testing.T, c config, log *slog.Logger) (http.Handler, *verifier) {
	t.Helper()
	v, err := newMiddleware(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.close)
	h, err := newServer(v.mw, newStore(), v.ready, c.docsAssets)
	if err != nil {
		t.Fatal(err)
	}
	return h, v
}

// server builds the example's handler for the given environment, as run
// would, without logs.
func server(t *testing.T, vars map[string]string, args ...string) (http.Handler, config) {
	t.Helper()
	c := parse(t, vars, args...)
	h, _ := build(t, c, discardLog)
	return h, c
}

// syncBuffer is a log destination that background goroutines may write
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// reply is a response in comparable form.
type reply struct {
	Status    int
	Challenge string `json:",omitempty"`
	Location  string `json:",omitempty"`
	Body      any
	BodyRead  bool
}

type trackedBody struct {
	r    io.Reader
	read atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) { b.read.Store(true); return b.r.Read(p) }

func send(t *testing.T, h http.Handler, method, path, auth, body string) reply {
	t.Helper()
	tb := &trackedBody{r: strings.NewReader(body)}
	req := httptest.NewRequest(method, path, tb)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return reply{
		Status:    rec.Code,
		Challenge: rec.Header().Get("WWW-Authenticate"),
		Location:  rec.Header().Get("Location"),
		Body:      v,
		BodyRead:  tb.read.Load(),
	}
}

func js(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		panic(err)
	}
	return v
}

func TestTutorialDemoMode(t *testing.T) {
	t.Parallel()
	h, c := server(t, nil)
	if !c.demo {
		t.Fatal("JWT_SECRET unset did not select demo mode")
	}
	person := js(`{"name":"Foo","gender":"male","age":25.5,"checked":false}`)
	notAuth := js(`{"detail":"Not authenticated"}`)
	badToken := js(`{"detail":"Could not validate credentials"}`)
	tests := []struct {
		name       string
		auth, body string
		want       reply
	}{
		{"the tutorial's curl", tutorialToken, tutorialBody,
			reply{Status: 200, Body: map[string]any{"person": person, "claims": js(`{"hello":"world"}`)}, BodyRead: true}},
		{"Bearer works too", "Bearer " + tutorialToken, tutorialBody,
			reply{Status: 200, Body: map[string]any{"person": person, "claims": js(`{"hello":"world"}`)}, BodyRead: true}},
		{"missing field and wrong type", tutorialToken, `{"name":"Foo","age":"x"}`,
			reply{Status: 422, Body: js(`{"detail":[
				{"type":"missing","loc":["body","gender"],"msg":"Field required"},
				{"type":"float_parsing","loc":["body","age"],"msg":"Input should be a valid number, unable to parse string as a number"},
				{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}`), BodyRead: true}},
		{"no token", "", tutorialBody,
			reply{Status: 401, Challenge: `Bearer realm="persons"`, Body: notAuth}},
		{"bad token", tutorialToken + "x", tutorialBody,
			reply{Status: 401, Challenge: `Bearer realm="persons", error="invalid_token"`, Body: badToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, send(t, h, "POST", "/", tt.auth, tt.body)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStrictMode(t *testing.T) {
	t.Parallel()
	h, c := server(t, map[string]string{"JWT_SECRET": strictSecret})
	if c.demo {
		t.Fatal("JWT_SECRET set but demo mode selected")
	}
	c.sub, c.scope = "alice", ""
	tok, err := mintToken(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	invalid := reply{Status: 401, Challenge: `Bearer realm="persons", error="invalid_token"`, Body: js(`{"detail":"Could not validate credentials"}`)}
	if diff := cmp.Diff(invalid, send(t, h, "POST", "/", "Bearer "+tutorialToken, tutorialBody)); diff != "" {
		t.Errorf("tutorial token under strict defaults (-want +got):\n%s", diff)
	}
	missing := reply{Status: 401, Challenge: `Bearer realm="persons"`, Body: js(`{"detail":"Not authenticated"}`)}
	if diff := cmp.Diff(missing, send(t, h, "POST", "/", tok, tutorialBody)); diff != "" {
		t.Errorf("raw token under strict defaults (-want +got):\n%s", diff)
	}
	got := send(t, h, "POST", "/", "Bearer "+tok, tutorialBody)
	if got.Status != 200 {
		t.Errorf("minted token: status %d, body %v", got.Status, got.Body)
	}

	if _, err := newMiddleware(context.Background(), config{keys: keysHMAC, alg: "HS256", secret: []byte("short")}, discardLog); err == nil {
		t.Error("a JWT_SECRET under 32 bytes was accepted")
	}
}

func TestPersons(t *testing.T) {
	t.Parallel()
	h, c := server(t, map[string]string{"JWT_SECRET": strictSecret})
	mint := func(sub, scope, roles string) string {
		c := c
		c.sub, c.scope, c.role = sub, scope, roles
		tok, err := mintToken(c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}
	alice := mint("alice", "persons:read persons:write", "")
	bob := mint("bob", "persons:read persons:write", "")
	admin := mint("root", "persons:read persons:write", "admin")
	readOnly := mint("carol", "persons:read", "")
	writeOnly := mint("alice", "persons:write", "")
	forbidden := func(scope string) reply {
		ch := `Bearer realm="persons", error="insufficient_scope"`
		if scope != "" {
			ch += `, scope="` + scope + `"`
		}
		return reply{Status: 403, Challenge: ch, Body: js(`{"detail":"Not enough permissions"}`)}
	}
	foo := js(`{"name":"Foo","gender":"male","age":25.5,"checked":false}`)
	bar := `{"name":"Bar","gender":"female","age":30,"checked":true}`
	notFound := reply{Status: 404, Body: js(`{"detail":"Not Found"}`)}

	// The steps share one store, so they run in order.
	steps := []struct {
		name                     string
		method, path, auth, body string
		want                     reply
	}{
		{"healthz without auth", "GET", "/healthz", "", "", reply{Status: 200, Body: js(`{"status":"ok"}`)}},
		{"create without token", "POST", "/persons", "", tutorialBody, reply{Status: 401, Challenge: `Bearer realm="persons"`, Body: js(`{"detail":"Not authenticated"}`)}},
		{"create without write scope", "POST", "/persons", readOnly, tutorialBody, forbidden("persons:write")},
		{"create", "POST", "/persons", alice, tutorialBody, reply{Status: 201, Location: "/persons/1", Body: map[string]any{"id": "1", "owner": "alice", "person": foo}, BodyRead: true}},
		{"create invalid", "POST", "/persons", alice, `{"name":"x"}`, reply{Status: 422, Body: js(`{"detail":[
			{"type":"missing","loc":["body","gender"],"msg":"Field required"},
			{"type":"missing","loc":["body","age"],"msg":"Field required"},
			{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}`), BodyRead: true}},
		{"get by owner", "GET", "/persons/1", alice, "", reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": foo}}},
		{"get by admin", "GET", "/persons/1", admin, "", reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": foo}}},
		{"get by another user", "GET", "/persons/1", bob, "", notFound},
		{"get by another read-only user", "GET", "/persons/1", readOnly, "", notFound},
		{"get without read scope", "GET", "/persons/1", writeOnly, "", forbidden("persons:read")},
		{"get without token", "GET", "/persons/1", "", "", reply{Status: 401, Challenge: `Bearer realm="persons"`, Body: js(`{"detail":"Not authenticated"}`)}},
		{"get unknown", "GET", "/persons/99", alice, "", notFound},
		{"update by another user", "PUT", "/persons/1", bob, bar, notFound},
		{"update without write scope", "PUT", "/persons/1", readOnly, bar, forbidden("persons:write")},
		{"update unknown", "PUT", "/persons/99", alice, bar, notFound},
		{"update invalid by owner", "PUT", "/persons/1", alice, `{"name":"Bar","gender":"female","age":"old","checked":true}`, reply{Status: 422, Body: js(`{"detail":[
			{"type":"float_parsing","loc":["body","age"],"msg":"Input should be a valid number, unable to parse string as a number"}]}`), BodyRead: true}},
		{"update by owner", "PUT", "/persons/1", alice, bar, reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": js(bar)}, BodyRead: true}},
		{"update by admin", "PUT", "/persons/1", admin, tutorialBody, reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": foo}, BodyRead: true}},
		{"delete by another user", "DELETE", "/persons/1", bob, "", notFound},
		{"delete by owner", "DELETE", "/persons/1", alice, "", reply{Status: 204}},
		{"gone", "GET", "/persons/1", alice, "", notFound},
		{"delete again", "DELETE", "/persons/1", alice, "", notFound},
		{"admin deletes another's person", "POST", "/persons", bob, tutorialBody, reply{Status: 201, Location: "/persons/2", Body: map[string]any{"id": "2", "owner": "bob", "person": foo}, BodyRead: true}},
		{"admin delete", "DELETE", "/persons/2", admin, "", reply{Status: 204}},
	}
	for _, s := range steps {
		if diff := cmp.Diff(s.want, send(t, h, s.method, s.path, s.auth, s.body)); diff != "" {
			t.Errorf("%s: %s %s (-want +got):\n%s", s.name, s.method, s.path, diff)
		}
	}
}

func TestMint(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(context.Background(), []string{"-mint", "-sub", "alice", "-scope", "persons:read", "-roles", "admin,ops", "-ttl", "10m"},
		env(map[string]string{"JWT_SECRET": strictSecret}), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.MapClaims
	if _, err := jwt.ParseWithClaims(strings.TrimSpace(out.String()), &claims, func(*jwt.Token) (any, error) { return []byte(strictSecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired()); err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	got := map[string]any{"sub": claims["sub"], "scope": claims["scope"], "roles": claims["roles"],
		"ttl": claims["exp"].(float64) - claims["iat"].(float64)}
	want := map[string]any{"sub": "alice", "scope": "persons:read", "roles": []any{"admin", "ops"}, "ttl": 600.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	secret := map[string]string{"JWT_SECRET": strictSecret}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
	}{
		{"unknown flag", nil, []string{"-nope"}, 2},
		{"extra argument", nil, []string{"extra"}, 2},
		{"RS256 without a key", nil, []string{"-alg", "RS256", "-addr", "127.0.0.1:0"}, 2},
		{"missing key file", nil, []string{"-alg", "RS256", "-key", "/nonexistent.pem", "-addr", "127.0.0.1:0"}, 1},
		{"mint with RS256", secret, []string{"-alg", "RS256", "-key", "x.pem", "-mint"}, 2},
		{"unusable listen addr", secret, []string{"-addr", "256.0.0.1:-1"}, 1},
		{"jwks and oidc", nil, []string{"-jwks", "http://127.0.0.1:1/jwks", "-oidc", "http://127.0.0.1:1", "-audience", "a", "-issuer", "i"}, 2},
		{"jwks without issuer", nil, []string{"-jwks", "http://127.0.0.1:1/jwks", "-audience", "a", "-addr", "127.0.0.1:0"}, 1},
		{"oidc without audience", nil, []string{"-oidc", "http://127.0.0.1:1", "-addr", "127.0.0.1:0"}, 1},
		{"jwks with an HMAC algorithm", nil, []string{"-jwks", "http://127.0.0.1:1/jwks", "-issuer", "i", "-audience", "a", "-alg", "RS256,HS256", "-addr", "127.0.0.1:0"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tt.args, env(tt.env), io.Discard, io.Discard)
			if err == nil {
				t.Fatalf("run(%q) succeeded", tt.args)
			}
			if got := exitCode(err, io.Discard); got != tt.code {
				t.Errorf("run(%q): exit code %d, want %d (error %v)", tt.args, got, tt.code, err)
			}
		})
	}
}

// TestGracefulShutdown starts the real server and cancels its context: run
// must shut down and return nil.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, env(nil), io.Discard, &logs)
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run returned %v after cancel", err)
	}
	// run has returned, so reading its log is not a race.
	if !strings.Contains(logs.String(), "INSECURE tutorial demo mode") {
		t.Errorf("demo mode did not warn; log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), tutorialToken) {
		t.Error("the log contains a token")
	}
}

// TestAccessLog: one line per request with method, path and status, and
// never the token.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	h, _ := server(t, nil)
	var logs bytes.Buffer
	logged := logRequests(slog.New(slog.NewTextHandler(&logs, nil)), h)
	send(t, logged, "POST", "/?access_token="+tutorialToken, tutorialToken, tutorialBody)
	send(t, logged, "POST", "/", "", tutorialBody)
	got := logs.String()
	for _, want := range []string{"method=POST path=/ status=200", "method=POST path=/ status=401"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, tutorialToken[:20]) {
		t.Errorf("log contains the token:\n%s", got)
	}
}

// TestJWKSAndOIDCFlags: the example verifies tokens of an identity provider,
// keys from its JWKS URL (-jwks) or by discovery (-oidc).
func TestJWKSAndOIDCFlags(t *testing.T) {
	t.Parallel()
	key := jwttest.NewKey(t, "RS256").WithID("k1")
	idp := jwttest.NewJWKSServer(t, key)
	tok := "Bearer " + jwttest.Mint(t, key, map[string]any{"iss": idp.Issuer(), "aud": "person-api", "scope": "persons:read"})
	foreign := "Bearer " + jwttest.Mint(t, jwttest.NewKey(t, "RS256").WithID("k1"), map[string]any{"iss": idp.Issuer(), "aud": "person-api"})
	for name, args := range map[string][]string{
		"jwks": {"-jwks", idp.URL(), "-issuer", idp.Issuer(), "-audience", "person-api", "-alg", "RS256"},
		"oidc": {"-oidc", idp.Issuer(), "-audience", "person-api"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, c := server(t, map[string]string{}, args...)
			if c.demo {
				t.Fatal("an identity provider selected demo mode")
			}
			if got := send(t, h, "POST", "/", tok, tutorialBody); got.Status != 200 {
				t.Errorf("provider's token: %+v", got)
			}
			if got := send(t, h, "POST", "/", foreign, tutorialBody); got.Status != 401 {
				t.Errorf("token signed by another key with the same kid: %+v", got)
			}
			if got := send(t, h, "POST", "/", "Bearer "+tutorialToken, tutorialBody); got.Status != 401 {
				t.Errorf("the tutorial's HS256 token: %+v", got)
			}
		})
	}
}

// TestConfig: demo mode only with JWT_SECRET unset, no key flag and a
// loopback address; everything that looks like a half-configured
// deployment is a usage error (exit status 2) with a clear message.
func TestConfig(t *testing.T) {
	t.Parallel()
	secret := map[string]string{"JWT_SECRET": strictSecret}
	empty := map[string]string{"JWT_SECRET": ""}
	demoOnly := `demo mode (key "secret", no exp) listens on loopback only, not on -addr %q: use -addr 127.0.0.1:PORT, or set JWT_SECRET or -key, -jwks or -oidc`
	tests := []struct {
		name string
		env  map[string]string
		args []string
		demo bool
		err  string // "" for none
	}{
		{"tutorial default", nil, nil, true, ""},
		{"demo on localhost", nil, []string{"-addr", "localhost:8000"}, true, ""},
		{"demo on 127.0.0.1", nil, []string{"-addr", "127.0.0.1:8000"}, true, ""},
		{"demo on another loopback address", nil, []string{"-addr", "127.1.2.3:8000"}, true, ""},
		{"demo on [::1]", nil, []string{"-addr", "[::1]:8000"}, true, ""},
		{"demo on every interface", nil, []string{"-addr", ":8000"}, false, fmt.Sprintf(demoOnly, ":8000")},
		{"demo on 0.0.0.0", nil, []string{"-addr", "0.0.0.0:8000"}, false, fmt.Sprintf(demoOnly, "0.0.0.0:8000")},
		{"demo on [::]", nil, []string{"-addr", "[::]:8000"}, false, fmt.Sprintf(demoOnly, "[::]:8000")},
		{"demo on a public address", nil, []string{"-addr", "192.0.2.1:8000"}, false, fmt.Sprintf(demoOnly, "192.0.2.1:8000")},
		{"demo on a host name", nil, []string{"-addr", "example.com:8000"}, false, fmt.Sprintf(demoOnly, "example.com:8000")},
		{"demo on an address without port", nil, []string{"-addr", "127.0.0.1"}, false, fmt.Sprintf(demoOnly, "127.0.0.1")},
		{"demo addr with a control character", nil, []string{"-addr", "\n:8000"}, false, fmt.Sprintf(demoOnly, "\n:8000")},
		{"secret on every interface", secret, []string{"-addr", ":8000"}, false, ""},
		{"empty JWT_SECRET", empty, nil, false, "JWT_SECRET is set but empty: set it to a secret of at least 32 bytes, or unset it for the tutorial's demo mode"},
		{"empty JWT_SECRET with -jwks", empty, []string{"-jwks", "https://idp.example/jwks"}, false, "JWT_SECRET is set but empty: set it to a secret of at least 32 bytes, or unset it for the tutorial's demo mode"},
		{"mint without JWT_SECRET", nil, []string{"-mint"}, false, "-mint needs JWT_SECRET: it signs with that secret, never with the demo key"},
		{"mint with -jwks", secret, []string{"-mint", "-jwks", "https://idp.example/jwks"}, false, "-mint signs with JWT_SECRET only; it does not combine with -key, -jwks or -oidc"},
		{"empty -key", nil, []string{"-key", ""}, false, "-key is empty"},
		{"empty -jwks", nil, []string{"-jwks="}, false, "-jwks is empty"},
		{"empty -oidc", nil, []string{"-oidc", ""}, false, "-oidc is empty"},
		{"-key and -jwks", nil, []string{"-key", "k.pem", "-jwks", "https://idp.example/jwks"}, false, "-key and -jwks exclude each other"},
		{"JWT_SECRET and -jwks", secret, []string{"-jwks", "https://idp.example/jwks"}, false, "JWT_SECRET and -jwks both name the verification keys: unset JWT_SECRET, or drop -jwks"},
		{"JWT_SECRET and -key", secret, []string{"-key", "k.pem", "-alg", "RS256"}, false, "JWT_SECRET and -key both name the verification keys: unset JWT_SECRET, or drop -key"},
		{"-key without -alg", nil, []string{"-key", "k.pem"}, false, "-key needs -alg, such as RS256, ES256 or EdDSA"},
		{"HMAC with an algorithm list", secret, []string{"-alg", "HS256,HS512"}, false, `-alg "HS256,HS512": exactly one algorithm with JWT_SECRET or -key (a list is for -jwks and -oidc)`},
		{"empty algorithm in a list", nil, []string{"-jwks", "https://idp.example/jwks", "-alg", "RS256,,ES256"}, false, `-alg "RS256,,ES256": empty algorithm in the list`},
		{"asymmetric algorithm without a key", secret, []string{"-alg", "ES256"}, false, `-alg "ES256" needs -key, -jwks or -oidc`},
		{"unexpected argument", nil, []string{"serve"}, false, `unexpected arguments: ["serve"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseFlags(tt.args, env(tt.env), io.Discard)
			if tt.err == "" {
				if err != nil {
					t.Fatalf("parseFlags(%q): %v", tt.args, err)
				}
				if c.demo != tt.demo {
					t.Errorf("parseFlags(%q): demo %v, want %v", tt.args, c.demo, tt.demo)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseFlags(%q) succeeded, want %q", tt.args, tt.err)
			}
			if diff := cmp.Diff(tt.err, err.Error()); diff != "" {
				t.Errorf("parseFlags(%q) error (-want +got):\n%s", tt.args, diff)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q has a line break", err)
			}
			// run refuses the same way, before listening, with status 2.
			var stderr bytes.Buffer
			err = run(context.Background(), tt.args, env(tt.env), io.Discard, &stderr)
			if got := exitCode(err, &stderr); got != 2 {
				t.Errorf("run(%q): exit code %d, want 2 (error %v)", tt.args, got, err)
			}
			want := "person: " + tt.err + "\nRun person -h for the flags.\n"
			if diff := cmp.Diff(want, stderr.String()); diff != "" {
				t.Errorf("run(%q) stderr (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestExitCode: -h is success, flag errors are printed once (by the flag
// package) with status 2, other errors status 1.
func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // prefix
	}{
		{"help", []string{"-h"}, 0, "Usage of person:\n"},
		{"unknown flag", []string{"-nope"}, 2, "flag provided but not defined: -nope\nUsage of person:\n"},
		{"bad duration", []string{"-ttl", "soon"}, 2, `invalid value "soon" for flag -ttl`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			code := exitCode(run(context.Background(), tt.args, env(nil), io.Discard, &stderr), &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			got := stderr.String()
			if !strings.HasPrefix(got, tt.stderr) {
				t.Errorf("stderr does not start with %q:\n%s", tt.stderr, got)
			}
			if strings.Contains(got, "person: ") {
				t.Errorf("error printed twice:\n%s", got)
			}
		})
	}
	var stderr bytes.Buffer
	if code := exitCode(errors.New("listen tcp: address in use"), &stderr); code != 1 || stderr.String() != "person: listen tcp: address in use\n" {
		t.Errorf("runtime error: exit code %d, stderr %q", code, stderr.String())
	}
}

// TestRedactURL: the start-up log shows key set URLs without credentials
// or query.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://idp.example/jwks.json":                     "https://idp.example/jwks.json",
		"https://user:pw@idp.example/jwks.json":             "https://idp.example/jwks.json",
		"https://idp.example/jwks.json?api_key=hunter2":     "https://idp.example/jwks.json?REDACTED",
		"https://idp.example/jwks.json?":                    "https://idp.example/jwks.json?REDACTED",
		"https://idp.example/jwks.json#hunter2":             "https://idp.example/jwks.json",
		"https://u:hunter2@idp.example/j?k=hunter2#hunter2": "https://idp.example/j?REDACTED",
		"https://idp.example/%zz":                           "(invalid URL)",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStartupLog: the listening line names the key source, not an
// algorithm that is not in use, and no URL secret.
func TestStartupLog(t *testing.T) {
	t.Parallel()
	key := jwttest.NewKey(t, "ES256")
	idp := jwttest.NewJWKSServer(t, key)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"demo", nil, nil, ` dpop=allowed keys=demo alg=HS256`},
		{"hmac", map[string]string{"JWT_SECRET": strings.Repeat("k", 64)}, []string{"-alg", "HS512"}, ` dpop=allowed keys=hmac alg=HS512`},
		{"DPoP required, nonces, public URL", map[string]string{"JWT_SECRET": strings.Repeat("k", 64)},
			[]string{"-dpop", "required", "-dpop-nonce", "-dpop-public-url", "https://api.example/v1"},
			` dpop=required dpop_nonce=true dpop_public_url=https://api.example/v1 keys=hmac alg=HS256`},
		{"jwks", nil, []string{"-jwks", idp.URL() + "?api_key=hunter2", "-issuer", idp.Issuer(), "-audience", "a"},
			` keys=jwks url=` + idp.URL() + `?REDACTED algs=default`},
		{"jwks with algorithms", nil, []string{"-jwks", idp.URL(), "-issuer", idp.Issuer(), "-audience", "a", "-alg", "ES256,EdDSA"},
			` keys=jwks url=` + idp.URL() + ` algs=ES256,EdDSA`},
		{"oidc", nil, []string{"-oidc", idp.Issuer(), "-audience", "a"}, ` keys=oidc issuer=` + idp.Issuer() + ` algs=default`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A cancelled context: run starts, logs and shuts down at once.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			var logs syncBuffer
			if err := run(ctx, append(tt.args, "-addr", "127.0.0.1:0"), env(tt.env), io.Discard, &logs); err != nil {
				t.Fatal(err)
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `msg=listening`) {
					line = l
				}
			}
			if !strings.HasSuffix(line, tt.want) {
				t.Errorf("listening line does not end in %q:\n%s", tt.want, logs.String())
			}
			if strings.Contains(logs.String(), "hunter2") {
				t.Errorf("log contains the URL's secret:\n%s", logs.String())
			}
		})
	}
}

// TestJWKSReadiness: while a provider's keys cannot be had, start-up logs
// an ERROR and /healthz answers 503 with a fixed reason; once they can, 200.
func TestJWKSReadiness(t *testing.T) {
	t.Parallel()
	unavailable := reply{Status: 503, Body: js(`{"status":"unavailable","reason":"signing keys not yet available"}`)}
	ok := reply{Status: 200, Body: js(`{"status":"ok"}`)}
	tests := []struct {
		name   string
		break_ func(*jwttest.JWKSServer)
		fix    func(*jwttest.JWKSServer)
		wait   time.Duration
		logs   []string
	}{
		{"first fetch fails",
			func(s *jwttest.JWKSServer) { s.SetStatus(http.StatusInternalServerError) },
			func(s *jwttest.JWKSServer) { s.SetStatus(0) },
			10 * time.Second,
			[]string{`level=ERROR msg="JWKS fetch failed" err=`, `level=ERROR msg="signing keys not yet available; /healthz answers 503 until they are" err=`}},
		{"discovery fails",
			func(s *jwttest.JWKSServer) { s.SetStatus(http.StatusBadGateway) },
			func(s *jwttest.JWKSServer) { s.SetStatus(0) },
			10 * time.Second,
			[]string{`level=ERROR msg="JWKS fetch failed" err=`, `level=ERROR msg="signing keys not yet available; /healthz answers 503 until they are" err=`}},
		{"slow provider",
			func(s *jwttest.JWKSServer) { s.SetLatency(300 * time.Millisecond) },
			func(s *jwttest.JWKSServer) {},
			time.Millisecond,
			[]string{`level=ERROR msg="signing keys not yet available; /healthz answers 503 until they are" err=`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := jwttest.NewKey(t, "ES256")
			idp := jwttest.NewJWKSServer(t, key)
			tt.break_(idp)
			args := []string{"-jwks", idp.URL(), "-issuer", idp.Issuer(), "-audience", "person-api"}
			if tt.name == "discovery fails" {
				args = []string{"-oidc", idp.Issuer(), "-audience", "person-api"}
			}
			c := parse(t, nil, args...)
			c.startWait = tt.wait
			// Retry a failed fetch after 10ms instead of a minute.
			c.jwksOpts = []jwtauth.JWKSOption{jwtauth.WithRefreshCooldown(10 * time.Millisecond)}
			var logs syncBuffer
			h, v := build(t, c, slog.New(slog.NewTextHandler(&logs, nil)))
			got := send(t, h, "GET", "/healthz", "", "")
			if diff := cmp.Diff(unavailable, got); diff != "" {
				t.Errorf("healthz before keys (-want +got):\n%s", diff)
			}
			for _, want := range tt.logs {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs.String())
				}
			}
			tt.fix(idp)
			select {
			case <-v.ready:
			case <-time.After(10 * time.Second):
				t.Fatal("keys never became available")
			}
			if diff := cmp.Diff(ok, send(t, h, "GET", "/healthz", "", "")); diff != "" {
				t.Errorf("healthz after keys (-want +got):\n%s", diff)
			}
			tok := "Bearer " + jwttest.Mint(t, key, map[string]any{"iss": idp.Issuer(), "aud": "person-api"})
			if got := send(t, h, "POST", "/", tok, tutorialBody); got.Status != 200 {
				t.Errorf("provider's token after keys: %+v", got)
			}
		})
	}
}

// TestAlgorithmList: -alg is the JWKS allowlist, so a set that mixes RSA
// keys without "alg" with EC and Ed25519 keys can be served; skipped keys
// are logged with the reason.
func TestAlgorithmList(t *testing.T) {
	t.Parallel()
	rsa := jwttest.NewKey(t, "RS256").WithID("rsa")
	ec := jwttest.NewKey(t, "ES256").WithID("ec")
	ed := jwttest.NewKey(t, "EdDSA").WithID("ed")
	idp := jwttest.NewJWKSServer(t)
	rsaJWK := rsa.JWK()
	rsaJWK.Alg = "" // as some identity providers publish RSA keys
	idp.SetJWKs(rsaJWK, ec.JWK(), ed.JWK())
	token := func(k *jwttest.Key) string {
		return "Bearer " + jwttest.Mint(t, k, map[string]any{"iss": idp.Issuer(), "aud": "person-api"})
	}
	tests := []struct {
		alg     string // "" for no -alg
		want    map[string]int
		skipped []string
	}{
		{"RS256,ES256,EdDSA", map[string]int{"rsa": 200, "ec": 200, "ed": 200}, nil},
		{" RS256 , EdDSA ", map[string]int{"rsa": 200, "ec": 401, "ed": 200}, []string{"index=1 kid=ec"}},
		{"", map[string]int{"rsa": 401, "ec": 200, "ed": 200}, []string{"index=0 kid=rsa"}},
		{"ES256", map[string]int{"rsa": 401, "ec": 200, "ed": 401}, []string{"index=0 kid=rsa", "index=2 kid=ed"}},
	}
	for _, tt := range tests {
		t.Run("alg="+tt.alg, func(t *testing.T) {
			t.Parallel()
			args := []string{"-jwks", idp.URL(), "-issuer", idp.Issuer(), "-audience", "person-api"}
			if tt.alg != "" {
				args = append(args, "-alg", tt.alg)
			}
			var logs syncBuffer
			h, _ := build(t, parse(t, nil, args...), slog.New(slog.NewTextHandler(&logs, nil)))
			got := map[string]int{}
			for kid, k := range map[string]*jwttest.Key{"rsa": rsa, "ec": ec, "ed": ed} {
				got[kid] = send(t, h, "POST", "/", token(k), tutorialBody).Status
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("status per key (-want +got):\n%s", diff)
			}
			var skipped []string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `level=WARN msg="JWKS key skipped"`) {
					if !strings.Contains(l, " reason=") {
						t.Errorf("skipped key without reason: %s", l)
					}
					i := strings.Index(l, "index=")
					// Each fetch reports its skipped keys; a token naming a
					// skipped kid may cause another fetch.
					if s := strings.Join(strings.Fields(l[i:])[:2], " "); !slices.Contains(skipped, s) {
						skipped = append(skipped, s)
					}
				}
			}
			if diff := cmp.Diff(tt.skipped, skipped); diff != "" {
				t.Errorf("skipped keys (-want +got):\n%s\nlog:\n%s", diff, logs.String())
			}
		})
	}
}

// TestRefusedRequestLog: every refused request is logged with method,
// path and the middleware's reason, never the token.
func TestRefusedRequestLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		method, path, au string
		want             string
	}{
		{"bad signature", "POST", "/", tutorialToken[:len(tutorialToken)-2] + "AA",
			`level=WARN msg="request refused" method=POST path=/ reason="jwtauth: invalid token: `},
		{"no token", "POST", "/", "",
			`level=WARN msg="request refused" method=POST path=/ reason="jwtauth: no token in request"`},
		{"missing scope", "GET", "/persons/1", tutorialToken,
			`level=WARN msg="request refused" method=GET path=/persons/1 reason="jwtauth: insufficient scope`},
		{"forged log line in the path", "GET", "/persons/%0Alevel=ERROR", tutorialToken + "x",
			`level=WARN msg="request refused" method=GET path="/persons/\nlevel=ERROR" reason="jwtauth: invalid token`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			h, _ := build(t, parse(t, nil), slog.New(slog.NewTextHandler(&logs, nil)))
			send(t, h, tt.method, tt.path, tt.au, tutorialBody)
			got := logs.String()
			if !strings.Contains(got, tt.want) {
				t.Errorf("log lacks %q:\n%s", tt.want, got)
			}
			if n := strings.Count(got, "\n"); n != 1 {
				t.Errorf("%d log lines, want 1:\n%s", n, got)
			}
			for _, part := range strings.Split(tutorialToken, ".") {
				if strings.Contains(got, part) {
					t.Errorf("log contains part of the token %q:\n%s", part, got)
				}
			}
		})
	}
}

func TestDPoPFlags(t *testing.T) {
	t.Parallel()
	nonceSecret := strings.Repeat("n", 32)
	jkt := jwttest.NewDPoPKey(t).Thumbprint()
	for _, tt := range []struct {
		name   string
		env    map[string]string
		args   []string
		mode   jwtauth.DPoPMode
		secret string // "" none, "random" any 32 bytes
	}{
		{name: "default", mode: jwtauth.DPoPAllowed},
		{name: "off", args: []string{"-dpop", "off"}, mode: jwtauth.DPoPDisabled},
		{name: "required", args: []string{"-dpop", "required"}, mode: jwtauth.DPoPRequired},
		{name: "nonce from the environment", env: map[string]string{"DPOP_NONCE_SECRET": nonceSecret}, args: []string{"-dpop-nonce"}, mode: jwtauth.DPoPAllowed, secret: nonceSecret},
		{name: "random nonce secret", args: []string{"-dpop", "required", "-dpop-nonce"}, mode: jwtauth.DPoPRequired, secret: "random"},
		{name: "mint bound", env: map[string]string{"JWT_SECRET": strictSecret}, args: []string{"-mint", "-dpop-jkt", jkt}, mode: jwtauth.DPoPAllowed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := parse(t, tt.env, tt.args...)
			secret := string(c.nonceSecret)
			if tt.secret == "random" && len(secret) == 32 {
				secret = "random"
			}
			if diff := cmp.Diff([]any{tt.mode, tt.secret}, []any{c.dpop, secret}); diff != "" {
				t.Errorf("[mode secret] (-want +got):\n%s", diff)
			}
		})
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown mode", nil, []string{"-dpop", "maybe"}, `-dpop "maybe": use off, allowed or required`},
		{"nonce without DPoP", nil, []string{"-dpop", "off", "-dpop-nonce"}, "-dpop-nonce needs DPoP: not with -dpop off"},
		{"public URL without DPoP", nil, []string{"-dpop", "off", "-dpop-public-url", "https://api.example"}, "-dpop-public-url needs DPoP: not with -dpop off"},
		{"short nonce secret", map[string]string{"DPOP_NONCE_SECRET": "short"}, []string{"-dpop-nonce"}, "DPOP_NONCE_SECRET must be at least 32 bytes"},
		{"jkt without mint", nil, []string{"-dpop-jkt", jkt}, "-dpop-jkt binds a minted token: it needs -mint"},
		{"bad jkt", map[string]string{"JWT_SECRET": strictSecret}, []string{"-mint", "-dpop-jkt", "abc"}, "-dpop-jkt: not an RFC 7638 SHA-256 thumbprint (43 base64url characters)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseFlags(tt.args, env(tt.env), io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v, want a usage error", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestDPoPFlow mints a bound token as -mint -dpop-jkt does and sends it
// to the server of each mode: never accepted without its proof.
func TestDPoPFlow(t *testing.T) {
	t.Parallel()
	dk := jwttest.NewDPoPKey(t)
	vars := map[string]string{"JWT_SECRET": strictSecret}
	c := parse(t, vars, "-mint", "-dpop-jkt", dk.Thumbprint())
	tok, err := mintToken(c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const url = "http://example.com/"
	for _, tt := range []struct {
		name  string
		args  []string
		vars  map[string]string
		auth  string
		proof bool
		want  int
	}{
		{"allowed, DPoP with proof", nil, vars, "DPoP " + tok, true, 200},
		{"allowed, DPoP without proof", nil, vars, "DPoP " + tok, false, 401},
		{"allowed, Bearer", nil, vars, "Bearer " + tok, true, 401},
		{"required, DPoP with proof", []string{"-dpop", "required"}, vars, "DPoP " + tok, true, 200},
		{"off, DPoP", []string{"-dpop", "off"}, vars, "DPoP " + tok, true, 401},
		{"nonce required", []string{"-dpop-nonce"}, vars, "DPoP " + tok, true, 401},
		{"demo mode, raw token", nil, nil, "", true, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, _ := server(t, tt.vars, tt.args...)
			token := tok
			if tt.vars == nil { // demo mode: the tutorial's key, the raw token
				var err error
				if token, err = mintToken(config{alg: "HS256", secret: []byte(demoSecret), sub: "u", ttl: time.Hour, dpopJKT: dk.Thumbprint()}, time.Now()); err != nil {
					t.Fatal(err)
				}
				tt.auth = token
			}
			req := httptest.NewRequest(http.MethodPost, url, strings.NewReader(tutorialBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", tt.auth)
			if tt.proof {
				req.Header.Set("DPoP", dk.Proof(t, http.MethodPost, url, token))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d; WWW-Authenticate %q", rec.Code, tt.want, rec.Header().Values("WWW-Authenticate"))
			}
		})
	}
}

// TestDPoPPublicURL: behind a proxy, proofs name the public URL that
// -dpop-public-url gives, not the address the server was reached at.
func TestDPoPPublicURL(t *testing.T) {
	t.Parallel()
	dk := jwttest.NewDPoPKey(t)
	vars := map[string]string{"JWT_SECRET": strictSecret}
	tok, err := mintToken(parse(t, vars, "-mint", "-dpop-jkt", dk.Thumbprint()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := server(t, vars, "-dpop-public-url", "https://api.example")
	for htu, want := range map[string]int{"https://api.example/": 200, "http://10.0.0.7:8000/": 401} {
		req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8000/", strings.NewReader(tutorialBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "DPoP "+tok)
		req.Header.Set("DPoP", dk.Proof(t, http.MethodPost, htu, tok))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("proof for %s: status %d, want %d", htu, rec.Code, want)
		}
	}
}
