package main

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOpenAPI(t *testing.T) {
	ts := newServer(t, config{dbPath: t.TempDir() + "/a.db"})
	r := ts.do(t, "GET", "/openapi.json", "", "")
	if r.status != 200 {
		t.Fatalf("/openapi.json: %d", r.status)
	}
	var doc struct {
		Paths      map[string]map[string]map[string]any
		Components struct {
			SecuritySchemes map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatal(err)
	}
	password := map[string]any{"tokenUrl": "/token", "scopes": map[string]any{"persons:read": scopes["persons:read"], "persons:write": scopes["persons:write"]}}
	if diff := cmp.Diff(map[string]any{"type": "oauth2", "flows": map[string]any{"password": password}}, doc.Components.SecuritySchemes["OAuth2PasswordBearer"]); diff != "" {
		t.Errorf("OAuth2PasswordBearer (-want +got):\n%s", diff)
	}
	var ops []string
	for path, methods := range doc.Paths {
		for m := range methods {
			ops = append(ops, m+" "+path)
		}
	}
	for _, want := range []string{"post /token", "get /.well-known/jwks.json", "post /logout-everywhere", "post /persons", "get /persons/{id}", "put /persons/{id}", "delete /persons/{id}"} {
		if !slices.Contains(ops, want) {
			t.Errorf("no operation %s in %v", want, ops)
		}
	}
	tok := doc.Paths["/token"]["post"]
	responses, _ := tok["responses"].(map[string]any)
	for _, code := range []string{"200", "400", "413", "415", "429"} {
		if _, ok := responses[code]; !ok {
			t.Errorf("/token documents no %s", code)
		}
	}
	if tok["description"] == nil || tok["summary"] == nil {
		t.Error("/token has no summary or description")
	}
	if r := ts.do(t, "GET", "/docs", "", ""); r.status != 200 {
		t.Errorf("/docs: %d", r.status)
	}
}
