package jwtauth

import (
	"bytes"
	"context"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// DefaultMaxBodyBytes is the body size limit of [Decode] and [Handle] unless
// [WithMaxBodyBytes] sets another: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxDepth is how deeply arrays and objects may nest in a body unless
// [WithMaxDepth] sets another limit; the top-level object is depth 1.
const DefaultMaxDepth = jsonscan.DefaultMaxDepth

// MaxFieldErrors is the most errors a [ValidationError] from the decoder
// lists; further problems in the same body are not reported.
const MaxFieldErrors = 100

// maxLocKey caps the length of a client-supplied key (an unknown field or a
// map key) copied into an error location.
const maxLocKey = 128

var (
	errTooLarge    = &RequestError{Status: http.StatusRequestEntityTooLarge, Detail: "Request body too large", kind: ErrBodyTooLarge}
	errContentType = &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Unsupported media type: use Content-Type: application/json", kind: ErrUnsupportedMediaType}
	errEncoding    = &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Unsupported Content-Encoding: use identity", kind: ErrUnsupportedMediaType}
)

// ---------------------------------------------------------------------------
// Options

type decodeConfig struct {
	maxBytes      int64
	maxDepth      int
	ignoreUnknown bool
	// skipRootValidate skips the Validate method of the root value only
	// (through pointers): claims, whose Validate golang-jwt's validator
	// calls itself. Nested values are validated as in a body.
	skipRootValidate bool
	observe          func(*http.Request, error) // Handle: WithHandlerErrorObserver
	optErr           error                      // a misused option, returned by Handle
}

func newDecodeConfig(opts []DecodeOption) decodeConfig {
	c := decodeConfig{maxBytes: DefaultMaxBodyBytes, maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// ---------------------------------------------------------------------------
// Rules: parsed once per type, cached, and kept in one table per type so
// that a schema generator can read the same facts later.

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
	Required         bool     // present and not null
	HasMin, HasMax   bool     // min=, max= (numbers only)
	Min, Max         float64  //
	MinText, MaxText string   // the bounds as written in the tag, for messages
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
	pt := reflect.PointerTo(t)
	switch {
	case t == rawMessageType:
		r.Kind = kRaw
		return r
	case t.Kind() != reflect.Pointer && pt.Implements(unmarshalerType):
		r.Kind = kUnmarshaler
		return r
	case t.Kind() != reflect.Pointer && pt.Implements(textUnmarshalType):
		r.Kind = kText
		return r
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
			return r
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
	return r
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
	if tag == "" {
		return ru
	}
	base := ft
	for base.Kind == kPointer {
		if base.Elem == nil {
			return ru // a pointer cycle, already a TagError
		}
		base = base.Elem
	}
	numeric := base.Kind == kInt || base.Kind == kUint || base.Kind == kFloat
	sized := base.Kind == kString || base.Kind == kSlice || base.Kind == kMap || base.Kind == kBytes
	seen := map[string]bool{}
	for item := range strings.SplitSeq(tag, ",") {
		key, val, hasVal := strings.Cut(strings.TrimSpace(item), "=")
		if seen[key] {
			b.fail(st, sf.Name, "validate rule %q given twice", key)
			continue
		}
		seen[key] = true
		bad := func(format string, args ...any) {
			b.fail(st, sf.Name, "validate %q: "+format, append([]any{item}, args...)...)
		}
		switch key {
		case "required":
			if hasVal {
				bad("takes no value")
			}
			ru.Required = true
		case "min", "max":
			if !numeric {
				bad("min and max are for numbers; use minlen and maxlen for strings, slices and maps")
				continue
			}
			x, err := strconv.ParseFloat(val, 64)
			if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
				bad("not a finite number")
				continue
			}
			if base.Kind == kFloat && base.Bits == 32 {
				// Compare at the field's precision: max=0.1 must admit 0.1.
				x = float64(float32(x))
			}
			if key == "min" {
				ru.HasMin, ru.Min, ru.MinText = true, x, val
			} else {
				ru.HasMax, ru.Max, ru.MaxText = true, x, val
			}
		case "minlen", "maxlen":
			if !sized {
				bad("minlen and maxlen are for strings, slices and maps")
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				bad("not a non-negative integer")
				continue
			}
			if key == "minlen" {
				ru.MinLen = n
			} else {
				ru.MaxLen = n
			}
		case "oneof":
			if base.Kind != kString && !numeric {
				bad("oneof is for strings and numbers")
				continue
			}
			ru.OneOf = strings.Fields(val)
			if len(ru.OneOf) == 0 {
				bad("no values")
				continue
			}
			quoted := make([]string, len(ru.OneOf))
			for i, v := range ru.OneOf {
				quoted[i] = "'" + v + "'"
				if numeric {
					x, err := strconv.ParseFloat(v, 64)
					if err != nil {
						bad("%q is not a number", v)
					}
					ru.oneOfNum = append(ru.oneOfNum, x)
					quoted[i] = v
				}
			}
			ru.oneOfMsg = quoted[0]
			if n := len(quoted); n > 1 {
				ru.oneOfMsg = strings.Join(quoted[:n-1], ", ") + " or " + quoted[n-1]
			}
		default:
			b.fail(st, sf.Name, "unknown validate rule %q", key)
		}
	}
	if ru.HasMin && ru.HasMax && ru.Min > ru.Max {
		b.fail(st, sf.Name, "validate: min is greater than max")
	}
	if ru.MinLen >= 0 && ru.MaxLen >= 0 && ru.MinLen > ru.MaxLen {
		b.fail(st, sf.Name, "validate: minlen is greater than maxlen")
	}
	return ru
}

// ---------------------------------------------------------------------------
// Decoding

// Decode reads the body of r and decodes and validates it into a T (see
// the package-level rules below); on any error it returns the zero T and:
//
//   - [*RequestError] 415 ([ErrUnsupportedMediaType]) unless Content-Type is
//     application/json (case-insensitive; parameters allowed, charset only
//     utf-8) and Content-Encoding is absent or identity;
//   - [*RequestError] 413 ([ErrBodyTooLarge]) for a body over the limit
//     ([WithMaxBodyBytes], default 1 MiB): refused before reading when
//     Content-Length says so, otherwise as soon as the limit is passed;
//   - [*RequestError] 400 ([ErrBodyRead]) if the body cannot be read;
//   - [*ValidationError] (422) listing every problem of the body;
//   - [*TagError] if T cannot be decoded into (a programming error).
//
// JSON rules: the body is exactly one JSON value (RFC 8259, valid UTF-8, no
// duplicate keys, no keys that differ only in case, nesting at most
// [WithMaxDepth]); an empty body or null is "missing" at ["body"], invalid
// JSON "json_invalid" at ["body", byte offset].
//
// Mapping to Go types: object keys match JSON names exactly (case-sensitive):
// the name part of the field's json tag, else the Go field name; "-" skips a
// field; fields of embedded structs are promoted. Unknown keys are
// "extra_forbidden" unless [WithIgnoreUnknownFields]. Supported: strings,
// bool, ints and uints (a JSON number that denotes an integer exactly,
// decided on its decimal text, never rounded: 25.0 and 1e2 are integers,
// 1e-400 and 1.00000000000000000001 are int_from_float; out of range is
// less_than_equal/greater_than_equal with the type's bound), floats
// (finite), pointers (null gives nil), slices, []byte (base64, as
// encoding/json), maps with string keys, structs, any, json.RawMessage
// (kept as is; null is kept as the text null, so that null and absent
// differ), time.Time (an RFC 3339 string), and types whose pointer
// implements json.Unmarshaler (given the raw value, null included) or
// encoding.TextUnmarshaler (given a string). Types are strict: no coercion
// from strings; unless the field is required, null gives nil for pointers,
// slices, maps and any and the zero value for json.Unmarshaler types
// (time.Time included); it is a type error for every other type. A type
// that is a cycle of pointers (type P *P) is a [*TagError].
//
// A value an unmarshaler refuses is reported without what the method said,
// since that usually quotes the input: a time.Time as "datetime_parsing"
// ("Input should be a valid datetime, invalid datetime format") or, for a
// non-string, "datetime_type"; any other type T as "value_error" ("Value
// error, invalid value for T", with T as reflect.Type.String names it, such
// as netip.Addr or big.Int).
//
// Validation rules come from `validate:"..."` tags, comma-separated:
//
//	required        the key is present and not null (false, 0 and "" are values),
//	                for every type: absent is "missing"; null is the type
//	                error of the type held (string_type for a *string,
//	                datetime_type for a time.Time), or "missing" for any,
//	                json.RawMessage and other json.Unmarshaler types
//	min=N, max=N    numbers: N <= value, value <= N
//	minlen=N        strings: at least N characters (Unicode code points);
//	maxlen=N        slices and maps: at least/most N elements
//	oneof=a b c     strings or numbers: one of the space-separated values
//
// Rules on a pointer field apply to the value it points to. A type whose
// pointer has a Validate() error method is validated by it after it decoded
// without errors; Validate may return a [*ValidationError] or [FieldError]
// (Loc relative to the value) or any other error ("value_error"). Rules are
// parsed once per type and cached; Decode does no tag parsing per call.
//
// Decode is safe for concurrent use.
func Decode[T any](r *http.Request, opts ...DecodeOption) (T, error) {
	var out T
	cfg := newDecodeConfig(opts)
	tr := rulesFor(reflect.TypeFor[T]())
	if tr.err != nil {
		return out, tr.err
	}
	err := decodeRequest(r, tr, &cfg, reflect.ValueOf(&out).Elem())
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// DecodeReader is [Decode] for a body that is not an HTTP request: it reads
// rd up to the size limit ([WithMaxBodyBytes]) and decodes and validates it.
// There is no media type check.
func DecodeReader[T any](rd io.Reader, opts ...DecodeOption) (T, error) {
	var out T
	cfg := newDecodeConfig(opts)
	tr := rulesFor(reflect.TypeFor[T]())
	if tr.err != nil {
		return out, tr.err
	}
	buf, err := readLimited(rd, cfg.maxBytes)
	if err != nil {
		return out, err
	}
	defer putBuffer(buf)
	if err := decodeData(*buf, tr, &cfg, reflect.ValueOf(&out).Elem()); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// DecodeBytes is [Decode] for a body already in memory; there is no size
// limit and no media type check. data is not retained.
func DecodeBytes[T any](data []byte, opts ...DecodeOption) (T, error) {
	var out T
	var cfg decodeConfig
	if len(opts) == 0 {
		cfg = decodeConfig{maxBytes: DefaultMaxBodyBytes, maxDepth: DefaultMaxDepth}
	} else {
		cfg = newDecodeConfig(opts)
	}
	tr := rulesFor(reflect.TypeFor[T]())
	if tr.err != nil {
		return out, tr.err
	}
	if err := decodeData(data, tr, &cfg, reflect.ValueOf(&out).Elem()); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

func decodeRequest(r *http.Request, tr *typeRules, cfg *decodeConfig, v reflect.Value) error {
	if err := checkHeaders(r.Header); err != nil {
		return err
	}
	if r.ContentLength > cfg.maxBytes {
		return errTooLarge
	}
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	buf, err := readLimited(body, cfg.maxBytes)
	if err != nil {
		return err
	}
	defer putBuffer(buf)
	return decodeData(*buf, tr, cfg, v)
}

// checkHeaders enforces Content-Type application/json (charset utf-8 only)
// and Content-Encoding identity.
func checkHeaders(h http.Header) error {
	for _, ce := range h["Content-Encoding"] {
		for e := range strings.SplitSeq(ce, ",") {
			if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "identity") {
				return errEncoding
			}
		}
	}
	cts := h["Content-Type"]
	if len(cts) != 1 {
		return errContentType
	}
	ct := cts[0]
	if strings.EqualFold(ct, "application/json") {
		return nil // the common case, without parsing
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errContentType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return errContentType
	}
	return nil
}

// Body buffers are pooled: the decoder copies everything it keeps.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

const maxPooledBuffer = 64 << 10

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

// readLimited reads rd to its end into a pooled buffer, refusing more than
// limit bytes. It takes no declared length: memory follows the bytes that
// arrive, never a client's number (Content-Length), so a body that declares
// 64 MiB and sends 2 bytes holds one pooled 4 KiB buffer. The buffer doubles
// as bytes arrive, up to limit+1.
func readLimited(rd io.Reader, limit int64) (*[]byte, error) {
	bp := bufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	// Never read, nor grow the buffer, past one byte over the limit (no
	// io.LimitReader: it would cost an allocation per body).
	end := int(limit) + 1
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(max(2*cap(buf), 512), end))
			copy(grown, buf)
			buf = grown
		}
		n, err := rd.Read(buf[len(buf):min(cap(buf), end)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			*bp = buf
			putBuffer(bp)
			return nil, errTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			*bp = buf
			putBuffer(bp)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, errTooLarge
			}
			return nil, &RequestError{Status: http.StatusBadRequest, Detail: "There was an error reading the body", kind: ErrBodyRead, err: err}
		}
	}
	*bp = buf
	return bp, nil
}

// decodeData decodes the JSON document data into v (addressable, zero).
func decodeData(data []byte, tr *typeRules, cfg *decodeConfig, v reflect.Value) error {
	if err := jsonscan.Check(data, jsonscan.Options{MaxDepth: cfg.maxDepth, RejectCaseVariants: true}); err != nil {
		return scanError(data, err)
	}
	i := jsonscan.SkipSpace(data, 0)
	if data[i] == 'n' {
		return &ValidationError{Errors: []FieldError{missing([]any{"body"})}}
	}
	d := decoder{data: data, ignoreUnknown: cfg.ignoreUnknown, skipRootValidate: cfg.skipRootValidate}
	var pathBuf [8]pathElem
	d.path = pathBuf[:0]
	d.value(i, tr, nil, v)
	if len(d.errs) > 0 {
		return &ValidationError{Errors: d.errs}
	}
	return nil
}

func missing(loc []any) FieldError {
	return FieldError{Type: "missing", Loc: loc, Msg: "Field required"}
}

// scanError turns a jsonscan error into the response FastAPI gives for a
// body that does not parse: "missing" at ["body"] for an empty body, else
// "json_invalid" at ["body", offset] with the reason in ctx. Duplicate and
// case-variant keys are located at the key instead (["body","name"]).
func scanError(data []byte, err error) error {
	var se *jsonscan.Error
	if !errors.As(err, &se) {
		return err
	}
	fe := FieldError{Type: "json_invalid", Msg: "JSON decode error", Ctx: map[string]any{"error": se.Reason.String()}}
	switch se.Reason {
	case jsonscan.Empty:
		fe = missing([]any{"body"})
	case jsonscan.DuplicateKey, jsonscan.CaseVariantKey:
		fe.Loc = locAt(data, se.Offset)
	default:
		fe.Loc = []any{"body", se.Offset}
	}
	return &ValidationError{Errors: []FieldError{fe}}
}

// locAt returns the location of the object key whose opening quote is at
// data[target]; data up to target is valid JSON (it passed the scanner).
func locAt(data []byte, target int) []any {
	loc := []any{"body"}
	i := jsonscan.SkipSpace(data, 0)
	for i < len(data) && i < target {
		switch data[i] {
		case '{':
			i = jsonscan.SkipSpace(data, i+1)
			for i < target {
				end, _ := jsonscan.StringEnd(data, i)
				name := keyString(data[i:end])
				v := jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, end)+1)
				vend := jsonscan.ValueEnd(data, v)
				if target < vend {
					loc = append(loc, name)
					i = v
					break
				}
				i = jsonscan.SkipSpace(data, vend) + 1 // past ','
				i = jsonscan.SkipSpace(data, i)
			}
			if i == target {
				end, _ := jsonscan.StringEnd(data, i)
				return append(loc, keyString(data[i:end]))
			}
		case '[':
			i = jsonscan.SkipSpace(data, i+1)
			for n := 0; ; n++ {
				vend := jsonscan.ValueEnd(data, i)
				if target < vend {
					loc = append(loc, n)
					break
				}
				i = jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, vend)+1)
			}
		default:
			return loc
		}
	}
	return loc
}

