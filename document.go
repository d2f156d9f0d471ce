package jwtauth

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// docBuilder turns an [API]'s operations into the objects of an OpenAPI 3.1
// document: operations with their parameters, request bodies, responses and
// security requirements, the security schemes they use and the schemas of
// their types.
type docBuilder struct {
	s        *schemas
	schemes  map[string]any    // components.securitySchemes
	oidc     map[string]string // OIDC issuer -> its scheme's name
	password *passwordFlow     // WithOAuth2Password, or nil
}

func newDocBuilder(ops []*operation) *docBuilder {
	d := &docBuilder{s: newSchemas(), schemes: map[string]any{}, oidc: map[string]string{}}
	// Name the OIDC schemes by the sorted issuers, so that the names do not
	// depend on the order of registration.
	var issuers []string
	for _, op := range ops {
		if op.mw == nil {
			continue
		}
		for _, v := range op.mw.verifiers() {
			if o, ok := v.keys.(*OIDC); ok && !slices.Contains(issuers, o.Issuer()) {
				issuers = append(issuers, o.Issuer())
			}
		}
	}
	slices.Sort(issuers)
	for i, iss := range issuers {
		name := "openIdConnect"
		if len(issuers) > 1 {
			name += "_" + strconv.Itoa(i+1)
		}
		d.oidc[iss] = name
	}
	return d
}

// verifiers returns m's verifiers, sorted by issuer for [NewMultiIssuer].
func (m *Middleware) verifiers() []*verifier {
	if m.single != nil {
		return []*verifier{m.single}
	}
	var out []*verifier
	for _, iss := range slices.Sorted(maps.Keys(m.byIssuer)) {
		out = append(out, m.byIssuer[iss])
	}
	return out
}

// The components every document may refer to: FastAPI's error shapes.
const (
	refHTTPError           = "#/components/schemas/HTTPError"
	refHTTPValidationError = "#/components/schemas/HTTPValidationError"
)

// fixedSchemas are the schemas of the library's error bodies: HTTPError
// ({"detail": "..."}, every error but 422) and FastAPI's
// HTTPValidationError and ValidationError (422).
var fixedSchemas = map[string]any{
	"HTTPError": map[string]any{
		"type":       "object",
		"properties": map[string]any{"detail": map[string]any{"type": "string", "title": "Detail"}},
		"required":   []string{"detail"},
		"title":      "HTTPError",
	},
	"HTTPValidationError": map[string]any{
		"type": "object",
		"properties": map[string]any{"detail": map[string]any{
			"type": "array", "title": "Detail",
			"items": map[string]any{"$ref": "#/components/schemas/ValidationError"},
		}},
		"title": "HTTPValidationError",
	},
	"ValidationError": map[string]any{
		"type": "object",
		"properties": map[string]any{
			"loc": map[string]any{"type": "array", "title": "Location", "items": map[string]any{
				"anyOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}},
			}},
			"msg":  map[string]any{"type": "string", "title": "Message"},
			"type": map[string]any{"type": "string", "title": "Error Type"},
			"ctx":  map[string]any{"type": "object", "title": "Context"},
		},
		"required": []string{"loc", "msg", "type"},
		"title":    "ValidationError",
	},
}

// components returns components.schemas: the fixed ones and those of the
// operations' types, named.
func (d *docBuilder) components() (map[string]any, error) {
	out, err := d.s.name(slices.Sorted(maps.Keys(fixedSchemas))...)
	if err != nil {
		return nil, err
	}
	for k, v := range fixedSchemas {
		out[k] = v
	}
	return out, nil
}

func jsonContent(schema any) map[string]any {
	return map[string]any{"application/json": map[string]any{"schema": schema}}
}

func errorResponse(description string, headers ...string) map[string]any {
	r := map[string]any{"description": description, "content": jsonContent(map[string]any{"$ref": refHTTPError})}
	if len(headers) > 0 {
		h := map[string]any{}
		for i := 0; i+1 < len(headers); i += 2 {
			h[headers[i]] = map[string]any{"description": headers[i+1], "schema": map[string]any{"type": "string"}}
		}
		r["headers"] = h
	}
	return r
}

