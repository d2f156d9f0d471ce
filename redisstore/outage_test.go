package redisstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
	"github.com/seedb5d7e80f/jwtauth/redisstore/internal/redistest"
)

// errorLog collects what WithErrorHandler reports.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) take() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.errs
	l.errs = nil
	return e
}

type status struct {
	Code       int
	RetryAfter string
}

// TestOutage: Redis stops while three fail-closed instances and one
// fail-open instance serve; the fail-closed ones answer 503 with
// Retry-After (never 200), the fail-open one 200; the error handler sees
// every failure. When Redis is back, every instance serves again without a
// restart, and revocations work again.
func TestOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	log := &errorLog{}
	// A short timeout, since each request of the outage waits for it; a
	// loaded machine may exceed it while Redis is up, so the steps that
	// expect 200 wait (bounded) until every instance serves.
	const timeout = 200 * time.Millisecond
	var ins []*instance
	for range 3 {
		ins = append(ins, newInstance(t, srv.Addr, redisstore.WithTimeout(timeout), redisstore.WithErrorHandler(log.add)))
	}
	open := newInstance(t, srv.Addr, redisstore.WithTimeout(timeout), redisstore.WithFailOpenRevocation(), redisstore.WithErrorHandler(log.add))
	ins = append(ins, open)
	tok := token(t, jwt.MapClaims{"jti": "id-1"})
	all := func() []status {
		var got []status
		for _, in := range ins {
			code, ra := in.get(tok)
			got = append(got, status{code, ra})
		}
		return got
	}
	up := []status{{200, ""}, {200, ""}, {200, ""}, {200, ""}}
	// waitUp waits until every instance serves: reconnecting is the
	// client's business (its pool retries dials), with no clock to fake.
	waitUp := func(when string) time.Duration {
		start := time.Now()
		for {
			got := all()
			if cmp.Equal(up, got) {
				return time.Since(start)
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s, 10s on: %v, want all 200", when, got)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitUp("before the outage")
	log.take()

	srv.Down()
	start := time.Now()
	down := []status{{503, jwtauth.RetryAfterSeconds}, {503, jwtauth.RetryAfterSeconds}, {503, jwtauth.RetryAfterSeconds}, {200, ""}}
	for round := range 3 {
		if diff := cmp.Diff(down, all()); diff != "" {
			t.Errorf("Redis down, round %d (-want +got):\n%s", round, diff)
		}
	}
	t.Logf("3 rounds of 4 requests during the outage took %v", time.Since(start))
	errs := log.take()
	if len(errs) != 12 {
		t.Errorf("the error handler saw %d errors, want 12 (one per request)", len(errs))
	}
	for _, err := range errs {
		if !errors.Is(err, redisstore.ErrUnavailable) || !errors.Is(err, jwtauth.ErrKeysUnavailable) {
			t.Errorf("reported error %v does not wrap ErrUnavailable and jwtauth.ErrKeysUnavailable", err)
		}
		if msg := err.Error(); strings.Contains(msg, "id-1") || strings.Contains(msg, "alice") || strings.Contains(msg, tok[:20]) {
			t.Errorf("reported error %q carries the token or its claims", msg)
		}
	}
	if _, err := ins[0].store.CheckAndSet(context.Background(), "proof", time.Now().Add(time.Minute)); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
		t.Errorf("CheckAndSet while down: %v, want an error wrapping jwtauth.ErrKeysUnavailable", err)
	}
	if _, err := open.store.CheckAndSet(context.Background(), "proof", time.Now().Add(time.Minute)); !errors.Is(err, jwtauth.ErrKeysUnavailable) {
		t.Errorf("CheckAndSet while down, fail-open revocation: %v, want an error (replay never fails open)", err)
	}
	if err := ins[1].store.RevokeID(context.Background(), "id-1", time.Now().Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("RevokeID while down: %v, want ErrUnavailable", err)
	}

	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	t.Logf("all instances served again %v after Redis came back", waitUp("after Redis came back"))
	if err := ins[2].store.RevokeID(context.Background(), "id-1", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("RevokeID after the outage: %v", err)
	}
	if diff := cmp.Diff([]status{{401, ""}, {401, ""}, {401, ""}, {401, ""}}, all()); diff != "" {
		t.Errorf("revoked after the outage (-want +got):\n%s", diff)
	}
}

// stallProxy forwards TCP connections to a Redis server and, while stalled,
// holds what clients send: a Redis that is up but too slow to answer.
type stallProxy struct {
	ln       net.Listener
	upstream string
	mu       sync.Mutex
	resume   chan struct{} // nil when not stalled
	conns    sync.WaitGroup
	closing  chan struct{}
}

func newStallProxy(t *testing.T, upstream string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, upstream: upstream, closing: make(chan struct{})}
	p.conns.Add(1)
	go p.serve()
	t.Cleanup(func() {
		close(p.closing)
		ln.Close()
		p.setStalled(false)
		p.conns.Wait()
	})
	return p
}

func (p *stallProxy) addr() string { return p.ln.Addr().String() }

func (p *stallProxy) setStalled(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case on && p.resume == nil:
		p.resume = make(chan struct{})
	case !on && p.resume != nil:
		close(p.resume)
		p.resume = nil
	}
}

// wait blocks while the proxy is stalled.
func (p *stallProxy) wait() {
	p.mu.Lock()
	r := p.resume
	p.mu.Unlock()
	if r != nil {
		<-r
	}
}

func (p *stallProxy) serve() {
	defer p.conns.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.upstream)
		if err != nil {
			c.Close()
			continue
		}
		p.conns.Add(2)
		go func() { // client to server, held while stalled
			defer p.conns.Done()
			defer up.Close()
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					p.wait()
					if _, werr := up.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() {
			defer p.conns.Done()
			defer c.Close()
			io.Copy(c, up)
		}()
		go func() { <-p.closing; c.Close(); up.Close() }()
	}
}

// TestSlowRedis: a Redis that does not answer within the timeout fails
// the request closed (503) after about the timeout, or open with
// WithFailOpenRevocation; when it answers again, requests succeed.
func TestSlowRedis(t *testing.T) {
	t.Parallel()
	proxy := newStallProxy(t, sharedAddr(t))
	const timeout = 300 * time.Millisecond // above what a loaded machine takes to answer
	closed := newInstance(t, proxy.addr(), redisstore.WithTimeout(timeout))
	open := newInstance(t, proxy.addr(), redisstore.WithTimeout(timeout), redisstore.WithFailOpenRevocation())
	tok := token(t, nil)
	tests := []struct {
		name    string
		stalled bool
		in      *instance
		want    int
	}{
		{"answering, fail closed", false, closed, http.StatusOK},
		{"answering, fail open", false, open, http.StatusOK},
		{"stalled, fail closed", true, closed, http.StatusServiceUnavailable},
		{"stalled, fail open", true, open, http.StatusOK},
		{"answering again, fail closed", false, closed, http.StatusOK},
		{"answering again, fail open", false, open, http.StatusOK},
	}
	for _, tt := range tests { // in order: the proxy's state is shared
		t.Run(tt.name, func(t *testing.T) {
			proxy.setStalled(tt.stalled)
			start := time.Now()
			code, _ := tt.in.get(tok)
			took := time.Since(start)
			if code != tt.want {
				t.Errorf("status %d, want %d", code, tt.want)
			}
			if took > timeout+time.Second {
				t.Errorf("took %v, want about the timeout (%v) at most", took, timeout)
			}
		})
	}
}
