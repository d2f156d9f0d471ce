package jwtauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// API records the operations of an HTTP API as they are registered on a
// mux, and describes them as an OpenAPI 3.1 document, served with
// interactive docs by [API.Mount]. Nothing is declared twice: each
// operation's body and response schemas come from its [Handle] handler's
// types and validate tags (the rules [Decode] applies), its security from
// the [Middleware.Handler] and [Middleware.Require] around it, and its
// path parameters from the pattern. Create one with [NewAPI]; its methods
// are safe for concurrent use, though routes are usually registered by one
// goroutine at start-up.
//
// Schemas accept exactly what the decoder accepts, except where JSON Schema
// cannot say what the decoder checks before any schema applies (duplicate
// or case-variant keys, invalid UTF-8, nesting depth, size) or what a
// JavaScript validator cannot read (numbers a double cannot hold exactly),
// and except Validate methods and unmarshalers other than time.Time's; see
// the package documentation. The responses documented for the middleware
// are the library's own; a [WithErrorHandler] that writes others is not
// seen.
type API struct {
	info     Info
	password *passwordFlow // WithOAuth2Password

	mu      sync.Mutex
	ops     []*operation
	errs    []error
	mounted bool
}

// Info is the API's info object in the document (OpenAPI 3.1 section
// 4.8.2). Title and Version are required.
type Info struct {
	Title       string // the API's name, such as "Persons"
	Version     string // the API's version, such as "1.0.0" (not OpenAPI's)
	Description string // CommonMark; may be ""
}

// NewAPI returns an empty [API] described by info, with the given options.
// An option that refuses its value is an error that [API.OpenAPI] and
// [API.Mount] return.
func NewAPI(info Info, opts ...APIOption) *API {
	a := &API{info: info}
	for _, o := range opts {
		if o == nil {
			a.errs = append(a.errs, optionError("nil APIOption"))
			continue
		}
		if err := o(a); err != nil {
			a.errs = append(a.errs, err)
		}
	}
	return a
}

// APIOption configures an [API].
type APIOption func(*API) error

// passwordFlow is an OAuth 2.0 password grant token endpoint.
type passwordFlow struct {
	tokenURL string
	scopes   map[string]string
}

// WithOAuth2Password declares that tokens can be had from an OAuth 2.0
// password grant at tokenURL (RFC 6749 section 4.3; FastAPI's
// OAuth2PasswordBearer), with the scopes it grants and their descriptions.
// Every operation whose middleware takes bearer tokens then also lists
// that scheme (named OAuth2PasswordBearer) with its scopes, so that Swagger
// UI's Authorize button logs in with a username and password and sends the
// token it gets. tokenURL is a path on this server, such as "/token" (the
// docs page may connect only to this server). Default: none.
func WithOAuth2Password(tokenURL string, scopes map[string]string) APIOption {
	return func(a *API) error {
		if err := checkDocsPath(tokenURL); err != nil {
			return optionError("WithOAuth2Password: %v", err)
		}
		sc := make(map[string]string, len(scopes))
		for k, v := range scopes {
			if k == "" || strings.ContainsAny(k, " \t\r\n\"\\") {
				return optionError("WithOAuth2Password: unusable scope %s", strconv.Quote(k))
			}
			sc[k] = v
		}
		a.password = &passwordFlow{tokenURL, sc}
		return nil
	}
}

// Mux is where [API.Handle] and [API.Mount] register handlers: a
// *http.ServeMux, a chi Router, or a [MuxFunc] for a router with another
// shape (gorilla/mux).
type Mux interface {
	Handle(pattern string, handler http.Handler)
}

// MuxFunc adapts a function to [Mux], for routers whose Handle has another
// shape. It is given the pattern as [http.ServeMux] writes it
// ("METHOD /path/{name}"; "{name...}" and "{$}" are ServeMux's own, so
// leave them out for another router), for example for gorilla/mux:
//
//	jwtauth.MuxFunc(func(pattern string, h http.Handler) {
//		method, path, _ := strings.Cut(pattern, " ")
//		r.Handle(path, h).Methods(method)
//	})
type MuxFunc func(pattern string, handler http.Handler)

// Handle calls f(pattern, handler).
func (f MuxFunc) Handle(pattern string, handler http.Handler) { f(pattern, handler) }

// Wrapper is the capability of a handler that wraps another, so that an
// [API] finds the [Handle] handler and the requirements inside it. The
// library's own wrappers ([Middleware.Handler], [Middleware.Require]) are
// read without it; a handler of the user's own that wraps one of them (an
// ownership check, a logger) should implement it. A handler that does not
// is documented only with what was found outside it.
type Wrapper interface {
	// Unwrap returns the handler this one calls.
	Unwrap() http.Handler
}

