package jwtauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
)

// diffAddress and diffRich exercise every rule and kind the schema
// generator writes: nesting, slices, maps, pointers, time, enums, bounds,
// patterns, embedded fields, any, json.RawMessage and []byte.
type diffAddress struct {
	Street string `json:"street" validate:"required,minlen=1,maxlen=20"`
	Zip    string `json:"zip" pattern:"^[0-9]{5}$"`
	Unit   *int   `json:"unit" validate:"min=1"`
}

type diffMeta struct {
	Version int `json:"version" validate:"min=1"`
}

type diffRich struct {
	diffMeta
	ID     int64           `json:"id" validate:"required,gt=0"`
	Name   string          `json:"name" validate:"required,minlen=2,maxlen=8" pattern:"^[A-Za-zÀ-ÿ ]+$"`
	Code   string          `json:"code" pattern:"(?i)^ab[0-9]$"`
	Nick   *string         `json:"nick" validate:"maxlen=3"`
	Level  string          `json:"level" validate:"oneof=low mid high"`
	Grade  int8            `json:"grade"`
	Count  uint16          `json:"count" validate:"max=1000"`
	Ratio  float64         `json:"ratio" validate:"gt=0,lt=1"`
	Score  *float64        `json:"score" validate:"min=-5,max=5"`
	Small  float32         `json:"small"`
	Prio   int             `json:"prio" validate:"oneof=1 2 3"`
	Tags   []string        `json:"tags" validate:"minlen=1,maxlen=3"`
	Addrs  []diffAddress   `json:"addrs" validate:"maxlen=2"`
	Home   *diffAddress    `json:"home"`
	Work   diffAddress     `json:"work"`
	Attrs  map[string]int  `json:"attrs" validate:"maxlen=2"`
	When   time.Time       `json:"when"`
	Due    *time.Time      `json:"due" validate:"required"`
	Ptrs   []*int          `json:"ptrs"`
	Extra  any             `json:"extra"`
	Raw    json.RawMessage `json:"raw" validate:"required"`
	Data   []byte          `json:"data"`
	Active bool            `json:"active"`
	Lines  string          `json:"lines" pattern:"(?m)^x$"`
	ND     jwt.NumericDate `json:"nd"`
	Pick   float32         `json:"pick" validate:"oneof=0.1 0.5"`
}

// field is one key of a generated body: its valid value and the values to
// try in its place, as JSON text. Values hold no duplicate or case-variant
// keys, no invalid UTF-8 and no number a double cannot hold exactly, the
// bodies on which JSON Schema and the decoder differ by construction.
type field struct {
	key    string
	valid  string
	others []string
}

const validAddress = `{"street":"Main St","zip":"12345","unit":3}`

