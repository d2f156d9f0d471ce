package jwtauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestDecodeTooLargeReadsNothingOrLittle(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte(" "), 3000)
	tests := []struct {
		name     string
		length   int64
		wantRead int
	}{
		{name: "declared", length: 3000, wantRead: 0},
		{name: "chunked", length: -1, wantRead: 1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cr := &countingReader{r: bytes.NewReader(body)}
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(cr))
			r.ContentLength = tc.length
			r.Header.Set("Content-Type", "application/json")
			_, err := Decode[Person](r, WithMaxBodyBytes(1000))
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("Decode error = %v, want ErrBodyTooLarge", err)
			}
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("Decode error %#v, want *RequestError with 413", err)
			}
			if cr.n > tc.wantRead+4096 || (tc.wantRead == 0 && cr.n != 0) {
				t.Errorf("read %d bytes, want about %d", cr.n, tc.wantRead)
			}
		})
	}
}

// Nested types for paths and rules.
type item struct {
	SKU   string  `json:"sku" validate:"required,minlen=3,maxlen=5"`
	Price float64 `json:"price" validate:"required,min=0"`
	Qty   int8    `json:"qty,omitempty" validate:"min=1"`
}

type order struct {
	ID       uint32            `json:"id" validate:"required"`
	Items    []item            `json:"items" validate:"required,minlen=1"`
	Stock    map[string]item   `json:"stock"`
	Kind     string            `json:"kind,omitempty" validate:"oneof=a b c"`
	Level    int               `json:"level,omitempty" validate:"oneof=1 2"`
	Note     *string           `json:"note"`
	Must     *string           `json:"must" validate:"required"`
	Raw      json.RawMessage   `json:"raw"`
	Any      any               `json:"any"`
	Blob     []byte            `json:"blob"`
	Ignored  string            `json:"-"`
	Labels   map[string]string `json:"labels" validate:"maxlen=1"`
	Embedded                   // promoted fields
}

type Embedded struct {
	Extra string `json:"extra"`
}

