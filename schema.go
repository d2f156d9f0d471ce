package jwtauth

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/seedb5d7e80f/jwtauth/internal/ecmaregexp"
)

// schemas builds JSON Schema 2020-12 for Go types from the rules the decoder
// uses (typeRules), so that a schema accepts what [Decode] accepts. Struct
// types become named components, referenced with $ref; everything else is
// inline. A schemas is used at start-up only, by one goroutine.
//
// What a schema cannot say, the decoder checks before any schema would
// apply, so a JSON Schema validator and Decode can differ only on bodies
// that: hold duplicate keys or keys that differ only in case, invalid UTF-8
// or lone surrogate escapes; nest deeper than [WithMaxDepth] or exceed the
// size limit; hold numbers a double cannot hold exactly or beyond 2^53 in
// magnitude (JavaScript validators read numbers, and the int64 bounds, as
// doubles: 2^63, 1e400, 1.00000000000000000001);
// or are refused by a Validate method, an unmarshaler other than time.Time's,
// base64 of a []byte with minlen/maxlen (a length in bytes, not characters),
// or a date-time that RFC 3339 and Go's time.Time read differently (a space
// or a lowercase t for the T, second 60). Float32 bounds are compared at
// float32 precision by the decoder, at double precision by a validator.
type schemas struct {
	comps map[compKey]*component
	order []*component // in the order first met, for naming
}

// compKey identifies a component: a struct type, decoded with or without
// unknown fields allowed (which changes additionalProperties, for nested
// structs too).
type compKey struct {
	t   reflect.Type
	lax bool
}

// component is a named schema under #/components/schemas.
type component struct {
	key    compKey
	name   string // set by name, before marshalling
	schema map[string]any
}

// ref is a $ref to a component; it marshals after the components are named.
type ref struct{ c *component }

func (r ref) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"$ref": "#/components/schemas/" + r.c.name})
}

func newSchemas() *schemas { return &schemas{comps: map[compKey]*component{}} }

// body returns the schema of a request body of type t, decoded with unknown
// fields ignored if lax: the body must be present and not null.
func (s *schemas) body(t *typeRules, lax bool) (any, error) {
	return s.value(t, &rules{Required: true, MinLen: -1, MaxLen: -1}, lax) // null is "missing"
}

// output returns the schema of a response body of Go type t: from its rules
// when the decoder could read it and json.Marshal writes what the rules
// say, else {} (any JSON): a type that json.Marshal writes need not be one
// the decoder reads, and a json.Marshaler, encoding.TextMarshaler or
// json.Number anywhere in it writes something else.
func (s *schemas) output(t reflect.Type) any {
	tr := rulesFor(t)
	if tr.err != nil || marshalsOtherwise(tr, map[*typeRules]bool{}) {
		return map[string]any{}
	}
	sch, err := s.value(tr, nil, false)
	if err != nil {
		return map[string]any{}
	}
	return sch
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonNumberType    = reflect.TypeFor[json.Number]()
)

// marshalsOtherwise reports whether json.Marshal writes a value of t, or of
// a type inside it, otherwise than its rules describe.
func marshalsOtherwise(t *typeRules, seen map[*typeRules]bool) bool {
	if t == nil || seen[t] {
		return false
	}
	seen[t] = true
	switch {
	case t.Type == timeType || t.Type == rawMessageType:
		return false // written as their rules say
	case t.Type == jsonNumberType,
		t.Type.Implements(marshalerType), reflect.PointerTo(t.Type).Implements(marshalerType),
		t.Type.Implements(textMarshalerType), reflect.PointerTo(t.Type).Implements(textMarshalerType):
		return true
	}
	for i := range t.Fields {
		if marshalsOtherwise(t.Fields[i].Type, seen) {
			return true
		}
	}
	return marshalsOtherwise(t.Elem, seen)
}

// value returns the schema of a value of t (pointers included) with the
// field rules ru (nil for an element or a body). A value that is not a
// required field may be null wherever the decoder takes null: pointers,
// slices, maps, []byte, any, json.RawMessage and json.Unmarshaler types.
func (s *schemas) value(t *typeRules, ru *rules, lax bool) (any, error) {
	base, nullable := t, false
	for base.Kind == kPointer {
		base, nullable = base.Elem, true
	}
	switch base.Kind {
	case kSlice, kMap, kBytes, kAny, kRaw:
		nullable = true
	case kUnmarshaler:
		// Given to the unmarshaler, which takes null (time.Time: the zero
		// value) or refuses it (jwt.NumericDate).
		nullable = base.Type != numericDateType
	}
	required := ru != nil && ru.Required
	if required {
		nullable = false
	}
	sch, err := s.base(base, ru, lax)
	if err != nil {
		return nil, err
	}
	switch {
	case nullable:
		return orNull(sch), nil
	case required && (base.Kind == kAny || base.Kind == kRaw || base.Kind == kUnmarshaler && base.JSON == 0):
		// A type that takes any JSON value: required means not null.
		m := sch.(map[string]any)
		m["not"] = map[string]any{"type": "null"}
		return m, nil
	}
	return sch, nil
}

