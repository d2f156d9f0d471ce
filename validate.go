package jwtauth

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// valueKind is how the decoder treats a Go type. It is part of the rules of
// a type (typeRules): parsed once per type, cached, and kept in one table
// per type so that a schema generator can read the same facts later.
type valueKind uint8

const (
	kString valueKind = iota + 1
	kBool
	kInt
	kUint
	kFloat
	kStruct
	kSlice
	kBytes // []byte: a base64 string, as in encoding/json
	kMap   // string keys
	kPointer
	kAny         // interface{}: delegated to encoding/json
	kRaw         // json.RawMessage: copied as is
	kUnmarshaler // *T implements json.Unmarshaler: delegated
	kText        // *T implements encoding.TextUnmarshaler: from a string
)

// typeRules is everything the decoder and validator know about one Go type;
// it is built once per type by rulesFor.
type typeRules struct {
	Type   reflect.Type
	Kind   valueKind
	Bits   int          // kInt, kUint, kFloat
	Fields []fieldRules // kStruct, in declaration order (embedded structs flattened)
	Elem   *typeRules   // kSlice, kMap, kPointer
	// JSON is the kind of JSON value a value of Type starts like; anything
	// else (but null) is a type error. Invalid: any value (kPointer, kAny,
	// kRaw, most kUnmarshaler).
	JSON jsonscan.Kind
	// Validates: *Type has a Validate() error method, called after the value
	// decoded without errors.
	Validates bool

	byName map[string]int // kStruct with many fields: JSON name -> index in Fields
	err    error          // *TagError found while building; reported by Decode
}

// fieldRules is one struct field: its JSON name, Go name, type and rules.
type fieldRules struct {
	Name   string // JSON name: the json tag's name, else the Go name
	GoName string
	Type   *typeRules
	Rules  rules
	index  []int
}

// rules are the constraints of one field, from its validate tag.
type rules struct {
	Required         bool    // present and not null
	HasMin, HasMax   bool    // min=, max= (numbers only): inclusive bounds
	Min, Max         float64 //
	MinText, MaxText string  // the bounds as written in the tag, for messages
	HasGt, HasLt     bool    // gt=, lt= (numbers only): exclusive bounds
	Gt, Lt           float64 //
	GtText, LtText   string  // as written in the tag
	Pattern          string  // the pattern:"..." tag (strings only), RE2; "" for none
	re               *regexp.Regexp
	MinLen, MaxLen   int      // minlen=, maxlen= (strings in characters, slices and maps in elements); -1: none
	OneOf            []string // oneof= (strings and numbers), as written
	oneOfNum         []float64
	oneOfMsg         string // "'a' or 'b'"
}

var (
	rulesCache        sync.Map // reflect.Type -> *typeRules
	unmarshalerType   = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalType = reflect.TypeFor[encoding.TextUnmarshaler]()
	validatorType     = reflect.TypeFor[interface{ Validate() error }]()
	rawMessageType    = reflect.TypeFor[json.RawMessage]()
	numericDateType   = reflect.TypeFor[jwt.NumericDate]()
	timeType          = reflect.TypeFor[time.Time]()
)

// rulesFor returns the cached rules of t, building them on first use.
func rulesFor(t reflect.Type) *typeRules {
	if r, ok := rulesCache.Load(t); ok {
		return r.(*typeRules)
	}
	b := builder{seen: map[reflect.Type]*typeRules{}}
	r := b.build(t)
	if b.err != nil {
		r = &typeRules{Type: t, err: b.err}
	}
	actual, _ := rulesCache.LoadOrStore(t, r)
	return actual.(*typeRules)
}

type builder struct {
	seen map[reflect.Type]*typeRules // types being built (recursive types)
	err  error
}