// keyString unquotes a raw key and caps its length for an error location.
func keyString(raw []byte) string {
	b, _ := jsonscan.AppendUnquote(nil, raw)
	if len(b) > maxLocKey {
		n := maxLocKey
		for n > 0 && !utf8.RuneStart(b[n]) {
			n--
		}
		b = append(b[:n], "…"...)
	}
	return string(b)
}

type pathElem struct {
	name  string
	index int // -1 for a name
}

type decoder struct {
	data             []byte
	errs             []FieldError
	found            int // errors found, including those past MaxFieldErrors
	path             []pathElem
	ignoreUnknown    bool
	skipRootValidate bool
}

// atSkippedRoot reports whether the value being decoded is the root and
// its Validate method is to be skipped.
func (d *decoder) atSkippedRoot() bool { return d.skipRootValidate && len(d.path) == 0 }

func (d *decoder) loc() []any {
	loc := make([]any, 1, len(d.path)+1)
	loc[0] = "body"
	for _, p := range d.path {
		if p.index >= 0 {
			loc = append(loc, p.index)
		} else {
			loc = append(loc, p.name)
		}
	}
	return loc
}

func (d *decoder) add(typ, msg string, ctx map[string]any) {
	d.found++
	if len(d.errs) < MaxFieldErrors {
		d.errs = append(d.errs, FieldError{Type: typ, Loc: d.loc(), Msg: msg, Ctx: ctx})
	}
}

