package jwtauth

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestErrorStringsEscapeControls: Error() of every error the decoder builds
// escapes control characters, so log.Printf("%v", err) cannot forge a line.
func TestErrorStringsEscapeControls(t *testing.T) {
	t.Parallel()
	forged := "a\nINFO forged\r\x1b[2J\u2028"
	keyErr := func() error {
		_, err := DecodeBytes[ints]([]byte(`{"a\nINFO forged\r\u001b[2J\u2028":1}`))
		return err
	}
	tests := []struct {
		name string
		err  func() error
		want string // a part of Error() that must be there, escaped
	}{
		{"extra_forbidden key", keyErr, `body.a\nINFO forged\r\u001b[2J\u2028: Extra inputs are not permitted`},
		{"map key", func() error {
			_, err := DecodeBytes[map[string]int]([]byte(`{"k\n1":"x"}`))
			return err
		}, `body.k\n1: Input should be a valid integer`},
		{"Validate message", func() error {
			_, err := DecodeBytes[contact]([]byte(`{"email":"a@b","others":["a@b","c@d","e@f"]}`))
			var ve *ValidationError
			errors.As(err, &ve)
			ve.Errors[0].Msg = forged
			return ve
		}, `body.others: a\nINFO forged`},
		{"FieldError", func() error { return FieldError{Loc: []any{"body", forged, 1}, Msg: forged} }, `body.a\nINFO forged\r\u001b[2J\u2028.1: a\nINFO`},
		{"RequestError", func() error {
			r := httptest.NewRequest(http.MethodPost, "/", failingReader{errors.New(forged)})
			r.Header.Set("Content-Type", "application/json")
			_, err := Decode[Person](r)
			return err
		}, `read: a\nINFO forged`},
		{"HTTPError", func() error { return &HTTPError{Status: 404, Detail: forged} }, `404: a\nINFO forged`},
		{"TagError", func() error { return &TagError{Type: reflect.TypeFor[Person](), Field: "Name", Msg: forged} }, `Name: a\nINFO forged`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			msg := tc.err().Error()
			if hasControl(msg) {
				t.Errorf("Error() = %q holds a control character", msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tc.want)
			}
		})
	}
}