func (b *builder) fail(t reflect.Type, field, format string, args ...any) {
	if b.err == nil {
		b.err = &TagError{Type: t, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

// build returns the rules of t: from the cache, the ones being built (t is
// recursive), or new ones.
func (b *builder) build(t reflect.Type) *typeRules {
	if r, ok := rulesCache.Load(t); ok {
		if r := r.(*typeRules); r.err == nil {
			return r
		}
	}
	if r, ok := b.seen[t]; ok {
		return r
	}
	r := &typeRules{Type: t}
	b.seen[t] = r
	b.setKind(r)
	r.JSON = jsonKind(r)
	return r
}

// jsonKinds is the JSON kind of each valueKind that takes only one.
var jsonKinds = [...]jsonscan.Kind{
	kString: jsonscan.String, kText: jsonscan.String, kBytes: jsonscan.String,
	kBool: jsonscan.Bool, kInt: jsonscan.Number, kUint: jsonscan.Number, kFloat: jsonscan.Number,
	kStruct: jsonscan.Object, kMap: jsonscan.Object, kSlice: jsonscan.Array,
}

// jsonKind returns the JSON kind a value of r's type must be (r.JSON). Among
// unmarshalers, a time.Time is an RFC 3339 string and a jwt.NumericDate a
// JSON number (RFC 7519 section 2), though its UnmarshalJSON also takes
// "123"; other unmarshalers are given any value.
func jsonKind(r *typeRules) jsonscan.Kind {
	switch {
	case r.Kind == kUnmarshaler && r.Type == timeType:
		return jsonscan.String
	case r.Kind == kUnmarshaler && r.Type == numericDateType:
		return jsonscan.Number
	}
	return jsonKinds[r.Kind]
}

// setKind fills in the kind of r.Type and what goes with it: Bits, Elem,
// Fields, Validates. A type with a json.Unmarshaler, an
// encoding.TextUnmarshaler or json.RawMessage is that, whatever its Go kind.
func (b *builder) setKind(r *typeRules) {
	t := r.Type
	pt := reflect.PointerTo(t)
	switch {
	case t == rawMessageType:
		r.Kind = kRaw
		return
	case t.Kind() != reflect.Pointer && pt.Implements(unmarshalerType):
		r.Kind = kUnmarshaler
		return
	case t.Kind() != reflect.Pointer && pt.Implements(textUnmarshalType):
		r.Kind = kText
		return
	}
	r.Validates = t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && pt.Implements(validatorType)
	switch t.Kind() {
	case reflect.String:
		r.Kind = kString
	case reflect.Bool:
		r.Kind = kBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		r.Kind, r.Bits = kInt, t.Bits()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		r.Kind, r.Bits = kUint, t.Bits()
	case reflect.Float32, reflect.Float64:
		r.Kind, r.Bits = kFloat, t.Bits()
	case reflect.Pointer:
		r.Kind = kPointer
		if pointerCycle(t) {
			// type P *P (or *A -> *B -> *A): decoding a non-null value
			// would allocate pointers forever.
			b.fail(t, "", "pointer cycle: no JSON value ends a chain of pointers to itself")
			return
		}
		r.Elem = b.build(t.Elem())
	case reflect.Interface:
		if t.NumMethod() != 0 {
			b.fail(t, "", "only the empty interface is supported")
		}
		r.Kind = kAny
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(unmarshalerType) {
			r.Kind = kBytes
			break
		}
		r.Kind, r.Elem = kSlice, b.build(t.Elem())
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			b.fail(t, "", "map keys must be strings")
		} else if reflect.PointerTo(t.Key()).Implements(textUnmarshalType) {
			// encoding/json would call UnmarshalText on the key; refuse
			// rather than skip that check silently.
			b.fail(t, "", "map keys with an UnmarshalText method are not supported")
		}
		r.Kind, r.Elem = kMap, b.build(t.Elem())
	case reflect.Struct:
		r.Kind = kStruct
		b.fields(r, t, nil)
		if len(r.Fields) > 8 {
			r.byName = make(map[string]int, len(r.Fields))
			for i, f := range r.Fields {
				r.byName[f.Name] = i
			}
		}
	default:
		b.fail(t, "", "unsupported kind %v", t.Kind())
	}
}

// pointerCycle reports whether following t's pointers (t is a pointer type)
// comes back to a type already passed, with nothing but pointers between.
func pointerCycle(t reflect.Type) bool {
	var passed []reflect.Type
	for ; t.Kind() == reflect.Pointer; t = t.Elem() {
		if slices.Contains(passed, t) {
			return true
		}
		passed = append(passed, t)
	}
	return false
}

// fields appends the fields of struct type t (reached through index) to r.
func (b *builder) fields(r *typeRules, t reflect.Type, index []int) {
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" && opts == "" {
			continue
		}
		idx := append(slices.Clone(index), i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Struct {
				if sf.Tag.Get("validate") != "" {
					b.fail(r.Type, sf.Name, "validate tag on an embedded struct")
				}
				b.fields(r, ft, idx)
				continue
			}
			if ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct {
				b.fail(r.Type, sf.Name, "embedded struct pointers are not supported; embed the struct or name the field")
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "", "omitempty", "omitzero":
			default:
				b.fail(r.Type, sf.Name, "json tag option %q is not supported", o)
			}
		}
		if !hasTag || name == "" {
			name = sf.Name
		}
		f := fieldRules{Name: name, GoName: sf.Name, index: idx, Type: b.build(sf.Type)}
		f.Rules = b.parseRules(r.Type, sf, f.Type)
		for _, g := range r.Fields {
			if g.Name == f.Name {
				b.fail(r.Type, sf.Name, "JSON name %q is also used by field %s", f.Name, g.GoName)
			}
		}
		r.Fields = append(r.Fields, f)
	}
}