// operation returns the operation object of op.
func (d *docBuilder) operation(op *operation) (map[string]any, error) {
	o := map[string]any{"operationId": op.id}
	if op.summary != "" {
		o["summary"] = op.summary
	}
	if len(op.tags) > 0 {
		o["tags"] = op.tags
	}
	if op.deprecated {
		o["deprecated"] = true
	}
	var params []any
	for _, p := range op.params {
		param := map[string]any{"name": p.name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}
		if p.rest {
			param["description"] = "The rest of the path; it may hold slashes."
		}
		params = append(params, param)
	}
	if params != nil {
		o["parameters"] = params
	}
	description := op.description
	if op.in != nil {
		sch, err := d.s.body(op.in, op.inLax)
		if err != nil {
			return nil, err
		}
		o["requestBody"] = map[string]any{"required": true, "content": jsonContent(sch)}
	}
	responses := map[string]any{}
	d.success(op, responses)
	if op.mw != nil {
		challenge := "The challenge: Bearer realm=\"" + op.mw.cfg.realm + "\" with an error attribute for a bad token."
		responses["401"] = errorResponse("Not authenticated, or the token is not valid", "WWW-Authenticate", challenge)
		responses["400"] = errorResponse("Malformed authorization request", "WWW-Authenticate", `The challenge, with error="invalid_request".`)
		if op.mw.mayBeUnavailable() {
			responses["503"] = errorResponse("Authentication temporarily unavailable", "Retry-After", "Seconds to wait: "+RetryAfterSeconds+".")
		}
		if sec := d.security(op); len(sec) > 0 {
			o["security"] = sec
		}
		var others []string
		for _, r := range op.reqs {
			if r.doc != "" {
				others = append(others, r.doc)
			}
		}
		if len(others) > 0 {
			if description != "" {
				description += "\n\n"
			}
			description += "Requires " + strings.Join(others, "; ") + "."
		}
	}
	if len(op.reqs) > 0 {
		responses["403"] = errorResponse("Not enough permissions", "WWW-Authenticate", `The challenge, with error="insufficient_scope" and the scopes required.`)
	}
	if op.in != nil {
		responses["413"] = errorResponse("Request body too large")
		responses["415"] = errorResponse("Unsupported media type: the body must be application/json")
		responses["422"] = map[string]any{"description": "Validation Error", "content": jsonContent(map[string]any{"$ref": refHTTPValidationError})}
	}
	for _, e := range op.extra {
		desc := e.description
		if desc == "" {
			desc = http.StatusText(e.status)
		}
		key := strconv.Itoa(e.status)
		if responses[key] != nil {
			return nil, fmt.Errorf("WithResponse(%d): the status is already documented", e.status)
		}
		responses[key] = errorResponse(desc)
	}
	o["responses"] = responses
	if description != "" {
		o["description"] = description
	}
	return o, nil
}

// success adds op's success response: from its [Handle] handler's output
// type, or a bare 200 for a handler the API could not read.
func (d *docBuilder) success(op *operation, responses map[string]any) {
	if !op.typed {
		responses["200"] = map[string]any{"description": "Successful Response"}
		return
	}
	status, header, body := http.StatusOK, "", op.out
	if r, ok := reflect.Zero(op.out).Interface().(responder); ok {
		status, header, body = r.outputDoc()
	}
	key, desc := strconv.Itoa(status), http.StatusText(status)
	if status == 0 {
		key, desc = "default", "The handler's response"
	}
	resp := map[string]any{"description": desc}
	if body != nil {
		resp["content"] = jsonContent(d.s.output(body))
	}
	if header != "" {
		resp["headers"] = map[string]any{header: map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	responses[key] = resp
}

// mayBeUnavailable reports whether m can answer 503: its keys come from a
// source that fetches them (JWKS, OIDC, one of the user's), or it has a
// revocation check.
func (m *Middleware) mayBeUnavailable() bool {
	if m.cfg.revoked != nil {
		return true
	}
	for _, v := range m.verifiers() {
		if _, ok := v.keys.(staticKeys); !ok {
			return true
		}
	}
	return false
}

// security returns op's security requirements, alternatives of which one
// must hold: one per place the middleware takes a token from, and one per
// OIDC issuer, each listing the scopes op requires; an empty one if
// credentials are optional.
func (d *docBuilder) security(op *operation) []map[string][]string {
	scopes := []string{}
	for _, r := range op.reqs {
		for _, s := range strings.Fields(r.scope) {
			if !slices.Contains(scopes, s) {
				scopes = append(scopes, s)
			}
		}
	}
	var out []map[string][]string
	add := func(name string, scheme map[string]any) {
		d.schemes[name] = scheme
		out = append(out, map[string][]string{name: scopes})
	}
	dpop := op.mw.cfg.dpop.mode
	header := false // a source reads the Authorization header
	for _, src := range op.mw.cfg.sources {
		switch src.kind {
		case srcBearer, srcAuthorization:
			header = true
		}
		if dpop == DPoPRequired {
			continue // only DPoP tokens are taken
		}
		switch src.kind {
		case srcBearer:
			add("bearerAuth", map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
			if d.password != nil {
				add("OAuth2PasswordBearer", map[string]any{"type": "oauth2", "flows": map[string]any{
					"password": map[string]any{"tokenUrl": d.password.tokenURL, "scopes": d.password.scopes},
				}})
			}
		case srcAuthorization:
			add("authorizationHeader", map[string]any{
				"type": "apiKey", "in": "header", "name": "Authorization",
				"description": "A JWT, as is or after \"Bearer \".",
			})
		case srcCookie:
			add("cookie_"+componentName.ReplaceAllString(src.name, "_"), map[string]any{"type": "apiKey", "in": "cookie", "name": src.name})
		case srcQuery:
			add("query_"+componentName.ReplaceAllString(src.name, "_"), map[string]any{"type": "apiKey", "in": "query", "name": src.name})
		}
	}
	if header && dpop != DPoPDisabled {
		add("dpopAuth", map[string]any{
			"type": "http", "scheme": "DPoP",
			"description": "A sender-constrained token (RFC 9449): \"Authorization: DPoP <token>\" with a DPoP proof header signed by the key the token is bound to. Swagger UI cannot sign proofs.",
		})
	}
	for _, v := range op.mw.verifiers() {
		if o, ok := v.keys.(*OIDC); ok {
			add(d.oidc[o.Issuer()], map[string]any{
				"type":             "openIdConnect",
				"openIdConnectUrl": strings.TrimSuffix(o.Issuer(), "/") + "/.well-known/openid-configuration",
			})
		}
	}
	if op.mw.cfg.optional && len(op.reqs) == 0 {
		// Without a token the request goes through, unless a Require
		// needs claims (it answers 401).
		out = append(out, map[string][]string{})
	}
	return out
}
