package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

var update = flag.Bool("update", false, "rewrite testdata/openapi.json from the example's document")

// fetch returns the body of GET path, which must answer 200 without a token.
func fetch(t *testing.T, h http.Handler, path string) (*http.Response, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s without a token: %d %s", path, res.StatusCode, body)
	}
	return res, body
}

// TestOpenAPIGolden compares the document of the example with JWT_SECRET
// (HS256, bearer tokens) with testdata/openapi.json; go test -run
// TestOpenAPIGolden -update rewrites it.
func TestOpenAPIGolden(t *testing.T) {
	h, _ := server(t, map[string]string{"JWT_SECRET": strictSecret})
	_, doc := fetch(t, h, "/openapi.json")
	const golden = "testdata/openapi.json"
	if *update {
		if err := os.WriteFile(golden, doc, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -run TestOpenAPIGolden -update writes it)", err)
	}
	if diff := cmp.Diff(string(want), string(doc)); diff != "" {
		t.Errorf("the document differs from %s (-want +got); if the change is meant, rerun with -update:\n%s", golden, diff)
	}
}

// TestOpenAPIValid validates the example's documents, in demo mode, with
// JWT_SECRET and with a JWKS source, with a real OpenAPI 3.1 validator.
func TestOpenAPIValid(t *testing.T) {
	node, modules := tooltest.NodeModules(t)
	jwks := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256"))
	configs := []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"demo", nil, nil},
		{"JWT_SECRET", map[string]string{"JWT_SECRET": strictSecret}, nil},
		{"JWKS", nil, []string{"-jwks", jwks.URL(), "-issuer", jwks.Issuer(), "-audience", "person-api"}},
	}
	var docs []json.RawMessage
	for _, c := range configs {
		h, _ := server(t, c.vars, c.args...)
		_, doc := fetch(t, h, "/openapi.json")
		docs = append(docs, doc)
	}
	// A copy whose info has no title, which OpenAPI 3.1 requires: the
	// validator must refuse it, or it proves nothing.
	broken := strings.Replace(string(docs[1]), `"title": "Person API"`, `"x-title": "Person API"`, 1)
	if broken == string(docs[1]) {
		t.Fatal("no title to remove")
	}
	docs = append(docs, json.RawMessage(broken))
	in, err := json.Marshal(docs)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/openapi_validate.mjs", modules)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var got []struct {
		Valid   bool            `json:"valid"`
		Version string          `json:"version"`
		Errors  json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(configs)+1 {
		t.Fatalf("validator answer %s: %v", out, err)
	}
	for i, c := range configs {
		if !got[i].Valid || got[i].Version != "3.1" {
			t.Errorf("%s: valid %v, version %q, errors %s", c.name, got[i].Valid, got[i].Version, got[i].Errors)
		}
	}
	if got[len(configs)].Valid {
		t.Error("the validator accepted a document without info.title")
	}
}

// TestDocsPublic checks that /docs needs no token and loads Swagger UI from
// -docs-assets, which its Content-Security-Policy allows.
func TestDocsPublic(t *testing.T) {
	h, _ := server(t, map[string]string{"JWT_SECRET": strictSecret}, "-docs-assets", "http://127.0.0.1:9000/swagger-ui/")
	res, page := fetch(t, h, "/docs")
	if !strings.Contains(string(page), `<script src="http://127.0.0.1:9000/swagger-ui/swagger-ui-bundle.js">`) {
		t.Errorf("the page does not load the bundle from -docs-assets:\n%s", page)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src http://127.0.0.1:9000/swagger-ui/ 'sha256-") {
		t.Errorf("Content-Security-Policy %q does not allow the asset origin", csp)
	}
}
