// Package jsonscan is a strict, allocation-light JSON (RFC 8259) scanner
// shared by the JWT claims check and the request body decoder of jwtauth.
//
// [Check] validates a whole document: exactly one value, RFC 8259 grammar,
// valid UTF-8 (raw bytes and \u escapes; a lone surrogate escape is invalid),
// a nesting limit and no duplicate (optionally no case-variant) member names,
// compared after unescaping. [Members] walks the members of a top-level
// object. The lower-level helpers ([SkipSpace], [KindOf], [StringEnd],
// [NumberEnd], [ValueEnd], [AppendUnquote]) let a decoder walk data that has
// already passed [Check] without validating it again.
//
// jsonscan checks grammar only: a number is not converted, so 1e400 passes
// [Check] even though it does not fit a float64; converting (and refusing
// what does not fit) is the caller's job.
//
// All functions are safe for concurrent use; none retains data.
package jsonscan

import (
	"bytes"
	"strconv"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Kind is the kind of a JSON value.
type Kind uint8

// The kinds of JSON values. Invalid is the zero Kind, reported for bytes that
// start no value.
const (
	Invalid Kind = iota
	Object
	Array
	String
	Number
	Bool
	Null
)

var kindNames = [...]string{"invalid", "object", "array", "string", "number", "bool", "null"}

// String returns the lower-case name of the kind, such as "object".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Reason says why [Check] or [Members] refused data.
type Reason uint8

// The reasons an [Error] carries.
const (
	// Syntax: the data breaks the RFC 8259 grammar (including a control
	// character inside a string and an unexpected end of input).
	Syntax Reason = iota + 1
	// InvalidUTF8: a string holds invalid UTF-8 or a \u escape that is a
	// lone surrogate.
	InvalidUTF8
	// TooDeep: arrays and objects are nested deeper than [Options.MaxDepth].
	TooDeep
	// DuplicateKey: an object has two members with the same name (compared
	// after unescaping).
	DuplicateKey
	// CaseVariantKey: an object has two member names that differ only in
	// case (reported only with [Options.RejectCaseVariants]).
	CaseVariantKey
	// TrailingData: something other than white space follows the value.
	TrailingData
	// Empty: the data is empty or only white space.
	Empty
	// NotObject: [Members] was given a value that is not an object.
	NotObject
)

var reasonNames = [...]string{
	Syntax:         "syntax error",
	InvalidUTF8:    "invalid UTF-8",
	TooDeep:        "nesting too deep",
	DuplicateKey:   "duplicate object key",
	CaseVariantKey: "object keys differ only in case",
	TrailingData:   "data after the JSON value",
	Empty:          "no JSON value",
	NotObject:      "not a JSON object",
}

// String returns a short English description of the reason, such as
// "duplicate object key".
func (r Reason) String() string {
	if int(r) < len(reasonNames) && reasonNames[r] != "" {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Error describes why data was refused. Offset is the byte offset in the data
// where the problem was found (len(data) for an unexpected end). The message
// never contains input bytes.
type Error struct {
	Offset int
	Reason Reason
}

// Error returns "jsonscan: <reason> at offset <n>".
func (e *Error) Error() string {
	return "jsonscan: " + e.Reason.String() + " at offset " + strconv.Itoa(e.Offset)
}

// DefaultMaxDepth is the nesting limit used when [Options.MaxDepth] is <= 0.
const DefaultMaxDepth = 32

// Options configures [Check]. The zero value is ready to use: nesting depth
// [DefaultMaxDepth], case-variant names allowed.
type Options struct {
	// MaxDepth is the deepest nesting of arrays and objects allowed; a
	// top-level object or array is depth 1. <= 0 means [DefaultMaxDepth].
	MaxDepth int
	// RejectCaseVariants also refuses two member names in one object that
	// are equal under strings.EqualFold (Unicode simple folding, the folding
	// encoding/json uses to match fields) but not byte-equal.
	RejectCaseVariants bool
}

// smallObject is how many member names an object may have before duplicate
// detection switches from pairwise comparison (no allocation) to a map.
const smallObject = 32

// Check reports whether data is exactly one JSON value (surrounding white
// space allowed) that is valid per RFC 8259, with valid UTF-8 everywhere (raw
// bytes and \u escapes: a lone surrogate escape is invalid), nesting no deeper
// than opts.MaxDepth and no object with two equal member names (compared after
// unescaping, so "ex\u0070" equals "exp"). It returns nil or an [*Error].
//
// Check does not allocate for objects with fewer than 32 members whose names
// have no escapes.
func Check(data []byte, opts Options) error {
	s := scanner{data: data, maxDepth: opts.MaxDepth, fold: opts.RejectCaseVariants, names: true}
	if s.maxDepth <= 0 {
		s.maxDepth = DefaultMaxDepth
	}
	i := SkipSpace(data, 0)
	if i == len(data) {
		return &Error{Offset: i, Reason: Empty}
	}
	_, end, err := s.value(i, 0)
	if err != nil {
		return err
	}
	if end = SkipSpace(data, end); end != len(data) {
		return &Error{Offset: end, Reason: TrailingData}
	}
	return nil
}

// Members calls fn for each member of the top-level object in data, in order,
// with the member's unescaped name, the kind of its value and the raw bytes of
// the value (for a string, including the quotes). fn must not retain name.
// Returning false from fn stops the walk.
//
// data should have passed [Check]; Members still validates the grammar as it
// goes and returns an [*Error] (Reason [NotObject] if the value is not an
// object) rather than trusting it, but it does not look for duplicate names
// or trailing data. Members does not allocate when names have no escapes.
func Members(data []byte, fn func(name []byte, kind Kind, raw []byte) bool) error {
	s := scanner{data: data, maxDepth: 1 << 30}
	i := SkipSpace(data, 0)
	if i == len(data) {
		return &Error{Offset: i, Reason: Empty}
	}
	if data[i] != '{' {
		return &Error{Offset: i, Reason: NotObject}
	}
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return &Error{Offset: i, Reason: Syntax}
		}
		end, esc, err := s.str(i)
		if err != nil {
			return err
		}
		name := data[i+1 : end-1]
		if esc {
			name, _ = AppendUnquote(nil, data[i:end])
		}
		i = SkipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return &Error{Offset: i, Reason: Syntax}
		}
		i = SkipSpace(data, i+1)
		start := i
		kind, end, err := s.value(i, 1)
		if err != nil {
			return err
		}
		if !fn(name, kind, data[start:end]) {
			return nil
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return &Error{Offset: i, Reason: Syntax}
		}
		switch data[i] {
		case ',':
			i = SkipSpace(data, i+1)
		case '}':
			return nil
		default:
			return &Error{Offset: i, Reason: Syntax}
		}
	}
}

