package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
)

// browserResult is what testdata/docs_browser.mjs saw.
type browserResult struct {
	Title              string                    `json:"title"`
	CSP                string                    `json:"csp"` // the page's Content-Security-Policy header
	Operations         []string                  `json:"operations"`
	Authorize          bool                      `json:"authorize"`
	SecuritySchemes    []string                  `json:"securitySchemes"` // the Authorize dialog's headings
	UnauthorizedStatus string                    `json:"unauthorizedStatus"`
	TryItOutStatus     string                    `json:"tryItOutStatus"`
	TryItOutBody       any                       `json:"tryItOutBody"`
	ConsoleErrors      []tooltest.ConsoleMessage `json:"consoleErrors"`
	PageErrors         []string                  `json:"pageErrors"`
	CSPViolations      []map[string]any          `json:"cspViolations"`
	FailedRequests     []string                  `json:"failedRequests"`
	Screenshot         string                    `json:"screenshot"`
	CSPProbe           *tooltest.CSPProbe        `json:"cspProbe"`
	Error              string                    `json:"error"`
}

// requestLog records "METHOD path status" of each request a server
// answers, and how it carried the token.
type requestLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *requestLog) wrap(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		line := r.Method + " " + r.URL.Path + " " + http.StatusText(rec.status)
		switch a := r.Header.Get("Authorization"); {
		case a == "":
		case token != "" && a == token:
			line += ", the token as is"
		case token != "" && a == "Bearer "+token:
			line += ", Bearer and the token"
		default:
			line += ", another Authorization"
		}
		l.mu.Lock()
		l.lines = append(l.lines, line)
		l.mu.Unlock()
	})
}

func (l *requestLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.lines)
}

// TestDocsBrowser opens the example's /docs in headless Chromium, with
// Swagger UI's assets served from another origin (as from a CDN, the CSP's
// asset origin for real), and checks that the page renders every operation
// and the Authorize button with no console error and no CSP violation,
// and that "Try it out" reaches the server through the CSP: POST /persons
// is 401 without a token and 201 once authorized with one, sent as the
// document's security scheme says (the token as is for demo mode's apiKey
// scheme, after "Bearer " for JWT_SECRET's http bearer scheme). It saves a
// full-page screenshot, also into $JWTAUTH_SCREENSHOT_DIR when set.
func TestDocsBrowser(t *testing.T) {
	t.Parallel()
	node, modules := tooltest.NodeModules(t)
	chromium := tooltest.Chromium(t)
	dist := filepath.Join(modules, "swagger-ui-dist")
	if _, err := os.Stat(filepath.Join(dist, "swagger-ui-bundle.js")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    map[string]string
		scheme string // the Authorize dialog's heading
		sent   string // how the token reached the server
	}{
		{"demo", nil, "authorizationHeader (apiKey)", "the token as is"},
		{"JWT_SECRET", map[string]string{"JWT_SECRET": strictSecret}, "bearerAuth (http, Bearer)", "Bearer and the token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var assetLog requestLog
			// Under a directory, as on a CDN: the policy allows that
			// directory only.
			assetMux := http.NewServeMux()
			assetMux.Handle("/swagger-ui-dist/", http.StripPrefix("/swagger-ui-dist", http.FileServer(http.Dir(dist))))
			assets := httptest.NewServer(assetLog.wrap("", assetMux))
			assetsBase := assets.URL + "/swagger-ui-dist/"
			t.Cleanup(assets.Close)
			c := parse(t, tt.env)
			c.sub, c.scope = "ada-owner", "persons:write"
			token, err := mintToken(c, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			v, err := newMiddleware(context.Background(), c, discardLog)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(v.close)
			h, err := newServer(v.mw, newStore(), v.ready, assetsBase)
			if err != nil {
				t.Fatal(err)
			}
			var appLog requestLog
			app := httptest.NewServer(appLog.wrap(token, h))
			t.Cleanup(app.Close)

			// The policy the browser must obey names the other origin.
			resp, err := http.Get(app.URL + "/docs")
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
			screenshot := tooltest.SwaggerUI(t, node, modules, chromium, "testdata/docs_browser.mjs", app.URL+"/docs", "docs-"+tt.name+".png",
				map[string]string{"token": token, "body": person}, &got)

			want := browserResult{
				Title: "Person API - Swagger UI",
				CSP:   csp,
				// Untagged first, under "default"; in the document's order,
				// by path, then method.
				Operations: []string{
					"POST /", "GET /healthz",
					"POST /persons", "DELETE /persons/{id}", "GET /persons/{id}", "PUT /persons/{id}",
				},
				Authorize: true,
				// DPoP is allowed by default: Swagger UI lists the scheme but
				// has no form for it, since it cannot sign proofs.
				SecuritySchemes:    []string{tt.scheme, "(no form) dpopAuth HTTP authentication: unsupported scheme 'dpop'Autho"},
				UnauthorizedStatus: "401",
				TryItOutStatus:     "201",
				TryItOutBody:       map[string]any{"id": "1", "owner": "ada-owner", "person": js(person)},
				// Chromium logs every fetch answered 4xx; this one is the
				// point of the first "Try it out".
				ConsoleErrors: []tooltest.ConsoleMessage{{
					Text: "Failed to load resource: the server responded with a status of 401 (Unauthorized)",
					URL:  app.URL + "/persons",
				}},
				Screenshot: screenshot,
				CSPProbe:   &tooltest.CSPProbe{Violated: "img-src", Logged: true},
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("what the browser saw (-want +got):\n%s", diff)
			}
			wantApp := []string{
				"GET /docs OK", // the test's own request, for the CSP
				"GET /docs OK",
				"GET /openapi.json OK",
				"POST /persons Unauthorized",
				"POST /persons Created, " + tt.sent,
			}
			if diff := cmp.Diff(wantApp, appLog.get()); diff != "" {
				t.Errorf("requests the app answered (-want +got):\n%s", diff)
			}
			// The page loaded its two assets from the asset origin, and
			// nothing else.
			gotAssets := assetLog.get()
			slices.Sort(gotAssets)
			wantAssets := []string{"GET /swagger-ui-dist/swagger-ui-bundle.js OK", "GET /swagger-ui-dist/swagger-ui.css OK"}
			if diff := cmp.Diff(wantAssets, gotAssets); diff != "" {
				t.Errorf("requests the asset server answered (-want +got):\n%s", diff)
			}
		})
	}
}
