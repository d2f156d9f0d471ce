package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// The tutorial's curl: raw token, key "secret", payload {"hello":"world"}.
const (
	tutorialToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJoZWxsbyI6IndvcmxkIn0.bqxXg9VwcbXKoiWtp-osd0WKPX307RjcN7EuXbdq-CE"
	tutorialBody  = `{"name": "Foo","gender": "male","age": 25.5,"checked": false}`
	strictSecret  = "a-test-secret-that-is-32-bytes!!"
)

// server builds the example's handler for the given environment, as run
// would.
func server(t *testing.T, env map[string]string, args ...string) (http.Handler, config) {
	t.Helper()
	c, err := parseFlags(args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	mw, closeKeys, err := newMiddleware(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeKeys)
	h, err := newServer(mw, newStore())
	if err != nil {
		t.Fatal(err)
	}
	return h, c
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

	if _, _, err := newMiddleware(context.Background(), config{alg: "HS256", secret: []byte("short")}); err == nil {
		t.Error("a JWT_SECRET under 32 bytes was accepted")
	}
}

func TestPersons(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": strictSecret}
	h, c := server(t, env)
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
		{"get", "GET", "/persons/1", readOnly, "", reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": foo}}},
		{"get without token", "GET", "/persons/1", "", "", reply{Status: 401, Challenge: `Bearer realm="persons"`, Body: js(`{"detail":"Not authenticated"}`)}},
		{"get unknown", "GET", "/persons/99", readOnly, "", notFound},
		{"update by another user", "PUT", "/persons/1", bob, bar, forbidden("")},
		{"update without write scope", "PUT", "/persons/1", readOnly, bar, forbidden("persons:write")},
		{"update unknown", "PUT", "/persons/99", alice, bar, notFound},
		{"update invalid by owner", "PUT", "/persons/1", alice, `{"name":"Bar","gender":"female","age":"old","checked":true}`, reply{Status: 422, Body: js(`{"detail":[
			{"type":"float_parsing","loc":["body","age"],"msg":"Input should be a valid number, unable to parse string as a number"}]}`), BodyRead: true}},
		{"update by owner", "PUT", "/persons/1", alice, bar, reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": js(bar)}, BodyRead: true}},
		{"update by admin", "PUT", "/persons/1", admin, tutorialBody, reply{Status: 200, Body: map[string]any{"id": "1", "owner": "alice", "person": foo}, BodyRead: true}},
		{"delete by another user", "DELETE", "/persons/1", bob, "", forbidden("")},
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
	env := func(k string) string { return map[string]string{"JWT_SECRET": strictSecret}[k] }
	err := run(context.Background(), []string{"-mint", "-sub", "alice", "-scope", "persons:read", "-roles", "admin,ops", "-ttl", "10m"}, env, &out, io.Discard)
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
	noEnv := func(string) string { return "" }
	tests := map[string][]string{
		"unknown flag":          {"-nope"},
		"extra argument":        {"extra"},
		"RS256 without a key":   {"-alg", "RS256", "-addr", "127.0.0.1:0"},
		"missing key file":      {"-alg", "RS256", "-key", "/nonexistent.pem", "-addr", "127.0.0.1:0"},
		"mint with RS256":       {"-alg", "RS256", "-key", "x.pem", "-mint"},
		"unusable listen addr":  {"-addr", "256.0.0.1:-1"},
		"jwks and oidc":         {"-jwks", "http://127.0.0.1:1/jwks", "-oidc", "http://127.0.0.1:1", "-audience", "a", "-issuer", "i"},
		"jwks without issuer":   {"-jwks", "http://127.0.0.1:1/jwks", "-audience", "a", "-addr", "127.0.0.1:0"},
		"oidc without audience": {"-oidc", "http://127.0.0.1:1", "-addr", "127.0.0.1:0"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := run(context.Background(), args, noEnv, io.Discard, io.Discard); err == nil {
				t.Errorf("run(%q) succeeded", args)
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
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, io.Discard, &logs)
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