// orNull returns sch that also accepts null.
func orNull(sch any) any {
	m, ok := sch.(map[string]any)
	if !ok { // a $ref
		return map[string]any{"anyOf": []any{sch, map[string]any{"type": "null"}}}
	}
	if len(m) == 0 {
		return m // any value, null included
	}
	if typ, ok := m["type"].(string); ok {
		m["type"] = []string{typ, "null"}
	}
	if enum, ok := m["enum"].([]any); ok {
		m["enum"] = append(enum, nil)
	}
	return m
}

// base returns the schema of a value of t, which is not a pointer, with
// the field rules ru (nil for none).
func (s *schemas) base(t *typeRules, ru *rules, lax bool) (any, error) {
	if ru == nil {
		ru = &rules{MinLen: -1, MaxLen: -1}
	}
	m := map[string]any{}
	switch t.Kind {
	case kString:
		m["type"] = "string"
		if ru.MinLen >= 0 {
			m["minLength"] = ru.MinLen
		}
		if ru.MaxLen >= 0 {
			m["maxLength"] = ru.MaxLen
		}
		if ru.Pattern != "" {
			p, err := ecmaregexp.Translate(ru.Pattern)
			if err != nil {
				return nil, err
			}
			m["pattern"] = p
		}
		if ru.OneOf != nil {
			m["enum"] = anySlice(ru.OneOf)
		}
	case kBool:
		m["type"] = "boolean"
	case kInt, kUint, kFloat:
		numberSchema(m, t, ru)
	case kStruct:
		return s.component(t, lax)
	case kSlice:
		m["type"] = "array"
		items, err := s.value(t.Elem, nil, lax)
		if err != nil {
			return nil, err
		}
		m["items"] = items
		if ru.MinLen >= 0 {
			m["minItems"] = ru.MinLen
		}
		if ru.MaxLen >= 0 {
			m["maxItems"] = ru.MaxLen
		}
	case kMap:
		m["type"] = "object"
		vals, err := s.value(t.Elem, nil, lax)
		if err != nil {
			return nil, err
		}
		m["additionalProperties"] = vals
		if ru.MinLen >= 0 {
			m["minProperties"] = ru.MinLen
		}
		if ru.MaxLen >= 0 {
			m["maxProperties"] = ru.MaxLen
		}
	case kBytes:
		// base64.StdEncoding as the decoder reads it: padded, with
		// line breaks ignored.
		m["type"] = "string"
		m["contentEncoding"] = "base64"
		m["pattern"] = base64Pattern
	case kText:
		m["type"] = "string"
	case kUnmarshaler:
		switch t.Type {
		case timeType:
			// The pattern is ECMA-262 as written: ASCII classes only.
			m["type"], m["format"], m["pattern"] = "string", "date-time", dateTimePattern
		case numericDateType:
			m["type"] = "number"
		}
	case kAny, kRaw:
		// any JSON value
	}
	return m, nil
}

// base64Pattern matches what base64.StdEncoding decodes: groups of four
// characters of the standard alphabet, the last possibly padded with =,
// and CR and LF anywhere.
const base64Pattern = `^[\r\n]*(?:[A-Za-z0-9+/][\r\n]*[A-Za-z0-9+/][\r\n]*[A-Za-z0-9+/][\r\n]*[A-Za-z0-9+/][\r\n]*)*` +
	`(?:[A-Za-z0-9+/][\r\n]*[A-Za-z0-9+/][\r\n]*(?:=[\r\n]*=|[A-Za-z0-9+/][\r\n]*=)[\r\n]*)?$`

// numberSchema fills in m for a number of t's kind and size with the rules
// ru: the type's range and the min, max, gt, lt and oneof rules.
func numberSchema(m map[string]any, t *typeRules, ru *rules) {
	lo, hi, hasRange := numberRange(t)
	switch t.Kind {
	case kFloat:
		m["type"] = "number"
		if hasRange { // float32: a larger number rounds to infinity
			m["exclusiveMinimum"], m["exclusiveMaximum"] = lo, hi
		}
	default:
		m["type"] = "integer"
		m["minimum"], m["maximum"] = lo, hi
	}
	if ru.HasMin && (t.Kind == kFloat || ru.Min > lo) {
		m["minimum"] = ru.Min
	}
	if ru.HasMax && (t.Kind == kFloat || ru.Max < hi) {
		m["maximum"] = ru.Max
	}
	if ru.HasGt {
		m["exclusiveMinimum"] = ru.Gt
		if t.Kind == kFloat && hasRange && ru.Gt < lo {
			m["exclusiveMinimum"] = lo
		}
	}
	if ru.HasLt {
		m["exclusiveMaximum"] = ru.Lt
		if t.Kind == kFloat && hasRange && ru.Lt > hi {
			m["exclusiveMaximum"] = hi
		}
	}
	if ru.oneOfNum != nil {
		enum := ru.oneOfNum
		if t.Kind == kFloat && t.Bits == 32 {
			// The decoder compares at float32 precision, which an enum
			// cannot say; the values as written agree on them as written.
			enum = nil
			for _, v := range ru.OneOf {
				x, _ := strconv.ParseFloat(v, 64)
				enum = append(enum, x)
			}
		}
		m["enum"] = anySlice(enum)
	}
	for k, v := range m {
		if f, ok := v.(float64); ok {
			m[k] = jsonNumber(f)
		}
	}
}

