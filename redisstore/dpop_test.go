package redisstore_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// The store is the middleware's DPoP replay store.
var _ jwtauth.ReplayStore = (*redisstore.Store)(nil)

// TestDPoPReplayAcrossInstances: three middleware instances, each with its
// own go-redis client, share one replay store in Redis. The same DPoP
// proof, sent to all three at once (many times each), is accepted exactly
// once; a fresh proof is accepted again.
func TestDPoPReplayAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			testDPoPReplayAcrossInstances(t, kind.start(t))
		})
	}
}

func testDPoPReplayAcrossInstances(t *testing.T, newClient func() redis.UniversalClient) {
	key := jwttest.NewKey(t, "HS256")
	dk := jwttest.NewDPoPKey(t)
	tok := jwttest.Mint(t, key, map[string]any{"sub": "alice"}, jwttest.WithDPoPBinding(dk))
	const target = "https://api.example/persons"
	var instances []http.Handler
	for range 3 {
		mw, err := jwtauth.New(jwtauth.HMAC("HS256", key.Private().([]byte)),
			jwtauth.WithDPoPReplayStore(newStore(t, newClient())))
		if err != nil {
			t.Fatal(err)
		}
		instances = append(instances, mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	}
	send := func(h http.Handler, proof string) int {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Header.Set("Authorization", "DPoP "+tok)
		r.Header.Set("DPoP", proof)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec.Code
	}

	proof := dk.Proof(t, http.MethodGet, target, tok)
	var ok, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch code := send(instances[i%3], proof); code {
			case http.StatusOK:
				ok.Add(1)
			case http.StatusUnauthorized:
				refused.Add(1)
			default:
				t.Errorf("status %d", code)
			}
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([2]int32{1, 29}, [2]int32{ok.Load(), refused.Load()}); diff != "" {
		t.Errorf("one proof to three instances 30 times: [accepted refused] (-want +got):\n%s", diff)
	}
	if code := send(instances[2], dk.Proof(t, http.MethodGet, target, tok)); code != http.StatusOK {
		t.Errorf("a fresh proof: %d, want 200", code)
	}
}