// typeError reports that the value at data[i] does not fit t.
func (d *decoder) typeError(i int, t *typeRules) {
	for t.Kind == kPointer {
		t = t.Elem
	}
	c := d.data[i]
	switch t.Kind {
	case kString, kText:
		d.add("string_type", "Input should be a valid string", nil)
	case kBool:
		if d.laxBool(i) {
			d.add("bool_type", "Input should be a valid boolean", nil)
		} else {
			d.add("bool_parsing", "Input should be a valid boolean, unable to interpret input", nil)
		}
	case kInt, kUint:
		if c == '"' && !d.stringIsInt(i) {
			d.add("int_parsing", "Input should be a valid integer, unable to parse string as an integer", nil)
		} else {
			d.add("int_type", "Input should be a valid integer", nil)
		}
	case kFloat:
		if c == '"' && !d.stringIsNumber(i) {
			d.add("float_parsing", "Input should be a valid number, unable to parse string as a number", nil)
		} else {
			d.add("float_type", "Input should be a valid number", nil)
		}
	case kStruct:
		// FastAPI validates bodies with from_attributes, so pydantic v2
		// reports model_attributes_type, not model_type, for a non-object.
		d.add("model_attributes_type", "Input should be a valid dictionary or object to extract fields from", nil)
	case kSlice:
		d.add("list_type", "Input should be a valid list", nil)
	case kBytes:
		d.add("bytes_type", "Input should be a valid bytes", nil)
	case kMap:
		d.add("dict_type", "Input should be a valid dictionary", nil)
	case kUnmarshaler:
		switch t.Type {
		case timeType:
			d.add("datetime_type", "Input should be a valid datetime", nil)
		case numericDateType:
			d.add("float_type", "Input should be a valid number", nil)
		default:
			// Only null on a required field gets here: the type takes any
			// JSON value, so there is no type to name.
			d.add("missing", "Field required", nil)
		}
	case kRaw, kAny:
		d.add("missing", "Field required", nil) // null on a required field
	}
}