func TestDecodeBytesNested(t *testing.T) {
	t.Parallel()
	note, must := "n", "m"
	tests := []struct {
		name    string
		in      string
		want    order
		wantErr []FieldError
	}{
		{
			name: "valid",
			in: `{"id":7,"items":[{"sku":"abc","price":0,"qty":2}],"stock":{"x":{"sku":"xyz","price":1.5}},` +
				`"kind":"b","level":2,"note":"n","must":"m","raw":{"a": [1]},"any":[1,"x"],"blob":"AQI=","labels":{"k":"v"},"extra":"e"}`,
			want: order{ID: 7, Items: []item{{"abc", 0, 2}}, Stock: map[string]item{"x": {"xyz", 1.5, 0}},
				Kind: "b", Level: 2, Note: &note, Must: &must, Raw: json.RawMessage(`{"a": [1]}`), Any: []any{1.0, "x"},
				Blob: []byte{1, 2}, Labels: map[string]string{"k": "v"}, Embedded: Embedded{Extra: "e"}},
		},
		{
			name: "every error at once",
			in: `{"id":-1,"items":[{"sku":"ab","price":-1,"qty":0},{"sku":"abcdef","qty":1.5},{"price":"x","sku":"abc","qty":300}],` +
				`"stock":{"k\"1":{"sku":1,"price":1}},"kind":"d","level":3,"must":null,"blob":"!","labels":{"a":"1","b":2}}`,
			wantErr: []FieldError{
				{Type: "greater_than_equal", Loc: []any{"body", "id"}, Msg: "Input should be greater than or equal to 0", Ctx: map[string]any{"ge": 0}},
				{Type: "string_too_short", Loc: []any{"body", "items", 0, "sku"}, Msg: "String should have at least 3 characters", Ctx: map[string]any{"min_length": 3}},
				{Type: "greater_than_equal", Loc: []any{"body", "items", 0, "price"}, Msg: "Input should be greater than or equal to 0", Ctx: map[string]any{"ge": 0.0}},
				{Type: "greater_than_equal", Loc: []any{"body", "items", 0, "qty"}, Msg: "Input should be greater than or equal to 1", Ctx: map[string]any{"ge": 1.0}},
				{Type: "string_too_long", Loc: []any{"body", "items", 1, "sku"}, Msg: "String should have at most 5 characters", Ctx: map[string]any{"max_length": 5}},
				{Type: "missing", Loc: []any{"body", "items", 1, "price"}, Msg: "Field required"},
				{Type: "int_from_float", Loc: []any{"body", "items", 1, "qty"}, Msg: "Input should be a valid integer, got a number with a fractional part"},
				{Type: "float_parsing", Loc: []any{"body", "items", 2, "price"}, Msg: "Input should be a valid number, unable to parse string as a number"},
				{Type: "less_than_equal", Loc: []any{"body", "items", 2, "qty"}, Msg: "Input should be less than or equal to 127", Ctx: map[string]any{"le": int64(127)}},
				{Type: "string_type", Loc: []any{"body", "stock", `k"1`, "sku"}, Msg: "Input should be a valid string"},
				{Type: "literal_error", Loc: []any{"body", "kind"}, Msg: "Input should be 'a', 'b' or 'c'", Ctx: map[string]any{"expected": "'a', 'b' or 'c'"}},
				{Type: "literal_error", Loc: []any{"body", "level"}, Msg: "Input should be 1 or 2", Ctx: map[string]any{"expected": "1 or 2"}},
				{Type: "string_type", Loc: []any{"body", "must"}, Msg: "Input should be a valid string"},
				{Type: "bytes_invalid_encoding", Loc: []any{"body", "blob"}, Msg: "Data should be valid base64"},
				{Type: "string_type", Loc: []any{"body", "labels", "b"}, Msg: "Input should be a valid string"},
				{Type: "too_long", Loc: []any{"body", "labels"}, Msg: "Dictionary should have at most 1 item after validation, not 2",
					Ctx: map[string]any{"field_type": "Dictionary", "max_length": 1, "actual_length": 2}},
			},
		},
		{
			name: "wrong container types",
			in:   `{"id":1,"items":{},"stock":[],"must":"m","labels":"x"}`,
			wantErr: []FieldError{
				{Type: "list_type", Loc: []any{"body", "items"}, Msg: "Input should be a valid list"},
				{Type: "dict_type", Loc: []any{"body", "stock"}, Msg: "Input should be a valid dictionary"},
				{Type: "dict_type", Loc: []any{"body", "labels"}, Msg: "Input should be a valid dictionary"},
			},
		},
		{
			name: "empty list too short",
			in:   `{"id":1,"items":[],"must":"m"}`,
			wantErr: []FieldError{
				{Type: "too_short", Loc: []any{"body", "items"}, Msg: "List should have at least 1 item after validation, not 0",
					Ctx: map[string]any{"field_type": "List", "min_length": 1, "actual_length": 0}},
			},
		},
		{
			name: "duplicate map key",
			in:   `{"id":1,"items":[{"sku":"abc","price":1}],"must":"m","stock":{"a":{},"a":{}}}`,
			wantErr: []FieldError{
				{Type: "json_invalid", Loc: []any{"body", "stock", "a"}, Msg: "JSON decode error", Ctx: map[string]any{"error": "duplicate object key"}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeBytes[order]([]byte(tc.in))
			var gotErr []FieldError
			if err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("DecodeBytes error %T %v, want *ValidationError", err, err)
				}
				gotErr = ve.Errors
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type ints struct {
	I   int    `json:"i"`
	I8  int8   `json:"i8"`
	U   uint   `json:"u"`
	U8  uint8s `json:"u8"`
	I64 int64  `json:"i64"`
}

type uint8s uint8

func TestDecodeIntegers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ints
		wantErr []FieldError
	}{
		{name: "exact", in: `{"i":-5,"i8":-128,"u":18446744073709551615,"u8":255,"i64":-9223372036854775808}`,
			want: ints{I: -5, I8: -128, U: 1<<64 - 1, U8: 255, I64: -1 << 63}},
		{name: "integral floats", in: `{"i":1e2,"i8":-0.0,"u":25.0}`, want: ints{I: 100, U: 25}},
		{name: "out of range", in: `{"i8":-129,"u":-1,"u8":256,"i64":9223372036854775808,"i":1e30}`,
			wantErr: []FieldError{
				{Type: "less_than_equal", Loc: []any{"body", "i"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}},
				{Type: "greater_than_equal", Loc: []any{"body", "i8"}, Msg: "Input should be greater than or equal to -128", Ctx: map[string]any{"ge": int64(-128)}},
				{Type: "greater_than_equal", Loc: []any{"body", "u"}, Msg: "Input should be greater than or equal to 0", Ctx: map[string]any{"ge": 0}},
				{Type: "less_than_equal", Loc: []any{"body", "u8"}, Msg: "Input should be less than or equal to 255", Ctx: map[string]any{"le": uint64(255)}},
				{Type: "less_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}},
			}},
		{name: "not integers", in: `{"i":"x","i8":"5","u":true,"u8":0.5}`,
			wantErr: []FieldError{
				{Type: "int_parsing", Loc: []any{"body", "i"}, Msg: "Input should be a valid integer, unable to parse string as an integer"},
				{Type: "int_type", Loc: []any{"body", "i8"}, Msg: "Input should be a valid integer"},
				{Type: "int_type", Loc: []any{"body", "u"}, Msg: "Input should be a valid integer"},
				{Type: "int_from_float", Loc: []any{"body", "u8"}, Msg: "Input should be a valid integer, got a number with a fractional part"},
			}},
	}
	fromFloat := func(field string) FieldError {
		return FieldError{Type: "int_from_float", Loc: []any{"body", field}, Msg: "Input should be a valid integer, got a number with a fractional part"}
	}
	leMax := FieldError{Type: "less_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}}
	geMin := FieldError{Type: "greater_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be greater than or equal to -9223372036854775808", Ctx: map[string]any{"ge": int64(-9223372036854775808)}}
	// The decimal text decides, exactly: never rounded through float64.
	exact := []struct {
		lit     string
		want    int64
		wantErr *FieldError
	}{
		{lit: "1e-400", wantErr: ptr(fromFloat("i64"))},
		{lit: "-1e-400", wantErr: ptr(fromFloat("i64"))},
		{lit: "1.00000000000000000001", wantErr: ptr(fromFloat("i64"))},
		{lit: "0.99999999999999999999", wantErr: ptr(fromFloat("i64"))},
		{lit: "9007199254740993.5", wantErr: ptr(fromFloat("i64"))},
		{lit: "1e400", wantErr: &leMax},
		{lit: "-1e400", wantErr: &geMin},
		{lit: "1e99999999999999999999", wantErr: &leMax},
		{lit: "1e-99999999999999999999", wantErr: ptr(fromFloat("i64"))},
		{lit: "12345678901234567890", wantErr: &leMax},
		{lit: "9223372036854775807.0", want: math.MaxInt64},
		{lit: "9223372036854775807.5", wantErr: ptr(fromFloat("i64"))},
		{lit: "9223372036854775808.0", wantErr: &leMax},
		{lit: "-9223372036854775808e0", want: math.MinInt64},
		{lit: "922337203685477580.7e1", want: math.MaxInt64},
		{lit: "9007199254740993e0", want: 9007199254740993}, // not a float64
		{lit: "-0", want: 0},
		{lit: "0.0", want: 0},
		{lit: "-0.0e-5", want: 0},
		{lit: "0e400", want: 0},
		{lit: "1E+2", want: 100},
		{lit: "1.0", want: 1},
		{lit: "1e2", want: 100},
		{lit: "1500e-3", wantErr: ptr(fromFloat("i64"))},
		{lit: "1500e-2", want: 15},
		{lit: "0.000123e6", want: 123},
	}
	for _, e := range exact {
		tc := struct {
			name    string
			in      string
			want    ints
			wantErr []FieldError
		}{name: "i64 " + e.lit, in: `{"i64":` + e.lit + `}`, want: ints{I64: e.want}}
		if e.wantErr != nil {
			tc.want, tc.wantErr = ints{}, []FieldError{*e.wantErr}
		}
		tests = append(tests, tc)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeBytes[ints]([]byte(tc.in))
			gotErr := fieldErrors(t, err)
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// span validates itself: Start <= End, naming the field.
type span struct {
	Start int `json:"start" validate:"required"`
	End   int `json:"end" validate:"required"`
}

func (s *span) Validate() error {
	if s.Start > s.End {
		return &ValidationError{Errors: []FieldError{{Type: "value_error", Loc: []any{"end"}, Msg: "Value error, end before start"}}}
	}
	return nil
}

type spans struct {
	Spans []span `json:"spans"`
	Named named  `json:"named"`
}

type named struct {
	N string `json:"n"`
}

func (n named) Validate() error {
	if n.N == "bad" {
		return errors.New("n must not be bad")
	}
	return nil
}

func TestDecodeValidateMethod(t *testing.T) {
	t.Parallel()
	_, err := DecodeBytes[spans]([]byte(`{"spans":[{"start":1,"end":2},{"start":3,"end":2},{"start":"x","end":1}],"named":{"n":"bad"}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("DecodeBytes error %v, want *ValidationError", err)
	}
	want := []FieldError{
		{Type: "value_error", Loc: []any{"body", "spans", 1, "end"}, Msg: "Value error, end before start"},
		{Type: "int_parsing", Loc: []any{"body", "spans", 2, "start"}, Msg: "Input should be a valid integer, unable to parse string as an integer"},
		{Type: "value_error", Loc: []any{"body", "named"}, Msg: "Value error, n must not be bad", Ctx: map[string]any{"error": "n must not be bad"}},
	}
	if diff := cmp.Diff(want, ve.Errors); diff != "" {
		t.Errorf("errors mismatch (-want +got):\n%s", diff)
	}
}

type (
	badRule struct {
		A int `validate:"requird"`
	}
	minOnString struct {
		A string `validate:"min=1"`
	}
	badMin struct {
		A int `validate:"min=x"`
	}
	minOverMax struct {
		A int `validate:"min=5,max=1"`
	}
	twice struct {
		A int `validate:"min=1,min=2"`
	}
	stringOpt struct {
		A int `json:"a,string"`
	}
	sameName struct {
		A int `json:"B"`
		B int
	}
	chanField struct{ C chan int }
	intKeys   struct{ M map[int]int }
)

func TestTagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		decode func() error
		want   string
	}{
		{"unknown rule", func() error { _, err := DecodeBytes[badRule](nil); return err }, `jwtauth: jwtauth.badRule.A: unknown validate rule "requird"`},
		{"min on string", func() error { _, err := DecodeBytes[minOnString](nil); return err }, `jwtauth: jwtauth.minOnString.A: validate "min=1": min and max are for numbers; use minlen and maxlen for strings, slices and maps`},
		{"bad number", func() error { _, err := DecodeBytes[badMin](nil); return err }, `jwtauth: jwtauth.badMin.A: validate "min=x": not a finite number`},
		{"min over max", func() error { _, err := DecodeBytes[minOverMax](nil); return err }, `jwtauth: jwtauth.minOverMax.A: validate: min is greater than max`},
		{"rule twice", func() error { _, err := DecodeBytes[twice](nil); return err }, `jwtauth: jwtauth.twice.A: validate rule "min" given twice`},
		{"string option", func() error { _, err := DecodeBytes[stringOpt](nil); return err }, `jwtauth: jwtauth.stringOpt.A: json tag option "string" is not supported`},
		{"same JSON name", func() error { _, err := DecodeBytes[sameName](nil); return err }, `jwtauth: jwtauth.sameName.B: JSON name "B" is also used by field A`},
		{"channel", func() error { _, err := DecodeBytes[chanField](nil); return err }, `jwtauth: cannot decode into chan int: unsupported kind chan`},
		{"int keys", func() error { _, err := DecodeBytes[intKeys](nil); return err }, `jwtauth: cannot decode into map[int]int: map keys must be strings`},
		{"Handle", func() error {
			_, err := Handle(func(context.Context, badRule) (NoBody, error) { return NoBody{}, nil })
			return err
		}, `jwtauth: jwtauth.badRule.A: unknown validate rule "requird"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.decode()
			var te *TagError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want *TagError", err)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
			if again := tc.decode(); again != err {
				t.Errorf("second call returned %p, want the cached error %p", again, err)
			}
		})
	}
}

func TestHandleResponses(t *testing.T) {
	t.Parallel()
	created, err := Handle(func(ctx context.Context, p Person) (Response[Person], error) {
		r, _ := Request(ctx)
		return Response[Person]{Status: 201, Header: http.Header{"Location": {"/people/" + r.PathValue("group") + "/" + p.Name}}, Body: p}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	del, err := Handle(func(ctx context.Context, _ NoBody) (Response[NoBody], error) {
		r, _ := Request(ctx)
		if r.PathValue("id") == "404" {
			return Response[NoBody]{}, &HTTPError{Status: 404, Detail: "Person not found", Header: http.Header{"X-Reason": {"gone"}}}
		}
		if r.PathValue("id") == "500" {
			return Response[NoBody]{}, errors.New("database password is hunter2")
		}
		return Response[NoBody]{Status: 204}, nil
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
			http.Header{"X-Reason": {"gone"}, "Content-Type": {"application/json"}}},
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
	if r, ok := Request(context.Background()); ok || r != nil {
		t.Errorf("Request(Background) = %v, %v; want nil, false", r, ok)
	}
}

func TestValidationErrorMessageBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + strings.Repeat("k", 1000) + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	_, err := DecodeBytes[Person]([]byte(b.String()))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want *ValidationError", err)
	}
	if len(ve.Errors) != MaxFieldErrors {
		t.Errorf("%d errors, want the cap %d", len(ve.Errors), MaxFieldErrors)
	}
	if n := len(err.Error()); n > 1000 {
		t.Errorf("Error() is %d bytes, want a bounded message", n)
	}
	if n := len(ve.Errors[0].Loc[1].(string)); n > maxLocKey+len("…") {
		t.Errorf("loc key is %d bytes, want at most %d", n, maxLocKey+3)
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	t.Parallel()
	type fresh struct {
		A int `json:"a" validate:"required"`
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := DecodeBytes[fresh]([]byte(`{"a":1}`)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func FuzzDecodePerson(f *testing.F) {
	for _, s := range []string{
		tutorialBody, `{"name":"Foo","age":"x"}`, `{}`, `null`, `[]`, ``, `{"name":"\u00e9\ud83d\ude00","gender":"","age":0,"checked":true}`,
		`{"name":"a","gender":"b","age":1e2,"checked":true,"x":1}`, `{"age":-0.0,"name":"<&>","gender":"\u2028","checked":false}`,
		`{"a\nINFO forged":1}`, "{\"\u2028\x7f\":1}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeBytes[Person](data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Errors) == 0 {
				t.Fatalf("error %T %v, want *ValidationError with errors", err, err)
			}
			if msg := err.Error(); hasControl(msg) {
				t.Fatalf("Error() = %q holds a control character", msg)
			}
			return
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", p, err)
		}
		p2, err := DecodeBytes[Person](again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		if diff := cmp.Diff(p, p2); diff != "" {
			t.Errorf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

func FuzzDecodeOrder(f *testing.F) {
	f.Add([]byte(`{"id":7,"items":[{"sku":"abc","price":0,"qty":2}],"stock":{"x":{"sku":"xyz","price":1.5}},"kind":"b","level":2,"must":"m","blob":"AQI=","labels":{"k":"v"},"extra":"e"}`))
	f.Add([]byte(`{"id":-1,"items":[{"sku":"ab","price":-1,"qty":0}],"stock":{"k\"1":{"sku":1}},"must":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := DecodeBytes[order](data)
		if err != nil {
			if msg := err.Error(); hasControl(msg) {
				t.Fatalf("Error() = %q holds a control character", msg)
			}
			return
		}
		o.Raw, o.Any = nil, nil // kept or re-decoded by encoding/json: not ours to compare
		again, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		o2, err := DecodeBytes[order](again)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", again, err)
		}
		o2.Raw, o2.Any = nil, nil
		if diff := cmp.Diff(o, o2); diff != "" {
			t.Errorf("round trip mismatch (-first +second):\n%s", diff)
		}
	})
}

// FuzzDecodeInteger checks the integer decoder against math/big's exact
// rationals: a number is accepted iff it is an integer in int64's range,
// with its exact value.
func FuzzDecodeInteger(f *testing.F) {
	for _, s := range []string{"0", "-0", "1e2", "1.5", "1e-400", "1.00000000000000000001", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "1E+2", "0.0e7", "12345678901234567890", "1500e-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		lit = strings.TrimSpace(lit)
		if !json.Valid([]byte(lit)) || len(lit) > 64 || !strings.ContainsAny(lit[:1], "-0123456789") {
			return
		}
		if e := strings.IndexAny(lit, "eE"); e >= 0 && len(strings.TrimLeft(lit[e+1:], "+-0")) > 3 {
			return // big.Rat would build 10^exp
		}
		want, ok := new(big.Rat).SetString(lit)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", lit)
		}
		got, err := DecodeBytes[int64]([]byte(lit))
		fits := want.IsInt() && want.Num().IsInt64()
		if fits != (err == nil) {
			t.Fatalf("DecodeBytes[int64](%s) = %d, %v; exact value %s", lit, got, err, want.RatString())
		}
		if fits && got != want.Num().Int64() {
			t.Fatalf("DecodeBytes[int64](%s) = %d, want %s", lit, got, want.RatString())
		}
		if !want.IsInt() {
			if fe := fieldErrors(t, err); len(fe) != 1 || fe[0].Type != "int_from_float" {
				t.Fatalf("DecodeBytes[int64](%s): %v, want int_from_float", lit, err)
			}
		}
	})
}

// BenchmarkDecodePerson compares Decode from bytes (decode + validate) with
// json.Unmarshal into the same struct (no presence or rule checks).
func BenchmarkDecodePerson(b *testing.B) {
	body := []byte(tutorialBody)
	b.Run("impl=jsonUnmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Person
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=jwtauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeBytes[Person](body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandlePerson serves the tutorial body through one shared handler
// from parallel goroutines, next to a handler without decoding.
func BenchmarkHandlePerson(b *testing.B) {
	body := []byte(tutorialBody)
	typed, err := Handle(func(_ context.Context, p Person) (NoBody, error) { return NoBody{}, nil })
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"impl=none", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		})},
		{"impl=jwtauth", typed},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				rd := bytes.NewReader(body)
				r := httptest.NewRequest(http.MethodPost, "/", rd)
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				for pb.Next() {
					rd.Reset(body)
					w.Body.Reset()
					bc.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}

// TestReadLimitedNeverGrowsPastTheLimit: a chunked body far over the limit
// is refused after reading at most limit+1 bytes, with a buffer no larger.
func TestReadLimitedNeverGrowsPastTheLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	src := &countingReader{r: strings.NewReader(strings.Repeat("x", 100_000))}
	buf, err := readLimited(src, limit)
	if !errors.Is(err, ErrBodyTooLarge) || buf != nil {
		t.Fatalf("readLimited = %v, %v; want ErrBodyTooLarge", buf, err)
	}
	if src.n > limit+1 {
		t.Errorf("read %d bytes, want at most %d", src.n, limit+1)
	}
}

// email is a non-struct type with its own Validate method.
type email string

func (e *email) Validate() error {
	if !strings.Contains(string(*e), "@") {
		return errors.New("not an email address")
	}
	return nil
}

type emailList []email

func (l *emailList) Validate() error {
	if len(*l) > 2 {
		return FieldError{Type: "too_long", Msg: "at most 2 addresses"}
	}
	return nil
}

type contact struct {
	Email  email     `json:"email"`
	Others emailList `json:"others"`
}

// TestValidateNonStructTypes: Validate methods of strings and slices run,
// wherever the value sits.
func TestValidateNonStructTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []FieldError
	}{
		{"valid", `{"email":"a@b","others":["c@d"]}`, nil},
		{"bad field", `{"email":"nope","others":[]}`, []FieldError{
			{Type: "value_error", Loc: []any{"body", "email"}, Msg: "Value error, not an email address", Ctx: map[string]any{"error": "not an email address"}}}},
		{"bad element", `{"email":"a@b","others":["x"]}`, []FieldError{
			{Type: "value_error", Loc: []any{"body", "others", 0}, Msg: "Value error, not an email address", Ctx: map[string]any{"error": "not an email address"}}}},
		{"slice rule", `{"email":"a@b","others":["a@b","c@d","e@f"]}`, []FieldError{
			{Type: "too_long", Loc: []any{"body", "others"}, Msg: "at most 2 addresses"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[contact]([]byte(tt.body))
			got := fieldErrors(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := DecodeBytes[email]([]byte(`"nope"`)); err == nil {
		t.Error("a top-level email without @ was accepted")
	}
}

// cappedInner has a Validate method that must not run on a value that
// failed to decode, even when its failure is past MaxFieldErrors.
type cappedInner struct {
	In *int `json:"in" validate:"required"`
}

func (c *cappedInner) Validate() error {
	_ = *c.In // panics on a value that failed to decode
	return nil
}

type capped struct {
	Nums  []int       `json:"nums"`
	Inner cappedInner `json:"inner"`
}

func TestValidateNotCalledPastTheErrorCap(t *testing.T) {
	t.Parallel()
	nums := strings.TrimSuffix(strings.Repeat(`"x",`, MaxFieldErrors), ",")
	_, err := DecodeBytes[capped]([]byte(`{"nums":[` + nums + `],"inner":{"in":null}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != MaxFieldErrors {
		t.Fatalf("err = %v, want %d field errors", err, MaxFieldErrors)
	}
}

type laxTypes struct {
	B bool    `json:"b"`
	N int     `json:"n"`
	F float32 `json:"f" validate:"max=0.1"`
}

// TestLaxModeErrorTypes: input pydantic's lax mode would coerce is a type
// error (strict here); input it could not interpret is a parsing error, as
// FastAPI reports it. float32 bounds compare at float32 precision.
func TestLaxModeErrorTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, want string
	}{
		{`{"b":"true","n":1,"f":0}`, "bool_type"},
		{`{"b":1,"n":1,"f":0}`, "bool_type"},
		{`{"b":"x","n":1,"f":0}`, "bool_parsing"},
		{`{"b":2,"n":1,"f":0}`, "bool_parsing"},
		{`{"b":[],"n":1,"f":0}`, "bool_type"},
		{`{"b":true,"n":"15","f":0}`, "int_type"},
		{`{"b":true,"n":"1.5","f":0}`, "int_parsing"},
		{`{"b":true,"n":"x","f":0}`, "int_parsing"},
		{`{"b":true,"n":1,"f":0.1}`, ""},
		{`{"b":true,"n":1,"f":0.11}`, "less_than_equal"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[laxTypes]([]byte(tt.body))
			got := ""
			if fe := fieldErrors(t, err); len(fe) > 0 {
				got = fe[0].Type
			}
			if got != tt.want {
				t.Errorf("error type %q, want %q", got, tt.want)
			}
		})
	}
}

type textKey string

func (k *textKey) UnmarshalText(b []byte) error { *k = textKey(b); return nil }

func TestUnsupportedMapKeys(t *testing.T) {
	t.Parallel()
	_, err := DecodeBytes[map[textKey]int]([]byte(`{}`))
	var te *TagError
	if !errors.As(err, &te) {
		t.Errorf("err = %v, want a TagError", err)
	}
}

func TestHugeBodyLimit(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"a","gender":"b","age":1,"checked":true}`))
	r.Header.Set("Content-Type", "application/json")
	if _, err := Decode[Person](r, WithMaxBodyBytes(math.MaxInt64)); err != nil {
		t.Errorf("WithMaxBodyBytes(MaxInt64): %v", err)
	}
}

func TestBytesLength(t *testing.T) {
	t.Parallel()
	type blob struct {
		B []byte `json:"b" validate:"minlen=1,maxlen=2"`
	}
	tests := []struct {
		body string
		want []FieldError
	}{
		{`{"b":"AQI="}`, nil},
		{`{"b":"AQID"}`, []FieldError{{Type: "bytes_too_long", Loc: []any{"body", "b"}, Msg: "Data should have at most 2 bytes", Ctx: map[string]any{"max_length": 2}}}},
		{`{"b":""}`, []FieldError{{Type: "bytes_too_short", Loc: []any{"body", "b"}, Msg: "Data should have at least 1 byte", Ctx: map[string]any{"min_length": 1}}}},
	}
	for _, tt := range tests {
		_, err := DecodeBytes[blob]([]byte(tt.body))
		got := fieldErrors(t, err)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.body, diff)
		}
	}
}

// fieldErrors returns the field errors of a *ValidationError, nil for no
// error, and fails the test for any other error.
func fieldErrors(t *testing.T, err error) []FieldError {
	t.Helper()
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Errors
	}
	if err != nil {
		t.Fatalf("not a validation error: %v", err)
	}
	return nil
}

// trickle sends data and then, on the next Read, calls block (if any)
// before reporting the end of the body.
type trickle struct {
	data  []byte
	block func()
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.data) > 0 {
		n := copy(p, t.data)
		t.data = t.data[n:]
		return n, nil
	}
	if t.block != nil {
		t.block()
		t.block = nil
	}
	return 0, io.EOF
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestDeclaredLengthAllocatesNothing: memory follows the bytes a client
// sends, not the Content-Length it declares. Not parallel: it measures the
// process's allocations.
func TestDeclaredLengthAllocatesNothing(t *testing.T) {
	const declared = 64 << 20
	const budget = 64 << 10
	newRequest := func(rd io.Reader) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", rd)
		r.ContentLength = declared
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	t.Run("2-byte body", func(t *testing.T) {
		const calls = 4
		before := totalAlloc()
		for range calls {
			_, err := Decode[map[string]int](newRequest(&trickle{data: []byte("{}")}), WithMaxBodyBytes(128<<20))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
		}
		if got := (totalAlloc() - before) / calls; got > budget {
			t.Errorf("a 2-byte body declaring %d bytes allocated %d bytes per call, want at most %d", declared, got, budget)
		}
	})
	t.Run("blocked after 2 bytes", func(t *testing.T) {
		// The reader measures while it blocks, before the body ends: an
		// idle connection that declared 64 MiB must hold no megabytes.
		var before, during uint64
		rd := &trickle{data: []byte("{}"), block: func() { during = totalAlloc() }}
		r := newRequest(rd)
		before = totalAlloc()
		if _, err := Decode[map[string]int](r, WithMaxBodyBytes(128<<20)); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if got := during - before; got > budget {
			t.Errorf("%d bytes allocated before the blocked body ended, want at most %d", got, budget)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// Pointer types that point, through pointers only, back to themselves: no
// JSON value ends them.
type (
	selfPtr  *selfPtr
	cycleA   *cycleB
	cycleB   *cycleA
	intoLoop *selfPtr // not in the cycle itself, but reaches one
	holdsPtr struct {
		P selfPtr `json:"p" validate:"required"`
	}
	// selfSlice is fine: a slice of itself ends on finite input.
	selfSlice []selfSlice
)

// TestPointerCycleIsTagError: a pointer cycle is a TagError from Decode and
// Handle, never a stack overflow (or an endless loop over its rules).
func TestPointerCycleIsTagError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		decode func() error
	}{
		{"type P *P", func() error { _, err := DecodeBytes[selfPtr]([]byte(`1`)); return err }},
		{"two-type cycle", func() error { _, err := DecodeBytes[cycleA]([]byte(`1`)); return err }},
		{"pointer into a cycle", func() error { _, err := DecodeBytes[intoLoop]([]byte(`1`)); return err }},
		{"field with rules", func() error { _, err := DecodeBytes[holdsPtr]([]byte(`{"p":1}`)); return err }},
		{"Decode", func() error {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`1`))
			r.Header.Set("Content-Type", "application/json")
			_, err := Decode[cycleB](r)
			return err
		}},
		{"Handle", func() error {
			_, err := Handle(func(context.Context, holdsPtr) (NoBody, error) { return NoBody{}, nil })
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.decode()
			var te *TagError
			if !errors.As(err, &te) {
				t.Fatalf("error %v, want *TagError", err)
			}
			if !strings.Contains(err.Error(), "pointer cycle") {
				t.Errorf("error %q, want it to name the pointer cycle", err)
			}
		})
	}
	got, err := DecodeBytes[selfSlice]([]byte(`[[],[[]]]`))
	if diff := cmp.Diff(selfSlice{{}, {{}}}, got); err != nil || diff != "" {
		t.Errorf("selfSlice: %v (-want +got):\n%s", err, diff)
	}
}

// hasControl reports whether s holds a byte that could start a forged log
// line or rewrite a terminal.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' })
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

// TestErrorStringsEscapeControls: Error() of every error the decoder builds
// escapes control characters, so log.Printf("%v", err) cannot forge a line.
func TestErrorStringsEscapeControls(t *testing.T) {
	t.Parallel()
	forged := "a\nINFO forged\r\x1b[2J\u2028"
	keyErr := func() error {
		_, err := DecodeBytes[ints]([]byte(`{"a\nINFO forged\r\u001b[2J\u2028":1}`))
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want string // a part of Error() that must be there, escaped
	}{
		{"extra_forbidden key", keyErr, `body.a\nINFO forged\r\u001b[2J\u2028: Extra inputs are not permitted`},
		{"map key", func() error {
			_, err := DecodeBytes[map[string]int]([]byte(`{"k\n1":"x"}`))
			return err
		}, `body.k\n1: Input should be a valid integer`},
		{"Validate message", func() error {
			_, err := DecodeBytes[contact]([]byte(`{"email":"a@b","others":["a@b","c@d","e@f"]}`))
			var ve *ValidationError
			errors.As(err, &ve)
			ve.Errors[0].Msg = forged
			return ve
		}, `body.others: a\nINFO forged`},
		{"FieldError", func() error { return FieldError{Loc: []any{"body", forged, 1}, Msg: forged} }, `body.a\nINFO forged\r\u001b[2J\u2028.1: a\nINFO`},
		{"RequestError", func() error {
			r := httptest.NewRequest(http.MethodPost, "/", failingReader{errors.New(forged)})
			r.Header.Set("Content-Type", "application/json")
			_, err := Decode[Person](r)
			return err
		}, `read: a\nINFO forged`},
		{"HTTPError", func() error { return &HTTPError{Status: 404, Detail: forged} }, `404: a\nINFO forged`},
		{"TagError", func() error { return &TagError{Type: reflect.TypeFor[Person](), Field: "Name", Msg: forged} }, `Name: a\nINFO forged`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := tc.err().Error()
			if hasControl(msg) {
				t.Errorf("Error() = %q holds a control character", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tc.want)
			}
		})
	}
}

// echoing is a json.Unmarshaler whose error repeats its input, as many do.
type echoing struct{ s string }

func (e *echoing) UnmarshalJSON(b []byte) error {
	if string(b) == `"ok"` || string(b) == "null" {
		e.s = string(b)
		return nil
	}
	return fmt.Errorf("cannot use %s", b)
}

// required holds one required field of each kind decoded by methods.
type requiredKinds struct {
	T   time.Time        `json:"t" validate:"required"`
	PT  *time.Time       `json:"pt" validate:"required"`
	R   json.RawMessage  `json:"r" validate:"required"`
	PR  *json.RawMessage `json:"pr" validate:"required"`
	U   echoing          `json:"u" validate:"required"`
	PU  *echoing         `json:"pu" validate:"required"`
	X   textKey          `json:"x" validate:"required"`
	PX  *textKey         `json:"px" validate:"required"`
	A   any              `json:"a" validate:"required"`
	ND  jwt.NumericDate  `json:"nd" validate:"required"`
	Str *string          `json:"str" validate:"required"`
}

type optionalKinds struct {
	T  time.Time       `json:"t"`
	PT *time.Time      `json:"pt"`
	R  json.RawMessage `json:"r"`
	U  echoing         `json:"u"`
	PU *echoing        `json:"pu"`
	A  any             `json:"a"`
}

// TestRequiredMeansNotNull: required is present and not null for every
// type: absent is "missing"; null is the type's own error where pydantic has
// one (datetime_type, string_type, float_type), else "missing".
func TestRequiredMeansNotNull(t *testing.T) {
	t.Parallel()
	missingAt := func(name string) FieldError { return missing([]any{"body", name}) }
	datetimeType := func(name string) FieldError {
		return FieldError{Type: "datetime_type", Loc: []any{"body", name}, Msg: "Input should be a valid datetime"}
	}
	stringType := func(name string) FieldError {
		return FieldError{Type: "string_type", Loc: []any{"body", name}, Msg: "Input should be a valid string"}
	}
	all := []string{"t", "pt", "r", "pr", "u", "pu", "x", "px", "a", "nd", "str"}
	var absent []FieldError
	for _, n := range all {
		absent = append(absent, missingAt(n))
	}
	nulls := `{"t":null,"pt":null,"r":null,"pr":null,"u":null,"pu":null,"x":null,"px":null,"a":null,"nd":null,"str":null}`
	tests := []struct {
		name, body string
		want       []FieldError
	}{
		{"absent", `{}`, absent},
		{"null", nulls, []FieldError{
			datetimeType("t"), datetimeType("pt"), missingAt("r"), missingAt("pr"), missingAt("u"), missingAt("pu"),
			stringType("x"), stringType("px"), missingAt("a"),
			{Type: "float_type", Loc: []any{"body", "nd"}, Msg: "Input should be a valid number"}, stringType("str"),
		}},
		{"values", `{"t":"2024-01-02T03:04:05Z","pt":"2024-01-02T03:04:05Z","r":1,"pr":[],"u":"ok","pu":"ok","x":"k","px":"k","a":0,"nd":1,"str":""}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[requiredKinds]([]byte(tc.body))
			if diff := cmp.Diff(tc.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("not required: null is the zero value", func(t *testing.T) {
		t.Parallel()
		got, err := DecodeBytes[optionalKinds]([]byte(`{"t":null,"pt":null,"r":null,"u":null,"pu":null,"a":null}`))
		if err != nil {
			t.Fatal(err)
		}
		// json.RawMessage keeps null as the text null (as encoding/json
		// does), so that null and absent (nil) differ; an Unmarshaler is
		// given null; pointers are nil.
		want := optionalKinds{R: json.RawMessage("null"), U: echoing{"null"}}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(echoing{})); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

type parsedKinds struct {
	T  time.Time  `json:"t"`
	IP netip.Addr `json:"ip"`
	B  *big.Int   `json:"b"`
	U  echoing    `json:"u"`
}

// TestUnmarshalerErrorsNeverEchoInput: what a time.Time, netip.Addr,
// *big.Int or any other unmarshaler says about a bad value holds the value;
// the error carries a fixed text instead.
func TestUnmarshalerErrorsNeverEchoInput(t *testing.T) {
	t.Parallel()
	const secret = "SeCrEt"
	valueError := func(name, typ string) FieldError {
		return FieldError{Type: "value_error", Loc: []any{"body", name}, Msg: "Value error, invalid value for " + typ,
			Ctx: map[string]any{"error": "invalid value for " + typ}}
	}
	datetimeParsing := FieldError{Type: "datetime_parsing", Loc: []any{"body", "t"}, Msg: "Input should be a valid datetime, invalid datetime format",
		Ctx: map[string]any{"error": "invalid datetime format"}}
	tests := []struct {
		name, body string
		want       []FieldError
	}{
		{"strings", `{"t":"` + secret + `","ip":"` + secret + `","b":"` + secret + `","u":"` + secret + `"}`, []FieldError{
			datetimeParsing, valueError("ip", "netip.Addr"), valueError("b", "big.Int"), valueError("u", "jwtauth.echoing")}},
		{"near misses", `{"t":"2024-13-02T03:04:05Z` + secret + `","ip":"1.2.3.4` + secret + `","b":1` + `,"u":["` + secret + `"]}`, []FieldError{
			datetimeParsing, valueError("ip", "netip.Addr"), valueError("u", "jwtauth.echoing")}},
		{"not strings", `{"t":1,"ip":2,"b":{"` + secret + `":1}}`, []FieldError{
			{Type: "datetime_type", Loc: []any{"body", "t"}, Msg: "Input should be a valid datetime"},
			{Type: "string_type", Loc: []any{"body", "ip"}, Msg: "Input should be a valid string"},
			valueError("b", "big.Int")}},
		{"valid", `{"t":"2024-01-02T03:04:05Z","ip":"::1","b":123456789012345678901234567890,"u":"ok"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[parsedKinds]([]byte(tc.body))
			got := fieldErrors(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			for _, fe := range got {
				if strings.Contains(fe.Msg, secret) || strings.Contains(fmt.Sprint(fe.Ctx), secret) {
					t.Errorf("%v echoes the input", fe)
				}
			}
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("Error() = %q echoes the input", err)
			}
		})
	}
}

// TestHandleHeadersAndBodies: a Response's own headers are kept (the
// Content-Type included), 204 and 304 carry no Content-Type and no body, and
// every body ends with a newline, as the middleware's do.
func TestHandleHeadersAndBodies(t *testing.T) {
	t.Parallel()
	h, err := Handle(func(ctx context.Context, _ NoBody) (Response[any], error) {
		r, _ := Request(ctx)
		switch r.URL.Path {
		case "/geo":
			return Response[any]{Header: http.Header{"Content-Type": {"application/geo+json"}}, Body: map[string]string{"type": "Point"}}, nil
		case "/204":
			return Response[any]{Status: 204, Body: map[string]string{"ignored": "x"}}, nil
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
		{"an outer handler's Content-Type is replaced", h, "/", "", "outer:text/html; charset=utf-8", 200, http.Header{"Content-Type": {"application/json"}}, "[1]\n"},
		{"an outer handler's Content-Type and the handler's: one value", h, "/geo", "", "outer:text/html", 200, http.Header{"Content-Type": {"application/geo+json"}}, `{"type":"Point"}` + "\n"},
		{"an outer Content-Type on an HTTPError", h, "/404", "", "outer:text/html", 404, http.Header{"Content-Type": {"application/json"}}, `{"detail":"Not found"}` + "\n"},
		{"an outer Content-Type on a 204", h, "/204", "", "outer:text/html", 204, http.Header{}, ""},
		{"304", h, "/304", "", "", 304, http.Header{"Etag": {`"v1"`}}, ""},
		{"HTTPError", h, "/404", "", "", 404, http.Header{"Content-Type": {"application/json"}}, `{"detail":"Not found"}` + "\n"},
		{"HTTPError's Content-Type kept", h, "/problem", "", "", 409, http.Header{"Content-Type": {"application/problem+json"}}, `{"detail":"Conflict"}` + "\n"},
		{"unencodable result is a plain 500", h, "/unencodable", "", "", 500,
			http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Internal Server Error"}` + "\n"},
		{"500", h, "/500", "", "", 500,
			http.Header{"Content-Type": {"application/json"}, "Cache-Control": {"no-store"}}, `{"detail":"Internal Server Error"}` + "\n"},
		{"422", p, "/", "{}", "application/json", 422, http.Header{"Content-Type": {"application/json"}},
			`{"detail":[{"type":"missing","loc":["body","name"],"msg":"Field required"},{"type":"missing","loc":["body","gender"],"msg":"Field required"},` +
				`{"type":"missing","loc":["body","age"],"msg":"Field required"},{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}` + "\n"},
		{"413", p, "/", tutorialBody, "application/json", 413, http.Header{"Content-Type": {"application/json"}, "Connection": {"close"}},
			`{"detail":"Request body too large"}` + "\n"},
		{"415", p, "/", "{}", "text/plain", 415, http.Header{"Content-Type": {"application/json"}},
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
	if _, err := Handle(func(context.Context, NoBody) (NoBody, error) { return NoBody{}, nil }, WithHandlerErrorObserver(nil)); err == nil {
		t.Error("Handle with WithHandlerErrorObserver(nil) succeeded, want an error")
	}
}

// rootChecked fails its own Validate always; its field's Validate runs on
// its own.
type rootChecked struct {
	Named named `json:"named"`
}

func (*rootChecked) Validate() error { return errors.New("root Validate ran") }

// TestSkipRootValidate: claims decoding (golang-jwt calls the claims'
// Validate itself) skips only the root value's Validate; nested values are
// validated as in a body.
func TestSkipRootValidate(t *testing.T) {
	t.Parallel()
	cfg := decodeConfig{maxDepth: DefaultMaxDepth, skipRootValidate: true}
	decode := func(t *testing.T, v any, body string) []FieldError {
		t.Helper()
		rv := reflect.ValueOf(v).Elem()
		return fieldErrors(t, decodeData([]byte(body), rulesFor(rv.Type()), &cfg, rv))
	}
	t.Run("struct root", func(t *testing.T) {
		t.Parallel()
		want := []FieldError{{Type: "value_error", Loc: []any{"body", "named"}, Msg: "Value error, n must not be bad", Ctx: map[string]any{"error": "n must not be bad"}}}
		if diff := cmp.Diff(want, decode(t, new(rootChecked), `{"named":{"n":"bad"}}`)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got := decode(t, new(rootChecked), `{"named":{"n":"ok"}}`); got != nil {
			t.Errorf("valid body: %v, want no errors", got)
		}
	})
	t.Run("non-struct root", func(t *testing.T) {
		t.Parallel()
		// emailList's own Validate (at most 2) is skipped at the root; its
		// elements' are not.
		want := []FieldError{{Type: "value_error", Loc: []any{"body", 2}, Msg: "Value error, not an email address", Ctx: map[string]any{"error": "not an email address"}}}
		if diff := cmp.Diff(want, decode(t, new(emailList), `["a@b","c@d","x"]`)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