// parseRules parses the validate tag of sf, whose type has rules ft.
func (b *builder) parseRules(st reflect.Type, sf reflect.StructField, ft *typeRules) rules {
	ru := rules{MinLen: -1, MaxLen: -1}
	tag := sf.Tag.Get("validate")
	pattern, hasPattern := sf.Tag.Lookup("pattern")
	if tag == "" && !hasPattern {
		return ru
	}
	base := ft
	for base.Kind == kPointer {
		if base.Elem == nil {
			return ru // a pointer cycle, already a TagError
		}
		base = base.Elem
	}
	if hasPattern {
		if msg := parsePattern(&ru, base, pattern); msg != "" {
			b.fail(st, sf.Name, "%s", msg)
		}
	}
	if tag == "" {
		return ru
	}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(tag, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(item), "=")
		if seen[key] {
			b.fail(st, sf.Name, "validate rule %q given twice", key)
			continue
		}
		seen[key] = true
		parse, ok := ruleParsers[key]
		if !ok {
			b.fail(st, sf.Name, "unknown validate rule %q", key)
			continue
		}
		if msg := parse(&ru, base, rule{key, val, hasVal}); msg != "" {
			b.fail(st, sf.Name, "validate %q: %s", item, msg)
		}
	}
	if ru.HasMin && ru.HasMax && ru.Min > ru.Max {
		b.fail(st, sf.Name, "validate: min is greater than max")
	}
	if ru.HasGt && ru.HasLt && ru.Gt >= ru.Lt {
		b.fail(st, sf.Name, "validate: gt is not less than lt, so no number can pass")
	}
	if ru.MinLen >= 0 && ru.MaxLen >= 0 && ru.MinLen > ru.MaxLen {
		b.fail(st, sf.Name, "validate: minlen is greater than maxlen")
	}
	return ru
}

// rule is one item of a validate tag: key=val, or key alone.
type rule struct {
	key, val string
	hasVal   bool
}

// ruleParsers parses each validate rule into ru, for a field whose type
// (pointers removed) has rules base; a parser returns why the rule does not
// apply, or "".
var ruleParsers = map[string]func(ru *rules, base *typeRules, r rule) string{
	"required": parseRequired,
	"min":      parseBound,
	"max":      parseBound,
	"gt":       parseBound,
	"lt":       parseBound,
	"minlen":   parseLen,
	"maxlen":   parseLen,
	"oneof":    parseOneOf,
}

func parseRequired(ru *rules, _ *typeRules, r rule) string {
	if r.hasVal {
		return "takes no value"
	}
	ru.Required = true
	return ""
}