// Member returns the kind and raw text of the top-level member name of
// data, a JSON object that passed [Check], or [Invalid] and nil if there is
// none. The name is compared exactly, byte for byte.
func Member(data []byte, name string) (Kind, []byte) {
	kind, raw := Invalid, []byte(nil)
	_ = Members(data, func(n []byte, k Kind, r []byte) bool {
		if string(n) != name {
			return true
		}
		kind, raw = k, r
		return false
	})
	return kind, raw
}

// StringValue returns the contents of raw, a checked JSON string value
// including its quotes. Without escapes the result shares raw's memory and
// costs no allocation, so raw must not change afterwards; with escapes it is
// [Unquote]'s. It returns an error if raw is not a string.
func StringValue(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", &Error{Offset: 0, Reason: Syntax}
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') >= 0 {
		return Unquote(raw)
	}
	if len(body) == 0 {
		return "", nil
	}
	return unsafe.String(&body[0], len(body)), nil
}

// Strings returns the elements of raw, a checked JSON array, as strings
// (see [StringValue] for the memory they share); ok is false if an element
// is not a string.
func Strings(raw []byte) (list []string, ok bool) {
	i := SkipSpace(raw, 1)
	for i < len(raw) && raw[i] != ']' {
		if raw[i] != '"' {
			return nil, false
		}
		end, _ := StringEnd(raw, i)
		s, err := StringValue(raw[i:end])
		if err != nil {
			return nil, false
		}
		list = append(list, s)
		i = SkipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = SkipSpace(raw, i+1)
		}
	}
	return list, true
}

// Unquote returns the unescaped contents of raw, a JSON string value
// including its quotes (as [Members] passes it). It returns an [*Error] if
// raw is not exactly one valid JSON string.
func Unquote(raw []byte) (string, error) {
	s := scanner{data: raw}
	if len(raw) == 0 || raw[0] != '"' {
		return "", &Error{Offset: 0, Reason: Syntax}
	}
	end, esc, err := s.str(0)
	if err != nil {
		return "", err
	}
	if end != len(raw) {
		return "", &Error{Offset: end, Reason: TrailingData}
	}
	if !esc {
		return string(raw[1 : end-1]), nil
	}
	b, err := AppendUnquote(make([]byte, 0, len(raw)), raw)
	return string(b), err
}

// scanner validates; it holds only configuration, so it stays on the stack.
type scanner struct {
	data     []byte
	maxDepth int
	fold     bool // also refuse case-variant names
	names    bool // look for duplicate names at all
}

