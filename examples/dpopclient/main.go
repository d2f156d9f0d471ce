// Command dpopclient makes what a DPoP client sends (RFC 9449): a key pair
// kept in a file, its RFC 7638 thumbprint (the jkt a token is bound to), and
// a fresh proof per request, so that the example server's DPoP flow can be
// tried with curl.
//
// Usage:
//
//	go run ./examples/dpopclient keygen -key dpop.pem   # prints the key's jkt
//	go run ./examples/dpopclient proof -key dpop.pem METHOD URL TOKEN
//
// keygen writes a new ES256 (P-256) private key, PKCS #8 PEM, mode 0600,
// and refuses to overwrite a file. proof prints a proof for one request:
// its jti is random, iat is now, htm and htu are METHOD and URL (without its
// query), ath is the hash of TOKEN.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "dpopclient:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return errors.New("usage: dpopclient keygen -key FILE | proof -key FILE METHOD URL TOKEN")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	keyFile := fs.String("key", "dpop.pem", "the client's private key (PKCS #8 PEM)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "keygen":
		if fs.NArg() != 0 {
			return errors.New("keygen takes no arguments")
		}
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(*keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		_, jkt, err := publicJWK(key)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, jkt)
		return nil
	case "proof":
		if fs.NArg() != 3 {
			return errors.New("proof needs METHOD URL TOKEN")
		}
		key, err := readKey(*keyFile)
		if err != nil {
			return err
		}
		p, err := proof(key, fs.Arg(0), fs.Arg(1), fs.Arg(2), now())
		if err != nil {
			return err
		}
		fmt.Fprintln(out, p)
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func readKey(path string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PKCS #8 PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || key.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s: not a P-256 key", path)
	}
	return key, nil
}

// publicJWK returns the public JWK of key and its RFC 7638 thumbprint: the
// SHA-256 of the required members in lexicographic order, no white space.
func publicJWK(key *ecdsa.PrivateKey) (map[string]string, string, error) {
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, "", err
	}
	b := pub.Bytes() // 0x04 || x || y
	x, y := base64.RawURLEncoding.EncodeToString(b[1:33]), base64.RawURLEncoding.EncodeToString(b[33:])
	sum := sha256.Sum256([]byte(`{"crv":"P-256","kty":"EC","x":"` + x + `","y":"` + y + `"}`))
	return map[string]string{"kty": "EC", "crv": "P-256", "x": x, "y": y}, base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// proof returns a DPoP proof (RFC 9449 section 4.2) for one request.
func proof(key *ecdsa.PrivateKey, method, rawURL, token string, now time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	u.RawQuery, u.Fragment = "", ""
	jwk, _, err := publicJWK(key)
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	ath := sha256.Sum256([]byte(token))
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"jti": hex.EncodeToString(jti), "htm": method, "htu": u.String(), "iat": now.Unix(),
		"ath": base64.RawURLEncoding.EncodeToString(ath[:]),
	})
	t.Header["typ"] = "dpop+jwt"
	t.Header["jwk"] = jwk
	return t.SignedString(key)
}
