package jwtauth

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// The decoder's problems in pydantic v2's shape: error types, messages and
// locations, as FastAPI reports them.

// maxLocKey caps the length of a client-supplied key (an unknown field or a
// map key) copied into an error location.
const maxLocKey = 128

// missing is pydantic's error for an absent required field.
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

// errSeg is a run of errors d.errs[from:to] that belongs to the field with
// the given ordinal (len(fields) for unknown keys), for pydantic's ordering.
type errSeg struct{ ordinal, from, to int }

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
