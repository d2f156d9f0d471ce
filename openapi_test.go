package jwtauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
)

// document returns api's document, decoded.
func document(t *testing.T, api *jwtauth.API) map[string]any {
	t.Helper()
	b, err := api.OpenAPI()
	if err != nil {
		t.Fatalf("OpenAPI: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// at returns the value under keys in v, or nil.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// keysOf returns the sorted keys of the object v.
func keysOf(v any) []string {
	m, _ := v.(map[string]any)
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func mustHandle[In, Out any](t *testing.T, fn func(context.Context, In) (Out, error), opts ...jwtauth.DecodeOption) http.Handler {
	t.Helper()
	h, err := jwtauth.Handle(fn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newAPI() *jwtauth.API { return jwtauth.NewAPI(jwtauth.Info{Title: "Test", Version: "1.0.0"}) }

func getNothing(context.Context, jwtauth.NoInput) (jwtauth.NoContent, error) {
	return jwtauth.NoContent{}, nil
}

type created struct {
	ID string `json:"id"`
}

func TestAPIPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, path, id string
		params            []any
	}{
		{"GET /", "/", "get", nil},
		{"POST /{$}", "/", "post", nil},
		{"GET /persons/{id}", "/persons/{id}", "get_persons_id", []any{
			map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}},
		}},
		{"DELETE /a/{x}/b/{rest...}", "/a/{x}/b/{rest}", "delete_a_x_b_rest", []any{
			map[string]any{"name": "x", "in": "path", "required": true, "schema": map[string]any{"type": "string"}},
			map[string]any{"name": "rest", "in": "path", "required": true, "schema": map[string]any{"type": "string"},
				"description": "The rest of the path; it may hold slashes."},
		}},
		{"GET /files/", "/files/", "get_files", nil},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			t.Parallel()
			api := newAPI()
			api.Handle(http.NewServeMux(), tc.pattern, mustHandle(t, getNothing))
			doc := document(t, api)
			if diff := cmp.Diff([]string{tc.path}, keysOf(doc["paths"])); diff != "" {
				t.Fatalf("paths (-want +got):\n%s", diff)
			}
			method := strings.ToLower(strings.Fields(tc.pattern)[0])
			op := at(doc, "paths", tc.path, method)
			if diff := cmp.Diff(tc.id, at(op, "operationId")); diff != "" {
				t.Errorf("operationId (-want +got):\n%s", diff)
			}
			var params any
			if tc.params != nil {
				params = tc.params
			}
			if diff := cmp.Diff(params, at(op, "parameters")); diff != "" {
				t.Errorf("parameters (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	h := mustHandle(t, getNothing)
	tests := []struct {
		name    string
		info    jwtauth.Info
		pattern []string
		opts    []jwtauth.OperationOption
		want    string
		apiOpts []jwtauth.APIOption
	}{
		{"no method", jwtauth.Info{Title: "T", Version: "1"}, []string{"/x"}, nil, `API.Handle("/x"): the pattern needs a method`, nil},
		{"a host", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET example.com/x"}, nil, "patterns with a host are not supported", nil},
		{"no OpenAPI field", jwtauth.Info{Title: "T", Version: "1"}, []string{"CONNECT /x"}, nil, `OpenAPI has no field for method "CONNECT"`, nil},
		{"twice", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x", "GET /x"}, nil, "GET /x registered twice", nil},
		{"same operationId", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x", "GET /y"}, []jwtauth.OperationOption{jwtauth.WithOperationID("same")}, `operationId "same" is used by "GET /x" and "GET /y"`, nil},
		{"empty operationId", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x"}, []jwtauth.OperationOption{jwtauth.WithOperationID("")}, "WithOperationID: empty id", nil},
		{"bad status", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x"}, []jwtauth.OperationOption{jwtauth.WithResponse(99, "")}, "status 99 is not an HTTP status", nil},
		{"nil option", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x"}, []jwtauth.OperationOption{nil}, "nil OperationOption", nil},
		{"no title", jwtauth.Info{Version: "1"}, []string{"GET /x"}, nil, "Info needs a Title and a Version", nil},
		{"token URL elsewhere", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x"}, nil, "WithOAuth2Password",
			[]jwtauth.APIOption{jwtauth.WithOAuth2Password("https://elsewhere.example/token", nil)}},
		{"nil APIOption", jwtauth.Info{Title: "T", Version: "1"}, []string{"GET /x"}, nil, "nil APIOption", []jwtauth.APIOption{nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := jwtauth.NewAPI(tc.info, tc.apiOpts...)
			registered := 0
			mux := jwtauth.MuxFunc(func(string, http.Handler) { registered++ })
			for _, p := range tc.pattern {
				api.Handle(mux, p, h, tc.opts...)
			}
			if registered != len(tc.pattern) {
				t.Errorf("registered %d of %d routes on the mux", registered, len(tc.pattern))
			}
			_, err := api.OpenAPI()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenAPI error = %v, want one containing %q", err, tc.want)
			}
			if err := api.Mount(http.NewServeMux()); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Mount error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestAPIDeterministic registers the same operations in two orders and
// requires the same bytes.
func TestAPIDeterministic(t *testing.T) {
	t.Parallel()
	mw := strictHS256(t)
	type route struct {
		pattern string
		h       http.Handler
	}
	routes := []route{
		{"POST /persons", mw.Handler(mustHandle(t, func(_ context.Context, p jwtauth.Person) (jwtauth.Created[created], error) {
			return jwtauth.Created[created]{}, nil
		}))},
		{"GET /persons/{id}", mw.Handler(mw.Require(jwtauth.Scopes("r"))(mustHandle(t, func(context.Context, jwtauth.NoInput) (jwtauth.Person, error) { return jwtauth.Person{}, nil })))},
		{"DELETE /persons/{id}", mw.Handler(mustHandle(t, getNothing))},
		{"GET /healthz", http.NotFoundHandler()},
		{"PUT /rich", mustHandle(t, func(_ context.Context, r diffRich) (diffRich, error) { return r, nil })},
	}
	build := func(order []route) []byte {
		api := newAPI()
		for _, r := range order {
			api.Handle(http.NewServeMux(), r.pattern, r.h)
		}
		b, err := api.OpenAPI()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := build(routes)
	reversed := slices.Clone(routes)
	slices.Reverse(reversed)
	if diff := cmp.Diff(string(first), string(build(reversed))); diff != "" {
		t.Errorf("the document depends on the order of registration (-forward +reversed):\n%s", diff)
	}
	if diff := cmp.Diff(string(first), string(build(routes))); diff != "" {
		t.Errorf("two builds differ (-first +second):\n%s", diff)
	}
}

func TestAPIHandleAfterMount(t *testing.T) {
	t.Parallel()
	api := newAPI()
	mux := http.NewServeMux()
	api.Handle(mux, "GET /x", mustHandle(t, getNothing))
	if err := api.Mount(mux); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `API.Handle("GET /y") after API.Mount`) {
			t.Errorf("recovered %v, want the after-Mount panic", r)
		}
	}()
	api.Handle(mux, "GET /y", mustHandle(t, getNothing))
}

// opaque wraps a handler without saying so; unwrapping does.
type opaque struct{ next http.Handler }

func (o opaque) ServeHTTP(w http.ResponseWriter, r *http.Request) { o.next.ServeHTTP(w, r) }

type unwrapping struct{ opaque }

func (u unwrapping) Unwrap() http.Handler { return u.next }

func TestAPIWrapper(t *testing.T) {
	t.Parallel()
	mw := strictHS256(t)
	inner := mw.Require(jwtauth.RolesIn("roles", "admin", "ops"), jwtauth.Check(func(*jwt.RegisteredClaims) bool { return true }))(
		mustHandle(t, func(_ context.Context, p jwtauth.Person) (jwtauth.Person, error) { return p, nil }))
	tests := []struct {
		name    string
		handler http.Handler
		want    []string
		desc    any
	}{
		{"opaque", mw.Handler(opaque{inner}), []string{"200", "400", "401"}, nil},
		{"Wrapper", mw.Handler(unwrapping{opaque{inner}}), []string{"200", "400", "401", "403", "413", "415", "422"},
			`Requires roles "admin", "ops" in claim "roles"; a check of the claims.`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI()
			api.Handle(http.NewServeMux(), "POST /x", tc.handler)
			op := at(document(t, api), "paths", "/x", "post")
			if diff := cmp.Diff(tc.want, keysOf(at(op, "responses"))); diff != "" {
				t.Errorf("responses (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.desc, at(op, "description")); diff != "" {
				t.Errorf("description (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAPIRoutes checks that Handle registers the very handler on the mux,
// with the pattern as given, for a ServeMux and a MuxFunc.
func TestAPIRoutes(t *testing.T) {
	t.Parallel()
	api := newAPI()
	mux := http.NewServeMux()
	var got []string
	gorilla := jwtauth.MuxFunc(func(pattern string, h http.Handler) {
		method, path, _ := strings.Cut(pattern, " ")
		got = append(got, method+" "+path)
	})
	api.Handle(mux, "POST /persons", mustHandle(t, func(_ context.Context, p jwtauth.Person) (jwtauth.Person, error) { return p, nil }))
	api.Handle(gorilla, "GET /persons/{id}", mustHandle(t, getNothing))
	if diff := cmp.Diff([]string{"GET /persons/{id}"}, got); diff != "" {
		t.Errorf("MuxFunc calls (-want +got):\n%s", diff)
	}
	rec := doRequest(mux, http.MethodPost, "/persons", `{"name":"a","gender":"b","age":1,"checked":true}`)
	if rec.Code != http.StatusOK {
		t.Errorf("POST /persons on the mux: %d %s", rec.Code, rec.Body)
	}
	if diff := cmp.Diff([]string{"/persons", "/persons/{id}"}, keysOf(document(t, api)["paths"])); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func doRequest(h http.Handler, method, target, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// TestAPIDocumentErrors: documents OpenAPI forbids, or that would depend on
// the order of registration, are errors.
func TestAPIDocumentErrors(t *testing.T) {
	t.Parallel()
	type item struct {
		A int `json:"a"`
	}
	first := mustHandle(t, func(_ context.Context, in item) (jwtauth.NoContent, error) { return jwtauth.NoContent{}, nil })
	second := func() http.Handler {
		type item struct {
			B string `json:"b"`
		}
		return mustHandle(t, func(_ context.Context, in item) (jwtauth.NoContent, error) { return jwtauth.NoContent{}, nil })
	}()
	var loop loopWrapper
	loop.self = &loop
	tests := []struct {
		name string
		reg  func(*jwtauth.API, *http.ServeMux)
		want string
	}{
		{"paths differing only in parameter names", func(a *jwtauth.API, m *http.ServeMux) {
			a.Handle(m, "GET /a/{x}", mustHandle(t, getNothing))
			a.Handle(m, "POST /a/{y}", mustHandle(t, getNothing))
		}, "paths /a/{x} and /a/{y} differ only in parameter names"},
		{"two types of one name", func(a *jwtauth.API, m *http.ServeMux) {
			a.Handle(m, "POST /a", first)
			a.Handle(m, "POST /b", second)
		}, `two types are named "item"`},
		{"WithResponse on a documented status", func(a *jwtauth.API, m *http.ServeMux) {
			a.Handle(m, "GET /a", mustHandle(t, getNothing), jwtauth.WithResponse(204, "mine"))
		}, "WithResponse(204): the status is already documented"},
		{"WithResponse twice", func(a *jwtauth.API, m *http.ServeMux) {
			a.Handle(m, "GET /a", mustHandle(t, getNothing), jwtauth.WithResponse(404, ""), jwtauth.WithResponse(404, ""))
		}, "WithResponse(404): the status is already documented"},
		{"a Wrapper loop", func(a *jwtauth.API, m *http.ServeMux) {
			a.Handle(m, "GET /a", &loop)
		}, "more than 64 handlers in the chain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI()
			tc.reg(api, http.NewServeMux())
			if _, err := api.OpenAPI(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("OpenAPI error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// loopWrapper unwraps to itself.
type loopWrapper struct{ self *loopWrapper }

func (l *loopWrapper) ServeHTTP(http.ResponseWriter, *http.Request) {}
func (l *loopWrapper) Unwrap() http.Handler                         { return l.self }
