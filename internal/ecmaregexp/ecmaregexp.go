// Package ecmaregexp writes an RE2 expression (Go's regexp syntax) as an
// ECMA-262 regular expression with the same matches, for JSON Schema's
// pattern keyword, which ajv and browsers evaluate as new RegExp(p, "u").
//
// The two syntaxes differ in more than spelling: in RE2 "." matches "\r",
// in ECMA-262 it does not; "\s" and inline flags such as (?i) differ or do
// not exist. So the expression is not copied but parsed with regexp/syntax
// and written back from its parse tree: character classes as explicit
// code-point ranges, case folding as classes of each fold orbit, line
// anchors as lookarounds. Only whether a string matches somewhere is kept
// (capture groups become non-capturing, greedy and lazy repetitions are the
// same), which is all JSON Schema's pattern asks. The result is meant for
// the "u" flag and valid UTF-8 input.
package ecmaregexp

import (
	"fmt"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
)

// Translate returns the ECMA-262 form of the RE2 expression expr, parsed as
// regexp.Compile parses it (syntax.Perl flags).
func Translate(expr string) (string, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := write(&b, re); err != nil {
		return "", err
	}
	return b.String(), nil
}

func write(b *strings.Builder, re *syntax.Regexp) error {
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\s\S]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		b.WriteString("(?:")
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && hasFold(r) {
				writeFoldClass(b, r)
			} else {
				writeLiteral(b, r)
			}
		}
		b.WriteString(")")
	case syntax.OpCharClass:
		writeClass(b, re.Rune)
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`[\s\S]`)
	case syntax.OpBeginLine:
		b.WriteString(`(?<![^\n])`) // at the start or after a newline
	case syntax.OpEndLine:
		b.WriteString(`(?![^\n])`) // at the end or before a newline
	case syntax.OpBeginText:
		b.WriteString(`^`) // without the m flag, only at the start
	case syntax.OpEndText:
		b.WriteString(`$`) // without the m flag, only at the end
	case syntax.OpWordBoundary:
		b.WriteString(`\b`) // ASCII word characters in both, without the i flag
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		b.WriteString("(?:")
		if err := write(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(")")
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		if err := writeGroup(b, re.Sub[0]); err != nil {
			return err
		}
		b.WriteString(map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op])
	case syntax.OpRepeat:
		if err := writeGroup(b, re.Sub[0]); err != nil {
			return err
		}
		switch {
		case re.Max == -1:
			fmt.Fprintf(b, "{%d,}", re.Min)
		case re.Min == re.Max:
			fmt.Fprintf(b, "{%d}", re.Min)
		default:
			fmt.Fprintf(b, "{%d,%d}", re.Min, re.Max)
		}
	case syntax.OpConcat:
		b.WriteString("(?:")
		for _, s := range re.Sub {
			if err := write(b, s); err != nil {
				return err
			}
		}
		b.WriteString(")")
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, s := range re.Sub {
			if i > 0 {
				b.WriteByte('|')
			}
			if err := write(b, s); err != nil {
				return err
			}
		}
		b.WriteString(")")
	default:
		return fmt.Errorf("ecmaregexp: unsupported operator %v", re.Op)
	}
	return nil
}

// writeGroup writes re as one atom, for a repetition to apply to.
func writeGroup(b *strings.Builder, re *syntax.Regexp) error {
	b.WriteString("(?:")
	if err := write(b, re); err != nil {
		return err
	}
	b.WriteString(")")
	return nil
}

// hasFold reports whether r has other case forms.
func hasFold(r rune) bool { return unicode.SimpleFold(r) != r }

// writeFoldClass writes a class of r and every rune in its fold orbit, as
// RE2's (?i) matches them.
func writeFoldClass(b *strings.Builder, r rune) {
	b.WriteByte('[')
	for f := r; ; {
		writeClassRune(b, f)
		if f = unicode.SimpleFold(f); f == r {
			break
		}
	}
	b.WriteByte(']')
}

// writeClass writes the ranges (lo, hi pairs) of a character class.
func writeClass(b *strings.Builder, ranges []rune) {
	if len(ranges) == 0 {
		b.WriteString(`[^\s\S]`)
		return
	}
	b.WriteByte('[')
	for i := 0; i+1 < len(ranges); i += 2 {
		writeClassRune(b, ranges[i])
		if ranges[i+1] != ranges[i] {
			b.WriteByte('-')
			writeClassRune(b, ranges[i+1])
		}
	}
	b.WriteByte(']')
}

func isPlain(r rune) bool {
	return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || r == '_')
}

// writeLiteral writes r outside a class: letters, digits, space and _ as
// themselves, everything else as \u{…}, which the u flag reads as that code
// point whatever it is.
func writeLiteral(b *strings.Builder, r rune) {
	if isPlain(r) {
		b.WriteRune(r)
		return
	}
	b.WriteString(`\u{` + strconv.FormatInt(int64(r), 16) + `}`)
}

// writeClassRune writes r inside a class, by the same rule.
func writeClassRune(b *strings.Builder, r rune) { writeLiteral(b, r) }