// describer is the capability of the library's handlers that an API reads:
// describe records what the handler contributes to op and returns the
// handler it wraps, or nil.
type describer interface {
	describe(op *operation) http.Handler
}

// OperationOption adds to what an [API] documents of one operation.
type OperationOption func(*operation) error

// WithSummary sets the operation's summary, the line Swagger UI shows beside
// the path. Default: none.
func WithSummary(summary string) OperationOption {
	return func(op *operation) error { op.summary = summary; return nil }
}

// WithDescription sets the operation's description (CommonMark). Default:
// none, apart from the requirements that are not scopes (roles, checks),
// which are always listed.
func WithDescription(description string) OperationOption {
	return func(op *operation) error { op.description = description; return nil }
}

// WithTags sets the operation's tags, by which Swagger UI groups operations.
// Default: none.
func WithTags(tags ...string) OperationOption {
	return func(op *operation) error { op.tags = slices.Clone(tags); return nil }
}

// WithOperationID sets the operation's operationId, unique in the API.
// Default: the method and the path's segments, lowercase, joined with _
// ("get_persons_id" for GET /persons/{id}).
func WithOperationID(id string) OperationOption {
	return func(op *operation) error {
		if id == "" {
			return optionError("WithOperationID: empty id")
		}
		op.id = id
		return nil
	}
}

// WithResponse documents an error response the handler itself writes, such
// as 404 from an [*HTTPError], with status, description and the
// {"detail": "..."} body. The library's own responses (401, 403, 413, 415,
// 422, 503) are documented without it; a status already documented, or
// given twice, is an error. Default: no other responses.
func WithResponse(status int, description string) OperationOption {
	return func(op *operation) error {
		if status < 100 || status > 599 {
			return optionError("WithResponse: status %d is not an HTTP status", status)
		}
		op.extra = append(op.extra, extraResponse{status, description})
		return nil
	}
}

// WithDeprecated marks the operation as deprecated. Default: not.
func WithDeprecated() OperationOption {
	return func(op *operation) error { op.deprecated = true; return nil }
}

// operation is one documented route.
type operation struct {
	pattern      string // as registered
	method, path string // "get", "/persons/{id}"
	params       []pathParam

	summary, description, id string
	tags                     []string
	deprecated               bool
	extra                    []extraResponse

	// What the handler chain says.
	mw    *Middleware   // the first middleware met, nil for a public route
	reqs  []Requirement // every Require met, in order
	typed bool          // a Handle handler was reached
	in    *typeRules    // its input; nil for NoInput
	inLax bool          // WithIgnoreUnknownFields
	out   reflect.Type  // its output type
}

type pathParam struct {
	name string
	rest bool // {name...}
}

type extraResponse struct {
	status      int
	description string
}

// describe records the middleware for an API.
func (h *authHandler) describe(op *operation) http.Handler {
	if op.mw == nil {
		op.mw = h.m
	}
	return h.next
}

// describe records the requirements for an API.
func (h *requireHandler) describe(op *operation) http.Handler {
	if op.mw == nil {
		op.mw = h.m
	}
	op.reqs = append(op.reqs, h.reqs...)
	return h.next
}

// Handle registers handler for pattern on mux, as mux.Handle(pattern,
// handler) does, and records the operation for the document. pattern is an
// [http.ServeMux] pattern with a method ("GET /persons/{id}"); "{name}" and
// "{name...}" become path parameters and "{$}" is dropped. handler is read
// from the outside in: [Middleware.Handler] gives the security scheme,
// [Middleware.Require] the scopes (and the roles and checks, listed in the
// description), a [Handle] handler the body and response types; a
// [Wrapper] is looked through.
//
// A pattern without a method or with a host, a method OpenAPI has no field
// for, the same method and path twice, or an option that refuses its value,
// is an error that [API.OpenAPI] and [API.Mount] return; the handler is
// registered on mux all the same. Handle panics if called after
// [API.Mount], whose document could no longer include the operation.
func (a *API) Handle(mux Mux, pattern string, handler http.Handler, opts ...OperationOption) {
	mux.Handle(pattern, handler)
	op, err := newOperation(pattern, handler, opts)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.mounted {
		panic("jwtauth: API.Handle(" + strconv.Quote(pattern) + ") after API.Mount")
	}
	if err != nil {
		a.errs = append(a.errs, err)
		return
	}
	for _, o := range a.ops {
		if o.method == op.method && o.path == op.path {
			a.errs = append(a.errs, fmt.Errorf("jwtauth: API: %s %s registered twice", strings.ToUpper(op.method), op.path))
			return
		}
	}
	a.ops = append(a.ops, op)
}

// paramName matches a path parameter of an OpenAPI path.
var paramName = regexp.MustCompile(`\{[^}]*\}`)

// maxWrapDepth is how many handlers an [API] follows into a chain before it
// gives up: a [Wrapper] whose Unwrap leads back to itself would loop.
const maxWrapDepth = 64

