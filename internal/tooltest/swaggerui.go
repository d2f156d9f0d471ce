package tooltest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// ConsoleMessage is a console error the page logged, as swaggerui.mjs
// records it.
type ConsoleMessage struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// CSPProbe is what swaggerui.mjs saw of an image it loaded from an origin
// the policy does not allow: proof that the policy is enforced and that the
// lists of violations and console errors would show one.
type CSPProbe struct {
	Violated string `json:"violated"` // the effective directive
	Logged   bool   `json:"logged"`   // as a console error too
}

// SwaggerUI runs a docs_browser.mjs script (built on swaggerui.mjs) with
// node on the Swagger UI page at url: input gets the harness's members
// (modules, chromium, userDataDir, url, screenshot, the last saved in
// t.TempDir() as screenshot), the script's JSON result is decoded into
// result, and a script error fails t. The screenshot's path is logged, and
// it is copied into $JWTAUTH_SCREENSHOT_DIR when that is set. It returns
// the screenshot's path.
func SwaggerUI(t *testing.T, node, modules, chromium, script, url, screenshot string, input map[string]string, result any) string {
	t.Helper()
	dir := t.TempDir()
	in := map[string]string{
		"modules": modules, "chromium": chromium, "userDataDir": filepath.Join(dir, "chromium-profile"),
		"url": url, "screenshot": filepath.Join(dir, screenshot),
	}
	for k, v := range input {
		in[k] = v
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Stdin = bytes.NewReader(b)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	t.Logf("node ran for %v; its steps:\n%s", time.Since(start).Round(time.Millisecond), stderr.Bytes())
	var head struct {
		Error      string `json:"error"`
		Screenshot string `json:"screenshot"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &head); err != nil {
		t.Fatalf("node: %v; result is not JSON (%v)\nstdout:\n%s\nstderr:\n%s", runErr, err, stdout.Bytes(), stderr.Bytes())
	}
	if err := json.Unmarshal(stdout.Bytes(), result); err != nil {
		t.Fatalf("node's result does not fit %T: %v\n%s", result, err, stdout.Bytes())
	}
	if runErr != nil || head.Error != "" {
		t.Errorf("node: %v\nerror: %s\nstderr:\n%s\nresult: %s", runErr, head.Error, stderr.Bytes(), stdout.Bytes())
	}
	if head.Screenshot != "" {
		t.Logf("screenshot: %s", head.Screenshot)
		if out := os.Getenv("JWTAUTH_SCREENSHOT_DIR"); out != "" {
			copyFile(t, head.Screenshot, filepath.Join(out, filepath.Base(head.Screenshot)))
		}
	}
	return in["screenshot"]
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot copied to %s", to)
}
