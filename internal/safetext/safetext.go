// Package safetext makes text safe to put in an error string that may be
// logged: control characters, line and paragraph separators and invalid
// UTF-8 are escaped, so that a logged error cannot start a forged log line
// or rewrite a terminal.
package safetext

import (
	"strings"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

// needsEscape reports whether r must be escaped: C0 controls, DEL, C1
// controls and the Unicode line and paragraph separators.
func needsEscape(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == '\u2028' || r == '\u2029'
}

// Escape returns s with every control character (C0, DEL, C1), U+2028,
// U+2029 and every byte of invalid UTF-8 replaced by a Go-style escape:
// \n, \r and \t for those three, \xNN for an invalid byte, \u00NN or \uNNNN
// otherwise. A backslash is left alone: the output is for reading, not for
// unquoting. Text that needs no escape is returned as it is, without an
// allocation.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n == 1) || needsEscape(r) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[s[i]>>4])
			b.WriteByte(hex[s[i]&0xf])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case needsEscape(r):
			b.WriteString(`\u`)
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>shift)&0xf])
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