// parseBound parses min=N, max=N (inclusive) or gt=N, lt=N (exclusive),
// at the field's precision.
func parseBound(ru *rules, base *typeRules, r rule) string {
	if !base.numeric() {
		return "min, max, gt and lt are for numbers; use minlen and maxlen for strings, slices and maps"
	}
	x, err := strconv.ParseFloat(r.val, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return "not a finite number"
	}
	if base.Kind == kFloat && base.Bits == 32 {
		// Compare at the field's precision: max=0.1 must admit 0.1.
		x = float64(float32(x))
		if math.IsInf(x, 0) {
			return "beyond the range of float32"
		}
	}
	switch r.key {
	case "min":
		ru.HasMin, ru.Min, ru.MinText = true, x, r.val
	case "max":
		ru.HasMax, ru.Max, ru.MaxText = true, x, r.val
	case "gt":
		ru.HasGt, ru.Gt, ru.GtText = true, x, r.val
	default: // lt
		ru.HasLt, ru.Lt, ru.LtText = true, x, r.val
	}
	return ""
}

// parsePattern compiles the pattern:"..." tag of a string field: an RE2
// expression that the string must match somewhere (unanchored, as JSON
// Schema's pattern and pydantic's are; anchor it with ^ and $). It is a tag
// of its own, not a validate rule, so that the expression may contain
// commas.
func parsePattern(ru *rules, base *typeRules, pattern string) string {
	if base.Kind != kString {
		return "pattern is for strings"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "pattern is not a valid RE2 expression: " + err.Error()
	}
	ru.Pattern, ru.re = pattern, re
	return ""
}

// parseLen parses minlen=N or maxlen=N.
func parseLen(ru *rules, base *typeRules, r rule) string {
	if !base.sized() {
		return "minlen and maxlen are for strings, slices and maps"
	}
	n, err := strconv.Atoi(r.val)
	if err != nil || n < 0 {
		return "not a non-negative integer"
	}
	if r.key == "minlen" {
		ru.MinLen = n
	} else {
		ru.MaxLen = n
	}
	return ""
}

// parseOneOf parses oneof=a b c, numbers for a numeric field, and the
// message that lists them ("'a', 'b' or 'c'"; numbers unquoted).
func parseOneOf(ru *rules, base *typeRules, r rule) string {
	numeric := base.numeric()
	if base.Kind != kString && !numeric {
		return "oneof is for strings and numbers"
	}
	ru.OneOf = strings.Fields(r.val)
	if len(ru.OneOf) == 0 {
		return "no values"
	}
	quoted := make([]string, len(ru.OneOf))
	for i, v := range ru.OneOf {
		quoted[i] = "'" + v + "'"
		if numeric {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				return fmt.Sprintf("%q is not a finite number", v)
			}
			if base.Kind == kFloat && base.Bits == 32 {
				// At the field's precision, as the decoded value is.
				if x = float64(float32(x)); math.IsInf(x, 0) {
					return fmt.Sprintf("%q is beyond the range of float32", v)
				}
			}
			ru.oneOfNum = append(ru.oneOfNum, x)
			quoted[i] = v
		}
	}
	ru.oneOfMsg = quoted[0]
	if n := len(quoted); n > 1 {
		ru.oneOfMsg = strings.Join(quoted[:n-1], ", ") + " or " + quoted[n-1]
	}
	return ""
}

// numeric reports whether t is a number type, for min, max and oneof.
func (t *typeRules) numeric() bool { return t.Kind == kInt || t.Kind == kUint || t.Kind == kFloat }

// sized reports whether t has a length, for minlen and maxlen.
func (t *typeRules) sized() bool {
	return t.Kind == kString || t.Kind == kSlice || t.Kind == kMap || t.Kind == kBytes
}

func (t *typeRules) lookup(name []byte) int {
	if t.byName != nil {
		if i, ok := t.byName[string(name)]; ok {
			return i
		}
		return -1
	}
	for i := range t.Fields {
		if t.Fields[i].Name == string(name) {
			return i
		}
	}
	return -1
}

// validate calls v's Validate method and records its error.
func (d *decoder) validate(v reflect.Value) {
	if err := v.Addr().Interface().(interface{ Validate() error }).Validate(); err != nil {
		d.valueError(err)
	}
}

