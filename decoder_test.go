package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

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

type laxTypes struct {
	B bool    `json:"b"`
	N int     `json:"n"`
	F float32 `json:"f" validate:"max=0.1"`
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

func ptr[T any](v T) *T { return &v }

// hasControl reports whether s holds a byte that could start a forged log
// line or rewrite a terminal.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' })
}

type failingReader struct{ err error }

func (f failingReader) Read([]byte) (int, error) { return 0, f.err }

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

// TestDateTimeStrictRFC3339: a time.Time is read as an RFC 3339 date-time
// only, not as everything time.Time's UnmarshalJSON takes, and JSON escapes
// are read as the characters they stand for.
func TestDateTimeStrictRFC3339(t *testing.T) {
	t.Parallel()
	type when struct {
		T time.Time `json:"t"`
	}
	tests := []struct {
		in   string
		want time.Time // zero: refused with datetime_parsing
	}{
		{`"2024-01-02T03:04:05Z"`, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{`"2024-01-02T03:04:05.5+00:00"`, time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{`"2024\u002d01-02T03:04:05Z"`, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)},
		{`"2024-02-29T00:00:00Z"`, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{`"2023-02-29T00:00:00Z"`, time.Time{}},
		{`"2024-01-02T3:04:05Z"`, time.Time{}},
		{`"2024-01-02T03:04:05,5Z"`, time.Time{}},
		{`"2024-01-02T03:04:05-24:00"`, time.Time{}},
		{`"2024-01-02T03:04:05+01:60"`, time.Time{}},
		{`"2024-01-02T03:04:05+0100"`, time.Time{}},
		{`"2024-01-02 03:04:05Z"`, time.Time{}},
		{`"2024-01-02t03:04:05z"`, time.Time{}},
		{`"2016-12-31T23:59:60Z"`, time.Time{}},
	}
	for _, tc := range tests {
		got, err := DecodeBytes[when]([]byte(`{"t":` + tc.in + `}`))
		if tc.want.IsZero() {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Errors[0].Type != "datetime_parsing" {
				t.Errorf("%s: error %v, want datetime_parsing", tc.in, err)
			}
			continue
		}
		if err != nil || !got.T.Equal(tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.in, got.T, err, tc.want)
		}
	}
}
