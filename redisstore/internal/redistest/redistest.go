// Package redistest starts real redis-server processes for the tests of
// redisstore: on a free loopback port, in a temporary directory, without
// persistence (--save "" --appendonly no), stopped when the test ends.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ErrNotInstalled means redis-server is not on PATH.
var ErrNotInstalled = errors.New("redis-server is not installed")

// RequireEnv is the environment variable that turns a missing redis-server
// from a skip into a failure (CI sets it to 1).
const RequireEnv = "JWTAUTH_REQUIRE_TOOLS"

// Server is one redis-server process.
type Server struct {
	// Addr is the server's host:port on loopback.
	Addr string
	dir  string
	port int
	own  bool     // dir is ours to remove
	args []string // extra arguments of redis-server
	cmd  *exec.Cmd
	exit chan error
}

// Launch starts a redis-server in its own temporary directory, with args
// added to its command line, for TestMain; the caller stops it with
// [Server.Stop]. It returns an error
// wrapping [ErrNotInstalled] if there is no redis-server.
func Launch(args ...string) (*Server, error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s, err := launch(dir, args...)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.own = true
	return s, nil
}

// Start starts a redis-server for one test and stops it when the test
// ends. Without redis-server it skips the test, or fails it if
// JWTAUTH_REQUIRE_TOOLS=1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := launch(tb.TempDir())
	Need(tb, err)
	tb.Cleanup(func() { s.Stop() })
	return s
}

// Need skips tb (or fails it when JWTAUTH_REQUIRE_TOOLS=1) if err says
// redis-server is missing, and fails it for any other error.
func Need(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNotInstalled) && os.Getenv(RequireEnv) != "1":
		tb.Skip("redis-server not found on PATH; install it to run this test " +
			"(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis)")
	case errors.Is(err, ErrNotInstalled):
		tb.Fatalf("%v, and %s=1 requires it (Debian/Ubuntu: apt-get install redis-server)", err, RequireEnv)
	default:
		tb.Fatalf("starting redis-server: %v", err)
	}
}

func launch(dir string, args ...string) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	var last error
	for range 5 { // a free port can be taken between choosing and binding it
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, port: port, args: args}
		if last = s.start(); last == nil {
			return s, nil
		}
	}
	return nil, last
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() error {
	log := filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", s.port))
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--logfile", log, "--daemonize", "no"}, s.args...)
	s.cmd = exec.Command("redis-server", args...)
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exit = make(chan error, 1)
	go func(c *exec.Cmd) { s.exit <- c.Wait() }(s.cmd)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			return nil
		}
		select {
		case err := <-s.exit:
			data, _ := os.ReadFile(log)
			return fmt.Errorf("redis-server on port %d exited (%v): %s", s.port, err, lastLines(string(data), 3))
		case <-time.After(10 * time.Millisecond): // waiting for a process to listen: no clock to fake
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redis-server on port %d did not answer PING within 10s", s.port)
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 seconds) and waits
// for it to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(5 * time.Second):
		s.kill()
	}
	s.cmd = nil
	if s.own {
		os.RemoveAll(s.dir)
	}
	return nil
}

func (s *Server) kill() {
	s.cmd.Process.Kill()
	<-s.exit
}

// Down stops the server but keeps its port and directory, for
// [Server.Up]: an outage.
func (s *Server) Down() {
	own := s.own
	s.own = false
	s.Stop()
	s.own = own
}

// Up starts a stopped server again on the same port, empty (there is no
// persistence).
func (s *Server) Up() error {
	if s.cmd != nil {
		return errors.New("redistest: server is running")
	}
	return s.start()
}

// Cluster is a Redis Cluster of three masters (no replicas), every slot
// assigned.
type Cluster struct {
	// Addrs are the nodes' host:port addresses.
	Addrs []string
	nodes []*Server
}

// LaunchCluster starts a [Cluster] in temporary directories; the caller
// stops it with [Cluster.Stop]. It returns an error wrapping
// [ErrNotInstalled] without redis-server or redis-cli.
func LaunchCluster() (*Cluster, error) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, fmt.Errorf("%w (redis-cli): %v", ErrNotInstalled, err)
	}
	c := &Cluster{}
	for range 3 {
		s, err := Launch("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	create := exec.Command("redis-cli", append(append([]string{"--cluster", "create"}, c.Addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %v: %s", err, lastLines(string(out), 5))
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, n := range c.nodes {
		for {
			out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", strconv.Itoa(n.port), "cluster", "info").Output()
			if err == nil && strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Stop()
				return nil, fmt.Errorf("cluster node %s not ready within 20s: %v %s", n.Addr, err, lastLines(string(out), 3))
			}
			time.Sleep(50 * time.Millisecond) // the nodes agree on their own: nothing to wait on
		}
	}
	return c, nil
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, n := range c.nodes {
		n.Stop()
	}
}
