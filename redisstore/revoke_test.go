package redisstore_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

// TestRevocationAcrossInstances: three middleware instances, each with its
// own go-redis client, share one Redis; a token revoked through one of them
// is refused by all three on the next request, and the others stay
// accepted.
func TestRevocationAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, kind := range clientKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			testRevocationAcrossInstances(t, kind.start(t))
		})
	}
}

func testRevocationAcrossInstances(t *testing.T, newClient func() redis.UniversalClient) {
	now := time.Now()
	exp := now.Add(time.Hour)
	tests := []struct {
		name string
		// revoke revokes something through store, given the tokens.
		revoke func(s *redisstore.Store, tok map[string]string) error
		// want is each token's status on every instance afterwards.
		want map[string]int
	}{
		{
			name: "by jti",
			revoke: func(s *redisstore.Store, _ map[string]string) error {
				return s.RevokeID(context.Background(), "id-1", exp)
			},
			want: map[string]int{"jti id-1": 401, "jti id-2": 200, "no jti": 200, "bob": 200},
		},
		{
			name: "by subject before a cutoff",
			revoke: func(s *redisstore.Store, _ map[string]string) error {
				return s.RevokeSubject(context.Background(), "alice", now.Add(-30*time.Second), exp)
			},
			// alice's tokens were issued a minute ago, except "alice later";
			// one without iat cannot show it came later.
			want: map[string]int{"jti id-1": 401, "jti id-2": 401, "no jti": 401, "no iat": 401, "alice later": 200, "bob": 200},
		},
		{
			name: "by signing-input hash",
			revoke: func(s *redisstore.Store, tok map[string]string) error {
				return s.RevokeHash(context.Background(), jwtauth.SigningInputHash(tok["no jti"]), exp)
			},
			want: map[string]int{"jti id-1": 200, "no jti": 401, "bob": 200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			toks := map[string]string{
				"jti id-1":    token(t, jwt.MapClaims{"jti": "id-1"}),
				"jti id-2":    token(t, jwt.MapClaims{"jti": "id-2"}),
				"no jti":      token(t, nil),
				"no iat":      token(t, jwt.MapClaims{"iat": nil, "jti": "id-3"}),
				"alice later": token(t, jwt.MapClaims{"iat": now.Add(-10 * time.Second).Unix()}),
				"bob":         token(t, jwt.MapClaims{"sub": "bob", "jti": "id-4"}),
			}
			var ins []*instance
			for range 3 {
				ins = append(ins, newInstanceFor(t, newClient()))
			}
			statuses := func(names []string) map[string][]int {
				got := map[string][]int{}
				for _, name := range names {
					for _, in := range ins {
						code, _ := in.get(toks[name])
						got[name] = append(got[name], code)
					}
				}
				return got
			}
			var names []string
			before, after := map[string][]int{}, map[string][]int{}
			for name, code := range tt.want {
				names = append(names, name)
				before[name] = []int{200, 200, 200}
				after[name] = []int{code, code, code}
			}
			if diff := cmp.Diff(before, statuses(names)); diff != "" {
				t.Fatalf("before revoking, statuses on the three instances (-want +got):\n%s", diff)
			}
			for i, in := range ins { // revoke through each instance in turn: the same outcome
				if err := tt.revoke(in.store, toks); err != nil {
					t.Fatalf("revoke through instance %d: %v", i, err)
				}
				if diff := cmp.Diff(after, statuses(names)); diff != "" {
					t.Errorf("after revoking through instance %d, statuses on the three instances (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestCheckErrors: Check's refusals wrap jwtauth.ErrRevoked and name the
// kind of revocation, never the jti or subject.
func TestCheckErrors(t *testing.T) {
	t.Parallel()
	s := newStore(t, newClient(t, sharedAddr(t)))
	ctx := context.Background()
	exp := time.Now().Add(time.Hour)
	if err := s.RevokeID(ctx, "secret-jti", exp); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSubject(ctx, "secret-sub", time.Now(), exp); err != nil {
		t.Fatal(err)
	}
	h := jwtauth.SigningInputHash("a.b.c")
	if err := s.RevokeHash(ctx, h, exp); err != nil {
		t.Fatal(err)
	}
	iat := time.Now().Add(-time.Minute)
	tests := []struct {
		name string
		info jwtauth.TokenInfo
		want string // "" for accepted
	}{
		{"jti", jwtauth.TokenInfo{ID: "secret-jti", IssuedAt: iat}, "jwtauth: token revoked (redisstore: by jti)"},
		{"subject", jwtauth.TokenInfo{Subject: "secret-sub", IssuedAt: iat}, "jwtauth: token revoked (redisstore: subject revoked before its iat)"},
		{"hash", jwtauth.TokenInfo{Hash: h, IssuedAt: iat}, "jwtauth: token revoked (redisstore: by signing-input hash)"},
		{"none", jwtauth.TokenInfo{ID: "other", Subject: "other", IssuedAt: iat}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := s.Check(ctx, tt.info)
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, jwtauth.ErrRevoked) {
					t.Errorf("Check: %v does not wrap jwtauth.ErrRevoked", err)
				}
				if strings.Contains(got, "secret") {
					t.Errorf("Check: %q carries the token's claims", got)
				}
			}
			if got != tt.want {
				t.Errorf("Check: %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEntriesExpire: every entry expires ExpiryMargin after the token would
// have, read with PTTL instead of waiting; an entry for a token long
// expired is not written; revoking again never shortens an entry or moves
// a subject's cutoff back; a missing expiry is an error.
func TestEntriesExpire(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedAddr(t))
	s := newStore(t, c)
	ctx := context.Background()
	now := time.Now()
	p := prefix(t)
	hash := jwtauth.SigningInputHash("x.y.z")
	hashKey := p + "hash:" + base64.RawURLEncoding.EncodeToString(hash[:])

	type entry struct {
		key   string
		value string
		ttl   time.Duration // about
	}
	tests := []struct {
		name   string
		revoke func() error
		want   entry // key "" for no entry
	}{
		{"jti, an hour left", func() error { return s.RevokeID(ctx, "a", now.Add(time.Hour)) },
			entry{p + "jti:a", "0", time.Hour + redisstore.ExpiryMargin}},
		{"hash, a minute left", func() error { return s.RevokeHash(ctx, hash, now.Add(time.Minute)) },
			entry{hashKey, "0", time.Minute + redisstore.ExpiryMargin}},
		{"subject", func() error { return s.RevokeSubject(ctx, "alice", now, now.Add(2*time.Hour)) },
			entry{p + "sub:alice", strconv.FormatInt(now.UnixMilli(), 10), 2*time.Hour + redisstore.ExpiryMargin}},
		{"subject again, earlier cutoff and expiry: both kept", func() error {
			return s.RevokeSubject(ctx, "alice", now.Add(-time.Hour), now.Add(time.Hour))
		}, entry{p + "sub:alice", strconv.FormatInt(now.UnixMilli(), 10), 2*time.Hour + redisstore.ExpiryMargin}},
		{"subject again, later cutoff: taken", func() error {
			return s.RevokeSubject(ctx, "alice", now.Add(time.Second), now.Add(time.Hour))
		}, entry{p + "sub:alice", strconv.FormatInt(now.Add(time.Second).UnixMilli(), 10), 2*time.Hour + redisstore.ExpiryMargin}},
		{"jti within the margin after exp: still written", func() error { return s.RevokeID(ctx, "b", now.Add(-time.Minute)) },
			entry{p + "jti:b", "0", redisstore.ExpiryMargin - time.Minute}},
		{"jti expired beyond the margin: nothing written", func() error { return s.RevokeID(ctx, "c", now.Add(-redisstore.ExpiryMargin-time.Second)) },
			entry{}},
	}
	for _, tt := range tests { // in order: the subject cases build on each other
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.revoke(); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			if tt.want.key == "" {
				if n, err := c.Exists(ctx, p+"jti:c").Result(); err != nil || n != 0 {
					t.Errorf("EXISTS = %d, %v; want 0", n, err)
				}
				return
			}
			v, err := c.Get(ctx, tt.want.key).Result()
			if err != nil {
				t.Fatalf("GET %s: %v", tt.want.key, err)
			}
			ttl, err := c.PTTL(ctx, tt.want.key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if v != tt.want.value {
				t.Errorf("value %q, want %q", v, tt.want.value)
			}
			if d := ttl - tt.want.ttl; d > 0 || d < -5*time.Second {
				t.Errorf("PTTL %v, want about %v", ttl, tt.want.ttl)
			}
		})
	}

	t.Run("zero or missing arguments", func(t *testing.T) {
		for name, err := range map[string]error{
			"RevokeID zero expiry":      s.RevokeID(ctx, "d", time.Time{}),
			"RevokeID empty jti":        s.RevokeID(ctx, "", now),
			"RevokeHash zero expiry":    s.RevokeHash(ctx, hash, time.Time{}),
			"RevokeSubject zero cutoff": s.RevokeSubject(ctx, "bob", time.Time{}, now),
			"RevokeSubject zero expiry": s.RevokeSubject(ctx, "bob", now, time.Time{}),
			"RevokeSubject empty":       s.RevokeSubject(ctx, "", now, now),
		} {
			if err == nil || errors.Is(err, redisstore.ErrUnavailable) {
				t.Errorf("%s: %v, want an argument error", name, err)
			}
		}
	})
}

// TestCheckOneRoundTrip: a check is one round trip, whatever applies: one
// MGET on a *redis.Client, a pipeline of one GET per key on any other
// client (here a *redis.Client the store cannot see as one).
func TestCheckOneRoundTrip(t *testing.T) {
	t.Parallel()
	c := newClient(t, sharedAddr(t))
	hook := &countHook{}
	c.AddHook(hook)
	tests := []struct {
		name   string
		client redis.UniversalClient
		info   jwtauth.TokenInfo
		want   []string
	}{
		{"*redis.Client, hash only", c, jwtauth.TokenInfo{}, []string{"mget"}},
		{"*redis.Client, jti, sub and hash", c, jwtauth.TokenInfo{ID: "i", Subject: "s"}, []string{"mget"}},
		{"other client, hash only", wrapped{c}, jwtauth.TokenInfo{}, []string{"get"}},
		{"other client, jti, sub and hash", wrapped{c}, jwtauth.TokenInfo{ID: "i", Subject: "s"}, []string{"get", "get", "get"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, tt.client)
			hook.take()
			if err := s.Check(context.Background(), tt.info); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([][]string{tt.want}, hook.take()); diff != "" {
				t.Errorf("round trips, by their commands (-want +got):\n%s", diff)
			}
		})
	}
}

// countHook records the commands of every round trip a client makes.
type countHook struct {
	mu    sync.Mutex
	trips [][]string
}

func (h *countHook) record(cmds []redis.Cmder) {
	var names []string
	for _, c := range cmds {
		names = append(names, c.Name())
	}
	if names[0] == "hello" || names[0] == "client" {
		return // a new connection's set-up
	}
	h.mu.Lock()
	h.trips = append(h.trips, names)
	h.mu.Unlock()
}

func (h *countHook) take() [][]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.trips
	h.trips = nil
	return t
}

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.record([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.record(cmds)
		return next(ctx, cmds)
	}
}
