package ecmaregexp_test

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/internal/ecmaregexp"
	"github.com/seedb5d7e80f/jwtauth/internal/tooltest"
)

// patterns are RE2 expressions whose ECMA-262 form must match exactly the
// same inputs; the ones that differ in meaning between the two syntaxes
// (".", "\s", (?i), (?m), (?s), \pL, [[:alpha:]], \Q…\E) are the point.
var patterns = []string{
	`^[A-Z][a-z]+$`, `a.c`, `(?s)a.c`, `^\s+$`, `^\S+$`, `\d{3}-\d{4}`, `^\w+$`, `\bcat\b`, `\Bcat`,
	`(?i)straße`, `(?i)^k$`, `(?i)[a-c]x`, `(?m)^b$`, `(?m)a$`, `\pL+`, `^\p{Greek}+$`, `^[[:alpha:]]+$`,
	`\Qa.b\E`, `^a{2,3}$`, `^(ab)*$`, `^(?:a|bc)+?$`, `^[^abc]$`, `^[\x{1F600}-\x{1F64F}]$`, `\A[0-9]\z`,
	`^$`, `x*`, `^[-+]?[0-9]+(\.[0-9]+)?$`, `[\[\]\\/^$.|?*+(){}]`, `^(?P<name>[a-z]+)=\d$`, `^\x00?a$`,
	`^.{2}$`, `^[^\n]+$`, `^\.$`, `(?U)a+`, `^a{0}$`, `(?i)ǅ`,
}

// inputs are tried on every pattern.
var inputs = []string{
	"", "a", "abc", "a\nc", "a\rc", "a\u2028c", "a c", "Abc", "ABC", "straße", "STRASSE", "strasse", "STRAẞE",
	"k", "K", "\u212a", "bx", "Bx", "a\nb\nc", "b", "a\n", "Ünïcödé", "αβγ", "Ωμέγα", "123-4567", " \t\n",
	"\v", "\u00a0", "\u3000", "cat", "a cat sat", "concat", "😀", "😀😀", "a.b", "a+b", "aa", "aaa", "abab",
	"bca", "d", "[", "\\", "x=1", "\x00a", "..", "é", "e\u0301", "ǅ", "Ǆ", "ǆ", "12.5", "-3", "+", ".",
}

func TestTranslateMatchesRE2(t *testing.T) {
	node, _ := tooltest.NodeModules(t)
	type batch struct {
		Pattern string   `json:"pattern"`
		Inputs  []string `json:"inputs"`
	}
	var (
		in   []batch
		want [][]bool
	)
	for _, p := range patterns {
		js, err := ecmaregexp.Translate(p)
		if err != nil {
			t.Fatalf("Translate(%q): %v", p, err)
		}
		re := regexp.MustCompile(p)
		var w []bool
		for _, s := range inputs {
			w = append(w, re.MatchString(s))
		}
		in = append(in, batch{js, inputs})
		want = append(want, w)
	}
	body, _ := json.Marshal(in)
	cmd := exec.Command(node, "testdata/match.mjs")
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.Bytes())
	}
	var got [][]bool
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for i, p := range patterns {
		for j, s := range inputs {
			if got[i][j] != want[i][j] {
				t.Errorf("pattern %q (as %q) on %q: RE2 %v, ECMA-262 %v", p, in[i].Pattern, s, want[i][j], got[i][j])
			}
		}
	}
	if t.Failed() {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-RE2 +ECMA-262):\n%s", diff)
	}
}

func TestTranslateRefusesInvalid(t *testing.T) {
	t.Parallel()
	if _, err := ecmaregexp.Translate(`a(`); err == nil {
		t.Error("Translate(`a(`): no error")
	}
}

func TestTranslateSpelling(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{`^ab$`, `(?:^(?:ab)$)`},
		{`a.c`, `(?:(?:a)[^\n](?:c))`},
		{`\d+`, `(?:[0-9])+`},
	} {
		got, err := ecmaregexp.Translate(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Translate(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
