package jwtauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// The document's contents per handler chain: security schemes and
// requirements, responses, response schemas (document.go).

func TestAPISecurity(t *testing.T) {
	t.Parallel()
	issuer := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256")).Issuer()
	oidc, err := jwtauth.NewOIDC(context.Background(), issuer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oidc.Close() })
	bearer := map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
	dpopScheme := map[string]any{"type": "http", "scheme": "DPoP",
		"description": `A sender-constrained token (RFC 9449): "Authorization: DPoP <token>" with a DPoP proof header signed by the key the token is bound to. Swagger UI cannot sign proofs.`}
	tests := []struct {
		name        string
		keys        jwtauth.KeySource
		opts        []jwtauth.Option
		wantSchemes map[string]any
		wantSec     []any
		apiOpts     []jwtauth.APIOption
	}{
		{"bearer", jwtauth.HMAC("HS256", secret), nil,
			map[string]any{"bearerAuth": bearer},
			[]any{map[string]any{"bearerAuth": []any{"a:read", "a:write"}}}, nil},
		{"raw or bearer", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromAuthorization())},
			map[string]any{"authorizationHeader": map[string]any{"type": "apiKey", "in": "header", "name": "Authorization", "description": `A JWT, as is or after "Bearer ".`}},
			[]any{map[string]any{"authorizationHeader": []any{"a:read", "a:write"}}}, nil},
		{"cookie then query", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithTokenSources(jwtauth.FromCookie("session"), jwtauth.FromQuery("access_token"))},
			map[string]any{
				"cookie_session":     map[string]any{"type": "apiKey", "in": "cookie", "name": "session"},
				"query_access_token": map[string]any{"type": "apiKey", "in": "query", "name": "access_token"},
			},
			[]any{map[string]any{"cookie_session": []any{"a:read", "a:write"}}, map[string]any{"query_access_token": []any{"a:read", "a:write"}}}, nil},
		{"password flow", jwtauth.HMAC("HS256", secret), nil,
			map[string]any{"bearerAuth": bearer, "OAuth2PasswordBearer": map[string]any{"type": "oauth2", "flows": map[string]any{
				"password": map[string]any{"tokenUrl": "/token", "scopes": map[string]any{"a:read": "Read", "a:write": "Write"}},
			}}},
			[]any{map[string]any{"bearerAuth": []any{"a:read", "a:write"}}, map[string]any{"OAuth2PasswordBearer": []any{"a:read", "a:write"}}},
			[]jwtauth.APIOption{jwtauth.WithOAuth2Password("/token", map[string]string{"a:read": "Read", "a:write": "Write"})}},
		{"DPoP allowed", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithDPoP(jwtauth.DPoPAllowed)},
			map[string]any{"bearerAuth": bearer, "dpopAuth": dpopScheme},
			[]any{map[string]any{"bearerAuth": []any{"a:read", "a:write"}}, map[string]any{"dpopAuth": []any{"a:read", "a:write"}}}, nil},
		{"DPoP required", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithDPoP(jwtauth.DPoPRequired)},
			map[string]any{"dpopAuth": dpopScheme},
			[]any{map[string]any{"dpopAuth": []any{"a:read", "a:write"}}}, nil},
		{"optional credentials, but Require needs a token", jwtauth.HMAC("HS256", secret), []jwtauth.Option{jwtauth.WithCredentialsOptional()},
			map[string]any{"bearerAuth": bearer},
			[]any{map[string]any{"bearerAuth": []any{"a:read", "a:write"}}}, nil},
		{"OIDC", oidc, []jwtauth.Option{jwtauth.WithIssuer(issuer), jwtauth.WithAudience("api")},
			map[string]any{"bearerAuth": bearer, "openIdConnect": map[string]any{
				"type": "openIdConnect", "openIdConnectUrl": strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration",
			}},
			[]any{map[string]any{"bearerAuth": []any{"a:read", "a:write"}}, map[string]any{"openIdConnect": []any{"a:read", "a:write"}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mw, err := jwtauth.New(tc.keys, append([]jwtauth.Option{jwtauth.WithDPoP(jwtauth.DPoPDisabled)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			api := jwtauth.NewAPI(jwtauth.Info{Title: "Test", Version: "1.0.0"}, tc.apiOpts...)
			h := mw.Handler(mw.Require(jwtauth.Scopes("a:read"), jwtauth.Scopes("a:write", "a:read"))(mustHandle(t, getNothing)))
			api.Handle(http.NewServeMux(), "GET /x", h)
			doc := document(t, api)
			if diff := cmp.Diff(tc.wantSchemes, at(doc, "components", "securitySchemes")); diff != "" {
				t.Errorf("securitySchemes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSec, at(doc, "paths", "/x", "get", "security")); diff != "" {
				t.Errorf("security (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIResponses(t *testing.T) {
	t.Parallel()
	static, err := jwtauth.New(jwtauth.HMAC("HS256", secret))
	if err != nil {
		t.Fatal(err)
	}
	revocable, err := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithRevocationCheck(func(context.Context, jwtauth.TokenInfo) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	fetched, err := jwtauth.New(unavailableKeys{})
	if err != nil {
		t.Fatal(err)
	}
	person := mustHandle(t, func(_ context.Context, p jwtauth.Person) (jwtauth.Person, error) { return p, nil })
	create := mustHandle(t, func(_ context.Context, p jwtauth.Person) (jwtauth.Created[created], error) {
		return jwtauth.Created[created]{Location: "/x/1", Body: created{"1"}}, nil
	})
	dynamic := mustHandle(t, func(context.Context, jwtauth.NoInput) (jwtauth.Response[created], error) {
		return jwtauth.Response[created]{Status: http.StatusAccepted}, nil
	})
	plain := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	tests := []struct {
		name    string
		handler http.Handler
		opts    []jwtauth.OperationOption
		want    []string
	}{
		{"public, not a Handle handler", plain, nil, []string{"200"}},
		{"public, no input", mustHandle(t, getNothing), nil, []string{"204"}},
		{"public body", person, nil, []string{"200", "413", "415", "422"}},
		{"authenticated body", static.Handler(person), nil, []string{"200", "400", "401", "413", "415", "422"}},
		{"scopes", static.Handler(static.Require(jwtauth.Scopes("s"))(person)), nil, []string{"200", "400", "401", "403", "413", "415", "422"}},
		{"Require alone answers 401 too", static.Require(jwtauth.Scopes("s"))(mustHandle(t, getNothing)), nil, []string{"204", "400", "401", "403"}},
		{"revocation check can be unavailable", revocable.Handler(mustHandle(t, getNothing)), nil, []string{"204", "400", "401", "503"}},
		{"a user key source can be unavailable", fetched.Handler(mustHandle(t, getNothing)), nil, []string{"204", "400", "401", "503"}},
		{"Created", create, nil, []string{"201", "413", "415", "422"}},
		{"Response: any status", dynamic, nil, []string{"default"}},
		{"WithResponse", mustHandle(t, getNothing), []jwtauth.OperationOption{jwtauth.WithResponse(404, "No such thing"), jwtauth.WithResponse(409, "")}, []string{"204", "404", "409"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI()
			api.Handle(http.NewServeMux(), "POST /x", tc.handler, tc.opts...)
			doc := document(t, api)
			if diff := cmp.Diff(tc.want, keysOf(at(doc, "paths", "/x", "post", "responses"))); diff != "" {
				t.Errorf("responses (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("bodies and headers", func(t *testing.T) {
		t.Parallel()
		api := newAPI()
		api.Handle(http.NewServeMux(), "POST /x", static.Handler(static.Require(jwtauth.Scopes("s"))(create)), jwtauth.WithResponse(404, ""))
		r := at(document(t, api), "paths", "/x", "post", "responses")
		ref := func(name string) any {
			return map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/" + name}}}
		}
		for _, c := range []struct {
			path []string
			want any
		}{
			{[]string{"201", "content"}, ref("created")},
			{[]string{"201", "headers", "Location", "schema"}, map[string]any{"type": "string"}},
			{[]string{"401", "content"}, ref("HTTPError")},
			{[]string{"401", "headers", "WWW-Authenticate", "schema"}, map[string]any{"type": "string"}},
			{[]string{"403", "headers", "WWW-Authenticate", "schema"}, map[string]any{"type": "string"}},
			{[]string{"404", "description"}, "Not Found"},
			{[]string{"404", "content"}, ref("HTTPError")},
			{[]string{"422", "content"}, ref("HTTPValidationError")},
		} {
			if diff := cmp.Diff(c.want, at(r, c.path...)); diff != "" {
				t.Errorf("%v (-want +got):\n%s", c.path, diff)
			}
		}
	})
}

// TestAPIOptionalCredentials: without a Require, a route of a middleware
// with optional credentials also lists the empty requirement (no token).
func TestAPIOptionalCredentials(t *testing.T) {
	t.Parallel()
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithCredentialsOptional(), jwtauth.WithDPoP(jwtauth.DPoPDisabled))
	if err != nil {
		t.Fatal(err)
	}
	api := newAPI()
	api.Handle(http.NewServeMux(), "GET /x", mw.Handler(mustHandle(t, getNothing)))
	want := []any{map[string]any{"bearerAuth": []any{}}, map[string]any{}}
	if diff := cmp.Diff(want, at(document(t, api), "paths", "/x", "get", "security")); diff != "" {
		t.Errorf("security (-want +got):\n%s", diff)
	}
}

// money writes itself as a decimal string, not as its (unexported) fields.
type money struct{ cents int64 }

func (m money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(m.cents/100, 10) + "." + fmt.Sprintf("%02d", m.cents%100) + `"`), nil
}

type withMoney struct {
	Price money `json:"price"`
}

type withNumber struct {
	N json.Number `json:"n"`
}

// TestAPIOutputMarshalers: a response type that writes itself (a
// json.Marshaler, json.Number) anywhere inside is published as any JSON,
// not as the fields json.Marshal does not write.
func TestAPIOutputMarshalers(t *testing.T) {
	t.Parallel()
	api := newAPI()
	mux := http.NewServeMux()
	api.Handle(mux, "GET /money", mustHandle(t, func(context.Context, jwtauth.NoInput) (withMoney, error) { return withMoney{}, nil }))
	api.Handle(mux, "GET /number", mustHandle(t, func(context.Context, jwtauth.NoInput) ([]withNumber, error) { return nil, nil }))
	api.Handle(mux, "GET /person", mustHandle(t, func(context.Context, jwtauth.NoInput) (jwtauth.Person, error) { return jwtauth.Person{}, nil }))
	doc := document(t, api)
	for path, want := range map[string]any{
		"/money":  map[string]any{},
		"/number": map[string]any{},
		"/person": map[string]any{"$ref": "#/components/schemas/Person"},
	} {
		got := at(doc, "paths", path, "get", "responses", "200", "content", "application/json", "schema")
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s schema (-want +got):\n%s", path, diff)
		}
	}
}
