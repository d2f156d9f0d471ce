package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	osuser "os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

// cheapParams make the suite fast; TestIndistinguishableFailures and
// BenchmarkLogin use owaspParams.
var cheapParams = argon2Params{memoryKiB: 64, time: 1, threads: 1}

func TestMain(m *testing.M) {
	hashParams = cheapParams
	code := m.Run()
	pg.stop()
	os.Exit(code)
}

// cluster is a throwaway PostgreSQL cluster in a temporary directory,
// started on first use by initdb and pg_ctl on a free loopback port, and
// stopped by TestMain. Each test gets a database of its own.
type cluster struct {
	once    sync.Once
	err     error  // why there is no cluster
	how     string // how to get one
	dir     string
	bin     string
	port    int
	cred    *syscall.Credential // the user the cluster runs as, when we are root
	n       atomic.Int64
	admin   *sql.DB
	started bool
}

var pg cluster

// pgBinDir finds initdb on PATH or in /usr/lib/postgresql/*/bin (Debian
// keeps it there), newest version first.
func pgBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	best, bestV := "", -1
	for _, m := range matches {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(m))))
		if v > bestV {
			best, bestV = filepath.Dir(m), v
		}
	}
	if best == "" {
		return "", fmt.Errorf("no initdb on PATH or in /usr/lib/postgresql/*/bin")
	}
	return best, nil
}

// runAs runs a PostgreSQL binary, as c.cred's user when set (initdb and
// postgres refuse to run as root).
func (c *cluster) runAs(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	return nil
}

func (c *cluster) start() {
	c.how = "install PostgreSQL (Debian: apt-get install postgresql)"
	if c.bin, c.err = pgBinDir(); c.err != nil {
		return
	}
	if c.dir, c.err = os.MkdirTemp("", "accounts-pg-"); c.err != nil {
		return
	}
	if os.Geteuid() == 0 {
		// Run as postgres (there once the package is installed), else nobody.
		var u *osuser.User
		for _, name := range []string{"postgres", "nobody"} {
			if u, c.err = osuser.Lookup(name); c.err == nil {
				break
			}
		}
		if c.err != nil {
			c.how = "running as root needs a postgres or nobody user to run the cluster as"
			return
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
		if c.err = os.Chown(c.dir, int(uid), int(gid)); c.err != nil {
			return
		}
	}
	data := filepath.Join(c.dir, "data")
	if c.err = c.runAs("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); c.err != nil {
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.err = err
		return
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off", c.port, c.dir)
	if c.err = c.runAs("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "start"); c.err != nil {
		return
	}
	c.started = true
	if c.admin, c.err = sql.Open("pgx", c.url("postgres")); c.err != nil {
		return
	}
	c.err = c.admin.Ping()
}

func (c *cluster) url(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, database)
}

// stop stops the cluster, if it was started, and removes its directory.
func (c *cluster) stop() {
	if c.admin != nil {
		c.admin.Close()
	}
	if c.started {
		if err := c.runAs("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the test cluster:", err)
		}
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

// database returns the URL of a new, empty database, skipping t (failing
// it under JWTAUTH_REQUIRE_TOOLS=1) when PostgreSQL cannot be had.
func (c *cluster) database(t testing.TB) string {
	t.Helper()
	c.once.Do(c.start)
	if c.err != nil {
		tooltest.Unavailable(t, "PostgreSQL ("+c.err.Error()+")", c.how)
	}
	name := fmt.Sprintf("t%d", c.n.Add(1))
	if _, err := c.admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	return c.url(name)
}

// eachDB runs f once on a new SQLite file and once on a new PostgreSQL
// database: the whole suite runs on both.
func eachDB(t *testing.T, f func(t *testing.T, c config)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		f(t, config{dbPath: filepath.Join(t.TempDir(), "accounts.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		f(t, config{databaseURL: pg.database(t)})
	})
}

// testServer is a started server on a loopback port with a fixed clock.
type testServer struct {
	*instance
	url   string
	clock *jwttest.Clock
}

// startTime is where test clocks start: near the real time, since the
// JWKS source's own clock is real.
func startTime() time.Time { return time.Now().Truncate(time.Second) }

// newServer starts the server on c's database, with token lifetime 15
// minutes, no access log and, unless c says otherwise, a new fixed clock.
// It is closed when t ends.
func newServer(t testing.TB, c config) *testServer {
	t.Helper()
	ts := &testServer{clock: jwttest.NewClock(startTime())}
	if c.now == nil {
		c.now = ts.clock.Now
	}
	if c.audience == "" {
		c.audience = "accounts-api"
	}
	if c.tokenTTL == 0 {
		c.tokenTTL = 15 * time.Minute
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.listener = ln
	s, err := start(context.Background(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.close(); err != nil {
			t.Error(err)
		}
	})
	ts.instance, ts.url = s, "http://"+s.addr
	return ts
}

// addUser adds a user as useradd would.
func (ts *testServer) addUser(t testing.TB, name, password, scopes, roles string) {
	t.Helper()
	if _, err := ts.app.db.addUser(context.Background(), name, password, splitList(scopes), splitList(roles), ts.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends a request with an optional bearer token and JSON body.
func (ts *testServer) do(t testing.TB, method, path, token, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

func send(t testing.TB, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// postForm posts form to /token.
func (ts *testServer) postForm(t testing.TB, form url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.url+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

// login returns a token for name, failing t unless /token answers 200.
func (ts *testServer) login(t testing.TB, name, password, scope string) string {
	t.Helper()
	form := url.Values{"username": {name}, "password": {password}}
	if scope != "" {
		form.Set("scope", scope)
	}
	r := ts.postForm(t, form)
	if r.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", name, r.status, r.body)
	}
	var tr tokenReply
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

// tokenParts decodes a token's header and claims, unverified.
func tokenParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a compact JWS: %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

const personBody = `{"name":"Foo","gender":"male","age":25.5,"checked":false}`
