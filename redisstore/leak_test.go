package redisstore_test

import (
	"context"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// TestNoGoroutineLeak: the store starts nothing of its own; once the
// callers close their go-redis clients, no goroutine is left of three
// instances that checked, revoked and recorded replays. Not parallel, so
// that other tests' goroutines do not count.
func TestNoGoroutineLeak(t *testing.T) {
	addr := sharedAddr(t)
	warm := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	warm.Ping(context.Background()) // process-wide state go-redis sets up once
	warm.Close()
	base := runtime.NumGoroutine()

	func() {
		var clients []*redis.Client
		defer func() {
			for _, c := range clients {
				c.Close()
			}
		}()
		tok := token(t, jwt.MapClaims{"jti": "leak-1"})
		for i := range 3 {
			c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
			clients = append(clients, c)
			s, err := redisstore.New(c, redisstore.WithPrefix(prefix(t)), redisstore.WithTimeout(testTimeout), redisstore.WithNotRevokedCache(time.Second, 8))
			if err != nil {
				t.Fatal(err)
			}
			mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithRevocationCheck(s.Check))
			if err != nil {
				t.Fatal(err)
			}
			in := &instance{store: s, handler: mw.Handler(http.NotFoundHandler())}
			in.get(tok)
			if i == 1 {
				if err := s.RevokeID(context.Background(), "leak-1", time.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.CheckAndSet(context.Background(), "leak-proof", time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			in.get(tok)
		}
	}()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			stacks := string(buf[:runtime.Stack(buf, true)])
			t.Fatalf("%d goroutines 5s after closing the clients, %d before; stacks:\n%s", runtime.NumGoroutine(), base, stacks[:min(len(stacks), 8000)])
		}
		time.Sleep(10 * time.Millisecond) // goroutines end on their own: nothing to wait on
	}
}
