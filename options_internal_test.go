package jwtauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// TestDecodeOptionErrors: a misused decode option is an error, from Handle
// at construction and from every Decode function, never a silent default.
func TestDecodeOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opt  DecodeOption
		want string
	}{
		{"zero body limit", WithMaxBodyBytes(0), "WithMaxBodyBytes: limit must be positive, not 0"},
		{"negative body limit", WithMaxBodyBytes(-1), "WithMaxBodyBytes: limit must be positive, not -1"},
		{"zero depth", WithMaxDepth(0), "WithMaxDepth: depth must be positive, not 0"},
		{"nil observer", WithHandlerErrorObserver(nil), "WithHandlerErrorObserver: nil function"},
		{"nil option", nil, "nil DecodeOption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, herr := Handle(func(context.Context, Person) (Person, error) { return Person{}, nil }, tt.opt)
			_, berr := DecodeBytes[Person]([]byte(`{}`), tt.opt)
			_, rerr := DecodeReader[Person](strings.NewReader(`{}`), tt.opt)
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{}`))
			r.Header.Set("Content-Type", "application/json")
			_, derr := Decode[Person](r, tt.opt)
			for name, err := range map[string]error{"Handle": herr, "DecodeBytes": berr, "DecodeReader": rerr, "Decode": derr} {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s error = %v, want one saying %q", name, err, tt.want)
				}
			}
		})
	}
	if DefaultMaxDepth != jsonscan.DefaultMaxDepth {
		t.Errorf("DefaultMaxDepth = %d, jsonscan's default %d", DefaultMaxDepth, jsonscan.DefaultMaxDepth)
	}
}