var richFields = []field{
	{"version", `2`, []string{`1`, `0`, `-1`, `null`, `1.0`, `"2"`}},
	{"id", `7`, []string{`1`, `0`, `-1`, `1.5`, `25.0`, `1e2`, `-0`, `"1"`, `null`, `true`, `[]`, `{}`, `9007199254740991`, `1e15`, `0.5`, `1E1`, `1e-1`}},
	{"name", `"Ada"`, []string{`"Al"`, `"A"`, `"Alexandra"`, `"Zoë Ñu"`, `"ab1"`, `""`, `"😀😀"`, `"Ab\nC"`, `null`, `1`, `"ÀÿÀÿÀÿÀÿ"`, `"ÀÿÀÿÀÿÀÿÀ"`, `"\u00c0b"`, `"a\u0000"`}},
	{"code", `"ab1"`, []string{`"AB2"`, `"aB3"`, `"ab"`, `"xab1"`, `"ab1\n"`, `null`, `5`, `"ab12"`, `"\u212ab1"`}},
	{"nick", `"abc"`, []string{`"abcd"`, `null`, `"😀😀😀"`, `"😀😀😀😀"`, `3`, `""`}},
	{"level", `"low"`, []string{`"mid"`, `"high"`, `"hi"`, `"LOW"`, `""`, `null`, `1`}},
	{"grade", `3`, []string{`127`, `128`, `-128`, `-129`, `1.0`, `1.1`, `null`, `1e2`, `2e2`}},
	{"count", `10`, []string{`0`, `1000`, `1001`, `-1`, `65535`, `65536`, `1000.0`}},
	{"ratio", `0.5`, []string{`0`, `1`, `1e-300`, `0.9999999999999999`, `-0.1`, `null`, `"0.5"`, `0.0`, `1.0`, `5e-324`}},
	{"score", `1.5`, []string{`-5`, `5`, `5.000000000000001`, `-5.1`, `null`, `0`, `-4.999`}},
	{"small", `1.5`, []string{`3.4e38`, `3.5e38`, `-3.5e38`, `3.4028234663852886e38`, `-3.4028234663852886e38`, `1e39`, `1e-50`, `null`}},
	{"prio", `2`, []string{`1`, `3`, `4`, `2.0`, `"1"`, `0`, `null`}},
	{"tags", `["a"]`, []string{`[]`, `["a","b","c"]`, `["a","b","c","d"]`, `null`, `[1]`, `["a",null]`, `"a"`, `{}`}},
	{"addrs", `[]`, []string{`[` + validAddress + `]`, `[` + validAddress + `,` + validAddress + `]`, `[` + validAddress + `,` + validAddress + `,` + validAddress + `]`,
		`[{"street":""}]`, `[{}]`, `[null]`, `[{"street":"x","bogus":1}]`, `null`, `[{"street":"x","zip":"1234"}]`, `[{"street":"x","zip":null}]`}},
	{"home", `null`, []string{validAddress, `{"street":"x","zip":"1234"}`, `{"street":"x","unit":0}`, `{"street":"x","unit":null}`, `{"street":"x","unit":1.5}`,
		`{"street":"123456789012345678901"}`, `{"street":"x","zip":"123456"}`, `{"street":"x","zip":"a12345"}`, `[]`, `"x"`}},
	{"work", validAddress, []string{`null`, `{}`, `{"street":null}`, `{"street":"😀"}`, `{"zip":"12345"}`}},
	{"attrs", `{"a":1}`, []string{`{}`, `{"a":1,"b":2}`, `{"a":1,"b":2,"c":3}`, `{"a":"x"}`, `{"a":null}`, `null`, `[]`, `{"":0}`, `{"a":1.5}`}},
	{"when", `"2024-01-02T03:04:05Z"`, []string{`"2024-01-02T03:04:05.123+01:00"`, `"2024-13-02T03:04:05Z"`, `"2024-02-30T00:00:00Z"`, `"2024-02-29T00:00:00Z"`,
		`"2023-02-29T00:00:00Z"`, `"2024-01-02"`, `null`, `5`, `"not a date"`, `"2024-01-02T03:04:05"`, `"2024-01-02T25:04:05Z"`, `"2024-01-02T03:04:05-23:59"`,
		// Read differently by time.Time's UnmarshalJSON and by RFC 3339
		// (ajv-formats); the decoder and the schema's pattern agree on them.
		`"2024-01-02T03:04:05-24:00"`, `"2024-01-02 03:04:05Z"`, `"2024-01-02t03:04:05z"`, `"2016-12-31T23:59:60Z"`,
		`"2024-01-02T3:04:05Z"`, `"2024-01-02T03:04:05,5Z"`, `"2024-01-02T03:04:05+01:60"`, `"2024-01-02T03:04:05+0100"`,
		`"2024-01-02T03:04:05+01"`, `"2024\u002d01-02T03:04:05Z"`, `"2024-01-02T03:04:05.123456789123Z"`, `"0000-01-01T00:00:00Z"`}},
	{"due", `"2025-06-01T00:00:00Z"`, []string{`null`, `"x"`, `"2025-06-01T00:00:00+00:00"`}},
	{"ptrs", `[1,null]`, []string{`[1.5]`, `null`, `[]`, `["1"]`}},
	{"extra", `1`, []string{`null`, `{"a":[1,2]}`, `"x"`, `[null]`, `true`}},
	{"raw", `{"x":1}`, []string{`null`, `[1]`, `"s"`, `0`}},
	{"data", `"QUJD"`, []string{`"QUI="`, `"QQ=="`, `"QUJ"`, `"Q"`, `"QUJD\nQUJD"`, `"QU\r\nJD"`, `"!!!!"`, `""`, `null`, `"QQ==QQ=="`, `"QQ=\n="`, `5`, `"QUJD\n"`}},
	{"active", `true`, []string{`false`, `"true"`, `0`, `null`}},
	{"nd", `1700000000`, []string{`null`, `"1"`, `1.5`, `-1`, `true`, `0`}},
	{"pick", `0.1`, []string{`0.5`, `0.2`, `0.3`, `null`, `"0.1"`}},
	{"lines", `"a\nx\nb"`, []string{`"x"`, `"ax"`, `"a\nxb"`, `"x\n"`, `"\nx"`, `"a\rx\r"`}},
}

