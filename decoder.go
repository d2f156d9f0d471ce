package jwtauth

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

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

// dateTimePattern is the RFC 3339 date-time (section 5.6) a time.Time must
// be written as: "T" and "Z" in upper case, as time.Time writes them, hours
// and offsets in range, no leap second (time.Time has none). The schema of a
// time.Time publishes it beside format date-time, so that a JSON Schema
// validator decides as the decoder does: time.Time's own UnmarshalJSON also
// takes a one-digit hour, a comma before the fraction and an offset of
// -24:00 or +01:60, which RFC 3339 does not, and refuses escapes.
const dateTimePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`

var dateTimeRE = regexp.MustCompile(dateTimePattern)

// dateTime decodes the JSON string lit into the time.Time v: it must match
// dateTimePattern and name a real date (time.Parse checks the day of the
// month, leap years included).
func (d *decoder) dateTime(lit []byte, t *typeRules, v reflect.Value) {
	s, _ := jsonscan.AppendUnquote(nil, lit)
	if !dateTimeRE.Match(s) {
		d.unmarshalError(t)
		return
	}
	tm, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		d.unmarshalError(t)
		return
	}
	v.Set(reflect.ValueOf(tm))
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
	if t.Type == timeType && d.data[i] == '"' {
		d.dateTime(d.data[i:end], t, v)
		return end
	}
	if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(d.data[i:end]); err != nil {
		d.unmarshalError(t)
	}
	return end
}

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
