package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

func TestJWKSCacheControl(t *testing.T) {
	t.Parallel()
	h := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "EdDSA")})
	tests := []struct {
		header string
		status int
		want   time.Duration
	}{
		{"", 0, defaultRefreshInterval},
		{"max-age=300", 0, 5 * time.Minute},
		{"public, max-age=600, must-revalidate", 0, 10 * time.Minute},
		{"max-age=7200", 0, defaultRefreshInterval}, // never later than the interval
		{"max-age=86400", 0, defaultRefreshInterval},
		{"max-age=5", 0, time.Minute},
		{"max-age=0", 0, time.Minute},
		{"max-age=99999999999999999999", 0, defaultRefreshInterval}, // unparsable: ignored
		{"max-age=999999", 0, defaultRefreshInterval},
		{`max-age="600"`, 0, 10 * time.Minute},
		{"no-store", 0, time.Minute},
		{"no-cache, max-age=3600", 0, time.Minute},
		{"max-age=abc", 0, defaultRefreshInterval},
		{"max-age=300", http.StatusBadGateway, defaultRefreshCooldown}, // failed fetch: retry
	}
	for _, tc := range tests { // sequential: they share the server
		h.srv.SetCacheControl(tc.header)
		h.srv.SetStatus(tc.status)
		if got := h.timer.tick(t); got != tc.want {
			t.Errorf("Cache-Control %q, status %d: next refresh in %v, want %v", tc.header, tc.status, got, tc.want)
		}
	}
	// An interval below the 1-minute floor stays the interval.
	short := newHarness(t, []*jwttest.Key{jwttest.NewKey(t, "EdDSA")}, WithRefreshInterval(10*time.Second))
	for _, header := range []string{"no-store", "max-age=0", "max-age=86400"} {
		short.srv.SetCacheControl(header)
		if got := short.timer.tick(t); got != 10*time.Second {
			t.Errorf("interval 10s, Cache-Control %q: next refresh in %v, want 10s", header, got)
		}
	}
}

// redirectServer answers every request with a 302 to target(), evaluated
// per request so that chains can be built in any order.
func redirectServer(t *testing.T, tls bool, target func() string) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target(), http.StatusFound)
	})
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(h)
	} else {
		srv = httptest.NewServer(h)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestJWKSRedirects(t *testing.T) {
	t.Parallel()
	keys := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	body := jwksBody(t, jwkMap(t, jwttest.NewKey(t, "ES256").WithID("a")))
	mux := http.NewServeMux()
	mux.Handle("/old", http.RedirectHandler("/jwks.json", http.StatusMovedPermanently))
	mux.HandleFunc("/jwks.json", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	sameOrigin := httptest.NewServer(mux)
	t.Cleanup(sameOrigin.Close)
	// https -> https (another origin) -> plain http, and
	// plain http -> https -> plain http: the downgrade is refused at any hop.
	tlsToPlain := redirectServer(t, true, keys.URL)
	tlsToTLS := redirectServer(t, true, func() string { return tlsToPlain.URL })
	plainToTLS := redirectServer(t, false, func() string { return tlsToPlain.URL })
	tlsClient := tlsToPlain.Client() // trusts every httptest TLS server
	cross := WithCrossOriginRedirects()
	tests := []struct {
		name   string
		start  string
		opts   []JWKSOption
		refuse string // "" for a successful fetch
	}{
		{"same origin", sameOrigin.URL + "/old", nil, ""},
		{"to another loopback port", redirectServer(t, false, keys.URL).URL, nil, "to another origin"},
		{"to another loopback port, allowed", redirectServer(t, false, keys.URL).URL, []JWKSOption{cross}, ""},
		{"to non-loopback http", redirectServer(t, false, func() string { return "http://idp.example/jwks" }).URL, []JWKSOption{cross}, "https is required"},
		{"https to http", tlsToPlain.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"https to https to http", tlsToTLS.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"http to https to http", plainToTLS.URL, []JWKSOption{cross, WithHTTPClient(tlsClient)}, "from https to http"},
		{"https to https, another origin", tlsToTLS.URL, []JWKSOption{WithHTTPClient(tlsClient)}, "to another origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The caller's client would follow anything; the source must not.
			opts := append([]JWKSOption{WithHTTPClient(&http.Client{})}, tc.opts...)
			src, err := NewJWKS(context.Background(), tc.start, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			err = src.Err()
			if tc.refuse == "" {
				if err != nil {
					t.Errorf("Err = %v, want a successful fetch", err)
				}
				return
			}
			if msg := fmt.Sprint(err); !strings.Contains(msg, "redirect refused") || !strings.Contains(msg, tc.refuse) {
				t.Errorf("Err = %v, want a redirect refused with %q", err, tc.refuse)
			}
		})
	}
	if n := keys.Fetches(); n != 1 {
		t.Errorf("the plain-http key server was fetched %d times, want 1 (the allowed redirect)", n)
	}
}

// TestJWKSRedirectPolicyKeepsCallersClient: the caller's client and its
// own redirect policy are left alone, and its policy still has a say.
func TestJWKSRedirectPolicyKeepsCallersClient(t *testing.T) {
	t.Parallel()
	keys := jwttest.NewJWKSServer(t, jwttest.NewKey(t, "ES256").WithID("a"))
	redirect := redirectServer(t, false, keys.URL)
	var asked int
	mine := func(*http.Request, []*http.Request) error { asked++; return errors.New("my policy says no") }
	client := &http.Client{CheckRedirect: mine}
	src, err := NewJWKS(context.Background(), redirect.URL, WithHTTPClient(client), WithCrossOriginRedirects())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := src.Err(); !strings.Contains(fmt.Sprint(err), "my policy says no") || asked != 1 {
		t.Errorf("Err = %v, asked %d times; want the caller's policy asked once", err, asked)
	}
	if fmt.Sprintf("%p", client.CheckRedirect) != fmt.Sprintf("%p", mine) || client.Transport != nil {
		t.Error("the caller's client was changed")
	}
}

// TestJWKSErrorsHideSecrets: errors (which reach logs) name the key set URL
// without its query, and never the server's reason phrase or body.
func TestJWKSErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, "internal secret detail")
	}))
	defer srv.Close()
	src, err := NewJWKS(context.Background(), srv.URL+"/jwks?access_token=SECRET123")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	msg := fmt.Sprint(src.Err())
	if !strings.Contains(msg, "status 500") || strings.Contains(msg, "SECRET123") || strings.Contains(msg, "secret detail") {
		t.Errorf("Err = %q", msg)
	}
	if _, err := NewJWKS(context.Background(), "https://user:pass@idp.example/jwks"); err == nil || strings.Contains(err.Error(), "pass") {
		t.Errorf("a URL with credentials: err = %v", err)
	}
}
