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

// outputDoc: an [API] documents a Response as the "default" response (any
// status) with a U body, since its status is known only when it is served.
func (Response[U]) outputDoc() (int, string, reflect.Type) { return 0, "", reflect.TypeFor[U]() }

// Created is an output type for [Handle] handlers that create a resource:
// the response is 201 Created with Body as JSON and, unless Location is "",
// a Location header (RFC 9110 section 10.2.2) naming the new resource. An
// [API] documents the operation as 201 with a Location header.
type Created[U any] struct {
	Location string // the new resource's URL, such as "/persons/7"
	Body     U      // written as JSON
}

func (c Created[U]) response() (int, http.Header, any) {
	var h http.Header
	if c.Location != "" {
		h = http.Header{"Location": {c.Location}}
	}
	return http.StatusCreated, h, c.Body
}

func (Created[U]) outputDoc() (int, string, reflect.Type) {
	return http.StatusCreated, "Location", reflect.TypeFor[U]()
}

// NoContent is an output type for [Handle] handlers that answer 204 No
// Content, with no body, such as a DELETE. An [API] documents the operation
// as 204.
type NoContent struct{}

func (NoContent) response() (int, http.Header, any) { return http.StatusNoContent, nil, nil }

func (NoContent) outputDoc() (int, string, reflect.Type) { return http.StatusNoContent, "", nil }

// responder is the capability of the output types that choose their status
// and headers: [Response], [Created] and [NoContent].
type responder interface {
	response() (int, http.Header, any)
	// outputDoc returns what an API documents: the status (0 for any),
	// the header the response carries ("" for none) and the body's type
	// (nil for none).
	outputDoc() (status int, header string, body reflect.Type)
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
// fn's result as JSON with status 200, or as a [Response], [Created] (201)
// or [NoContent] (204) says; an [API] documents the first two and the last
// two with their status. Errors, from
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

// describe records the handler's input and output types for an [API].
func (h *typedHandler[In, Out]) describe(op *operation) http.Handler {
	op.typed = true
	op.in, op.inLax = h.rules, h.cfg.ignoreUnknown
	op.out = reflect.TypeFor[Out]()
	return nil
}

// fail reports err to the observer, if any, and writes it with [WriteError].
func (h *typedHandler[In, Out]) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.cfg.observe != nil {
		h.cfg.observe(r, err)
	}
	WriteError(w, r, err)
}