// laxBool reports whether pydantic's lax mode would take the value at
// data[i] as a boolean (a type error here, not a parsing error): a string
// such as "true", "no" or "1", or the number 0 or 1.
func (d *decoder) laxBool(i int) bool {
	switch d.data[i] {
	case '"':
		end, esc := jsonscan.StringEnd(d.data, i)
		if esc {
			return false
		}
		switch strings.ToLower(string(d.data[i+1 : end-1])) {
		case "0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes":
			return true
		}
		return false
	case '{', '[':
		return true // a plain type error
	}
	end := jsonscan.NumberEnd(d.data, i)
	n := string(d.data[i:end])
	return n == "0" || n == "1"
}

// stringIsInt reports whether the string at data[i] holds an integer
// (pydantic's lax mode would accept it; it is then a type error, not a
// parsing error).
func (d *decoder) stringIsInt(i int) bool {
	end, esc := jsonscan.StringEnd(d.data, i)
	if esc {
		return false
	}
	_, err := strconv.ParseInt(strings.TrimSpace(string(d.data[i+1:end-1])), 10, 64)
	return err == nil
}

// stringIsNumber reports whether the string at data[i] holds a JSON-style
// number (pydantic's lax mode would accept it; it is then a type error, not
// a parsing error).
func (d *decoder) stringIsNumber(i int) bool {
	end, esc := jsonscan.StringEnd(d.data, i)
	if esc {
		return false
	}
	s := strings.TrimSpace(string(d.data[i+1 : end-1]))
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// value decodes the value at data[i] into v, checking ru (nil for none), and
// returns the offset just past the value. A type with a Validate method is
// validated by it once it decoded without errors (structs in object).
func (d *decoder) value(i int, t *typeRules, ru *rules, v reflect.Value) int {
	if !t.Validates || t.Kind == kStruct || d.data[i] == 'n' || d.atSkippedRoot() {
		return d.decodeValue(i, t, ru, v)
	}
	found := d.found
	end := d.decodeValue(i, t, ru, v)
	if d.found == found {
		d.validate(v)
	}
	return end
}

// validate calls v's Validate method and records its error.
func (d *decoder) validate(v reflect.Value) {
	if err := v.Addr().Interface().(interface{ Validate() error }).Validate(); err != nil {
		d.valueError(err)
	}
}

func (d *decoder) decodeValue(i int, t *typeRules, ru *rules, v reflect.Value) int {
	data := d.data
	c := data[i]
	if c == 'n' {
		// required is present and not null, for every type: null on a
		// required field is the type error of the type it would hold
		// (string_type for a *string, datetime_type for a time.Time), or
		// "missing" for a type that takes any JSON value (any,
		// json.RawMessage, other json.Unmarshaler types).
		required := ru != nil && ru.Required
		switch t.Kind {
		case kPointer, kAny, kSlice, kMap, kBytes:
			// A nil pointer, slice or map is what json.Marshal writes as
			// null.
			if required {
				d.typeError(i, t)
			}
			v.SetZero()
			return i + 4
		case kRaw, kUnmarshaler:
			if required {
				d.typeError(i, t)
				return i + 4
			}
			if t.Kind == kRaw {
				// As encoding/json: the text null, so null and absent
				// (nil) differ.
				v.SetBytes([]byte("null"))
				return i + 4
			}
			return d.unmarshaler(i, t, v)
		}
		d.typeError(i, t)
		return i + 4
	}
	switch t.Kind {
	case kPointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem.Type))
		}
		return d.value(i, t.Elem, ru, v.Elem())
	case kString:
		if c != '"' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		end, esc := jsonscan.StringEnd(data, i)
		var s string
		if esc {
			b, _ := jsonscan.AppendUnquote(nil, data[i:end])
			s = string(b)
		} else {
			s = string(data[i+1 : end-1])
		}
		v.SetString(s)
		if ru != nil {
			d.checkString(s, ru)
		}
		return end
	case kFloat:
		if jsonscan.KindOf(c) != jsonscan.Number {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		end := jsonscan.NumberEnd(data, i)
		f, err := strconv.ParseFloat(string(data[i:end]), t.Bits)
		if err != nil {
			d.add("finite_number", "Input should be a finite number", nil)
			return end
		}
		v.SetFloat(f)
		if ru != nil {
			d.checkNumber(f, ru)
		}
		return end
	case kInt, kUint:
		if jsonscan.KindOf(c) != jsonscan.Number {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		end := jsonscan.NumberEnd(data, i)
		d.integer(data[i:end], t, ru, v)
		return end
	case kBool:
		if c != 't' && c != 'f' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		v.SetBool(c == 't')
		if c == 't' {
			return i + 4
		}
		return i + 5
	case kStruct:
		if c != '{' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		return d.object(i, t, v)
	case kSlice:
		if c != '[' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		return d.slice(i, t, ru, v)
	case kMap:
		if c != '{' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		return d.mapValue(i, t, ru, v)
	case kBytes:
		if c != '"' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		end, _ := jsonscan.StringEnd(data, i)
		s, _ := jsonscan.AppendUnquote(nil, data[i:end])
		b, err := base64.StdEncoding.AppendDecode(nil, s)
		if err != nil {
			d.add("bytes_invalid_encoding", "Data should be valid base64", nil)
			return end
		}
		if b == nil {
			b = []byte{}
		}
		v.SetBytes(b)
		if ru != nil {
			d.checkBytes(len(b), ru)
		}
		return end
	case kRaw:
		end := jsonscan.ValueEnd(data, i)
		v.SetBytes(slices.Clone(data[i:end]))
		return end
	case kAny:
		end := jsonscan.ValueEnd(data, i)
		if err := json.Unmarshal(data[i:end], v.Addr().Interface()); err != nil {
			d.add("finite_number", "Input should be a finite number", nil)
		}
		return end
	case kUnmarshaler:
		if t.Type == numericDateType && c != '-' && (c < '0' || c > '9') {
			// golang-jwt's NumericDate also takes "123" (a string); a
			// NumericDate is a JSON number (RFC 7519 section 2).
			d.add("float_type", "Input should be a valid number", nil)
			return jsonscan.ValueEnd(data, i)
		}
		if t.Type == timeType && c != '"' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		return d.unmarshaler(i, t, v)
	case kText:
		if c != '"' {
			d.typeError(i, t)
			return jsonscan.ValueEnd(data, i)
		}
		end, _ := jsonscan.StringEnd(data, i)
		s, _ := jsonscan.AppendUnquote(nil, data[i:end])
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(s); err != nil {
			d.unmarshalError(t)
		}
		return end
	}
	panic("jwtauth: unreachable kind") // every kind is handled above
}

