package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Params are the argon2id cost parameters of a hash.
type argon2Params struct {
	memoryKiB uint32 // m
	time      uint32 // t, passes
	threads   uint8  // p, parallelism
}

// owaspParams are OWASP's Password Storage Cheat Sheet's first
// recommendation for argon2id: m=19 MiB (19456 KiB), t=2, p=1.
var owaspParams = argon2Params{memoryKiB: 19 * 1024, time: 2, threads: 1}

// hashParams is what new hashes use. Only tests change it (to cheap
// parameters, for speed); a hash records its parameters, so verifying
// follows the hash, whatever hashParams is.
var hashParams = owaspParams

const (
	saltBytes = 16
	keyBytes  = 32
	// maxPasswordBytes bounds the work one login may ask for; longer
	// passwords are refused before hashing.
	maxPasswordBytes = 1024
)

var b64 = base64.RawStdEncoding // PHC strings: standard alphabet, no padding

// hashPassword returns the PHC string of password under p:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, with a random 16-byte
// salt and a 32-byte hash.
func hashPassword(password string, p argon2Params) (string, error) {
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, keyBytes)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("not an argon2id PHC string")

// parseHash reads a PHC string written by hashPassword. It refuses
// parameters far beyond the ones this program writes, so that a tampered
// row cannot make a login allocate gigabytes.
func parseHash(encoded string) (p argon2Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &p.threads); err != nil {
		return p, nil, nil, errBadHash
	}
	if p.memoryKiB < 8 || p.memoryKiB > 1<<20 || p.time < 1 || p.time > 16 || p.threads < 1 || p.threads > 16 {
		return p, nil, nil, errBadHash
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// verifyPassword reports whether password matches the PHC string encoded,
// comparing in constant time. It does the whole argon2id computation even
// for a malformed password, so that its time depends on the hash's
// parameters only.
func verifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := parseHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.time, p.memoryKiB, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}