// numberRange returns the range of an integer type (inclusive), or of
// float32 (exclusive: the least magnitude that rounds to infinity); a
// float64 has none that a finite JSON number could pass.
func numberRange(t *typeRules) (lo, hi float64, ok bool) {
	switch t.Kind {
	case kInt:
		return -math.Ldexp(1, t.Bits-1), math.Ldexp(1, t.Bits-1) - 1, true
	case kUint:
		return 0, math.Ldexp(1, t.Bits) - 1, true
	case kFloat:
		if t.Bits == 32 {
			// MaxFloat32 plus half its last place: 2^128 - 2^103.
			limit := math.Ldexp(1, 128) - math.Ldexp(1, 103)
			return -limit, limit, true
		}
	}
	return 0, 0, false
}

// jsonNumber writes f as the shortest decimal that reads back as f; the
// range of an int64 or uint64 is written exactly (2^63 - 1, not 2^63).
func jsonNumber(f float64) json.Number {
	switch f {
	case math.Ldexp(1, 63) - 1:
		return json.Number(strconv.FormatInt(math.MaxInt64, 10))
	case math.Ldexp(1, 64) - 1:
		return json.Number(strconv.FormatUint(math.MaxUint64, 10))
	}
	if f == math.Trunc(f) && math.Abs(f) <= math.Ldexp(1, 64) {
		return json.Number(strconv.FormatFloat(f, 'f', 0, 64)) // integers digit for digit
	}
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
		if f, ok := any(v).(float64); ok {
			out[i] = jsonNumber(f)
		}
	}
	return out
}

// component returns a $ref to the component of struct type t, building it
// on first use; an anonymous struct type (which cannot be recursive) is
// written inline.
func (s *schemas) component(t *typeRules, lax bool) (any, error) {
	if t.Type.Name() == "" {
		return s.object(t, lax)
	}
	key := compKey{t.Type, lax}
	if c, ok := s.comps[key]; ok {
		return ref{c}, nil
	}
	c := &component{key: key}
	s.comps[key] = c // before the fields: t may be recursive
	s.order = append(s.order, c)
	sch, err := s.object(t, lax)
	if err != nil {
		return nil, err
	}
	c.schema = sch
	return ref{c}, nil
}

// object returns the schema of struct type t: its fields as properties,
// the required ones required, no others unless lax.
func (s *schemas) object(t *typeRules, lax bool) (map[string]any, error) {
	props := map[string]any{}
	var required []string
	for i := range t.Fields {
		f := &t.Fields[i]
		sch, err := s.value(f.Type, &f.Rules, lax)
		if err != nil {
			return nil, fmt.Errorf("%v.%s: %w", t.Type, f.GoName, err)
		}
		props[f.Name] = sch
		if f.Rules.Required {
			required = append(required, f.Name)
		}
	}
	m := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		m["required"] = required
	}
	if !lax {
		m["additionalProperties"] = false
	}
	return m, nil
}

// componentName is what a component name may hold (OpenAPI 3.1 section
// 4.8.7.1).
var componentName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// name names every component, after reserved (names already taken):
// the Go type's name (generic arguments and other characters a component
// name cannot hold become _), qualified by its package path when two types
// would share it, with "-Lax" for a type also decoded with unknown fields
// allowed. Names depend only on the set of types, not on the order met.
func (s *schemas) name(reserved ...string) (map[string]any, error) {
	short := func(c *component) string {
		return strings.Trim(componentName.ReplaceAllString(c.key.t.Name(), "_"), "_")
	}
	count := map[string]int{}
	for _, r := range reserved {
		count[r] = 2
	}
	seenType := map[reflect.Type]bool{}
	for _, c := range s.order {
		if !seenType[c.key.t] {
			seenType[c.key.t] = true
			count[short(c)]++
		}
	}
	out := map[string]any{}
	for _, c := range s.order {
		n := short(c)
		if count[n] > 1 {
			n = strings.Trim(componentName.ReplaceAllString(c.key.t.PkgPath()+"."+n, "_"), "_.")
		}
		if c.key.lax {
			n += "-Lax"
		}
		if out[n] != nil { // two types of one name in one package (declared in functions)
			return nil, fmt.Errorf("jwtauth: API: two types are named %s in package %s; rename one", strconv.Quote(c.key.t.Name()), strconv.Quote(c.key.t.PkgPath()))
		}
		c.name = n
		out[n] = c.schema
	}
	return out, nil
}
