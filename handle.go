package jwtauth

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
)

// NoInput is the input type of a [Handle] handler that takes no body, such as
// one for GET or DELETE: the body is neither read nor checked.
type NoInput struct{}

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

// requestContext carries the request for [RequestFrom] without copying it.
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

// RequestFrom returns the HTTP request a [Handle] handler is serving, for path
// values (r.PathValue), headers or the URL; ok is false outside one.
func RequestFrom(ctx context.Context) (r *http.Request, ok bool) {
	r, ok = ctx.Value(requestKey{}).(*http.Request)
	return r, ok
}

// Handle returns an http.Handler that decodes and validates the request body
// into an In with [Decode] (skipped when In is [NoInput]), calls fn with the
// request's context (from which [RequestFrom] returns the request), and writes
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
	cfg, err := newDecodeConfig(opts)
	if err != nil {
		return nil, err
	}
	var tr *typeRules
	if reflect.TypeFor[In]() != reflect.TypeFor[NoInput]() {
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
	rules *typeRules // nil for NoInput
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
	if b != nil {
		b = append(b, '\n')
	}
	writeResponse(w, status, hdr.Get("Content-Type"), hdr.Get("Cache-Control"), b)
}

// fail reports err to the observer, if any, and writes it with [WriteError].
func (h *typedHandler[In, Out]) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.cfg.observe != nil {
		h.cfg.observe(r, err)
	}
	WriteError(w, r, err)
}
