package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	many := func(n int, extra string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + string(rune('A'+i/26)) + string(rune('a'+i%26)) + `":1`)
		}
		b.WriteString(extra + "}")
		return b.String()
	}
	tests := []struct {
		name string
		in   string
		opts Options
		want *Error // nil: accepted
	}{
		{name: "object", in: `{"name":"Foo","gender":"male","age":25.5,"checked":false}`},
		{name: "white space around", in: " \t\r\n{ \"a\" : [ 1 , 2 ] }\n "},
		{name: "scalars", in: `[true,false,null,0,-0,1.5e10,-2E-3,"",{}]`},
		{name: "escapes", in: `"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`},
		{name: "raw utf8", in: `"héllo 😀"`},
		{name: "same name in sibling objects", in: `[{"a":1},{"a":2}]`},
		{name: "same name nested", in: `{"a":{"a":1}}`},
		{name: "case variants allowed by default", in: `{"a":1,"A":2}`},
		{name: "depth 32", in: deep(32)},
		{name: "depth 3 of 3", in: deep(3), opts: Options{MaxDepth: 3}},
		{name: "big object", in: many(60, "")},
		{name: "1e400 is grammar", in: `1e400`},

		{name: "empty", in: ``, want: &Error{0, Empty}},
		{name: "only space", in: "  \n", want: &Error{3, Empty}},
		{name: "trailing", in: `{} x`, want: &Error{3, TrailingData}},
		{name: "two values", in: `{}{}`, want: &Error{2, TrailingData}},
		{name: "trailing bracket", in: `{"a":1}]`, want: &Error{7, TrailingData}},
		{name: "unterminated", in: `{"a":1`, want: &Error{6, Syntax}},
		{name: "unterminated string", in: `"abc`, want: &Error{4, Syntax}},
		{name: "trailing comma", in: `[1,]`, want: &Error{3, Syntax}},
		{name: "leading zero", in: `01`, want: &Error{1, TrailingData}},
		{name: "bare minus", in: `-`, want: &Error{1, Syntax}},
		{name: "dot no digits", in: `1.`, want: &Error{2, Syntax}},
		{name: "exp no digits", in: `1e+`, want: &Error{3, Syntax}},
		{name: "plus sign", in: `+1`, want: &Error{0, Syntax}},
		{name: "NaN", in: `NaN`, want: &Error{0, Syntax}},
		{name: "bad literal", in: `tru`, want: &Error{3, Syntax}},
		{name: "single quotes", in: `{'a':1}`, want: &Error{1, Syntax}},
		{name: "control char", in: "\"a\tb\"", want: &Error{2, Syntax}},
		{name: "bad escape", in: `"\x"`, want: &Error{1, Syntax}},
		{name: "short unicode escape", in: `"\u12"`, want: &Error{1, Syntax}},
		{name: "BOM", in: "\xef\xbb\xbf{}", want: &Error{0, Syntax}},
		{name: "invalid utf8", in: "{\"name\":\"\xff\"}", want: &Error{9, InvalidUTF8}},
		{name: "invalid utf8 in name", in: "{\"n\xc3\":1}", want: &Error{3, InvalidUTF8}},
		{name: "utf8 surrogate bytes", in: "\"\xed\xa0\x80\"", want: &Error{1, InvalidUTF8}},
		{name: "overlong utf8", in: "\"\xc0\xaf\"", want: &Error{1, InvalidUTF8}},
		{name: "lone high surrogate", in: `"\ud800"`, want: &Error{1, InvalidUTF8}},
		{name: "lone low surrogate", in: `"\udc00"`, want: &Error{1, InvalidUTF8}},
		{name: "high then non-low", in: `"\ud800\u0041"`, want: &Error{1, InvalidUTF8}},
		{name: "too deep", in: deep(33), want: &Error{32, TooDeep}},
		{name: "too deep custom", in: deep(4), opts: Options{MaxDepth: 3}, want: &Error{3, TooDeep}},
		{name: "object too deep", in: `{"a":{"b":{}}}`, opts: Options{MaxDepth: 2}, want: &Error{10, TooDeep}},
		{name: "duplicate", in: `{"a":1,"b":2,"a":3}`, want: &Error{13, DuplicateKey}},
		{name: "duplicate escaped", in: `{"exp":1,"ex\u0070":2}`, want: &Error{9, DuplicateKey}},
		{name: "duplicate nested", in: `[{"x":{"a":1,"a":1}}]`, want: &Error{13, DuplicateKey}},
		{name: "duplicate big object", in: many(40, `,"kAa":2`), want: &Error{321, DuplicateKey}},
		{name: "case variant", in: `{"a":1,"A":2}`, opts: Options{RejectCaseVariants: true}, want: &Error{7, CaseVariantKey}},
		{name: "case variant kelvin", in: `{"k":1,"\u212a":2}`, opts: Options{RejectCaseVariants: true}, want: &Error{7, CaseVariantKey}},
		{name: "case variant big object", in: many(40, `,"KAA":2`), opts: Options{RejectCaseVariants: true}, want: &Error{321, CaseVariantKey}},
		{name: "duplicate wins over variant", in: `{"A":1,"a":1}`, opts: Options{RejectCaseVariants: false}},
		{name: "duplicate after variant", in: `{"a":1,"b":1,"a":1}`, opts: Options{RejectCaseVariants: true}, want: &Error{13, DuplicateKey}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Check([]byte(tc.in), tc.opts)
			var got *Error
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("Check error %T %v is not *Error", err, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Check(%q) error mismatch (-want +got):\n%s", tc.in, diff)
			}
			if err == nil && !json.Valid([]byte(tc.in)) {
				t.Errorf("Check accepted %q, json.Valid refuses it", tc.in)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	err := Check([]byte("{\"secret\xff\":1}"), Options{})
	want := "jsonscan: invalid UTF-8 at offset 8"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message mismatch (-want +got):\n%s", diff)
	}
}

type member struct {
	Name string
	Kind Kind
	Raw  string
}

func TestMembers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		stop    string // stop after this member
		want    []member
		wantErr *Error
	}{
		{
			name: "all kinds",
			in:   ` {"s":"a\"b","n":-1.5,"t":true,"f":false,"z":null,"o":{"x":[1]},"a":[{}],"e\u0078":1} `,
			want: []member{
				{"s", String, `"a\"b"`}, {"n", Number, `-1.5`}, {"t", Bool, `true`},
				{"f", Bool, `false`}, {"z", Null, `null`}, {"o", Object, `{"x":[1]}`},
				{"a", Array, `[{}]`}, {"ex", Number, `1`},
			},
		},
		{name: "empty object", in: `{ }`},
		{name: "stop", in: `{"a":1,"b":2,"c":3}`, stop: "b", want: []member{{"a", Number, "1"}, {"b", Number, "2"}}},
		{name: "not object", in: `[1]`, wantErr: &Error{0, NotObject}},
		{name: "empty", in: ``, wantErr: &Error{0, Empty}},
		{name: "broken", in: `{"a":}`, want: nil, wantErr: &Error{5, Syntax}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []member
			err := Members([]byte(tc.in), func(name []byte, kind Kind, raw []byte) bool {
				got = append(got, member{string(name), kind, string(raw)})
				return string(name) != tc.stop
			})
			var gotErr *Error
			if err != nil && !errors.As(err, &gotErr) {
				t.Fatalf("error %T is not *Error", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("members mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnquote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr *Error
	}{
		{name: "plain", in: `"abc"`, want: "abc"},
		{name: "escapes", in: `"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, want: "\"\\/\b\f\n\r\té😀"},
		{name: "empty", in: `""`, want: ""},
		{name: "not a string", in: `1`, wantErr: &Error{0, Syntax}},
		{name: "trailing", in: `"a"b`, wantErr: &Error{3, TrailingData}},
		{name: "lone surrogate", in: `"\udfff"`, wantErr: &Error{1, InvalidUTF8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Unquote([]byte(tc.in))
			var gotErr *Error
			if err != nil && !errors.As(err, &gotErr) {
				t.Fatalf("error %T is not *Error", err)
			}
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Unquote mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValueEnd(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`"a\"}"`, `{"a":"}","b":[1,{"c":"]"}]}`, `-1.5e+3`, `true`, `false`, `null`, `[[],[]]`} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			data := []byte(in + " ,")
			if diff := cmp.Diff(len(in), ValueEnd(data, 0)); diff != "" {
				t.Errorf("ValueEnd(%q) mismatch (-want +got):\n%s", data, diff)
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	body := []byte(`{"name":"Foo","gender":"male","age":25.5,"checked":false,"nested":{"a":[1,2,{"b":null}]}}`)
	opts := Options{RejectCaseVariants: true}
	if n := testing.AllocsPerRun(100, func() { _ = Check(body, opts) }); n != 0 {
		t.Errorf("Check allocates %v times per run, want 0", n)
	}
	count := 0
	fn := func(name []byte, kind Kind, raw []byte) bool { count += len(name); return true }
	if n := testing.AllocsPerRun(100, func() { _ = Members(body, fn) }); n != 0 {
		t.Errorf("Members allocates %v times per run, want 0", n)
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"name":"Foo","gender":"male","age":25.5,"checked":false}`,
		`{"a":1,"A":2}`, `{"exp":1,"ex\u0070":2}`, `[1,2,[3,{"x":null}]]`,
		`"\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `1e400`, `{} {}`, ``, `-0.0e-0`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, fold bool) {
		err := Check(data, Options{RejectCaseVariants: fold})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Offset < 0 || e.Offset > len(data) {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Check accepted %q, json.Valid refuses it", data)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			// Check is a grammar check: a number out of float64 range
			// (1e400) is valid JSON that Unmarshal into any cannot hold.
			var te *json.UnmarshalTypeError
			if !errors.As(err, &te) || !strings.HasPrefix(te.Value, "number") {
				t.Fatalf("Check accepted %q, json.Unmarshal fails: %v", data, err)
			}
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("Check accepted %q, Decoder.UseNumber fails: %v", data, err)
			}
		}
		_ = Members(data, func(name []byte, kind Kind, raw []byte) bool {
			if got := KindOf(raw[0]); got != kind {
				t.Fatalf("Members kind %v, KindOf %v", kind, got)
			}
			if end := ValueEnd(raw, 0); end != len(raw) {
				t.Fatalf("ValueEnd(%q) = %d, want %d", raw, end, len(raw))
			}
			if kind == String {
				if _, err := Unquote(raw); err != nil {
					t.Fatalf("Unquote(%q): %v", raw, err)
				}
			}
			return true
		})
	})
}

var benchBodies = []struct{ name, body string }{
	{"person", `{"name":"Foo","gender":"male","age":25.5,"checked":false}`},
	{"claims", `{"iss":"https://issuer.example","sub":"user-1234","aud":["api"],"exp":1764417600,"nbf":1764414000,"iat":1764414000,"scope":"read write","jti":"b0e6c5b6-7a7e-4e43-9d0c-7d1c7e0c1d2a"}`},
}

func BenchmarkCheck(b *testing.B) {
	for _, bb := range benchBodies {
		data := []byte(bb.body)
		b.Run("body="+bb.name+"/impl=jsonscan", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := Check(data, Options{RejectCaseVariants: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("body="+bb.name+"/impl=jsonValid", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !json.Valid(data) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func BenchmarkMembers(b *testing.B) {
	data := []byte(benchBodies[1].body)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := Members(data, func(name []byte, kind Kind, raw []byte) bool { n++; return true }); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMemberAndStrings: the lookups the token path uses on checked JSON.
func TestMemberAndStrings(t *testing.T) { // not parallel: AllocsPerRun
	doc := []byte(`{"iss":"a\u0062c","aud":["x","y\n"],"n":1,"bad":["x",2],"e":""}`)
	type got struct {
		Kind Kind
		Raw  string
	}
	members := map[string]got{}
	for _, name := range []string{"iss", "aud", "n", "missing", "ISS"} {
		k, raw := Member(doc, name)
		members[name] = got{k, string(raw)}
	}
	wantMembers := map[string]got{
		"iss": {String, `"a\u0062c"`}, "aud": {Array, `["x","y\n"]`}, "n": {Number, "1"},
		"missing": {Invalid, ""}, "ISS": {Invalid, ""},
	}
	if diff := cmp.Diff(wantMembers, members); diff != "" {
		t.Errorf("Member (-want +got):\n%s", diff)
	}
	_, iss := Member(doc, "iss")
	if s, err := StringValue(iss); s != "abc" || err != nil {
		t.Errorf("StringValue(iss) = %q, %v; want abc", s, err)
	}
	_, e := Member(doc, "e")
	if s, err := StringValue(e); s != "" || err != nil {
		t.Errorf("StringValue(empty) = %q, %v", s, err)
	}
	if _, err := StringValue([]byte("1")); err == nil {
		t.Error("StringValue(1) succeeded")
	}
	_, aud := Member(doc, "aud")
	if list, ok := Strings(aud); !ok || !cmp.Equal(list, []string{"x", "y\n"}) {
		t.Errorf("Strings(aud) = %q, %v", list, ok)
	}
	_, bad := Member(doc, "bad")
	if list, ok := Strings(bad); ok {
		t.Errorf("Strings of a mixed array = %q, true; want false", list)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = StringValue([]byte(`"plain"`)) }); n > 1 {
		t.Errorf("StringValue without escapes allocates %v times", n)
	}
}
