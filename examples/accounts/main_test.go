package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// cli runs a command as main would, with stdin, and returns its exit
// status and output.
func cli(t *testing.T, c config, stdin string, args ...string) (int, string) {
	t.Helper()
	env := func(k string) (string, bool) {
		if k == "DATABASE_URL" && c.databaseURL != "" {
			return c.databaseURL, true
		}
		return "", false
	}
	var out bytes.Buffer
	err := run(context.Background(), append(args[:1:1], append([]string{"-db", c.dbPath}, args[1:]...)...), env, strings.NewReader(stdin), &out, &out)
	return exitCode(err, &out), out.String()
}

func TestCommands(t *testing.T) {
	eachDB(t, func(t *testing.T, c config) {
		for _, tc := range []struct {
			name, stdin string
			args        []string
			code        int
			out         string
		}{
			{"useradd", "s3cret pw\n", []string{"useradd", "-scopes", "persons:read,persons:write", "-roles", "admin", "alice"}, 0, `user "alice" added with id 1`},
			{"useradd without newline", "pw-bob", []string{"useradd", "-scopes", "persons:read", "bob"}, 0, `user "bob" added with id 2`},
			{"useradd twice", "x\n", []string{"useradd", "alice"}, 1, "a user with that name exists"},
			{"useradd without password", "", []string{"useradd", "carol"}, 1, "reads the password from standard input"},
			{"useradd bad name", "x\n", []string{"useradd", "a b"}, 1, "a username is"},
			{"useradd without name", "x\n", []string{"useradd"}, 2, "takes 1 argument"},
			{"disable", "", []string{"disable", "bob"}, 0, `user "bob" disabled`},
			{"disable unknown", "", []string{"disable", "zed"}, 1, "no such user"},
			{"userdel", "", []string{"userdel", "bob"}, 0, `user "bob" deleted`},
			{"userdel twice", "", []string{"userdel", "bob"}, 1, "no such user"},
			{"rotate-key", "", []string{"rotate-key"}, 0, "new signing key"},
			{"unknown command", "", []string{"frobnicate"}, 2, "unknown command"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, out := cli(t, c, tc.stdin, tc.args...)
				if code != tc.code || !strings.Contains(out, tc.out) {
					t.Errorf("exit %d, output %q; want %d and %q", code, out, tc.code, tc.out)
				}
				if strings.Contains(out, "s3cret") {
					t.Errorf("the output shows the password: %q", out)
				}
			})
		}
		// What the commands did, through the server.
		ts := newServer(t, c)
		tok := ts.login(t, "alice", "s3cret pw", "")
		if _, claims := tokenParts(t, tok); claims["scope"] != "persons:read persons:write" {
			t.Errorf("alice's scopes: %v", claims["scope"])
		}
		if got := publishedKids(t, ts); len(got) != 2 {
			t.Errorf("after rotate-key %d keys published, want 2", len(got))
		}
	})
}

func TestServeFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"non-loopback without issuer", []string{"-addr", "0.0.0.0:0"}, "-issuer is required"},
		{"bad ttl", []string{"-token-ttl", "0s"}, "-token-ttl must be positive"},
		{"extra argument", []string{"serve", "x"}, "takes 0 argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args, "-db", t.TempDir()+"/a.db")
			var out bytes.Buffer
			err := run(context.Background(), args, func(string) (string, bool) { return "", false }, strings.NewReader(""), &out, &out)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a usage error with %q", err, tc.want)
			}
		})
	}
}

func TestReadPassword(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		fails          bool
	}{
		{"line", "pw\nrest", "pw", false},
		{"crlf", "pw\r\n", "pw", false},
		{"spaces kept", " p w \n", " p w ", false},
		{"empty", "\n", "", true},
		{"too long", strings.Repeat("x", maxPasswordBytes+1), "", true},
		{"longest", strings.Repeat("x", maxPasswordBytes) + "\n", strings.Repeat("x", maxPasswordBytes), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readPassword(strings.NewReader(tc.in))
			if (err != nil) != tc.fails || got != tc.want {
				t.Errorf("got %q, %v; want %q, fails %v", got, err, tc.want, tc.fails)
			}
		})
	}
}
