package jwtauth

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// maxLocKey caps the length of a client-supplied key (an unknown field or a
// map key) copied into an error location.
const maxLocKey = 128

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

// decodeValue decodes the value at data[i] into v, as value does, without
// calling a Validate method. A value that does not start like t's JSON kind
// (t.JSON) is a type error and is skipped.
func (d *decoder) decodeValue(i int, t *typeRules, ru *rules, v reflect.Value) int {
	data := d.data
	c := data[i]
	if c == 'n' {
		return d.null(i, t, ru, v)
	}
	if t.JSON != jsonscan.Invalid && jsonscan.KindOf(c) != t.JSON {
		d.typeError(i, t)
		return jsonscan.ValueEnd(data, i)
	}
	switch t.Kind {
	case kPointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem.Type))
		}
		return d.value(i, t.Elem, ru, v.Elem())
	case kString:
		return d.str(i, ru, v)
	case kFloat:
		return d.float(i, t, ru, v)
	case kInt, kUint:
		end := jsonscan.NumberEnd(data, i)
		d.integer(data[i:end], t, ru, v)
		return end
	case kBool:
		v.SetBool(c == 't')
		if c == 't' {
			return i + 4
		}
		return i + 5
	case kStruct:
		return d.object(i, t, v)
	case kSlice:
		return d.slice(i, t, ru, v)
	case kMap:
		return d.mapValue(i, t, ru, v)
	case kBytes:
		return d.bytes(i, ru, v)
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
		return d.unmarshaler(i, t, v)
	case kText:
		return d.text(i, t, v)
	}
	panic("jwtauth: unreachable kind") // every kind is handled above
}

// null decodes the null at data[i]. required is present and not null, for
// every type: null on a required field is the type error of the type it
// would hold (string_type for a *string, datetime_type for a time.Time), or
// "missing" for a type that takes any JSON value (any, json.RawMessage,
// other json.Unmarshaler types).
func (d *decoder) null(i int, t *typeRules, ru *rules, v reflect.Value) int {
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

// str decodes the string at data[i].
func (d *decoder) str(i int, ru *rules, v reflect.Value) int {
	end, esc := jsonscan.StringEnd(d.data, i)
	var s string
	if esc {
		b, _ := jsonscan.AppendUnquote(nil, d.data[i:end])
		s = string(b)
	} else {
		s = string(d.data[i+1 : end-1])
	}
	v.SetString(s)
	if ru != nil {
		d.checkString(s, ru)
	}
	return end
}

// float decodes the number at data[i] into a float of t.Bits bits.
func (d *decoder) float(i int, t *typeRules, ru *rules, v reflect.Value) int {
	end := jsonscan.NumberEnd(d.data, i)
	f, err := strconv.ParseFloat(string(d.data[i:end]), t.Bits)
	if err != nil {
		d.add("finite_number", "Input should be a finite number", nil)
		return end
	}
	v.SetFloat(f)
	if ru != nil {
		d.checkNumber(f, ru)
	}
	return end
}

// bytes decodes the base64 string at data[i] into a []byte.
func (d *decoder) bytes(i int, ru *rules, v reflect.Value) int {
	end, _ := jsonscan.StringEnd(d.data, i)
	s, _ := jsonscan.AppendUnquote(nil, d.data[i:end])
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
}

// text gives the string at data[i] to v's UnmarshalText method.
func (d *decoder) text(i int, t *typeRules, v reflect.Value) int {
	end, _ := jsonscan.StringEnd(d.data, i)
	s, _ := jsonscan.AppendUnquote(nil, d.data[i:end])
	if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(s); err != nil {
		d.unmarshalError(t)
	}
	return end
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

// errSeg is a run of errors d.errs[from:to] that belongs to the field with
// the given ordinal (len(fields) for unknown keys), for pydantic's ordering.
type errSeg struct{ ordinal, from, to int }

// object decodes the object at data[i] into the struct v: each member into
// its field, then "missing" for each required field not given, the errors
// in pydantic's order (by field); then v's Validate method, if v decoded
// without errors.
func (d *decoder) object(i int, t *typeRules, v reflect.Value) int {
	data := d.data
	start, found := len(d.errs), d.found
	given := newFieldSet(len(t.Fields))
	var segs []errSeg
	i = jsonscan.SkipSpace(data, i+1)
	for data[i] != '}' {
		before := len(d.errs)
		var fi int
		fi, i = d.member(i, t, v)
		if fi < len(t.Fields) {
			given.add(fi)
		}
		if len(d.errs) > before {
			segs = append(segs, errSeg{fi, before, len(d.errs)})
		}
		i = jsonscan.SkipSpace(data, i)
		if data[i] == ',' {
			i = jsonscan.SkipSpace(data, i+1)
		}
	}
	segs = d.missingFields(t, &given, segs)
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

// member decodes the object member (key, colon, value) at data[i] into its
// field of the struct v and returns the field's index, len(t.Fields) for an
// unknown key (extra_forbidden unless ignored), and the offset just past
// the value.
func (d *decoder) member(i int, t *typeRules, v reflect.Value) (fi, next int) {
	data := d.data
	keyStart := i
	end, esc := jsonscan.StringEnd(data, i)
	name := data[i+1 : end-1]
	if esc {
		name, _ = jsonscan.AppendUnquote(nil, data[i:end])
	}
	i = jsonscan.SkipSpace(data, jsonscan.SkipSpace(data, end)+1)
	fi = t.lookup(name)
	if fi < 0 {
		if !d.ignoreUnknown {
			d.path = append(d.path, pathElem{name: keyString(data[keyStart:end]), index: -1})
			d.add("extra_forbidden", "Extra inputs are not permitted", nil)
			d.path = d.path[:len(d.path)-1]
		}
		return len(t.Fields), jsonscan.ValueEnd(data, i)
	}
	f := &t.Fields[fi]
	d.path = append(d.path, pathElem{name: f.Name, index: -1})
	var fv reflect.Value
	if len(f.index) == 1 {
		fv = v.Field(f.index[0])
	} else {
		fv = v.FieldByIndex(f.index)
	}
	i = d.value(i, f.Type, &f.Rules, fv)
	d.path = d.path[:len(d.path)-1]
	return fi, i
}

// missingFields reports "missing" for each required field of t that is not
// in given, and returns segs with their runs of errors added.
func (d *decoder) missingFields(t *typeRules, given *fieldSet, segs []errSeg) []errSeg {
	for fi := range t.Fields {
		f := &t.Fields[fi]
		if !f.Rules.Required || given.has(fi) {
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
	return segs
}

// fieldSet is a set of field indexes: the fields an object gave. It is a
// bit set, or a slice for a struct of more than 64 fields.
type fieldSet struct {
	bits uint64
	big  []bool
}

func newFieldSet(n int) fieldSet {
	if n > 64 {
		return fieldSet{big: make([]bool, n)}
	}
	return fieldSet{}
}

func (s *fieldSet) add(i int) {
	if s.big != nil {
		s.big[i] = true
	} else {
		s.bits |= 1 << i
	}
}

func (s *fieldSet) has(i int) bool {
	if s.big != nil {
		return s.big[i]
	}
	return s.bits&(1<<i) != 0
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
