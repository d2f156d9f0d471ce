package jwtauth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeHTU(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in, want string // want "" for refused
	}{
		{"plain", "https://api.example/a/b", "https://api.example/a/b"},
		{"query and fragment dropped", "https://api.example/a?x=1#f", "https://api.example/a"},
		{"fragment without query", "https://api.example/a#f?x", "https://api.example/a"},
		{"scheme and host case", "HTTPS://API.Example/A", "https://api.example/A"},
		{"default https port", "https://api.example:443/a", "https://api.example/a"},
		{"default http port", "http://api.example:80/a", "http://api.example/a"},
		{"https on port 80 kept", "https://api.example:80/a", "https://api.example:80/a"},
		{"port with leading zeros", "https://api.example:0443/a", "https://api.example/a"},
		{"empty port", "https://api.example:/a", "https://api.example/a"},
		{"empty path", "https://api.example", "https://api.example/"},
		{"empty path before query", "https://api.example?x", "https://api.example/"},
		{"percent-encoding in upper case", "https://api.example/a%2fb", "https://api.example/a%2Fb"},
		{"unreserved decoded", "https://api.example/%7Euser/%41", "https://api.example/~user/A"},
		{"space encoded", "https://api.example/a b", "https://api.example/a%20b"},
		{"non-ASCII encoded", "https://api.example/é", "https://api.example/%C3%A9"},
		{"dot segments", "https://api.example/a/./b/../c", "https://api.example/a/c"},
		{"encoded dot segments", "https://api.example/a/%2E%2E/c", "https://api.example/c"},
		{"trailing dot segment", "https://api.example/a/b/..", "https://api.example/a/"},
		{"IPv6", "https://[::1]:8443/a", "https://[::1]:8443/a"},
		{"IPv6 default port", "https://[::1]:443/a", "https://[::1]/a"},
		{"other scheme", "ftp://api.example/a", ""},
		{"relative", "/a", ""},
		{"no scheme", "api.example/a", ""},
		{"user information", "https://user@api.example/a", ""},
		{"empty host", "https:///a", ""},
		{"bad port", "https://api.example:x/a", ""},
		{"port too large", "https://api.example:65536/a", ""},
		{"two colons", "https://a:1:2/a", ""},
		{"bad percent-encoding", "https://api.example/%zz", ""},
		{"truncated percent-encoding", "https://api.example/%4", ""},
		{"percent in host", "https://api%2Eexample/a", ""},
		{"unclosed IPv6", "https://[::1/a", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := normalizeHTU(tc.in)
			if ok != (tc.want != "") {
				t.Fatalf("normalizeHTU(%q) ok = %v", tc.in, ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("normalizeHTU(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

// FuzzNormalizeHTU checks that normalisation never panics and is
// idempotent: a normalised URI normalises to itself.
func FuzzNormalizeHTU(f *testing.F) {
	for _, s := range []string{"https://api.example/a?x", "HTTP://A:080/%7e/./..", "https://[::1]:1/%2f", "https://a/é b", "http://x:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := normalizeHTU(s)
		if !ok {
			return
		}
		again, ok := normalizeHTU(n)
		if !ok || again != n {
			t.Errorf("normalizeHTU(%q) = %q, which normalises to %q, %v", s, n, again, ok)
		}
	})
}