// value validates the value starting exactly at data[i] (no white space) and
// returns its kind and the offset just past it. depth is the nesting depth of
// the enclosing container (0 at top level).
func (s *scanner) value(i, depth int) (Kind, int, error) {
	data := s.data
	if i >= len(data) {
		return Invalid, i, &Error{Offset: i, Reason: Syntax}
	}
	switch c := data[i]; c {
	case '{':
		end, err := s.object(i, depth+1)
		return Object, end, err
	case '[':
		end, err := s.array(i, depth+1)
		return Array, end, err
	case '"':
		end, _, err := s.str(i)
		return String, end, err
	case 't':
		return Bool, i + 4, literal(data, i, "true")
	case 'f':
		return Bool, i + 5, literal(data, i, "false")
	case 'n':
		return Null, i + 4, literal(data, i, "null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			end, err := number(data, i)
			return Number, end, err
		}
		return Invalid, i, &Error{Offset: i, Reason: Syntax}
	}
}

func literal(data []byte, i int, lit string) error {
	for j := 0; j < len(lit); j++ {
		if i+j >= len(data) || data[i+j] != lit[j] {
			return &Error{Offset: i + j, Reason: Syntax}
		}
	}
	return nil
}

// number validates the number at data[i] and returns the offset past it.
func number(data []byte, i int) (int, error) {
	if data[i] == '-' {
		i++
	}
	digits := func(i int) int {
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		return i
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = digits(i + 1)
	default:
		return i, &Error{Offset: i, Reason: Syntax}
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return j, &Error{Offset: j, Reason: Syntax}
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return j, &Error{Offset: j, Reason: Syntax}
		}
		i = j
	}
	return i, nil
}

func (s *scanner) array(i, depth int) (int, error) {
	if depth > s.maxDepth {
		return i, &Error{Offset: i, Reason: TooDeep}
	}
	data := s.data
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == ']' {
		return i + 1, nil
	}
	for {
		_, end, err := s.value(i, depth)
		if err != nil {
			return end, err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return i, &Error{Offset: i, Reason: Syntax}
		}
		switch data[i] {
		case ',':
			i = SkipSpace(data, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, &Error{Offset: i, Reason: Syntax}
		}
	}
}

func (s *scanner) object(i, depth int) (int, error) {
	if depth > s.maxDepth {
		return i, &Error{Offset: i, Reason: TooDeep}
	}
	data := s.data
	i = SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return i + 1, nil
	}
	var small [smallObject][]byte
	names := small[:0]
	var big map[string]string // name (folded with s.fold) -> first name
	for {
		if i >= len(data) || data[i] != '"' {
			return i, &Error{Offset: i, Reason: Syntax}
		}
		end, esc, err := s.str(i)
		if err != nil {
			return end, err
		}
		if s.names {
			name := data[i+1 : end-1]
			if esc {
				name, _ = AppendUnquote(nil, data[i:end])
			}
			switch {
			case big != nil:
				if r := s.addBig(big, name); r != 0 {
					return i, &Error{Offset: i, Reason: r}
				}
			case len(names) < smallObject:
				if r := s.findSmall(names, name); r != 0 {
					return i, &Error{Offset: i, Reason: r}
				}
				names = append(names, name)
			default:
				big = make(map[string]string, 2*smallObject)
				for _, n := range names {
					s.addBig(big, n)
				}
				if r := s.addBig(big, name); r != 0 {
					return i, &Error{Offset: i, Reason: r}
				}
			}
		}
		i = SkipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return i, &Error{Offset: i, Reason: Syntax}
		}
		i = SkipSpace(data, i+1)
		_, end, err = s.value(i, depth)
		if err != nil {
			return end, err
		}
		i = SkipSpace(data, end)
		if i >= len(data) {
			return i, &Error{Offset: i, Reason: Syntax}
		}
		switch data[i] {
		case ',':
			i = SkipSpace(data, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, &Error{Offset: i, Reason: Syntax}
		}
	}
}

// findSmall compares name with every earlier name of the object.
func (s *scanner) findSmall(names [][]byte, name []byte) Reason {
	variant := false
	for _, n := range names {
		if string(n) == string(name) {
			return DuplicateKey
		}
		if s.fold && !variant && equalFold(n, name) {
			variant = true
		}
	}
	if variant {
		return CaseVariantKey
	}
	return 0
}

func (s *scanner) addBig(m map[string]string, name []byte) Reason {
	key := string(name)
	if s.fold {
		key = string(appendFolded(nil, name))
	}
	if first, ok := m[key]; ok {
		if first == string(name) {
			return DuplicateKey
		}
		return CaseVariantKey
	}
	m[key] = string(name)
	return 0
}

