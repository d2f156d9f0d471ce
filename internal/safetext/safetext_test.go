package safetext

import (
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "jwtauth: no key", "jwtauth: no key"},
		{"unicode kept", "héllo wörld ✓", "héllo wörld ✓"},
		{"newline", "a\nINFO forged", `a\nINFO forged`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"nul", "a\x00b", `a\u0000b`},
		{"escape sequence", "\x1b[31mred", `\u001b[31mred`},
		{"del", "a\x7fb", `a\u007fb`},
		{"c1 next line", "a\u0085b", `a\u0085b`},
		{"line separator", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"invalid utf8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash kept", `a\nb`, `a\nb`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeNoAllocWhenClean(t *testing.T) {
	s := "jwtauth: token algorithm differs from the key's ✓"
	if n := testing.AllocsPerRun(100, func() { _ = Escape(s) }); n != 0 {
		t.Errorf("Escape of clean text allocates %v times, want 0", n)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a\nb", "\xff", "\u2028", "\x1b[0m", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Escape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Escape(%q) = %q is not valid UTF-8", s, out)
		}
		for _, r := range out {
			if needsEscape(r) {
				t.Fatalf("Escape(%q) = %q keeps %U", s, out, r)
			}
		}
		if Escape(out) != out {
			t.Fatalf("Escape is not idempotent on %q", out)
		}
	})
}
