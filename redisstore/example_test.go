package redisstore_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// Every instance of the service wires the same Redis into its middleware;
// a token revoked through any of them is refused by all. (This example
// needs a Redis, so it is compiled but not run; examples/twoinstances runs
// the same against a real one.)
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redisstore.New(rdb)
	if err != nil {
		log.Fatal(err)
	}
	secret := []byte(os.Getenv("JWT_SECRET")) // at least 32 bytes
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithRevocationCheck(store.Check))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /logout", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		if err := store.RevokeID(r.Context(), c.ID, c.ExpiresAt.Time); err != nil {
			jwtauth.WriteError(w, r, err) // 503 while Redis cannot be reached
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
}

// Logging a user out everywhere refuses every token of theirs issued
// before now, on every instance, for as long as such a token can live.
func ExampleStore_RevokeSubject() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	store, err := redisstore.New(rdb)
	if err != nil {
		log.Fatal(err)
	}
	const maxTokenLifetime = time.Hour // the longest the issuer's tokens live
	now := time.Now()
	if err := store.RevokeSubject(context.Background(), "alice", now, now.Add(maxTokenLifetime)); err != nil {
		log.Fatal(err) // wraps redisstore.ErrUnavailable when Redis cannot be reached
	}
}
