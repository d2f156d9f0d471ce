package jwtauth

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type schemaNode struct {
	Name string        `json:"name" validate:"required"`
	Next *schemaNode   `json:"next"`
	Kids []*schemaNode `json:"kids"`
}

type schemaLimits struct {
	I8   int8      `json:"i8"`
	U64  uint64    `json:"u64"`
	I64  int64     `json:"i64" validate:"min=-10"`
	F32  float32   `json:"f32" validate:"gt=0"`
	Enum *int      `json:"enum" validate:"oneof=1 2"`
	Word *string   `json:"word" validate:"required,oneof=a b"`
	Opt  *string   `json:"opt" validate:"oneof=a b"`
	Any  any       `json:"any" validate:"required"`
	When time.Time `json:"when" validate:"required"`
}

// schemaOf returns the schemas of a value of type typ that is not a
// required field, components named, as plain JSON values.
func schemaOf(t *testing.T, typ reflect.Type, lax bool) (root any, comps map[string]any) {
	t.Helper()
	s := newSchemas()
	sch, err := s.value(rulesFor(typ), nil, lax)
	if err != nil {
		t.Fatal(err)
	}
	named, err := s.name("HTTPError")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Root  any            `json:"root"`
		Comps map[string]any `json:"comps"`
	}
	b, err := json.Marshal(map[string]any{"root": sch, "comps": named})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.Root, out.Comps
}

func TestSchemaShapes(t *testing.T) {
	t.Parallel()
	str := map[string]any{"type": "string"}
	tests := []struct {
		name string
		typ  reflect.Type
		lax  bool
		want any
	}{
		{"string", reflect.TypeFor[string](), false, str},
		{"pointer: nullable", reflect.TypeFor[*string](), false, map[string]any{"type": []any{"string", "null"}}},
		{"slice: nullable items as the decoder takes them", reflect.TypeFor[[]*int](), false, map[string]any{
			"type": []any{"array", "null"},
			"items": map[string]any{"type": []any{"integer", "null"},
				"minimum": float64(-1 << 63), "maximum": float64(1<<63 - 1)},
		}},
		{"map", reflect.TypeFor[map[string]bool](), false, map[string]any{"type": []any{"object", "null"}, "additionalProperties": map[string]any{"type": "boolean"}}},
		{"time.Time", reflect.TypeFor[time.Time](), false, map[string]any{"type": []any{"string", "null"}, "format": "date-time", "pattern": dateTimePattern}},
		{"json.RawMessage", reflect.TypeFor[json.RawMessage](), false, map[string]any{}},
		{"struct: a $ref", reflect.TypeFor[schemaNode](), false, map[string]any{"$ref": "#/components/schemas/schemaNode"}},
		{"struct pointer: nullable $ref", reflect.TypeFor[*schemaNode](), false, map[string]any{"anyOf": []any{
			map[string]any{"$ref": "#/components/schemas/schemaNode"}, map[string]any{"type": "null"},
		}}},
		{"lax struct", reflect.TypeFor[schemaNode](), true, map[string]any{"$ref": "#/components/schemas/schemaNode-Lax"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, _ := schemaOf(t, tc.typ, tc.lax)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("schema (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSchemaBodyNotNull checks that a body is never null, whatever its
// type: the decoder answers null with "missing" at ["body"].
func TestSchemaBodyNotNull(t *testing.T) {
	t.Parallel()
	for _, typ := range []reflect.Type{reflect.TypeFor[*Person](), reflect.TypeFor[[]int](), reflect.TypeFor[map[string]int](), reflect.TypeFor[any]()} {
		s := newSchemas()
		sch, err := s.body(rulesFor(typ), false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.name(); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(sch)
		if strings.Contains(string(b), `"null"`) == (typ != reflect.TypeFor[any]()) {
			// any is {"not":{"type":"null"}}: null appears, negated.
			t.Errorf("body of %v: %s", typ, b)
		}
	}
}

func TestSchemaComponents(t *testing.T) {
	t.Parallel()
	nullableNode := map[string]any{"anyOf": []any{map[string]any{"$ref": "#/components/schemas/schemaNode"}, map[string]any{"type": "null"}}}
	_, comps := schemaOf(t, reflect.TypeFor[schemaNode](), false)
	want := map[string]any{"schemaNode": map[string]any{
		"type": "object", "additionalProperties": false, "required": []any{"name"},
		"properties": map[string]any{
			"name": map[string]any{"type": "string"},
			"next": nullableNode,
			"kids": map[string]any{"type": []any{"array", "null"}, "items": nullableNode},
		},
	}}
	if diff := cmp.Diff(want, comps); diff != "" {
		t.Errorf("recursive type (-want +got):\n%s", diff)
	}

	_, comps = schemaOf(t, reflect.TypeFor[schemaLimits](), true)
	limit32 := 3.4028235677973366e38 // 2^128 - 2^103: float32 rounds this and beyond to infinity
	want = map[string]any{"schemaLimits-Lax": map[string]any{
		"type": "object", "required": []any{"word", "any", "when"},
		"properties": map[string]any{
			"i8":   map[string]any{"type": "integer", "minimum": float64(-128), "maximum": float64(127)},
			"u64":  map[string]any{"type": "integer", "minimum": float64(0), "maximum": float64(1<<64 - 1)},
			"i64":  map[string]any{"type": "integer", "minimum": float64(-10), "maximum": float64(1<<63 - 1)},
			"f32":  map[string]any{"type": "number", "exclusiveMinimum": float64(0), "exclusiveMaximum": limit32},
			"enum": map[string]any{"type": []any{"integer", "null"}, "minimum": float64(-1 << 63), "maximum": float64(1<<63 - 1), "enum": []any{float64(1), float64(2), nil}},
			"word": map[string]any{"type": "string", "enum": []any{"a", "b"}},
			"opt":  map[string]any{"type": []any{"string", "null"}, "enum": []any{"a", "b", nil}},
			"any":  map[string]any{"not": map[string]any{"type": "null"}},
			"when": map[string]any{"type": "string", "format": "date-time", "pattern": dateTimePattern},
		},
	}}
	if diff := cmp.Diff(want, comps); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
}

// TestSchemaExactIntegerBounds checks that the int64 and uint64 bounds are
// written digit for digit, not as the doubles they round to.
func TestSchemaExactIntegerBounds(t *testing.T) {
	t.Parallel()
	s := newSchemas()
	sch, err := s.body(rulesFor(reflect.TypeFor[struct {
		A int64  `json:"a"`
		B uint64 `json:"b"`
	}]()), false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.name(); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sch)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"maximum":9223372036854775807`, `"minimum":-9223372036854775808`, `"maximum":18446744073709551615`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("schema %s lacks %s", b, want)
		}
	}
}
