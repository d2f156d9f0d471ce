package jwtauth

import (
	"context"
	"testing"
)

// sharedSource stands for a key source whose keys several parties use
// (JWKS, OIDC): it has the SharedKeySource capability.
type sharedSource struct{ *keySet }

func (sharedSource) SharedKeys() bool { return true }

func (s sharedSource) Key(ctx context.Context, kid, alg string) (*Key, error) {
	return s.keySet.Key(ctx, kid, alg)
}

// TestSharedKeysRequireIssuerAndAudience: RFC 8725 sections 3.8 and 3.9.
func TestSharedKeysRequireIssuerAndAudience(t *testing.T) {
	t.Parallel()
	src := sharedSource{HMAC("HS256", make([]byte, 32)).(*keySet)}
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
	}{
		{"neither", nil, true},
		{"issuer only", []Option{WithIssuer("https://issuer.example")}, true},
		{"audience only", []Option{WithAudience("api")}, true},
		{"both", []Option{WithIssuer("https://issuer.example"), WithAudience("api")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(src, tt.opts...)
			if (err != nil) != tt.wantErr {
				t.Errorf("New error = %v, want error %v", err, tt.wantErr)
			}
		})
	}
	_, err := NewMultiIssuer([]Issuer{{Issuer: "https://issuer.example", Keys: src}})
	if err == nil {
		t.Error("NewMultiIssuer accepted a shared key source without audiences")
	}
}

// The capabilities this package's sources have.
var (
	_ SharedKeySource = (*JWKS)(nil)
	_ SharedKeySource = (*OIDC)(nil)
	_ IssuerKeySource = (*OIDC)(nil)
	_ staticKeys      = (*keySet)(nil)
	_ tokenKeySource  = (*funcSource)(nil)
)
