package jwtauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seedb5d7e80f/jwtauth"
)

// An API records routes as they are registered and serves their OpenAPI
// document and Swagger UI: the body schema comes from Person's validate
// tags, the security from the middleware and the scope from Require.
func ExampleAPI() {
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", []byte("0123456789abcdef0123456789abcdef")))
	if err != nil {
		panic(err)
	}
	create, err := jwtauth.Handle(func(ctx context.Context, p jwtauth.Person) (jwtauth.Created[jwtauth.Person], error) {
		return jwtauth.Created[jwtauth.Person]{Location: "/persons/1", Body: p}, nil
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	api := jwtauth.NewAPI(jwtauth.Info{Title: "Persons", Version: "1.0.0"})
	api.Handle(mux, "POST /persons", mw.Handler(mw.Require(jwtauth.Scopes("persons:write"))(create)),
		jwtauth.WithSummary("Create a person"))
	if err := api.Mount(mux); err != nil { // GET /openapi.json and GET /docs
		panic(err)
	}

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]struct {
			Security  []map[string][]string
			Responses map[string]json.RawMessage
		}
		Components struct {
			Schemas map[string]struct{ Required []string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		panic(err)
	}
	op := doc.Paths["/persons"]["post"]
	fmt.Println("security:", op.Security)
	for _, status := range []string{"201", "401", "403", "422"} {
		_, ok := op.Responses[status]
		fmt.Println(status, ok)
	}
	fmt.Println("Person requires:", doc.Components.Schemas["Person"].Required)
	// Output:
	// security: [map[bearerAuth:[persons:write]] map[dpopAuth:[persons:write]]]
	// 201 true
	// 401 true
	// 403 true
	// 422 true
	// Person requires: [name gender age checked]
}

// Created and NoContent are output types whose status the document knows:
// here 201 with a Location header.
func ExampleCreated() {
	h, err := jwtauth.Handle(func(ctx context.Context, p jwtauth.Person) (jwtauth.Created[jwtauth.Person], error) {
		return jwtauth.Created[jwtauth.Person]{Location: "/persons/7", Body: p}, nil
	})
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/persons", strings.NewReader(`{"name":"Ada","gender":"f","age":36,"checked":true}`))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	fmt.Print(rec.Body.String())
	// Output:
	// 201 /persons/7
	// {"name":"Ada","gender":"f","age":36,"checked":true}
}
