package jwtauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// DefaultMaxBodyBytes is the body size limit of [Decode] and [Handle] unless
// [WithMaxBodyBytes] sets another: 1 MiB.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxDepth is how deeply arrays and objects may nest in a body unless
// [WithMaxDepth] sets another limit; the top-level object is depth 1.
const DefaultMaxDepth = 32

// MaxFieldErrors is the most errors a [ValidationError] from the decoder
// lists; further problems in the same body are not reported.
const MaxFieldErrors = 100

var (
	errTooLarge    = &RequestError{Status: http.StatusRequestEntityTooLarge, Detail: "Request body too large", kind: ErrBodyTooLarge}
	errContentType = &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Unsupported media type: use Content-Type: application/json", kind: ErrUnsupportedMediaType}
	errEncoding    = &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Unsupported Content-Encoding: use identity", kind: ErrUnsupportedMediaType}
)

type decodeConfig struct {
	maxBytes      int64
	maxDepth      int
	ignoreUnknown bool
	// skipRootValidate skips the Validate method of the root value only
	// (through pointers): claims, whose Validate golang-jwt's validator
	// calls itself. Nested values are validated as in a body.
	skipRootValidate bool
	observe          func(*http.Request, error) // Handle: WithHandlerErrorObserver
}

// newDecodeConfig applies opts to the defaults; a misused option is an
// error ([Handle] returns it at construction, the Decode functions on every
// call).
func newDecodeConfig(opts []DecodeOption) (decodeConfig, error) {
	c := decodeConfig{maxBytes: DefaultMaxBodyBytes, maxDepth: DefaultMaxDepth}
	for _, o := range opts {
		if o == nil {
			return c, optionError("nil DecodeOption")
		}
		if err := o(&c); err != nil {
			return c, err
		}
	}
	return c, nil
}

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
//	min=N, max=N    numbers: N <= value, value <= N (greater_than_equal,
//	                less_than_equal)
//	gt=N, lt=N      numbers: N < value, value < N (greater_than, less_than)
//	minlen=N        strings: at least N characters (Unicode code points);
//	maxlen=N        slices and maps: at least/most N elements
//	oneof=a b c     strings or numbers: one of the space-separated values
//
// and, for strings, from a `pattern:"..."` tag of its own (so the expression
// may hold commas): an RE2 expression the string must match somewhere, as
// JSON Schema's pattern and pydantic's do (anchor it with ^ and $); a
// mismatch is "string_pattern_mismatch". Keep to the syntax RE2 and
// ECMA-262 share, so that a published JSON Schema means the same.
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
	cfg, err := newDecodeConfig(opts)
	if err != nil {
		return out, err
	}
	tr := rulesFor(reflect.TypeFor[T]())
	if tr.err != nil {
		return out, tr.err
	}
	err = decodeRequest(r, tr, &cfg, reflect.ValueOf(&out).Elem())
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
	cfg, err := newDecodeConfig(opts)
	if err != nil {
		return out, err
	}
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
	cfg := decodeConfig{maxBytes: DefaultMaxBodyBytes, maxDepth: DefaultMaxDepth}
	if len(opts) > 0 {
		var err error
		if cfg, err = newDecodeConfig(opts); err != nil {
			return out, err
		}
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
