package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// BenchmarkRoundTrip is one PING through go-redis, the unit the revocation
// check's cost is measured in.
func BenchmarkRoundTrip(b *testing.B) {
	c := newClient(b, sharedAddr(b))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Ping(context.Background()).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkMiddleware: one request through the middleware (HS256, a
// token with jti and sub) without a revocation check, with Store.Check
// against a real redis-server on loopback (one round trip of three
// commands), and with the not-revoked cache (no round trip). The
// difference between the first two is about one Redis round trip.
func BenchmarkMiddleware(b *testing.B) {
	addr := sharedAddr(b)
	tok := token(b, jwt.MapClaims{"jti": "bench-1"})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	newMW := func(opts ...jwtauth.Option) http.Handler {
		mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), opts...)
		if err != nil {
			b.Fatal(err)
		}
		return mw.Handler(ok)
	}
	store := newStore(b, newClient(b, addr))
	cached := newStore(b, newClient(b, addr), redisstore.WithNotRevokedCache(time.Second, 1024))
	for _, bb := range []struct {
		name string
		h    http.Handler
	}{
		{"without revocation check", newMW()},
		{"revocation check", newMW(jwtauth.WithRevocationCheck(store.Check))},
		{"revocation check, not-revoked cache", newMW(jwtauth.WithRevocationCheck(cached.Check))},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				for pb.Next() {
					rec := httptest.NewRecorder()
					bb.h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d", rec.Code)
					}
				}
			})
		})
	}
}
