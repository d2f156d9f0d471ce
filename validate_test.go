package jwtauth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
		{"min on string", func() error { _, err := DecodeBytes[minOnString](nil); return err }, `jwtauth: jwtauth.minOnString.A: validate "min=1": min, max, gt and lt are for numbers; use minlen and maxlen for strings, slices and maps`},
		{"bad number", func() error { _, err := DecodeBytes[badMin](nil); return err }, `jwtauth: jwtauth.badMin.A: validate "min=x": not a finite number`},
		{"min over max", func() error { _, err := DecodeBytes[minOverMax](nil); return err }, `jwtauth: jwtauth.minOverMax.A: validate: min is greater than max`},
		{"rule twice", func() error { _, err := DecodeBytes[twice](nil); return err }, `jwtauth: jwtauth.twice.A: validate rule "min" given twice`},
		{"string option", func() error { _, err := DecodeBytes[stringOpt](nil); return err }, `jwtauth: jwtauth.stringOpt.A: json tag option "string" is not supported`},
		{"same JSON name", func() error { _, err := DecodeBytes[sameName](nil); return err }, `jwtauth: jwtauth.sameName.B: JSON name "B" is also used by field A`},
		{"channel", func() error { _, err := DecodeBytes[chanField](nil); return err }, `jwtauth: cannot decode into chan int: unsupported kind chan`},
		{"int keys", func() error { _, err := DecodeBytes[intKeys](nil); return err }, `jwtauth: cannot decode into map[int]int: map keys must be strings`},
		{"Handle", func() error {
			_, err := Handle(func(context.Context, badRule) (NoInput, error) { return NoInput{}, nil })
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
			_, err := Handle(func(context.Context, holdsPtr) (NoInput, error) { return NoInput{}, nil })
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

// exclusive has pydantic's gt/lt bounds and a pattern, on several types.
type exclusive struct {
	Score float64 `json:"score" validate:"gt=0,lt=1"`
	Count int     `json:"count" validate:"gt=-1,lt=10"`
	Code  string  `json:"code" pattern:"^[A-Z]{2,3}-[0-9]+$"`
	Tag   *string `json:"tag,omitempty" pattern:"^#"`
}

// TestExclusiveBoundsAndPattern: gt and lt are exclusive bounds
// (pydantic's greater_than / less_than), pattern an unanchored RE2 match
// (string_pattern_mismatch), with pydantic's messages and ctx.
func TestExclusiveBoundsAndPattern(t *testing.T) {
	t.Parallel()
	gt := func(loc, n string, x float64) FieldError {
		return FieldError{Type: "greater_than", Loc: []any{"body", loc}, Msg: "Input should be greater than " + n, Ctx: map[string]any{"gt": x}}
	}
	lt := func(loc, n string, x float64) FieldError {
		return FieldError{Type: "less_than", Loc: []any{"body", loc}, Msg: "Input should be less than " + n, Ctx: map[string]any{"lt": x}}
	}
	mismatch := func(loc, p string) FieldError {
		return FieldError{Type: "string_pattern_mismatch", Loc: []any{"body", loc}, Msg: "String should match pattern '" + p + "'", Ctx: map[string]any{"pattern": p}}
	}
	const code = "^[A-Z]{2,3}-[0-9]+$"
	tests := []struct {
		name, body string
		want       []FieldError
	}{
		{"inside", `{"score":0.5,"count":0,"code":"AB-1","tag":"#x"}`, nil},
		{"near the bounds", `{"score":1e-9,"count":9,"code":"ABC-123"}`, nil},
		{"on the lower bounds", `{"score":0,"count":-1,"code":"AB-1"}`, []FieldError{gt("score", "0", 0), gt("count", "-1", -1)}},
		{"on the upper bounds", `{"score":1,"count":10,"code":"AB-1"}`, []FieldError{lt("score", "1", 1), lt("count", "10", 10)}},
		{"pattern mismatch", `{"score":0.5,"count":1,"code":"ab-1","tag":"x#"}`, []FieldError{mismatch("code", code), mismatch("tag", "^#")}},
		{"unanchored part of the pattern", `{"score":0.5,"count":1,"code":"AB-1","tag":"#"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[exclusive]([]byte(tt.body))
			if diff := cmp.Diff(tt.want, fieldErrors(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

type gtOnString struct {
	A string `validate:"gt=1"`
}
type gtNotBelowLt struct {
	A int `validate:"gt=5,lt=5"`
}
type patternOnInt struct {
	A int `pattern:"^1"`
}
type badPattern struct {
	A string `pattern:"(a"`
}

// TestExclusiveBoundsAndPatternTagErrors: rules that cannot apply are
// TagErrors at setup.
func TestExclusiveBoundsAndPatternTagErrors(t *testing.T) {
	t.Parallel()
	for name, tt := range map[string]struct {
		decode func() error
		want   string
	}{
		"gt on string":    {func() error { _, err := DecodeBytes[gtOnString](nil); return err }, `jwtauth: jwtauth.gtOnString.A: validate "gt=1": min, max, gt and lt are for numbers`},
		"gt not below lt": {func() error { _, err := DecodeBytes[gtNotBelowLt](nil); return err }, `jwtauth: jwtauth.gtNotBelowLt.A: validate: gt is not less than lt, so no number can pass`},
		"pattern on int":  {func() error { _, err := DecodeBytes[patternOnInt](nil); return err }, `jwtauth: jwtauth.patternOnInt.A: pattern is for strings`},
		"invalid pattern": {func() error { _, err := DecodeBytes[badPattern](nil); return err }, `jwtauth: jwtauth.badPattern.A: pattern is not a valid RE2 expression`},
		"float32 bound beyond its range": {func() error {
			_, err := DecodeBytes[struct {
				A float32 `validate:"max=1e39"`
			}](nil)
			return err
		}, `jwtauth: struct { A float32 "validate:\"max=1e39\"" }.A: validate "max=1e39": beyond the range of float32`},
		"oneof NaN": {func() error {
			_, err := DecodeBytes[struct {
				A float64 `validate:"oneof=NaN 1"`
			}](nil)
			return err
		}, `jwtauth: struct { A float64 "validate:\"oneof=NaN 1\"" }.A: validate "oneof=NaN 1": "NaN" is not a finite number`},
		"oneof beyond float32": {func() error {
			_, err := DecodeBytes[struct {
				A float32 `validate:"oneof=1 1e39"`
			}](nil)
			return err
		}, `jwtauth: struct { A float32 "validate:\"oneof=1 1e39\"" }.A: validate "oneof=1 1e39": "1e39" is beyond the range of float32`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := tt.decode()
			var te *TagError
			if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want a *TagError starting %q", err, tt.want)
			}
		})
	}
}

// TestFloat32OneOf: oneof values of a float32 field are compared at float32
// precision, as the decoded value is, so oneof=0.1 admits 0.1.
func TestFloat32OneOf(t *testing.T) {
	t.Parallel()
	type f32 struct {
		A float32 `json:"a" validate:"oneof=0.1 0.5"`
	}
	for body, ok := range map[string]bool{`{"a":0.1}`: true, `{"a":0.5}`: true, `{"a":0.2}`: false} {
		if _, err := DecodeBytes[f32]([]byte(body)); (err == nil) != ok {
			t.Errorf("%s: error %v, want ok %v", body, err, ok)
		}
	}
}