var personFields = []field{
	{"name", `"Foo"`, []string{`""`, `null`, `1`, `["Foo"]`}},
	{"gender", `"male"`, []string{`""`, `null`, `false`}},
	{"age", `25.5`, []string{`0`, `150`, `150.0000001`, `-0.5`, `-0`, `"25"`, `null`, `1e2`, `2e2`, `25`}},
	{"checked", `false`, []string{`true`, `0`, `"false"`, `null`}},
}

// object writes the object of fields with values.
func object(fields []field, value func(i int) (string, bool)) string {
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for i, f := range fields {
		v, ok := value(i)
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(`"` + f.key + `":` + v)
	}
	b.WriteByte('}')
	return b.String()
}

// corpus returns bodies for fields: the valid one, each field left out and
// replaced by each of its other values, an unknown key, values that are not
// objects, and seeded random combinations of several changes.
func corpus(fields []field, random int) []string {
	valid := func(i int) (string, bool) { return fields[i].valid, true }
	bodies := []string{object(fields, valid), `{}`, `[]`, `"x"`, `1`, `null`, `true`,
		strings.TrimSuffix(object(fields, valid), "}") + `,"bogus":1}`}
	for i, f := range fields {
		bodies = append(bodies, object(fields, func(j int) (string, bool) { return fields[j].valid, j != i }))
		for _, o := range f.others {
			bodies = append(bodies, object(fields, func(j int) (string, bool) {
				if j == i {
					return o, true
				}
				return fields[j].valid, true
			}))
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range random {
		bodies = append(bodies, object(fields, func(j int) (string, bool) {
			f := fields[j]
			switch r := rng.IntN(10); {
			case r == 0:
				return "", false
			case r <= 2 && len(f.others) > 0:
				return f.others[rng.IntN(len(f.others))], true
			}
			return f.valid, true
		}))
	}
	return bodies
}

// diffAPI returns the document of an API with the differential test's
// body types: POST /rich, /lax (unknown fields ignored) and /person.
func diffAPI(t *testing.T) []byte {
	t.Helper()
	api := jwtauth.NewAPI(jwtauth.Info{Title: "diff", Version: "1"})
	mux := http.NewServeMux()
	echo := func(ctx context.Context, in diffRich) (jwtauth.NoContent, error) { return jwtauth.NoContent{}, nil }
	rich, err := jwtauth.Handle(echo)
	if err != nil {
		t.Fatal(err)
	}
	lax, err := jwtauth.Handle(echo, jwtauth.WithIgnoreUnknownFields())
	if err != nil {
		t.Fatal(err)
	}
	person, err := jwtauth.Handle(func(ctx context.Context, p jwtauth.Person) (jwtauth.Person, error) { return p, nil })
	if err != nil {
		t.Fatal(err)
	}
	api.Handle(mux, "POST /rich", rich)
	api.Handle(mux, "POST /lax", lax)
	api.Handle(mux, "POST /person", person)
	ptr, err := jwtauth.Handle(func(ctx context.Context, a *diffAddress) (jwtauth.NoContent, error) { return jwtauth.NoContent{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	list, err := jwtauth.Handle(func(ctx context.Context, a []int) (jwtauth.NoContent, error) { return jwtauth.NoContent{}, nil })
	if err != nil {
		t.Fatal(err)
	}
	api.Handle(mux, "POST /ptr", ptr)
	api.Handle(mux, "POST /list", list)
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

type ajvCase struct {
	Path string `json:"path"`
	Body string `json:"body"`
}

type ajvVerdict struct {
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors"`
}

// ajvVerdicts decides every case with ajv, in one node process, on the
// request body schema of its path in doc.
func ajvVerdicts(t *testing.T, doc []byte, cases []ajvCase) []ajvVerdict {
	t.Helper()
	node, modules := tooltest.NodeModules(t)
	in, err := json.Marshal(map[string]any{"document": json.RawMessage(doc), "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "testdata/ajv_validate.mjs", modules)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var got []ajvVerdict
	if err := json.Unmarshal(out, &got); err != nil || len(got) != len(cases) {
		t.Fatalf("ajv's answer: %d verdicts for %d bodies, %v", len(got), len(cases), err)
	}
	return got
}

// TestSchemaAgreesWithDecoder decides hundreds of bodies per type with Decode
// and with ajv, a JSON Schema 2020-12 validator, on the schema the API
// publishes, and requires the same verdict on every one.
func TestSchemaAgreesWithDecoder(t *testing.T) {
	doc := diffAPI(t)

	var cases []ajvCase
	var want []bool
	decide := func(path, body string) {
		var err error
		switch path {
		case "/rich":
			_, err = jwtauth.DecodeBytes[diffRich]([]byte(body))
		case "/lax":
			_, err = jwtauth.DecodeBytes[diffRich]([]byte(body), jwtauth.WithIgnoreUnknownFields())
		case "/person":
			_, err = jwtauth.DecodeBytes[jwtauth.Person]([]byte(body))
		case "/ptr":
			_, err = jwtauth.DecodeBytes[*diffAddress]([]byte(body))
		case "/list":
			_, err = jwtauth.DecodeBytes[[]int]([]byte(body))
		}
		var ve *jwtauth.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("Decode %s %s: not a validation error: %v", path, body, err)
		}
		cases = append(cases, ajvCase{path, body})
		want = append(want, err == nil)
	}
	richBodies := corpus(richFields, 400)
	for _, b := range richBodies {
		decide("/rich", b)
		decide("/lax", b)
	}
	for _, b := range corpus(personFields, 100) {
		decide("/person", b)
	}
	// Bodies whose type is a pointer or a slice: null is "missing" all the same.
	for _, b := range []string{`null`, `{}`, validAddress, `[]`, `{"street":"x","zip":"12345"}`} {
		decide("/ptr", b)
	}
	for _, b := range []string{`null`, `[]`, `[1,2]`, `[null]`, `{}`, `[1.5]`} {
		decide("/list", b)
	}

	got := ajvVerdicts(t, doc, cases)
	counts := map[bool]int{}
	for i, c := range cases {
		counts[want[i]]++
		if got[i].Valid != want[i] {
			_, derr := jwtauth.DecodeBytes[diffRich]([]byte(c.Body))
			t.Errorf("POST %s %s\n  Decode valid: %v (%v)\n  ajv valid: %v %v", c.Path, c.Body, want[i], derr, got[i].Valid, got[i].Errors)
		}
	}
	t.Logf("%d bodies (%d valid, %d invalid) decided alike by Decode and ajv", len(cases), counts[true], counts[false])
	if counts[true] < 100 || counts[false] < 100 {
		t.Errorf("the corpus needs hundreds of each verdict: %d valid, %d invalid", counts[true], counts[false])
	}
}
