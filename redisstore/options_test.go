package redisstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

func TestNewErrors(t *testing.T) {
	t.Parallel()
	good := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	noCtx := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	cluster := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"127.0.0.1:1"}})
	t.Cleanup(func() { good.Close(); noCtx.Close(); cluster.Close() })
	tests := []struct {
		name   string
		client redis.UniversalClient
		opts   []redisstore.Option
		want   string // a part of the error, "" for none
	}{
		{"defaults", good, nil, ""},
		{"every option", good, []redisstore.Option{redisstore.WithPrefix("p:"), redisstore.WithTimeout(time.Second),
			redisstore.WithFailOpenRevocation(), redisstore.WithNotRevokedCache(time.Second, 10),
			redisstore.WithErrorHandler(func(error) {}), redisstore.WithTimeFunc(time.Now)}, ""},
		{"nil client", nil, nil, "nil client"},
		{"client without ContextTimeoutEnabled", noCtx, nil, "ContextTimeoutEnabled"},
		{"cluster client without ContextTimeoutEnabled", cluster, nil, "ContextTimeoutEnabled"},
		{"check waived", noCtx, []redisstore.Option{redisstore.WithoutContextTimeoutCheck()}, ""},
		{"nil option", good, []redisstore.Option{nil}, "nil Option"},
		{"empty prefix", good, []redisstore.Option{redisstore.WithPrefix("")}, "WithPrefix"},
		{"zero timeout", good, []redisstore.Option{redisstore.WithTimeout(0)}, "WithTimeout"},
		{"negative timeout", good, []redisstore.Option{redisstore.WithTimeout(-time.Second)}, "WithTimeout"},
		{"zero cache age", good, []redisstore.Option{redisstore.WithNotRevokedCache(0, 10)}, "WithNotRevokedCache"},
		{"cache age over a minute", good, []redisstore.Option{redisstore.WithNotRevokedCache(2*time.Minute, 10)}, "WithNotRevokedCache"},
		{"zero cache size", good, []redisstore.Option{redisstore.WithNotRevokedCache(time.Second, 0)}, "WithNotRevokedCache"},
		{"nil error handler", good, []redisstore.Option{redisstore.WithErrorHandler(nil)}, "WithErrorHandler"},
		{"nil clock", good, []redisstore.Option{redisstore.WithTimeFunc(nil)}, "WithTimeFunc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := redisstore.New(tt.client, tt.opts...)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want == "" && s == nil:
				t.Error("New returned a nil store")
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