func (d *decoder) unmarshaler(i int, t *typeRules, v reflect.Value) int {
	end := jsonscan.ValueEnd(d.data, i)
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(d.data[i:end]); err != nil {
		d.unmarshalError(t)
	}
	return end
}

// unmarshalError reports that an UnmarshalJSON or UnmarshalText method
// refused the value, with a fixed text per type: what those methods say
// usually quotes the input (time.Time, netip.Addr and *big.Int all do), and
// an error never carries the client's values. A time.Time is pydantic's
// datetime_parsing with the fixed reason "invalid datetime format"; any other
// type T is "value_error", "Value error, invalid value for T" (T as
// reflect.Type.String names it, such as netip.Addr).
func (d *decoder) unmarshalError(t *typeRules) {
	if t.Type == timeType {
		d.add("datetime_parsing", "Input should be a valid datetime, invalid datetime format", map[string]any{"error": "invalid datetime format"})
		return
	}
	msg := "invalid value for " + t.Type.String()
	d.add("value_error", "Value error, "+msg, map[string]any{"error": msg})
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

func (d *decoder) integer(lit []byte, t *typeRules, ru *rules, v reflect.Value) {
	neg := lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	var mag uint64 // magnitude
	overflow, plain := false, true
	for _, c := range digits {
		if c < '0' || c > '9' {
			plain = false
			break
		}
		if mag > math.MaxUint64/10 || (mag == math.MaxUint64/10 && uint64(c-'0') > math.MaxUint64%10) {
			overflow = true
		}
		mag = mag*10 + uint64(c-'0')
	}
	if !plain {
		var integral bool
		mag, overflow, integral = decimalInteger(digits)
		if !integral {
			d.add("int_from_float", "Input should be a valid integer, got a number with a fractional part", nil)
			return
		}
	}
	if t.Kind == kUint {
		switch {
		case neg && (mag != 0 || overflow):
			d.add("greater_than_equal", "Input should be greater than or equal to 0", map[string]any{"ge": 0})
			return
		case overflow || (t.Bits < 64 && mag >= 1<<t.Bits):
			max := uint64(math.MaxUint64) >> (64 - t.Bits)
			d.add("less_than_equal", "Input should be less than or equal to "+strconv.FormatUint(max, 10), map[string]any{"le": max})
			return
		}
		v.SetUint(mag)
		if ru != nil {
			d.checkNumber(float64(mag), ru)
		}
		return
	}
	limit := uint64(1) << (t.Bits - 1) // |min|; max is limit-1
	switch {
	case neg && (overflow || mag > limit):
		min := -int64(limit-1) - 1
		d.add("greater_than_equal", "Input should be greater than or equal to "+strconv.FormatInt(min, 10), map[string]any{"ge": min})
		return
	case !neg && (overflow || mag >= limit):
		max := int64(limit - 1)
		d.add("less_than_equal", "Input should be less than or equal to "+strconv.FormatInt(max, 10), map[string]any{"le": max})
		return
	}
	n := int64(mag)
	if neg {
		n = -int64(mag-1) - 1
		if mag == 0 {
			n = 0
		}
	}
	v.SetInt(n)
	if ru != nil {
		d.checkNumber(float64(n), ru)
	}
}

// decimalInteger reads the unsigned JSON number lit (digits, an optional
// fraction and an optional exponent; it passed the scanner) exactly, on its
// decimal text, never through float64: integral reports whether it denotes
// an integer (1.0, 1e2 and 1500e-2 do; 1e-400 and 1.00000000000000000001 do
// not), and then mag is its value or overflow says it is 2^64 or more.
func decimalInteger(lit []byte) (mag uint64, overflow, integral bool) {
	// The significant digits are lit's digits without the dot; the value is
	// digits * 10^exp10.
	end := len(lit)
	var exp10 int64
	if e := slices.IndexFunc(lit, func(r byte) bool { return r == 'e' || r == 'E' }); e >= 0 {
		end = e
		x, neg := lit[e+1:], false
		if x[0] == '+' || x[0] == '-' {
			neg, x = x[0] == '-', x[1:]
		}
		for _, c := range x {
			// Saturate: the body is at most 1 GiB, so 1<<40 is out of reach
			// of any digit count and still far from overflowing an int64.
			if exp10 < 1<<40 {
				exp10 = exp10*10 + int64(c-'0')
			}
		}
		if neg {
			exp10 = -exp10
		}
	}
	mant := lit[:end]
	intPart, frac, _ := bytes.Cut(mant, []byte{'.'})
	exp10 -= int64(len(frac))
	// Significant digits: intPart then frac, without leading zeros and with
	// trailing zeros moved into the exponent.
	first, last := -1, -1 // over the concatenation intPart+frac
	n := len(intPart) + len(frac)
	at := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	for k := range n {
		if at(k) != '0' {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return 0, false, true // zero, whatever the exponent
	}
	exp10 += int64(n - 1 - last)
	if exp10 < 0 {
		return 0, false, false
	}
	if int64(last-first+1)+exp10 > 20 { // at least 10^20 > 2^64
		return 0, true, true
	}
	for k := first; k <= last; k++ {
		c := uint64(at(k) - '0')
		if mag > (math.MaxUint64-c)/10 {
			return 0, true, true
		}
		mag = mag*10 + c
	}
	for range exp10 {
		if mag > math.MaxUint64/10 {
			return 0, true, true
		}
		mag *= 10
	}
	return mag, false, true
}

func (d *decoder) checkNumber(x float64, ru *rules) {
	if ru.HasMin && x < ru.Min {
		d.add("greater_than_equal", "Input should be greater than or equal to "+ru.MinText, map[string]any{"ge": ru.Min})
	}
	if ru.HasMax && x > ru.Max {
		d.add("less_than_equal", "Input should be less than or equal to "+ru.MaxText, map[string]any{"le": ru.Max})
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

// errSeg is a run of errors d.errs[from:to] that belongs to the field with
// the given ordinal (len(fields) for unknown keys), for pydantic's ordering.
type errSeg struct{ ordinal, from, to int }

func (d *decoder) object(i int, t *typeRules, v reflect.Value) int {
	data := d.data
	start, found := len(d.errs), d.found
	var seen uint64
	var seenBig []bool
	if len(t.Fields) > 64 {
		seenBig = make([]bool, len(t.Fields))
	}
	var segs []errSeg
	i = jsonscan.SkipSpace(data, i+1)
	for data[i] != '}' {
		keyStart := i
		end, esc := jsonscan.StringEnd(data, i)
		name := data[i+1 : end-1]
		if esc {
			name, _ = jsonscan.AppendUnquote(nil, data[i:end])
		}
		i = jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, end)+1)
		before := len(d.errs)
		fi := t.lookup(name)
		if fi < 0 {
			if !d.ignoreUnknown {
				d.path = append(d.path, pathElem{name: keyString(data[keyStart:end]), index: -1})
				d.add("extra_forbidden", "Extra inputs are not permitted", nil)
				d.path = d.path[:len(d.path)-1]
			}
			i = jsonscan.ValueEnd(data, i)
			fi = len(t.Fields)
		} else {
			f := &t.Fields[fi]
			if seenBig != nil {
				seenBig[fi] = true
			} else {
				seen |= 1 << fi
			}
			d.path = append(d.path, pathElem{name: f.Name, index: -1})
			var fv reflect.Value
			if len(f.index) == 1 {
				fv = v.Field(f.index[0])
			} else {
				fv = v.FieldByIndex(f.index)
			}
			i = d.value(i, f.Type, &f.Rules, fv)
			d.path = d.path[:len(d.path)-1]
		}
		if len(d.errs) > before {
			segs = append(segs, errSeg{fi, before, len(d.errs)})
		}
		i = jsonscan.SkipSpace(data, i)
		if data[i] == ',' {
			i = jsonscan.SkipSpace(data, i+1)
		}
	}
	for fi := range t.Fields {
		f := &t.Fields[fi]
		if !f.Rules.Required {
			continue
		}
		if (seenBig != nil && seenBig[fi]) || (seenBig == nil && seen&(1<<fi) != 0) {
			continue
		}
		before := len(d.errs)
		d.path = append(d.path, pathElem{name: f.Name, index: -1})
		d.found++
		if len(d.errs) < MaxFieldErrors {
			d.errs = append(d.errs, missing(d.loc()))
		}
		d.path = d.path[:len(d.path)-1]
		if len(d.errs) > before {
			segs = append(segs, errSeg{fi, before, len(d.errs)})
		}
	}
	if len(segs) > 1 {
		d.reorder(start, segs)
	}
	// found, not len(d.errs): past MaxFieldErrors errors are dropped, and
	// Validate must never see a value that failed to decode.
	if t.Validates && d.found == found && !d.atSkippedRoot() {
		d.validate(v)
	}
	return i + 1
}

// reorder sorts the errors of one object by field ordinal (stable), the
// order pydantic reports them in.
func (d *decoder) reorder(start int, segs []errSeg) {
	if slices.IsSortedFunc(segs, func(a, b errSeg) int { return a.ordinal - b.ordinal }) {
		return
	}
	slices.SortStableFunc(segs, func(a, b errSeg) int { return a.ordinal - b.ordinal })
	sorted := make([]FieldError, 0, len(d.errs)-start)
	for _, s := range segs {
		sorted = append(sorted, d.errs[s.from:s.to]...)
	}
	copy(d.errs[start:], sorted)
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

func (d *decoder) slice(i int, t *typeRules, ru *rules, v reflect.Value) int {
	data := d.data
	i = jsonscan.SkipSpace(data, i+1)
	n := 0
	if v.IsNil() {
		v.Set(reflect.MakeSlice(t.Type, 0, 4))
	}
	for data[i] != ']' {
		if n == v.Cap() {
			v.Grow(1)
		}
		v.SetLen(n + 1)
		d.path = append(d.path, pathElem{index: n})
		i = d.value(i, t.Elem, nil, v.Index(n))
		d.path = d.path[:len(d.path)-1]
		n++
		i = jsonscan.SkipSpace(data, i)
		if data[i] == ',' {
			i = jsonscan.SkipSpace(data, i+1)
		}
	}
	v.SetLen(n)
	if ru != nil {
		d.checkLen(n, "List", ru)
	}
	return i + 1
}

func (d *decoder) mapValue(i int, t *typeRules, ru *rules, v reflect.Value) int {
	data := d.data
	if v.IsNil() {
		v.Set(reflect.MakeMap(t.Type))
	}
	kt := t.Type.Key()
	i = jsonscan.SkipSpace(data, i+1)
	for data[i] != '}' {
		end, _ := jsonscan.StringEnd(data, i)
		kb, _ := jsonscan.AppendUnquote(nil, data[i:end])
		key := string(kb)
		i = jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, end)+1)
		elem := reflect.New(t.Elem.Type).Elem()
		d.path = append(d.path, pathElem{name: capKey(key), index: -1})
		i = d.value(i, t.Elem, nil, elem)
		d.path = d.path[:len(d.path)-1]
		kv := reflect.New(kt).Elem()
		kv.SetString(key)
		v.SetMapIndex(kv, elem)
		i = jsonscan.SkipSpace(data, i)
		if data[i] == ',' {
			i = jsonscan.SkipSpace(data, i+1)
		}
	}
	if ru != nil {
		d.checkLen(v.Len(), "Dictionary", ru)
	}
	return i + 1
}

func capKey(s string) string {
	if len(s) <= maxLocKey {
		return s
	}
	n := maxLocKey
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ---------------------------------------------------------------------------
// Error responses

// writeBodyError writes err as a response if it is one of the body errors
// ([*ValidationError] 422 {"detail":[...]}, [*RequestError] and [*HTTPError]
// {"detail":"..."} with their status) and reports whether it did.
func writeBodyError(w http.ResponseWriter, err error) bool {
	var (
		ve *ValidationError
		re *RequestError
		he *HTTPError
	)
	switch {
	case errors.As(err, &ve):
		writeJSON(w, http.StatusUnprocessableEntity, "", struct {
			Detail []FieldError `json:"detail"`
		}{ve.Errors})
	case errors.As(err, &re):
		if re.Status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close") // the rest of the body is not read
		}
		writeJSON(w, re.Status, "", detail{re.Detail})
	case errors.As(err, &he):
		addHeaders(w, he.Header)
		writeJSON(w, he.Status, he.Header.Get("Content-Type"), detail{he.Detail})
	default:
		return false
	}
	return true
}

type detail struct {
	Detail string `json:"detail"`
}

// writeJSON writes v as JSON with status and contentType ("" for
// application/json), or a 500 if v cannot be encoded (a Validate method's
// FieldError may hold anything in Ctx).
func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeBody(w, http.StatusInternalServerError, bodyInternal)
		return
	}
	writeJSONBytes(w, status, contentType, b)
}

