package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth"
)

// TestFlow runs keygen and proof as the README does and sends the proof
// with a token bound to the key's jkt to a middleware that requires DPoP.
func TestFlow(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "dpop.pem")
	var out strings.Builder
	if err := run([]string{"keygen", "-key", keyFile}, &out, time.Now); err != nil {
		t.Fatal(err)
	}
	jkt := strings.TrimSpace(out.String())
	if err := run([]string{"keygen", "-key", keyFile}, &out, time.Now); err == nil {
		t.Error("keygen overwrote a key file")
	}
	secret := []byte("0123456789abcdef0123456789abcdef")
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "alice", "exp": time.Now().Add(time.Hour).Unix(), "cnf": map[string]string{"jkt": jkt},
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithDPoP(jwtauth.DPoPRequired))
	if err != nil {
		t.Fatal(err)
	}
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := jwtauth.DPoPFrom(r.Context())
		w.Write([]byte(p.Thumbprint))
	}))
	send := func(proof string) (int, string) {
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8000/?x=1", nil)
		r.Header.Set("Authorization", "DPoP "+token)
		r.Header.Set("DPoP", proof)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code, rec.Body.String()
	}
	out.Reset()
	if err := run([]string{"proof", "-key", keyFile, "POST", "http://127.0.0.1:8000/?x=1", token}, &out, time.Now); err != nil {
		t.Fatal(err)
	}
	proof := strings.TrimSpace(out.String())
	type reply struct {
		Status int
		Body   string
	}
	for _, tc := range []struct {
		name string
		want reply
	}{
		{"first use", reply{200, jkt}},
		{"replayed", reply{401, `{"detail":"Could not validate credentials"}` + "\n"}},
	} {
		code, body := send(proof)
		if diff := cmp.Diff(tc.want, reply{code, body}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{nil, {"sign"}, {"keygen", "extra"}, {"proof", "-key", "missing.pem", "GET", "http://x/"}} {
		if err := run(args, &strings.Builder{}, time.Now); err == nil {
			t.Errorf("run(%q): no error", args)
		}
	}
}
