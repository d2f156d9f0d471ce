package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
)

// browserResult is what testdata/docs_browser.mjs saw.
type browserResult struct {
	Title           string   `json:"title"`
	CSP             string   `json:"csp"` // the page's Content-Security-Policy header
	Operations      []string `json:"operations"`
	Authorize       bool     `json:"authorize"`
	SecuritySchemes []string `json:"securitySchemes"` // the Authorize dialog's headings
	// The OAuth2PasswordBearer form: its fields and scope checkboxes, the
	// error it showed for the wrong password, whether it showed
	// "Authorized" then (it must not) and after the right one.
	PasswordForm    []string                  `json:"passwordForm"`
	Scopes          []string                  `json:"scopes"`
	WrongPassword   string                    `json:"wrongPassword"`
	WrongAuthorized bool                      `json:"wrongAuthorized"`
	RightAuthorized bool                      `json:"rightAuthorized"`
	TryItOutStatus  string                    `json:"tryItOutStatus"`
	TryItOutBody    any                       `json:"tryItOutBody"`
	ConsoleErrors   []tooltest.ConsoleMessage `json:"consoleErrors"`
	PageErrors      []string                  `json:"pageErrors"`
	CSPViolations   []map[string]any          `json:"cspViolations"`
	FailedRequests  []string                  `json:"failedRequests"`
	Screenshot      string                    `json:"screenshot"`
	CSPProbe        *tooltest.CSPProbe        `json:"cspProbe"`
	Error           string                    `json:"error"`
	AppRequests     []string                  `json:"-"` // what the app answered, filled in by the test
	AssetRequests   []string                  `json:"-"` // and the asset server, sorted
}

// requestLog records "METHOD path status" of each request a server
// answers, with what a /token form held (the password only as right or
// wrong) and how the request carried credentials.
type requestLog struct {
	password string // the right one
	mu       sync.Mutex
	lines    []string
}

func (l *requestLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var form string
		if r.URL.Path == "/token" {
			b, _ := io.ReadAll(io.LimitReader(r.Body, maxFormBytes+1))
			r.Body = io.NopCloser(bytes.NewReader(b))
			form = l.describeForm(r.Header.Get("Content-Type"), b)
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		if r.URL.Path == jwksPath && !strings.Contains(r.UserAgent(), "Chrome") {
			// The server's own JWKS source, refreshing in the background
			// (max-age 60, the first time after 6 to 60 s): not the page's.
			return
		}
		line := r.Method + " " + r.URL.Path + " " + http.StatusText(rec.status)
		if form != "" {
			line += ", " + form
		}
		if a := describeAuthorization(r.Header.Get("Authorization")); a != "" {
			line += ", " + a
		}
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
	})
}

// describeForm lists a /token body's parameters in order, the password as
// (right) or (wrong).
func (l *requestLog) describeForm(contentType string, body []byte) string {
	var parts []string
	for kv := range strings.SplitSeq(string(body), "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if k == "password" {
			v = map[bool]string{true: "(right)", false: "(wrong)"}[v == l.password]
		}
		parts = append(parts, k+"="+v)
	}
	return contentType + " " + strings.Join(parts, "&")
}

// describeAuthorization says what an Authorization header held: an empty
// client's Basic credentials, or a bearer token's subject and scope (read
// unverified; the server verifies it).
func describeAuthorization(a string) string {
	switch {
	case a == "":
		return ""
	case strings.HasPrefix(a, "Basic "):
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(a, "Basic "))
		if err != nil {
			return "Authorization: Basic, not base64"
		}
		return "Authorization: Basic " + strconv.Quote(string(b))
	case strings.HasPrefix(a, "Bearer "):
		parts := strings.Split(strings.TrimPrefix(a, "Bearer "), ".")
		if len(parts) != 3 {
			return "Authorization: Bearer, not a JWS"
		}
		b, err := base64.RawURLEncoding.DecodeString(parts[1])
		var c struct{ Sub, Scope string }
		if err != nil || json.Unmarshal(b, &c) != nil {
			return "Authorization: Bearer, unreadable claims"
		}
		return "Authorization: Bearer, sub " + c.Sub + ", scope " + c.Scope
	default:
		scheme, _, _ := strings.Cut(a, " ")
		return "Authorization: " + scheme + " ..."
	}
}

