package main

import (
	"strings"
	"testing"
)

func TestPassword(t *testing.T) {
	hash, err := hashPassword("correct horse", owaspParams) // the real parameters once
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string with OWASP's parameters", hash)
	}
	other, _ := hashPassword("correct horse", owaspParams)
	if other == hash {
		t.Error("two hashes of one password are equal: no salt?")
	}
	for _, tc := range []struct {
		name, password string
		want           bool
	}{
		{"right", "correct horse", true},
		{"wrong", "correct horsE", false},
		{"empty", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := verifyPassword(tc.password, hash)
			if err != nil || got != tc.want {
				t.Errorf("verify = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestParseHashRefuses(t *testing.T) {
	good, _ := hashPassword("pw", cheapParams)
	parts := strings.Split(good, "$")
	for _, tc := range []struct{ name, hash string }{
		{"empty", ""},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"old version", strings.Replace(good, "v=19", "v=16", 1)},
		{"huge memory", strings.Replace(good, "m=64", "m=99999999", 1)},
		{"zero time", strings.Replace(good, "t=1", "t=0", 1)},
		{"padded salt", "$" + strings.Join([]string{parts[1], parts[2], parts[3], parts[4] + "=", parts[5]}, "$")},
		{"short key", "$" + strings.Join([]string{parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$")},
		{"extra field", good + "$x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := verifyPassword("pw", tc.hash); err == nil {
				t.Errorf("accepted %q", tc.hash)
			}
		})
	}
}
