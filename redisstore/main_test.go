package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
	"github.com/seedb5d7e80f/jwtauth/redisstore/internal/redistest"
)

// shared is the redis-server most tests use, each under its own prefix.
var (
	shared    *redistest.Server
	sharedErr error
)

// cluster is the Redis Cluster of the tests that use one, started by the
// first of them.
var (
	clusterOnce sync.Once
	cluster     *redistest.Cluster
	clusterErr  error
)

func clusterAddrs(tb testing.TB) []string {
	tb.Helper()
	clusterOnce.Do(func() { cluster, clusterErr = redistest.LaunchCluster() })
	redistest.Need(tb, clusterErr)
	return cluster.Addrs
}

// quiet drops go-redis's log lines (dial failures during the outage tests).
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	redis.SetLogger(quiet{})
	shared, sharedErr = redistest.Launch()
	code := m.Run()
	if shared != nil {
		shared.Stop()
	}
	if cluster != nil {
		cluster.Stop()
	}
	os.Exit(code)
}

// sharedAddr returns the shared server's address, or skips (fails with
// JWTAUTH_REQUIRE_TOOLS=1) without redis-server.
func sharedAddr(tb testing.TB) string {
	tb.Helper()
	redistest.Need(tb, sharedErr)
	return shared.Addr
}

// newClient returns a go-redis client of its own for addr, closed when the
// test ends.
func newClient(tb testing.TB, addr string) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	tb.Cleanup(func() { c.Close() })
	return c
}

// clientKind makes the clients of one kind of deployment.
type clientKind struct {
	name string
	// start starts what the clients need and returns a function that makes
	// one more client of the test's own.
	start func(tb testing.TB) func() redis.UniversalClient
}

// clientKinds are the deployments the cross-instance tests run on: a single
// node through *redis.Client (MGET), the same through a client the store
// cannot see as one (a pipeline of GETs), and a real three-node Redis
// Cluster (the pipeline split across nodes).
var clientKinds = []clientKind{
	{"single node", func(tb testing.TB) func() redis.UniversalClient {
		addr := sharedAddr(tb)
		return func() redis.UniversalClient { return newClient(tb, addr) }
	}},
	{"wrapped client", func(tb testing.TB) func() redis.UniversalClient {
		addr := sharedAddr(tb)
		return func() redis.UniversalClient { return wrapped{newClient(tb, addr)} }
	}},
	{"cluster", func(tb testing.TB) func() redis.UniversalClient {
		addrs := clusterAddrs(tb)
		return func() redis.UniversalClient {
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
			tb.Cleanup(func() { c.Close() })
			return c
		}
	}},
}

// wrapped hides a client's type, as a user's own wrapper would.
type wrapped struct{ redis.UniversalClient }

// prefix returns a key prefix of the test's own, so that tests can share
// the server in parallel.
func prefix(tb testing.TB) string {
	return "test:" + strings.ReplaceAll(tb.Name(), " ", "_") + ":"
}

// testTimeout is the stores' timeout in tests that are not about timeouts:
// a loaded machine (the race detector, parallel tests) can take longer
// than the 100 ms default.
const testTimeout = 5 * time.Second

// newStore returns a store under the test's prefix with testTimeout;
// opts come after these and may override them.
func newStore(tb testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *redisstore.Store {
	tb.Helper()
	s, err := redisstore.New(c, append([]redisstore.Option{redisstore.WithPrefix(prefix(tb)), redisstore.WithTimeout(testTimeout)}, opts...)...)
	if err != nil {
		tb.Fatalf("redisstore.New: %v", err)
	}
	return s
}

var secret = []byte("0123456789abcdef0123456789abcdef")

// instance is one verifying service: a middleware with its own go-redis
// client and store, in front of a handler that answers 200 "ok".
type instance struct {
	store   *redisstore.Store
	handler http.Handler
}

func newInstance(tb testing.TB, addr string, opts ...redisstore.Option) *instance {
	tb.Helper()
	return newInstanceFor(tb, newClient(tb, addr), opts...)
}

// newInstanceFor is newInstance with a client of the caller's.
func newInstanceFor(tb testing.TB, c redis.UniversalClient, opts ...redisstore.Option) *instance {
	tb.Helper()
	s := newStore(tb, c, opts...)
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithRevocationCheck(s.Check))
	if err != nil {
		tb.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	return &instance{store: s, handler: mw.Handler(ok)}
}

// get sends a request with tok and returns the status and Retry-After.
func (in *instance) get(tok string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	in.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Header().Get("Retry-After")
}

// token mints an HS256 token; a nil claim value leaves the claim out.
func token(tb testing.TB, claims jwt.MapClaims) string {
	tb.Helper()
	c := jwt.MapClaims{"sub": "alice", "iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