// valueError reports err from a Validate method (an unmarshaler's error is
// unmarshalError's, with a fixed text): a FieldError or ValidationError keeps its type and location
// (relative to the current one), anything else is "value_error".
func (d *decoder) valueError(err error) {
	var ve *ValidationError
	var fe FieldError
	var fep *FieldError
	switch {
	case errors.As(err, &ve):
		for _, e := range ve.Errors {
			d.addRelative(e)
		}
	case errors.As(err, &fep):
		d.addRelative(*fep)
	case errors.As(err, &fe):
		d.addRelative(fe)
	default:
		msg := err.Error()
		if len(msg) > 256 {
			msg = strings.ToValidUTF8(msg[:256], "") + "…"
		}
		d.add("value_error", "Value error, "+msg, map[string]any{"error": msg})
	}
}

func (d *decoder) addRelative(e FieldError) {
	d.found++
	if len(d.errs) >= MaxFieldErrors {
		return
	}
	e.Loc = append(d.loc(), e.Loc...)
	d.errs = append(d.errs, e)
}

func (d *decoder) checkNumber(x float64, ru *rules) {
	if ru.HasMin && x < ru.Min {
		d.add("greater_than_equal", "Input should be greater than or equal to "+ru.MinText, map[string]any{"ge": ru.Min})
	}
	if ru.HasMax && x > ru.Max {
		d.add("less_than_equal", "Input should be less than or equal to "+ru.MaxText, map[string]any{"le": ru.Max})
	}
	if ru.HasGt && !(x > ru.Gt) {
		d.add("greater_than", "Input should be greater than "+ru.GtText, map[string]any{"gt": ru.Gt})
	}
	if ru.HasLt && !(x < ru.Lt) {
		d.add("less_than", "Input should be less than "+ru.LtText, map[string]any{"lt": ru.Lt})
	}
	if ru.oneOfNum != nil && !slices.Contains(ru.oneOfNum, x) {
		d.add("literal_error", "Input should be "+ru.oneOfMsg, map[string]any{"expected": ru.oneOfMsg})
	}
}

func (d *decoder) checkString(s string, ru *rules) {
	if ru.MinLen >= 0 || ru.MaxLen >= 0 {
		n := utf8.RuneCountInString(s)
		if ru.MinLen >= 0 && n < ru.MinLen {
			d.add("string_too_short", "String should have at least "+plural(ru.MinLen, "character"), map[string]any{"min_length": ru.MinLen})
		}
		if ru.MaxLen >= 0 && n > ru.MaxLen {
			d.add("string_too_long", "String should have at most "+plural(ru.MaxLen, "character"), map[string]any{"max_length": ru.MaxLen})
		}
	}
	if ru.re != nil && !ru.re.MatchString(s) {
		d.add("string_pattern_mismatch", "String should match pattern '"+ru.Pattern+"'", map[string]any{"pattern": ru.Pattern})
	}
	if ru.OneOf != nil && ru.oneOfNum == nil && !slices.Contains(ru.OneOf, s) {
		d.add("literal_error", "Input should be "+ru.oneOfMsg, map[string]any{"expected": ru.oneOfMsg})
	}
}

// checkBytes checks minlen/maxlen of a []byte of n bytes, as pydantic's
// bytes_too_short / bytes_too_long.
func (d *decoder) checkBytes(n int, ru *rules) {
	if ru.MinLen >= 0 && n < ru.MinLen {
		d.add("bytes_too_short", "Data should have at least "+plural(ru.MinLen, "byte"), map[string]any{"min_length": ru.MinLen})
	}
	if ru.MaxLen >= 0 && n > ru.MaxLen {
		d.add("bytes_too_long", "Data should have at most "+plural(ru.MaxLen, "byte"), map[string]any{"max_length": ru.MaxLen})
	}
}

// checkLen checks minlen/maxlen of a slice or map of n elements; what is
// "List" or "Dictionary" (pydantic's field_type).
func (d *decoder) checkLen(n int, what string, ru *rules) {
	if ru.MinLen >= 0 && n < ru.MinLen {
		d.add("too_short", fmt.Sprintf("%s should have at least %s after validation, not %d", what, plural(ru.MinLen, "item"), n),
			map[string]any{"field_type": what, "min_length": ru.MinLen, "actual_length": n})
	}
	if ru.MaxLen >= 0 && n > ru.MaxLen {
		d.add("too_long", fmt.Sprintf("%s should have at most %s after validation, not %d", what, plural(ru.MaxLen, "item"), n),
			map[string]any{"field_type": what, "max_length": ru.MaxLen, "actual_length": n})
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