func (l *requestLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// TestDocsBrowser opens /docs in headless Chromium, with Swagger UI's
// assets served from another origin (as from a CDN), and logs in through
// Swagger UI's Authorize dialog: the OAuth2PasswordBearer (password flow)
// form posts the username and password to /token itself, is refused with a
// wrong password (400 invalid_grant, an error in the dialog, not
// authorized), and keeps the access token of the right one, which "Try it
// out" then sends: POST /persons is 201 with the user as owner. No console
// error but Chromium's note of the 400, no page error, no CSP violation
// (a probe shows one would be seen). It saves a full-page screenshot, also
// into $JWTAUTH_SCREENSHOT_DIR when set.
func TestDocsBrowser(t *testing.T) {
	t.Parallel()
	node, modules := tooltest.NodeModules(t)
	chromium := tooltest.Chromium(t)
	dist := filepath.Join(modules, "swagger-ui-dist")
	if _, err := os.Stat(filepath.Join(dist, "swagger-ui-bundle.js")); err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery"

	// Under a directory, as on a CDN: the policy allows that directory only.
	var assetLog requestLog
	assetMux := http.NewServeMux()
	assetMux.Handle("/swagger-ui-dist/", http.StripPrefix("/swagger-ui-dist", http.FileServer(http.Dir(dist))))
	assets := httptest.NewServer(assetLog.wrap(assetMux))
	t.Cleanup(assets.Close)
	assetsBase := assets.URL + "/swagger-ui-dist/"

	ts := newServer(t, config{dbPath: filepath.Join(t.TempDir(), "accounts.db"), docsAssets: assetsBase})
	ts.addUser(t, "alice", password, "persons:read persons:write", "")
	alice, err := ts.app.db.userByName(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	// Log what the routes answer from now on (the server's JWKS fetch at
	// start is done): the handler the listener serves is the front, whose
	// routes are swapped atomically.
	f, ok := ts.srv.Handler.(*front)
	if !ok {
		t.Fatalf("the server's handler is a %T, not the front", ts.srv.Handler)
	}
	appLog := requestLog{password: password}
	f.set(appLog.wrap(*f.routes.Load()))

	// The policy the browser must obey names the assets' directory.
	resp, err := http.Get(ts.url + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src "+assetsBase+" ") || !strings.Contains(csp, "connect-src 'self';") {
		t.Fatalf("/docs CSP does not name the assets' directory %s and 'self': %q", assetsBase, csp)
	}

	person := `{"name":"Ada","gender":"f","age":36,"checked":true}`
	var got browserResult
	screenshot := tooltest.SwaggerUI(t, node, modules, chromium, "testdata/docs_browser.mjs", ts.url+"/docs", "accounts-docs.png",
		map[string]string{"scheme": "OAuth2PasswordBearer", "username": "alice", "password": password, "wrongPassword": "not " + password, "body": person}, &got)
	got.AppRequests = appLog.get()
	got.AssetRequests = assetLog.get()
	slices.Sort(got.AssetRequests)

	owner := strconv.FormatInt(alice.id, 10)
	want := browserResult{
		Title: "Accounts API - Swagger UI",
		CSP:   csp,
		// By tag, in the order the tags first appear (untagged ones under
		// "default"); within a tag by path, then method.
		Operations: []string{
			"GET /.well-known/jwks.json", "POST /logout-everywhere", "POST /token",
			"GET /healthz",
			"POST /persons", "DELETE /persons/{id}", "GET /persons/{id}", "PUT /persons/{id}",
		},
		Authorize: true,
		// A token from /token can also be pasted as a bearer token; DPoP is
		// allowed by default: Swagger UI lists the scheme but has no form for
		// it, since it cannot sign proofs.
		SecuritySchemes: []string{
			"OAuth2PasswordBearer (OAuth2, password)",
			"bearerAuth (http, Bearer)",
			"(no form) dpopAuth HTTP authentication: unsupported scheme 'dpop'Autho",
		},
		PasswordForm: []string{"oauth_username", "oauth_password", "password_type", "client_id_password", "client_secret_password"},
		Scopes:       []string{"persons:read", "persons:write"},
		// swagger-js's error for the 400, with the RFC 6749 error and
		// description from the body.
		WrongPassword:   "auth errorError: Bad Request, error: invalid_grant, description: Incorrect username or password",
		WrongAuthorized: false,
		RightAuthorized: true,
		TryItOutStatus:  "201",
		TryItOutBody:    map[string]any{"id": "1", "owner": owner, "person": js(t, person)},
		// Chromium logs every fetch answered 4xx; this one is the wrong
		// password's.
		ConsoleErrors: []tooltest.ConsoleMessage{{
			Text: "Failed to load resource: the server responded with a status of 400 (Bad Request)",
			URL:  ts.url + "/token",
		}},
		Screenshot: screenshot,
		CSPProbe:   &tooltest.CSPProbe{Violated: "img-src", Logged: true},
		AppRequests: []string{
			"GET /docs OK", // the test's own request, for the CSP
			"GET /docs OK",
			"GET /openapi.json OK",
			// Swagger UI's password flow: the form in the body, and an
			// empty client's credentials as Basic (its default client
			// credentials location), which /token ignores.
			`POST /token Bad Request, application/x-www-form-urlencoded grant_type=password&scope=persons:read persons:write&username=alice&password=(wrong), Authorization: Basic ":"`,
			`POST /token OK, application/x-www-form-urlencoded grant_type=password&scope=persons:read persons:write&username=alice&password=(right), Authorization: Basic ":"`,
			"POST /persons Created, Authorization: Bearer, sub " + owner + ", scope persons:read persons:write",
		},
		// The page loaded its two assets from the asset origin, and nothing
		// else.
		AssetRequests: []string{"GET /swagger-ui-dist/swagger-ui-bundle.js OK", "GET /swagger-ui-dist/swagger-ui.css OK"},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("what the browser and the servers saw (-want +got):\n%s", diff)
	}
}

// js decodes a JSON text.
func js(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}