// openAPIMethods are the methods an OpenAPI 3.1 path item has fields for.
var openAPIMethods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

func newOperation(pattern string, handler http.Handler, opts []OperationOption) (*operation, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("jwtauth: API.Handle(%s): %s", strconv.Quote(pattern), fmt.Sprintf(format, args...))
	}
	method, rest, ok := strings.Cut(strings.TrimLeft(pattern, " \t"), " ")
	rest = strings.TrimLeft(rest, " \t")
	switch {
	case !ok || strings.HasPrefix(method, "/"):
		return nil, fail("the pattern needs a method, such as \"GET /path\"")
	case !slices.Contains(openAPIMethods, method):
		return nil, fail("OpenAPI has no field for method %s", strconv.Quote(method))
	case !strings.HasPrefix(rest, "/"):
		return nil, fail("patterns with a host are not supported")
	}
	op := &operation{pattern: pattern, method: strings.ToLower(method)}
	var path strings.Builder
	for i, seg := range strings.Split(rest[1:], "/") {
		if i > 0 || seg != "" || rest == "/" {
			path.WriteByte('/')
		}
		if seg == "{$}" {
			continue
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			name, isRest := strings.CutSuffix(seg[1:len(seg)-1], "...")
			op.params = append(op.params, pathParam{name, isRest})
			path.WriteString("{" + name + "}")
			continue
		}
		path.WriteString(seg)
	}
	op.path = path.String()
	if op.path == "" {
		op.path = "/"
	}
	for h, depth := handler, 0; h != nil; depth++ {
		if depth == maxWrapDepth {
			return nil, fail("more than %d handlers in the chain; does an Unwrap lead back to its own handler?", maxWrapDepth)
		}
		switch d := h.(type) {
		case describer:
			h = d.describe(op)
		case Wrapper:
			h = d.Unwrap()
		default:
			h = nil
		}
	}
	for _, o := range opts {
		if o == nil {
			return nil, fail("nil OperationOption")
		}
		if err := o(op); err != nil {
			return nil, err // an optionError, which names the option
		}
	}
	if op.id == "" {
		id := op.method
		for _, seg := range strings.FieldsFunc(op.path, func(r rune) bool { return r == '/' || r == '{' || r == '}' }) {
			id += "_" + strings.ToLower(seg)
		}
		op.id = componentName.ReplaceAllString(id, "_")
	}
	return op, nil
}

// OpenAPI returns the OpenAPI 3.1 document of the operations registered so
// far, as indented JSON. The output depends only on what was registered, not
// on the order (paths, methods, components and every object's keys are
// sorted), so it can be committed and diffed. It returns every registration
// error, and an error if Info lacks a Title or Version, an operationId is
// used twice, or a pattern tag cannot be written as an ECMA-262 expression.
func (a *API) OpenAPI() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.document()
}

func (a *API) document() ([]byte, error) {
	errs := slices.Clone(a.errs)
	if a.info.Title == "" || a.info.Version == "" {
		errs = append(errs, errors.New("jwtauth: API: Info needs a Title and a Version"))
	}
	d := newDocBuilder(a.ops)
	d.password = a.password
	paths := map[string]map[string]any{}
	ids := map[string]string{}
	for _, op := range a.ops {
		if prev, ok := ids[op.id]; ok {
			errs = append(errs, fmt.Errorf("jwtauth: API: operationId %s is used by %s and %s", strconv.Quote(op.id), strconv.Quote(prev), strconv.Quote(op.pattern)))
		}
		ids[op.id] = op.pattern
		o, err := d.operation(op)
		if err != nil {
			errs = append(errs, fmt.Errorf("jwtauth: API: %s: %w", strconv.Quote(op.pattern), err))
			continue
		}
		if paths[op.path] == nil {
			paths[op.path] = map[string]any{}
		}
		paths[op.path][op.method] = o
	}
	shapes := map[string]string{} // path with parameter names removed -> path
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		shape := paramName.ReplaceAllString(p, "{}")
		if other, ok := shapes[shape]; ok {
			errs = append(errs, fmt.Errorf("jwtauth: API: paths %s and %s differ only in parameter names, which OpenAPI forbids", other, p))
		}
		shapes[shape] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	info := map[string]any{"title": a.info.Title, "version": a.info.Version}
	if a.info.Description != "" {
		info["description"] = a.info.Description
	}
	schemas, err := d.components()
	if err != nil {
		return nil, err
	}
	comps := map[string]any{"schemas": schemas}
	if len(d.schemes) > 0 {
		comps["securitySchemes"] = d.schemes
	}
	doc := map[string]any{
		"openapi":    "3.1.0",
		"info":       info,
		"paths":      paths,
		"components": comps,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // a document, not HTML: "<token>" stays readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
