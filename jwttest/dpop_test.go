package jwttest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/seedb5d7e80f/jwtauth/jwttest"
)

func TestThumbprint(t *testing.T) {
	t.Parallel()
	// RFC 7638 section 3.1.
	rsa := jwttest.JWK{Kty: "RSA", E: "AQAB", Alg: "RS256", Kid: "2011-04-29",
		N: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
	// RFC 9449 section 4.2's key, whose thumbprint is section 6.1's jkt.
	ec := jwttest.JWK{Kty: "EC", Crv: "P-256", X: "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs", Y: "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}
	got := []string{jwttest.Thumbprint(rsa), jwttest.Thumbprint(ec), jwttest.Thumbprint(jwttest.JWK{Kty: "oct"})}
	want := []string{"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestProof(t *testing.T) {
	t.Parallel()
	clock := jwttest.NewClock(time.Time{})
	dk := jwttest.NewDPoPKey(t)
	p := dk.Proof(t, "GET", "https://api.example/a?q=1#f", "tok", jwttest.WithProofNow(clock.Now), jwttest.WithProofNonce("n1"))
	tok, err := jwt.Parse(p, func(tk *jwt.Token) (any, error) { return dk.Key().Public(), nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuedAt(), jwt.WithTimeFunc(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	c := tok.Claims.(jwt.MapClaims)
	sum := sha256.Sum256([]byte("tok"))
	got := map[string]any{"typ": tok.Header["typ"], "htm": c["htm"], "htu": c["htu"], "iat": c["iat"], "ath": c["ath"], "nonce": c["nonce"], "jti": len(c["jti"].(string))}
	want := map[string]any{"typ": "dpop+jwt", "htm": "GET", "htu": "https://api.example/a", "iat": float64(clock.Now().Unix()),
		"ath": base64.RawURLEncoding.EncodeToString(sum[:]), "nonce": "n1", "jti": 32}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if p2 := dk.Proof(t, "GET", "https://api.example/a", "tok"); strings.Split(p2, ".")[1] == strings.Split(p, ".")[1] {
		t.Error("two proofs with the same claims")
	}
	bound := jwttest.Mint(t, jwttest.NewKey(t, "HS256"), nil, jwttest.WithDPoPBinding(dk))
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(bound, claims); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"jkt": dk.Thumbprint()}, claims["cnf"]); diff != "" {
		t.Errorf("cnf (-want +got):\n%s", diff)
	}
}
