package jwtauth_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/seedb5d7e80f/jwtauth"
)

// A body with a missing field and a wrong type is answered with one 422 that
// lists every problem, FastAPI-style.
func ExampleDecode() {
	r := httptest.NewRequest(http.MethodPost, "/person", strings.NewReader(`{"name":"Foo","age":"x"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()

	p, err := jwtauth.Decode[jwtauth.Person](r)
	if err != nil {
		var ve *jwtauth.ValidationError
		if errors.As(err, &ve) {
			for _, fe := range ve.Errors {
				fmt.Println(fe.Type, fe.Loc)
			}
		}
		jwtauth.WriteError(w, r, err)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
		fmt.Println(w.Body.String())
		return
	}
	fmt.Println("hello", p.Name)
	// Output:
	// missing [body gender]
	// float_parsing [body age]
	// missing [body checked]
	// 422 application/json
	// {"detail":[{"type":"missing","loc":["body","gender"],"msg":"Field required"},{"type":"float_parsing","loc":["body","age"],"msg":"Input should be a valid number, unable to parse string as a number"},{"type":"missing","loc":["body","checked"],"msg":"Field required"}]}
}