// equalFold is bytes.EqualFold with a cheap length test first for the common
// all-ASCII case (ASCII letters fold only to ASCII letters of equal length).
func equalFold(a, b []byte) bool {
	if len(a) != len(b) && isASCII(a) && isASCII(b) {
		return false
	}
	return bytes.EqualFold(a, b)
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendFolded appends the case-folded form of name (valid UTF-8) to out:
// every rune is mapped to the smallest rune of its simple-folding orbit, as
// encoding/json does, so appendFolded(a) == appendFolded(b) exactly when
// bytes.EqualFold(a, b).
func appendFolded(out, name []byte) []byte {
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// str validates the string starting at data[i] (which must be '"') and returns
// the offset just past its closing quote and whether it contains escapes.
func (s *scanner) str(i int) (end int, escaped bool, err error) {
	data := s.data
	i++
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			n, r := escape(data, i)
			if r != 0 {
				return i, escaped, &Error{Offset: i, Reason: r}
			}
			i += n
		case c < 0x20:
			return i, escaped, &Error{Offset: i, Reason: Syntax}
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && n == 1 {
				return i, escaped, &Error{Offset: i, Reason: InvalidUTF8}
			}
			i += n
		}
	}
	return i, escaped, &Error{Offset: i, Reason: Syntax}
}

// escape validates the escape sequence at data[i] (a backslash) and returns
// its length, or a non-zero Reason.
func escape(data []byte, i int) (int, Reason) {
	if i+1 >= len(data) {
		return 0, Syntax
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, 0
	case 'u':
		r, ok := hex4(data, i+2)
		if !ok {
			return 0, Syntax
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return 0, InvalidUTF8
		case r >= 0xD800 && r <= 0xDBFF:
			if i+7 >= len(data) || data[i+6] != '\\' || data[i+7] != 'u' {
				return 0, InvalidUTF8
			}
			r2, ok := hex4(data, i+8)
			if !ok {
				return 0, Syntax
			}
			if r2 < 0xDC00 || r2 > 0xDFFF {
				return 0, InvalidUTF8
			}
			return 12, 0
		}
		return 6, 0
	}
	return 0, Syntax
}

func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// SkipSpace returns the offset of the first byte at or after i that is not
// JSON white space (space, tab, line feed, carriage return), or len(data).
func SkipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// KindOf returns the kind of the JSON value that starts with the byte c, or
// [Invalid] if no value starts with c.
func KindOf(c byte) Kind {
	switch {
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == '"':
		return String
	case c == 't' || c == 'f':
		return Bool
	case c == 'n':
		return Null
	case c == '-' || ('0' <= c && c <= '9'):
		return Number
	}
	return Invalid
}

// StringEnd returns the offset just past the closing quote of the string
// that starts at data[i] (which must be '"') and whether the string contains
// escapes. It is meant for data that passed [Check] and does not validate;
// for an unterminated string it returns len(data).
func StringEnd(data []byte, i int) (end int, escaped bool) {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '"':
			return i + 1, escaped
		case '\\':
			escaped = true
			i++
		}
	}
	return len(data), escaped
}

// NumberEnd returns the offset just past the number that starts at data[i].
// It is meant for data that passed [Check] and does not validate.
func NumberEnd(data []byte, i int) int {
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case '0' <= c && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
		default:
			return i
		}
	}
	return i
}

// ValueEnd returns the offset just past the value that starts at data[i]
// (no leading white space). It is meant for data that passed [Check] and
// does not validate; for data that did not, it never panics but the result
// is unspecified (at most len(data)).
func ValueEnd(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		end, _ := StringEnd(data, i)
		return end
	case 't', 'n':
		return min(i+4, len(data))
	case 'f':
		return min(i+5, len(data))
	case '{', '[':
		depth := 0
		for ; i < len(data); i++ {
			switch data[i] {
			case '"':
				end, _ := StringEnd(data, i)
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(data)
	}
	return NumberEnd(data, i)
}

// AppendUnquote appends the unescaped contents of raw, a JSON string value
// including its quotes, to dst. It returns an [*Error] (Offset relative to
// raw) if raw is not a valid JSON string; dst may then hold partial output.
func AppendUnquote(dst, raw []byte) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return dst, &Error{Offset: 0, Reason: Syntax}
	}
	for i := 1; i < len(raw)-1; {
		c := raw[i]
		switch {
		case c == '\\':
			n, r := escape(raw[:len(raw)-1], i)
			if r != 0 {
				return dst, &Error{Offset: i, Reason: r}
			}
			switch e := raw[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r1, _ := hex4(raw, i+2)
				if n == 12 {
					r2, _ := hex4(raw, i+8)
					r1 = (r1-0xD800)<<10 | (r2 - 0xDC00) + 0x10000
				}
				dst = utf8.AppendRune(dst, r1)
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += n
		case c == '"' || c < 0x20:
			return dst, &Error{Offset: i, Reason: Syntax}
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i : len(raw)-1])
			if r == utf8.RuneError && n == 1 {
				return dst, &Error{Offset: i, Reason: InvalidUTF8}
			}
			dst = append(dst, raw[i:i+n]...)
			i += n
		}
	}
	return dst, nil
}
