package jwtauth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// BenchmarkJWKSMiddleware compares an RS256 request verified with a
// JWKS-backed key to the same with a static key, on one shared middleware
// under RunParallel (target: at most 1.05x).
func BenchmarkJWKSMiddleware(b *testing.B) {
	k := jwttest.NewKey(b, "RS256").WithID("k1")
	srv := jwttest.NewJWKSServer(b, k)
	jwks, err := NewJWKS(context.Background(), srv.URL(), WithJWKSAlgorithms("RS256"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { jwks.Close() })
	tok := jwttest.Mint(b, k, nil)
	opts := []Option{WithIssuer(jwttest.DefaultIssuer), WithAudience(jwttest.DefaultAudience)}
	for _, tc := range []struct {
		name string
		keys KeySource
		more []Option
	}{
		{"static", PublicKey("RS256", k.Public()), nil},
		{"jwks", jwks, nil},
		{"static-cache", PublicKey("RS256", k.Public()), []Option{WithCache(1024)}},
		{"jwks-cache", jwks, []Option{WithCache(1024)}},
	} {
		b.Run("keys="+tc.name, func(b *testing.B) {
			mw, err := New(tc.keys, append(opts, tc.more...)...)
			if err != nil {
				b.Fatal(err)
			}
			h := mw.Handler(okHandler())
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				w := &statusWriter{h: make(http.Header)}
				for pb.Next() {
					h.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						b.Errorf("status %d", w.status)
						return
					}
				}
			})
		})
	}
}

func BenchmarkParseJWKS10k(b *testing.B) {
	body := jwks10k(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseJWKS(body, jwks10kAlgs, nil, func(error) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWKSKey(b *testing.B) {
	k := jwttest.NewKey(b, "ES256").WithID("a")
	srv := jwttest.NewJWKSServer(b, jwttest.NewKey(b, "ES256").WithID("other"), k)
	src, err := NewJWKS(context.Background(), srv.URL())
	if err != nil || src.Err() != nil {
		b.Fatal(err, src.Err())
	}
	defer src.Close()
	sources := []struct {
		name string
		src  KeySource
		kid  string
	}{
		{"PublicKey", PublicKey("ES256", k.Public()), "a"},
		{"JWKS", src, "a"},
	}
	for _, s := range sources {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.src.Key(ctx, s.kid, "ES256"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkDecodePerson compares Decode from bytes (decode + validate) with
// json.Unmarshal into the same struct (no presence or rule checks).
func BenchmarkDecodePerson(b *testing.B) {
	body := []byte(tutorialBody)
	b.Run("impl=jsonUnmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var p Person
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=jwtauth", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeBytes[Person](body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHandlePerson serves the tutorial body through one shared handler
// from parallel goroutines, next to a handler without decoding.
func BenchmarkHandlePerson(b *testing.B) {
	body := []byte(tutorialBody)
	typed, err := Handle(func(_ context.Context, p Person) (NoInput, error) { return NoInput{}, nil })
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"impl=none", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("{}"))
		})},
		{"impl=jwtauth", typed},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				rd := bytes.NewReader(body)
				r := httptest.NewRequest(http.MethodPost, "/", rd)
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				for pb.Next() {
					rd.Reset(body)
					w.Body.Reset()
					bc.h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatalf("status %d", w.Code)
					}
				}
			})
		})
	}
}
