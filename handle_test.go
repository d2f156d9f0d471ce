package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tutorialBody = `{"name":"Foo","gender":"male","age":25.5,"checked":false}`

// reply is what a handler answers with, and what the tests expect back.
type reply struct {
	status int
	ctype  string
	body   string
}

// personHandler echoes the decoded Person.
func personHandler(t *testing.T, opts ...DecodeOption) http.Handler {
	t.Helper()
	h, err := Handle(func(_ context.Context, p Person) (Person, error) { return p, nil }, opts...)
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return h
}

// serve sends body with the given headers through h and returns the reply.
func serve(t *testing.T, h http.Handler, body io.Reader, length int64, hdr map[string]string) reply {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/person", body)
	r.ContentLength = length
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return reply{w.Code, w.Header().Get("Content-Type"), strings.TrimSpace(w.Body.String())}
}

// chunked hides the length of its reader (no Content-Length, like a chunked
// body).
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestHandlePersonGolden(t *testing.T) {
	t.Parallel()
	jsonCT := map[string]string{"Content-Type": "application/json"}
	deep := `{"name":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`
	big := `{"name":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `","gender":"m","age":1,"checked":true}`
	tests := []struct {
		name   string
		body   string
		hdr    map[string]string // nil: application/json
		length int64             // 0: len(body); -1: unknown (chunked)
		want   reply
	}{
		{name: "tutorial body", body: tutorialBody,
			want: reply{200, "application/json", `{"name":"Foo","gender":"male","age":25.5,"checked":false}`}},
		{name: "zero values are values", body: `{"name":"","gender":"","age":0,"checked":false}`,
			want: reply{200, "application/json", `{"name":"","gender":"","age":0,"checked":false}`}},
		{name: "missing fields and age x", body: `{"name":"Foo","age":"x"}`,
			want: reply{422, "application/json", `{"detail":[` +
				`{"type":"missing","loc":["body","gender"],"msg":"Field required"},` +
				`{"type":"float_parsing","loc":["body","age"],"msg":"Input should be a valid number, unable to parse string as a number"},` +
				`{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}`}},
		{name: "empty object", body: `{}`,
			want: reply{422, "application/json", `{"detail":[` +
				`{"type":"missing","loc":["body","name"],"msg":"Field required"},` +
				`{"type":"missing","loc":["body","gender"],"msg":"Field required"},` +
				`{"type":"missing","loc":["body","age"],"msg":"Field required"},` +
				`{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}`}},
		{name: "wrong types", body: `{"checked":"true","age":"25","gender":null,"name":1}`,
			want: reply{422, "application/json", `{"detail":[` +
				`{"type":"string_type","loc":["body","name"],"msg":"Input should be a valid string"},` +
				`{"type":"string_type","loc":["body","gender"],"msg":"Input should be a valid string"},` +
				`{"type":"float_type","loc":["body","age"],"msg":"Input should be a valid number"},` +
				`{"type":"bool_type","loc":["body","checked"],"msg":"Input should be a valid boolean"}]}`}},
		{name: "age out of range", body: `{"name":"Foo","gender":"male","age":-1,"checked":true}`,
			want: reply{422, "application/json", `{"detail":[{"type":"greater_than_equal","loc":["body","age"],"msg":"Input should be greater than or equal to 0","ctx":{"ge":0}}]}`}},
		{name: "age 1e400", body: `{"name":"Foo","gender":"male","age":1e400,"checked":true}`,
			want: reply{422, "application/json", `{"detail":[{"type":"finite_number","loc":["body","age"],"msg":"Input should be a finite number"}]}`}},
		{name: "unknown key", body: `{"name":"Foo","role":"admin","gender":"male","age":25.5,"checked":false}`,
			want: reply{422, "application/json", `{"detail":[{"type":"extra_forbidden","loc":["body","role"],"msg":"Extra inputs are not permitted"}]}`}},
		{name: "unknown key ignored", body: `{"name":"Foo","role":"admin","gender":"male","age":25.5,"checked":false}`,
			hdr:  map[string]string{"Content-Type": "application/json", "X-Opts": "ignore"},
			want: reply{200, "application/json", `{"name":"Foo","gender":"male","age":25.5,"checked":false}`}},
		{name: "case-variant key alone", body: `{"NAME":"Foo","gender":"male","age":25.5,"checked":false}`,
			want: reply{422, "application/json", `{"detail":[` +
				`{"type":"missing","loc":["body","name"],"msg":"Field required"},` +
				`{"type":"extra_forbidden","loc":["body","NAME"],"msg":"Extra inputs are not permitted"}]}`}},
		{name: "case-variant key", body: `{"NAME":"Bar","name":"Foo","gender":"male","age":25.5,"checked":false}`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body","name"],"msg":"JSON decode error","ctx":{"error":"object keys differ only in case"}}]}`}},
		{name: "duplicate key", body: `{"name":"Foo","gender":"male","age":25.5,"checked":false,"name":"Bar"}`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body","name"],"msg":"JSON decode error","ctx":{"error":"duplicate object key"}}]}`}},
		{name: "duplicate escaped key", body: `{"name":"Foo","na\u006de":"Bar"}`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body","name"],"msg":"JSON decode error","ctx":{"error":"duplicate object key"}}]}`}},
		{name: "empty body", body: ``,
			want: reply{422, "application/json", `{"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]}`}},
		{name: "null", body: `null`,
			want: reply{422, "application/json", `{"detail":[{"type":"missing","loc":["body"],"msg":"Field required"}]}`}},
		{name: "array", body: `[]`,
			want: reply{422, "application/json", `{"detail":[{"type":"model_attributes_type","loc":["body"],"msg":"Input should be a valid dictionary or object to extract fields from"}]}`}},
		{name: "trailing data", body: tutorialBody + ` x`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body",58],"msg":"JSON decode error","ctx":{"error":"data after the JSON value"}}]}`}},
		{name: "two objects", body: tutorialBody + `{}`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body",57],"msg":"JSON decode error","ctx":{"error":"data after the JSON value"}}]}`}},
		{name: "syntax error", body: `{"name":}`,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body",8],"msg":"JSON decode error","ctx":{"error":"syntax error"}}]}`}},
		{name: "invalid UTF-8", body: "{\"name\":\"F\xffo\",\"gender\":\"male\",\"age\":25.5,\"checked\":false}",
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body",10],"msg":"JSON decode error","ctx":{"error":"invalid UTF-8"}}]}`}},
		{name: "too deep", body: deep,
			want: reply{422, "application/json", `{"detail":[{"type":"json_invalid","loc":["body",39],"msg":"JSON decode error","ctx":{"error":"nesting too deep"}}]}`}},
		{name: "too large declared", body: big,
			want: reply{413, "application/json", `{"detail":"Request body too large"}`}},
		{name: "too large chunked", body: big, length: -1,
			want: reply{413, "application/json", `{"detail":"Request body too large"}`}},
		{name: "text/plain", body: tutorialBody, hdr: map[string]string{"Content-Type": "text/plain"},
			want: reply{415, "application/json", `{"detail":"Unsupported media type: use Content-Type: application/json"}`}},
		{name: "no content type", body: tutorialBody, hdr: map[string]string{},
			want: reply{415, "application/json", `{"detail":"Unsupported media type: use Content-Type: application/json"}`}},
		{name: "charset latin1", body: tutorialBody, hdr: map[string]string{"Content-Type": "application/json; charset=latin1"},
			want: reply{415, "application/json", `{"detail":"Unsupported media type: use Content-Type: application/json"}`}},
		{name: "json suffix type", body: tutorialBody, hdr: map[string]string{"Content-Type": "application/merge-patch+json"},
			want: reply{415, "application/json", `{"detail":"Unsupported media type: use Content-Type: application/json"}`}},
		{name: "gzip", body: tutorialBody, hdr: map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"},
			want: reply{415, "application/json", `{"detail":"Unsupported Content-Encoding: use identity"}`}},
		{name: "charset utf-8 and case", body: tutorialBody, hdr: map[string]string{"Content-Type": "Application/JSON; Charset=\"UTF-8\"", "Content-Encoding": "identity"},
			want: reply{200, "application/json", `{"name":"Foo","gender":"male","age":25.5,"checked":false}`}},
	}
	plain, ignoring := personHandler(t), personHandler(t, WithIgnoreUnknownFields())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			hdr := tc.hdr
			if hdr == nil {
				hdr = jsonCT
			}
			h := plain
			if hdr["X-Opts"] == "ignore" {
				h = ignoring
			}
			var body io.Reader = strings.NewReader(tc.body)
			length := int64(len(tc.body))
			if tc.length < 0 {
				body, length = chunked{body}, -1
			}
			got := serve(t, h, body, length, hdr)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(reply{})); diff != "" {
				t.Errorf("reply mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandleResponses(t *testing.T) {
	t.Parallel()
	created, err := Handle(func(ctx context.Context, p Person) (Response[Person], error) {
		r, _ := RequestFrom(ctx)
		return Response[Person]{Status: 201, Header: http.Header{"Location": {"/people/" + r.PathValue("group") + "/" + p.Name}}, Body: p}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	del, err := Handle(func(ctx context.Context, _ NoInput) (Response[NoInput], error) {
		r, _ := RequestFrom(ctx)
		if r.PathValue("id") == "404" {
			return Response[NoInput]{}, &HTTPError{Status: 404, Detail: "Person not found", Header: http.Header{"X-Reason": {"gone"}}}
		}
		if r.PathValue("id") == "500" {
			return Response[NoInput]{}, errors.New("database password is hunter2")
		}
		return Response[NoInput]{Status: 204}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /people/{group}", created)
	mux.Handle("DELETE /people/{id}", del)
	tests := []struct {
		name, method, path, body string
		want                     reply
		wantHeader               http.Header
	}{
		{"created with location", "POST", "/people/g1", tutorialBody,
			reply{201, "application/json", tutorialBody}, http.Header{"Location": {"/people/g1/Foo"}, "Content-Type": {"application/json"}}},
		{"no content", "DELETE", "/people/1", "", reply{204, "", ""}, http.Header{}},
		{"http error", "DELETE", "/people/404", "", reply{404, "application/json", `{"detail":"Person not found"}`},
			http.Header{"X-Reason": {"gone"}, "Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}},
		{"other error is 500 without details", "DELETE", "/people/500", "", reply{500, "application/json", `{"detail":"Internal Server Error"}`},
			http.Header{"Cache-Control": {"no-store"}, "Content-Type": {"application/json"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			got := reply{w.Code, w.Header().Get("Content-Type"), strings.TrimSpace(w.Body.String())}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(reply{})); diff != "" {
				t.Errorf("reply mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantHeader, w.Header()); diff != "" {
				t.Errorf("header mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRequestOutsideHandler(t *testing.T) {
	t.Parallel()
	if r, ok := RequestFrom(context.Background()); ok || r != nil {
		t.Errorf("RequestFrom(Background) = %v, %v; want nil, false", r, ok)
	}
}

// TestHandleHeadersAndBodies: a Response's own headers are kept (the
// Content-Type included), 204 and 304 carry no Content-Type and no body, and
// every body ends with a newline, as the middleware's do.
func TestHandleHeadersAndBodies(t *testing.T) {
	t.Parallel()
	h, err := Handle(func(ctx context.Context, _ NoInput) (Response[any], error) {
		r, _ := RequestFrom(ctx)
		switch r.URL.Path {
		case "/geo":
			return Response[any]{Header: http.Header{"Content-Type": {"application/geo+json"}}, Body: map[string]string{"type": "Point"}}, nil
		case "/204":
			return Response[any]{Status: 204, Body: map[string]string{"ignored": "x"}}, nil
		case "/cached":
			return Response[any]{Header: http.Header{"Cache-Control": {"max-age=60"}}, Body: 1}, nil
		case "/cached404":
			return Response[any]{}, &HTTPError{Status: 404, Detail: "Not found", Header: http.Header{"Cache-Control": {"public, max-age=60"}}}
		case "/204ct":
			return Response[any]{Status: 204, Header: http.Header{"Content-Type": {"application/json"}}}, nil
		case "/304":
			return Response[any]{Status: 304, Header: http.Header{"Etag": {`"v1"`}}}, nil
		case "/404":
			return Response[any]{}, &HTTPError{Status: 404, Detail: "Not found"}
		case "/problem":
			return Response[any]{}, &HTTPError{Status: 409, Detail: "Conflict", Header: http.Header{"Content-Type": {"application/problem+json"}}}
		case "/unencodable":
			return Response[any]{Header: http.Header{"Location": {"/x"}}, Body: math.NaN()}, nil
		case "/500":
			return Response[any]{}, errors.New("boom")
		}
		return Response[any]{Body: []int{1}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p := personHandler(t, WithMaxBodyBytes(10))
	tests := []struct {
		name       string
		h          http.Handler
		path, body string
		ctype      string
		wantStatus int
		wantHeader http.Header
		wantBody   string
	}{
		{"200", h, "/", "", "", 200, http.Header{"Content-Type": {"application/json"}}, "[1]\n"},
		{"handler's Content-Type kept", h, "/geo", "", "", 200, http.Header{"Content-Type": {"application/geo+json"}}, `{"type":"Point"}` + "\n"},
		{"204", h, "/204", "", "", 204, http.Header{}, ""},
		{"204 with a Content-Type header", h, "/204ct", "", "", 204, http.Header{}, ""},
		{"the handler's Cache-Control on a success", h, "/cached", "", "", 200, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"max-age=60"}}, "1\n"},
		{"the handler's Cache-Control on an HTTPError", h, "/cached404", "", "", 404, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"public, max-age=60"}}, `{"detail":"Not found"}` + "\n"},
		{"an outer handler's Content-Type is replaced", h, "/", "", "outer:text/html; charset=utf-8", 200, http.Header{"Content-Type": {"application/json"}}, "[1]\n"},
		{"an outer handler's Content-Type and the handler's: one value", h, "/geo", "", "outer:text/html", 200, http.Header{"Content-Type": {"application/geo+json"}}, `{"type":"Point"}` + "\n"},
		{"an outer Content-Type on an HTTPError", h, "/404", "", "outer:text/html", 404, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Not found"}` + "\n"},
		{"an outer Content-Type on a 204", h, "/204", "", "outer:text/html", 204, http.Header{}, ""},
		{"304", h, "/304", "", "", 304, http.Header{"Etag": {`"v1"`}}, ""},
		{"HTTPError", h, "/404", "", "", 404, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Not found"}` + "\n"},
		{"HTTPError's Content-Type kept", h, "/problem", "", "", 409, http.Header{"Content-Type": {"application/problem+json"}, "Cache-Control": {"no-store"}}, `{"detail":"Conflict"}` + "\n"},
		{"unencodable result is a plain 500", h, "/unencodable", "", "", 500,
			http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Internal Server Error"}` + "\n"},
		{"500", h, "/500", "", "", 500,
			http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Internal Server Error"}` + "\n"},
		{"422", p, "/", "{}", "application/json", 422, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
			`{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required"},{"type":"missing","loc":["body","gender"],"msg":"Field required"},` +
				`{"type":"missing","loc":["body","age"],"msg":"Field required"},{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}` + "\n"},
		{"413", p, "/", tutorialBody, "application/json", 413, http.Header{"Content-Type": {"application/json"}, "Connection": {"close"}, "Cache-Control": {"no-store"}},
			`{"detail":"Request body too large"}` + "\n"},
		{"415", p, "/", "{}", "text/plain", 415, http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}},
			`{"detail":"Unsupported media type: use Content-Type: application/json"}` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(tc.body))
			w := httptest.NewRecorder()
			if outer, ok := strings.CutPrefix(tc.ctype, "outer:"); ok {
				w.Header().Set("Content-Type", outer) // as a middleware in front might
			} else if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			tc.h.ServeHTTP(w, r)
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.wantHeader, w.Header()); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantBody, w.Body.String()); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandlerErrorObserver: every error a Handle handler answers with
// reaches the observer, with the request, before the response is written.
func TestHandlerErrorObserver(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	notFound := &HTTPError{Status: 404, Detail: "Not found"}
	type seen struct {
		path string
		err  error
	}
	var mu sync.Mutex
	var got []seen
	observe := func(r *http.Request, err error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{r.URL.Path, err})
	}
	h, err := Handle(func(ctx context.Context, p Person) (Response[any], error) {
		switch p.Name {
		case "boom":
			return Response[any]{}, boom
		case "404":
			return Response[any]{}, notFound
		case "nan":
			return Response[any]{Body: math.NaN()}, nil
		}
		return Response[any]{Body: p}, nil
	}, WithHandlerErrorObserver(observe))
	if err != nil {
		t.Fatal(err)
	}
	person := func(name string) string {
		return `{"name":"` + name + `","gender":"g","age":1,"checked":true}`
	}
	tests := []struct {
		name, body string
		ctype      string
		check      func(error) bool // nil: not observed
	}{
		{"success is not observed", person("ok"), "application/json", nil},
		{"500", person("boom"), "application/json", func(err error) bool { return err == boom }},
		{"HTTPError", person("404"), "application/json", func(err error) bool { return err == notFound }},
		{"unencodable result", person("nan"), "application/json", func(err error) bool {
			var uve *json.UnsupportedValueError
			return errors.As(err, &uve)
		}},
		{"422", `{}`, "application/json", func(err error) bool { var ve *ValidationError; return errors.As(err, &ve) }},
		{"415", person("ok"), "text/plain", func(err error) bool { return errors.Is(err, ErrUnsupportedMediaType) }},
	}
	for _, tc := range tests {
		got = nil
		r := httptest.NewRequest(http.MethodPost, "/"+url.PathEscape(tc.name), strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.ctype)
		h.ServeHTTP(httptest.NewRecorder(), r)
		switch {
		case tc.check == nil && len(got) != 0:
			t.Errorf("%s: observed %v, want nothing", tc.name, got)
		case tc.check != nil && (len(got) != 1 || got[0].path != r.URL.Path || !tc.check(got[0].err)):
			t.Errorf("%s: observed %v, want one error for /%s", tc.name, got, tc.name)
		}
	}
	if _, err := Handle(func(context.Context, NoInput) (NoInput, error) { return NoInput{}, nil }, WithHandlerErrorObserver(nil)); err == nil {
		t.Error("Handle with WithHandlerErrorObserver(nil) succeeded, want an error")
	}
}
