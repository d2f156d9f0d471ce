// Package tooltest finds the outside tools some tests drive: Node.js with
// the npm packages pinned in .ci/node (ajv, an OpenAPI validator,
// swagger-ui-dist, playwright-core) and Chromium.
//
// A test that cannot have a tool is skipped with a message that says how to
// get it, so that `go test ./...` works on a machine with Go alone; with
// JWTAUTH_REQUIRE_TOOLS=1 (as .ci/run sets it, after installing them) a
// missing tool fails the test instead.
package tooltest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Unavailable skips t, or fails it under JWTAUTH_REQUIRE_TOOLS=1, because
// what cannot be had; how says how to get it.
func Unavailable(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv("JWTAUTH_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not available (JWTAUTH_REQUIRE_TOOLS=1): %s", what, how)
	}
	t.Skipf("SKIPPED: %s is not available; %s (.ci/run does)", what, how)
}

// NodeModules returns the node binary and the node_modules directory of
// .ci/node (found upwards from the working directory), skipping or failing
// t as [Unavailable] says when either is missing.
func NodeModules(t testing.TB) (node, modules string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Unavailable(t, "node", "install Node.js 20")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, ".ci", "node", "package.json")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("tooltest: no .ci/node/package.json above the working directory")
		}
		dir = parent
	}
	modules = filepath.Join(dir, ".ci", "node", "node_modules")
	if _, err := os.Stat(filepath.Join(modules, ".package-lock.json")); err != nil {
		Unavailable(t, "the npm packages of .ci/node", "run `npm ci --prefix "+filepath.Join(dir, ".ci", "node")+"`")
	}
	return node, modules
}

// Chromium returns the path of a Chromium binary, skipping or failing t as
// [Unavailable] says when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(t, "Chromium", "install it (Debian: apt-get install chromium)")
	return ""
}
