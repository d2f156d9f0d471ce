package jwtauth_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// benchWriter is a minimal ResponseWriter that keeps the status.
type benchWriter struct {
	h      http.Header
	status int
}

func (w *benchWriter) Header() http.Header { return w.h }

func (w *benchWriter) Write(p []byte) (int, error) { return len(p), nil }

func (w *benchWriter) WriteHeader(s int) { w.status = s }

var personBody = []byte(`{"name":"Foo","gender":"male","age":25.5,"checked":false}`)

// protected is the handler work shared by every benchmark: read the subject
// from the context, decode the body with encoding/json, write a reply.
func protected(sub func(context.Context) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := sub(r.Context())
		if s == "" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var p struct {
			Name    string  `json:"name"`
			Gender  string  `json:"gender"`
			Age     float64 `json:"age"`
			Checked bool    `json:"checked"`
		}
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(map[string]string{"sub": s, "name": p.Name})
	})
}

type baselineKey struct{}

// baseline calls golang-jwt directly with the same checks (one algorithm,
// iss, aud, required exp) and one context.WithValue: the floor.
func baseline(alg string, key any) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(testIssuer),
		jwt.WithAudience(testAudience), jwt.WithExpirationRequired(), jwt.WithTimeFunc(clock))
	next := protected(func(ctx context.Context) string {
		c, _ := ctx.Value(baselineKey{}).(*jwt.RegisteredClaims)
		if c == nil {
			return ""
		}
		return c.Subject
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var c jwt.RegisteredClaims
		if _, err := parser.ParseWithClaims(h[7:], &c, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), baselineKey{}, &c)))
	})
}

