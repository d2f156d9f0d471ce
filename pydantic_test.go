package jwtauth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidationErrorMessageBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + strings.Repeat("k", 1000) + strings.Repeat("x", i) + `":1`)
	}
	b.WriteString("}")
	_, err := DecodeBytes[Person]([]byte(b.String()))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want *ValidationError", err)
	}
	if len(ve.Errors) != MaxFieldErrors {
		t.Errorf("%d errors, want the cap %d", len(ve.Errors), MaxFieldErrors)
	}
	if n := len(err.Error()); n > 1000 {
		t.Errorf("Error() is %d bytes, want a bounded message", n)
	}
	if n := len(ve.Errors[0].Loc[1].(string)); n > maxLocKey+len("…") {
		t.Errorf("loc key is %d bytes, want at most %d", n, maxLocKey+3)
	}
}

// TestLaxModeErrorTypes: input pydantic's lax mode would coerce is a type
// error (strict here); input it could not interpret is a parsing error, as
// FastAPI reports it. float32 bounds compare at float32 precision.
func TestLaxModeErrorTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body, want string
	}{
		{`{"b":"true","n":1,"f":0}`, "bool_type"},
		{`{"b":1,"n":1,"f":0}`, "bool_type"},
		{`{"b":"x","n":1,"f":0}`, "bool_parsing"},
		{`{"b":2,"n":1,"f":0}`, "bool_parsing"},
		{`{"b":[],"n":1,"f":0}`, "bool_type"},
		{`{"b":true,"n":"15","f":0}`, "int_type"},
		{`{"b":true,"n":"1.5","f":0}`, "int_parsing"},
		{`{"b":true,"n":"x","f":0}`, "int_parsing"},
		{`{"b":true,"n":1,"f":0.1}`, ""},
		{`{"b":true,"n":1,"f":0.11}`, "less_than_equal"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			_, err := DecodeBytes[laxTypes]([]byte(tt.body))
			got := ""
			if fe := fieldErrors(t, err); len(fe) > 0 {
				got = fe[0].Type
			}
			if got != tt.want {
				t.Errorf("error type %q, want %q", got, tt.want)
			}
		})
	}
}