// addHeaders adds h to the response's headers, except Content-Type, which
// writeJSONBytes sets.
func addHeaders(w http.ResponseWriter, h http.Header) {
	for k, vs := range h {
		if k == "Content-Type" {
			continue
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// writeJSONBytes writes status and the JSON text b followed by a newline, as
// every body the library writes ends. Content-Type is set to contentType
// (from a [Response] or [HTTPError] header), or application/json if that is
// "", replacing whatever an outer handler put on w; 204 and 304 get neither
// a Content-Type nor a body.
func writeJSONBytes(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	if status == http.StatusNoContent || status == http.StatusNotModified {
		h.Del("Content-Type")
		w.WriteHeader(status)
		return
	}
	if contentType == "" {
		contentType = "application/json"
	}
	h.Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// ---------------------------------------------------------------------------
// Typed handlers

// NoBody is the input type of a [Handle] handler that takes no body, such as
// one for GET or DELETE: the body is neither read nor checked.
type NoBody struct{}

// Response is an output type for [Handle] handlers that answer with another
// status than 200 or set headers: Status (0 means 200), Header (added to the
// response's headers, such as Location; a Content-Type here is kept instead
// of application/json) and Body, written as JSON and a newline unless Status
// is 204 or 304, which have no body and no Content-Type.
type Response[U any] struct {
	Status int         // 0 means 200
	Header http.Header // added to the response, such as Location; may be nil
	Body   U           // written as JSON unless Status is 204 or 304
}

func (r Response[U]) response() (int, http.Header, any) { return r.Status, r.Header, r.Body }

type responder interface {
	response() (int, http.Header, any)
}

type requestKey struct{}

// requestContext carries the request for [Request] without copying it.
type requestContext struct {
	context.Context
	r *http.Request
}

func (c *requestContext) Value(key any) any {
	if key == (requestKey{}) {
		return c.r
	}
	return c.Context.Value(key)
}

// Request returns the HTTP request a [Handle] handler is serving, for path
// values (r.PathValue), headers or the URL; ok is false outside one.
func Request(ctx context.Context) (r *http.Request, ok bool) {
	r, ok = ctx.Value(requestKey{}).(*http.Request)
	return r, ok
}

// Handle returns an http.Handler that decodes and validates the request body
// into an In with [Decode] (skipped when In is [NoBody]), calls fn with the
// request's context (from which [Request] returns the request), and writes
// fn's result as JSON with status 200, or as a [Response] says. Errors, from
// decoding or from fn, are written with [WriteError]: a [*ValidationError]
// as 422, a [*RequestError] or [*HTTPError] with its status, anything else
// (a result json.Marshal refuses included) as 500; each is given first to
// the [WithHandlerErrorObserver] observer, if any. Every body ends with a
// newline, as the middleware's do; 204 and 304 have no body and no
// Content-Type.
//
// Handle returns a [*TagError] if In cannot be decoded into (a malformed
// validate tag, an unsupported field type), so that the mistake shows at
// start-up rather than on the first request. The handler is safe for
// concurrent use.
func Handle[In, Out any](fn func(ctx context.Context, in In) (Out, error), opts ...DecodeOption) (http.Handler, error) {
	cfg := newDecodeConfig(opts)
	if cfg.optErr != nil {
		return nil, cfg.optErr
	}
	var tr *typeRules
	if reflect.TypeFor[In]() != reflect.TypeFor[NoBody]() {
		tr = rulesFor(reflect.TypeFor[In]())
		if tr.err != nil {
			return nil, tr.err
		}
	}
	return &typedHandler[In, Out]{fn: fn, cfg: cfg, rules: tr}, nil
}

type typedHandler[In, Out any] struct {
	fn    func(context.Context, In) (Out, error)
	cfg   decodeConfig
	rules *typeRules // nil for NoBody
}

func (h *typedHandler[In, Out]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in In
	if h.rules != nil {
		if err := decodeRequest(r, h.rules, &h.cfg, reflect.ValueOf(&in).Elem()); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	out, err := h.fn(&requestContext{Context: r.Context(), r: r}, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status, body := http.StatusOK, any(out)
	var hdr http.Header
	if rs, ok := body.(responder); ok {
		status, hdr, body = rs.response()
		if status == 0 {
			status = http.StatusOK
		}
	}
	var b []byte
	if status != http.StatusNoContent && status != http.StatusNotModified {
		// Encoded before any header is set: a failure is a plain 500,
		// without the Response's Location or Content-Type.
		if b, err = json.Marshal(body); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	addHeaders(w, hdr)
	writeJSONBytes(w, status, hdr.Get("Content-Type"), b)
}

// fail reports err to the observer, if any, and writes it with [WriteError].
func (h *typedHandler[In, Out]) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.cfg.observe != nil {
		h.cfg.observe(r, err)
	}
	WriteError(w, r, err)
}