func ours(t testing.TB, ks jwtauth.KeySource, opts ...jwtauth.Option) http.Handler {
	t.Helper()
	m, err := jwtauth.New(ks, append([]jwtauth.Option{jwtauth.WithIssuer(testIssuer), jwtauth.WithAudience(testAudience), jwtauth.WithTimeFunc(clock)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m.Handler(protected(func(ctx context.Context) string {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
		if c == nil {
			return ""
		}
		return c.Subject
	}))
}

type benchAlg struct {
	name   string
	method jwt.SigningMethod
	sign   any
	verify any
	keys   jwtauth.KeySource
}

func benchAlgs() []benchAlg {
	return []benchAlg{
		{"HS256", jwt.SigningMethodHS256, secret, secret, jwtauth.HMAC("HS256", secret)},
		{"RS256", jwt.SigningMethodRS256, rsaKey, &rsaKey.PublicKey, jwtauth.PublicKey("RS256", &rsaKey.PublicKey)},
		{"ES256", jwt.SigningMethodES256, ecKey256, &ecKey256.PublicKey, jwtauth.PublicKey("ES256", &ecKey256.PublicKey)},
		{"EdDSA", jwt.SigningMethodEdDSA, edPriv, edPub, jwtauth.PublicKey("EdDSA", edPub)},
	}
}

// BenchmarkMiddleware measures POST / with a Bearer token and the Person
// body: impl=none is the handler alone (no verification), impl=baseline bare
// golang-jwt, impl=jwtauth this package, impl=jwtauth-cache with WithCache.
func BenchmarkMiddleware(b *testing.B) {
	for _, a := range benchAlgs() {
		tok := mint(b, a.method, a.sign, goodClaims(), nil)
		impls := []struct {
			name string
			h    http.Handler
		}{
			{"none", protected(func(context.Context) string { return "user-1" })},
			{"baseline", baseline(a.name, a.verify)},
			{"jwtauth", ours(b, a.keys)},
			{"jwtauth-cache", ours(b, a.keys, jwtauth.WithCache(1024))},
		}
		for _, impl := range impls {
			b.Run("alg="+a.name+"/impl="+impl.name, func(b *testing.B) {
				body := bytes.NewReader(personBody)
				req := httptest.NewRequest(http.MethodPost, "/", body)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					body.Seek(0, io.SeekStart)
					w.status = 0
					impl.h.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				}
			})
		}
	}
}

// BenchmarkParallel is BenchmarkMiddleware's HS256 and RS256 cases with
// RunParallel on one shared middleware.
func BenchmarkParallel(b *testing.B) {
	for _, a := range benchAlgs()[:2] {
		tok := mint(b, a.method, a.sign, goodClaims(), nil)
		for _, impl := range []struct {
			name string
			h    http.Handler
		}{{"baseline", baseline(a.name, a.verify)}, {"jwtauth", ours(b, a.keys)}, {"jwtauth-cache", ours(b, a.keys, jwtauth.WithCache(1024))}} {
			b.Run("alg="+a.name+"/impl="+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					body := bytes.NewReader(personBody)
					req := httptest.NewRequest(http.MethodPost, "/", body)
					req.Header.Set("Authorization", "Bearer "+tok)
					w := &benchWriter{h: make(http.Header)}
					for pb.Next() {
						body.Seek(0, io.SeekStart)
						impl.h.ServeHTTP(w, req)
						if w.status != http.StatusOK {
							b.Errorf("status %d", w.status)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkReject measures a forged HS256 token (one signature bit flipped).
func BenchmarkReject(b *testing.B) {
	tok := mint(b, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	p := strings.Split(tok, ".")
	bad := p[0] + "." + p[1] + "." + flip(p[2])
	for _, impl := range []struct {
		name string
		h    http.Handler
	}{{"baseline", baseline("HS256", secret)}, {"jwtauth", ours(b, jwtauth.HMAC("HS256", secret))}} {
		b.Run("impl="+impl.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodPost, "/", nil)
			req.Header.Set("Authorization", "Bearer "+bad)
			w := &benchWriter{h: make(http.Header)}
			b.ReportAllocs()
			for b.Loop() {
				impl.h.ServeHTTP(w, req)
				if w.status != http.StatusUnauthorized {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

// dpopBenchKey and dpopBenchProofs are the client key of the DPoP
// benchmarks and a pool of distinct proofs for bound tokens, made once (an
// ES256 signature each) outside the timers.
var (
	dpopBenchKey    = jwttest.NewDPoPKey(standIn{})
	dpopBenchProofs = sync.OnceValue(func() map[string][][]string { return map[string][][]string{} })
	dpopBenchMu     sync.Mutex
)

// benchProofs returns n distinct proofs for POST dpopURL with token.
func benchProofs(b *testing.B, token string, n int) [][]string {
	dpopBenchMu.Lock()
	defer dpopBenchMu.Unlock()
	pool := dpopBenchProofs()
	for len(pool[token]) < n {
		pool[token] = append(pool[token], []string{dpopBenchKey.Proof(b, "POST", dpopURL, token, jwttest.WithProofNow(clock))})
	}
	return pool[token][:n]
}

// BenchmarkDPoP measures POST / with a DPoP-bound token and a new ES256
// proof on each request, through the default in-memory replay store
// (impl=dpop), beside the same token without cnf as Bearer (impl=bearer)
// and the handler alone (impl=none), for an HS256 and an ES256 token.
// impl=es256-verify is one ES256 verification of a proof, alone. Each
// proof is accepted once, so when the pool of proofs is used up the
// middleware is rebuilt with a fresh store, outside the timer.
func BenchmarkDPoP(b *testing.B) {
	es256Key := jwttest.NewKey(b, "ES256")
	for _, tk := range []struct {
		name string
		sign *jwttest.Key
		keys jwtauth.KeySource
	}{
		{"HS256", dpopTokenKey, jwtauth.HMAC("HS256", dpopTokenKey.Public().([]byte))},
		{"ES256", es256Key, jwtauth.PublicKey("ES256", es256Key.Public())},
	} {
		bound := jwttest.Mint(b, tk.sign, nil, jwttest.WithNow(clock), jwttest.WithDPoPBinding(dpopBenchKey))
		unbound := jwttest.Mint(b, tk.sign, nil, jwttest.WithNow(clock))
		build := func() http.Handler {
			m, err := jwtauth.New(tk.keys, jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience), jwtauth.WithTimeFunc(clock))
			if err != nil {
				b.Fatal(err)
			}
			return m.Handler(protected(func(ctx context.Context) string {
				c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
				return c.Subject
			}))
		}
		none := func() http.Handler { return protected(func(context.Context) string { return "user-1" }) }
		for _, impl := range []struct {
			name   string
			build  func() http.Handler
			scheme string
			token  string
			proofs int
		}{
			{"none", none, "Bearer", unbound, 0},
			{"bearer", build, "Bearer", unbound, 0},
			{"dpop", build, "DPoP", bound, 4096},
		} {
			b.Run("token="+tk.name+"/impl="+impl.name, func(b *testing.B) {
				proofs := benchProofs(b, impl.token, impl.proofs)
				h := impl.build()
				body := bytes.NewReader(personBody)
				req := httptest.NewRequest(http.MethodPost, dpopURL, body)
				req.Header.Set("Authorization", impl.scheme+" "+impl.token)
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					body.Seek(0, io.SeekStart)
					if proofs != nil {
						if i == len(proofs) {
							b.StopTimer()
							h, i = impl.build(), 0
							b.StartTimer()
						}
						req.Header["Dpop"] = proofs[i]
						i++
					}
					w.status = 0
					h.ServeHTTP(w, req)
					if w.status != http.StatusOK {
						b.Fatalf("status %d", w.status)
					}
				}
			})
		}
	}
	b.Run("impl=es256-verify", func(b *testing.B) {
		// The same 4096 proofs as impl=dpop, in turn: a fresh message and
		// signature each time, as a proof is.
		type signed struct {
			input string
			sig   []byte
		}
		var pool []signed
		for _, p := range benchProofs(b, "", 4096) {
			i := strings.LastIndexByte(p[0], '.')
			sig, _ := base64.RawURLEncoding.DecodeString(p[0][i+1:])
			pool = append(pool, signed{p[0][:i], sig})
		}
		pub := dpopBenchKey.Key().Public()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			p := pool[i%len(pool)]
			i++
			if err := jwt.SigningMethodES256.Verify(p.input, p.sig, pub); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDPoPParallel is BenchmarkDPoP's HS256 DPoP case with
// RunParallel on one shared middleware and its sharded replay store. It
// needs a proof per operation, so it stops when its pool of 2^16 is used
// up (run it with -benchtime 1s or less).
func BenchmarkDPoPParallel(b *testing.B) {
	bound := jwttest.Mint(b, dpopTokenKey, nil, jwttest.WithNow(clock), jwttest.WithDPoPBinding(dpopBenchKey))
	proofs := benchProofs(b, bound, 1<<16)
	store, err := jwtauth.NewMemoryReplayStore(1<<20, clock)
	if err != nil {
		b.Fatal(err)
	}
	m, err := jwtauth.New(jwtauth.HMAC("HS256", dpopTokenKey.Public().([]byte)),
		jwtauth.WithIssuer(jwttest.DefaultIssuer), jwtauth.WithAudience(jwttest.DefaultAudience),
		jwtauth.WithTimeFunc(clock), jwtauth.WithDPoPReplayStore(store))
	if err != nil {
		b.Fatal(err)
	}
	h := m.Handler(protected(func(ctx context.Context) string {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](ctx)
		return c.Subject
	}))
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		body := bytes.NewReader(personBody)
		req := httptest.NewRequest(http.MethodPost, dpopURL, body)
		req.Header.Set("Authorization", "DPoP "+bound)
		w := &benchWriter{h: make(http.Header)}
		for pb.Next() {
			n := next.Add(1) - 1
			if n >= int64(len(proofs)) {
				b.Errorf("more than %d operations: lower -benchtime", len(proofs))
				return
			}
			body.Seek(0, io.SeekStart)
			req.Header["Dpop"] = proofs[n]
			h.ServeHTTP(w, req)
			if w.status != http.StatusOK {
				b.Errorf("status %d", w.status)
				return
			}
		}
	})
}

// BenchmarkReplayStore measures CheckAndSet of the in-memory store with
// new keys from all goroutines at once: the shards keep them apart.
func BenchmarkReplayStore(b *testing.B) {
	store, err := jwtauth.NewMemoryReplayStore(1<<24, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := strconv.FormatInt(next.Add(1), 36) + "-0123456789abcdefghijklmnopqrstuvwxyz0"
			if ok, err := store.CheckAndSet(context.Background(), key, exp); !ok || err != nil {
				b.Errorf("CheckAndSet: %v %v", ok, err)
				return
			}
		}
	})
}
