package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"
)

// The signing keys are ES256 (P-256) keys kept in the signing_keys table,
// next to the users whose tokens they sign: whoever can read the database
// can mint tokens, so protect it as you would a key file. The current key
// is the newest with no retired_at; the first start creates one, and
// rotate-key retires it and creates the next. A retired key stays in
// /.well-known/jwks.json until every token it signed has expired (its
// retired_at plus the token lifetime plus a minute), so rotation does not
// log anyone out.

// signingKey is one key of the table, parsed.
type signingKey struct {
	kid string
	key *ecdsa.PrivateKey
}

// newSigningKey generates a P-256 key. Its kid is its RFC 7638 JWK
// thumbprint.
func newSigningKey() (*signingKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	j, err := publicJWK(&k.PublicKey, "")
	if err != nil {
		return nil, err
	}
	thumb := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, j.X, j.Y)
	sum := sha256.Sum256([]byte(thumb))
	return &signingKey{kid: base64.RawURLEncoding.EncodeToString(sum[:]), key: k}, nil
}

// jwk is a public key as a JWK (RFC 7517, 7518 section 6.2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func publicJWK(pub *ecdsa.PublicKey, kid string) (jwk, error) {
	e, err := pub.ECDH()
	if err != nil {
		return jwk{}, err
	}
	b := e.Bytes() // 0x04 || X || Y, 32 bytes each
	enc := base64.RawURLEncoding.EncodeToString
	return jwk{Kty: "EC", Crv: "P-256", X: enc(b[1:33]), Y: enc(b[33:65]), Kid: kid, Alg: "ES256", Use: "sig"}, nil
}

func encodePrivate(k *ecdsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

func decodePrivate(s string) (*ecdsa.PrivateKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("signing key: not a PKCS #8 PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("signing key: not a P-256 key")
	}
	return ec, nil
}

// insertKey stores k as the current key, retiring the current one if
// retire is set, in one transaction.
func (x *db) insertKey(ctx context.Context, k *signingKey, now time.Time, retire bool) error {
	pemText, err := encodePrivate(k.key)
	if err != nil {
		return err
	}
	tx, err := x.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if retire {
		if _, err := tx.ExecContext(ctx, x.q(`UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL`), now.Unix()); err != nil {
			return err
		}
	} else {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM signing_keys WHERE retired_at IS NULL`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	if _, err := tx.ExecContext(ctx, x.q(`INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`), k.kid, pemText, now.Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// ensureSigningKey creates the first signing key if there is no current
// one.
func (x *db) ensureSigningKey(ctx context.Context, now time.Time) error {
	k, err := newSigningKey()
	if err != nil {
		return err
	}
	return x.insertKey(ctx, k, now, false)
}

// rotateKey retires the current key and makes a new one current; it
// returns the new kid.
func (x *db) rotateKey(ctx context.Context, now time.Time) (string, error) {
	k, err := newSigningKey()
	if err != nil {
		return "", err
	}
	return k.kid, x.insertKey(ctx, k, now, true)
}

// signer returns the current signing key, parsing each kid's PEM once.
// Safe for concurrent use.
type signer struct {
	db *db
	mu sync.Mutex
	k  *signingKey
}

// current reads the current key's kid (another process may have rotated
// it) and returns that key.
func (s *signer) current(ctx context.Context) (*signingKey, error) {
	var kid, pemText string
	err := s.db.queryRow(ctx, `SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid LIMIT 1`).Scan(&kid, &pemText)
	if err != nil {
		return nil, fmt.Errorf("current signing key: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.k != nil && s.k.kid == kid {
		return s.k, nil
	}
	k, err := decodePrivate(pemText)
	if err != nil {
		return nil, err
	}
	s.k = &signingKey{kid: kid, key: k}
	return s.k, nil
}

// jwks returns the key set to publish at now: the current key and the
// retired ones retired less than keep ago.
func (x *db) jwks(ctx context.Context, now time.Time, keep time.Duration) ([]byte, error) {
	rows, err := x.query(ctx, `SELECT kid, private_key FROM signing_keys WHERE retired_at IS NULL OR retired_at > ? ORDER BY created_at DESC, kid`,
		now.Add(-keep).Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for rows.Next() {
		var kid, pemText string
		if err := rows.Scan(&kid, &pemText); err != nil {
			return nil, err
		}
		k, err := decodePrivate(pemText)
		if err != nil {
			return nil, err
		}
		j, err := publicJWK(&k.PublicKey, kid)
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, j)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return json.Marshal(set)
}
