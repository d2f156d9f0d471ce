package jwtauth_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
)

func mounted(t *testing.T, title string, opts ...jwtauth.DocsOption) (*http.ServeMux, []byte) {
	t.Helper()
	api := jwtauth.NewAPI(jwtauth.Info{Title: title, Version: "1"})
	mux := http.NewServeMux()
	api.Handle(mux, "GET /x", mustHandle(t, getNothing))
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if err := api.Mount(mux, opts...); err != nil {
		t.Fatal(err)
	}
	return mux, doc
}

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestMountServesDocument(t *testing.T) {
	t.Parallel()
	mux, doc := mounted(t, "T")
	res := get(t, mux, "/openapi.json")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("GET /openapi.json: %d, headers %v", res.StatusCode, res.Header)
	}
	if diff := cmp.Diff(string(doc), string(body)); diff != "" {
		t.Errorf("served document differs from OpenAPI() (-want +got):\n%s", diff)
	}
	if res := get(t, mux, "/openapi.json/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /openapi.json/: %d, want 404", res.StatusCode)
	}
}

var scriptRE = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

func TestDocsPage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		opts       []jwtauth.DocsOption
		docs, spec string
		assets     string // as written in the page
		origin     string // the assets' CSP source
	}{
		{"defaults", nil, "/docs", "/openapi.json", jwtauth.DefaultSwaggerUIAssets, "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/"},
		{"self-hosted path", []jwtauth.DocsOption{jwtauth.WithSwaggerUIAssets("/static/swagger"), jwtauth.WithDocsPath("/api/docs"), jwtauth.WithOpenAPIPath("/api/openapi.json")},
			"/api/docs", "/api/openapi.json", "/static/swagger/", "'self'"},
		{"loopback http", []jwtauth.DocsOption{jwtauth.WithSwaggerUIAssets("http://127.0.0.1:9999/dist/")}, "/docs", "/openapi.json", "http://127.0.0.1:9999/dist/", "http://127.0.0.1:9999/dist/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mux, _ := mounted(t, `A <b>"title"</b>`, tc.opts...)
			res := get(t, mux, tc.docs)
			body, _ := io.ReadAll(res.Body)
			page := string(body)
			if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("GET %s: %d %v", tc.docs, res.StatusCode, res.Header)
			}
			css, bundle := `>`, `></script>`
			if tc.assets == jwtauth.DefaultSwaggerUIAssets {
				css = ` integrity="sha384-` // the hashes: TestDefaultAssetsIntegrity
				bundle = css
			}
			for _, want := range []string{
				`<link rel="stylesheet" href="` + tc.assets + `swagger-ui.css"` + css,
				`<script src="` + tc.assets + `swagger-ui-bundle.js"` + bundle,
				`<title>A &lt;b&gt;&#34;title&#34;&lt;/b&gt; - Swagger UI</title>`,
				`"url":"` + tc.spec + `"`,
			} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %s:\n%s", want, page)
				}
			}
			m := scriptRE.FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no inline script in %s", page)
			}
			sum := sha256.Sum256([]byte(m[1]))
			wantCSP := "default-src 'none'; script-src " + tc.origin + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'" +
				"; style-src " + tc.origin + "; font-src " + tc.origin + "; img-src " + tc.origin + " data:; connect-src 'self'" +
				"; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
			if diff := cmp.Diff(wantCSP, res.Header.Get("Content-Security-Policy")); diff != "" {
				t.Errorf("Content-Security-Policy (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDocsOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  jwtauth.DocsOption
		want string
	}{
		{"plain http", jwtauth.WithSwaggerUIAssets("http://cdn.example/"), "assets must come over https"},
		{"javascript URL", jwtauth.WithSwaggerUIAssets("javascript:alert(1)//"), "is not an https URL or an absolute path"},
		{"relative path", jwtauth.WithSwaggerUIAssets("static/"), "is not an https URL or an absolute path"},
		{"scheme-relative", jwtauth.WithSwaggerUIAssets("//cdn.example/"), "assets must come over https"},
		{"quote in path", jwtauth.WithSwaggerUIAssets(`/a"b/`), "is not a plain path"},
		{"wildcard host", jwtauth.WithSwaggerUIAssets("https://*/"), "is not an https URL"},
		{"semicolon in URL", jwtauth.WithSwaggerUIAssets("https://cdn.example/a;b/"), "is not an https URL"},
		{"query", jwtauth.WithSwaggerUIAssets("https://cdn.example/?v=1"), "is not an https URL"},
		{"docs path", jwtauth.WithDocsPath("docs"), "WithDocsPath"},
		{"openapi path with a wildcard", jwtauth.WithOpenAPIPath("/{x}"), "WithOpenAPIPath"},
		{"nil", nil, "nil DocsOption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI()
			err := api.Mount(http.NewServeMux(), tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Mount error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

var integrityRE = regexp.MustCompile(`<(?:script src|link rel="stylesheet" href)="[^"]*/(swagger-ui[^"]*)" integrity="(sha384-[^"]+)" crossorigin="anonymous"`)

// TestDefaultAssetsIntegrity checks the default page's Subresource
// Integrity against the files of the npm package swagger-ui-dist at the
// version DefaultSwaggerUIAssets names.
func TestDefaultAssetsIntegrity(t *testing.T) {
	_, modules := tooltest.NodeModules(t)
	dist := filepath.Join(modules, "swagger-ui-dist")
	pkg, err := os.ReadFile(filepath.Join(dist, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Version string }
	if err := json.Unmarshal(pkg, &meta); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(jwtauth.DefaultSwaggerUIAssets, "@"+meta.Version+"/") {
		t.Fatalf("DefaultSwaggerUIAssets %s is not the version in .ci/node (%s)", jwtauth.DefaultSwaggerUIAssets, meta.Version)
	}
	mux, _ := mounted(t, "T")
	page, _ := io.ReadAll(get(t, mux, "/docs").Body)
	got := map[string]string{}
	for _, m := range integrityRE.FindAllStringSubmatch(string(page), -1) {
		got[m[1]] = m[2]
	}
	want := map[string]string{}
	for _, f := range []string{"swagger-ui-bundle.js", "swagger-ui.css"} {
		b, err := os.ReadFile(filepath.Join(dist, f))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum384(b)
		want[f] = "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("integrity attributes (-want +got):\n%s", diff)
	}
}
