package jwtauth_test

import (
	"context"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/seedb5d7e80f/jwtauth"
)

// TestVerification covers the security rules of ../shared/GUIDE.md for the
// token itself: every bad token gets the same 401, the next handler is not
// called and the body is not read.
func TestVerification(t *testing.T) {
	t.Parallel()
	good := goodClaims()
	with := func(k string, v any) jwt.MapClaims {
		c := goodClaims()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	hs := func(c jwt.MapClaims) string { return mint(t, jwt.SigningMethodHS256, secret, c, nil) }
	hsHdr := func(h map[string]any) string { return mint(t, jwt.SigningMethodHS256, secret, good, h) }
	valid := hs(good)
	parts := strings.Split(valid, ".")
	otherSecret := []byte("ffffffffffffffffffffffffffffffff")

	tests := []struct {
		name string
		tok  string
		opts []jwtauth.Option
		want result
	}{
		{"valid", valid, nil, okResult},
		{"expired", hs(with("exp", now.Add(-time.Second).Unix())), nil, invalidResult},
		{"expired within leeway", hs(with("exp", now.Add(-time.Second).Unix())), []jwtauth.Option{jwtauth.WithLeeway(5 * time.Second)}, okResult},
		{"expired beyond leeway", hs(with("exp", now.Add(-10*time.Second).Unix())), []jwtauth.Option{jwtauth.WithLeeway(5 * time.Second)}, invalidResult},
		{"no exp", hs(with("exp", nil)), nil, invalidResult},
		{"no exp, not required", hs(with("exp", nil)), []jwtauth.Option{jwtauth.WithoutExpirationRequired()}, okResult},
		{"exp as string", rawHS256(secret, hs256Header, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","exp":"1900000000"}`), nil, invalidResult},
		{"exp null", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix()), `"exp":null`, 1)), []jwtauth.Option{jwtauth.WithoutExpirationRequired()}, invalidResult},
		{"nbf in the future", hs(with("nbf", now.Add(time.Minute).Unix())), nil, invalidResult},
		{"nbf beyond 2^53 (would wrap into the past)", rawHS256(secret, hs256Header, claimsJSON(`"nbf":1e300`)), nil, invalidResult},
		{"exp beyond 2^53", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix()), `"exp":1e300`, 1)), nil, invalidResult},
		{"nbf passed", hs(with("nbf", now.Add(-time.Minute).Unix())), nil, okResult},
		{"iat in the future", hs(with("iat", now.Add(time.Minute).Unix())), nil, invalidResult},
		{"wrong issuer", hs(with("iss", "https://evil.example")), nil, invalidResult},
		{"issuer differs in case", hs(with("iss", "https://ISSUER.example")), nil, invalidResult},
		{"issuer with trailing slash", hs(with("iss", testIssuer+"/")), nil, invalidResult},
		{"no issuer", hs(with("iss", nil)), nil, invalidResult},
		{"second of two issuers", hs(with("iss", "https://other.example")), []jwtauth.Option{jwtauth.WithIssuer(testIssuer, "https://other.example")}, okResult},
		{"none of two issuers", hs(with("iss", "https://evil.example")), []jwtauth.Option{jwtauth.WithIssuer(testIssuer, "https://other.example")}, invalidResult},
		{"wrong audience", hs(with("aud", "other-api")), nil, invalidResult},
		{"audience in array", hs(with("aud", []string{"x", testAudience})), nil, okResult},
		{"one of two audiences", hs(with("aud", "second")), []jwtauth.Option{jwtauth.WithAudience(testAudience, "second")}, okResult},
		{"no audience", hs(with("aud", nil)), nil, invalidResult},
		{"alg none", b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + ".", nil, invalidResult},
		{"alg none with signature", b64(`{"alg":"none"}`) + "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"alg HS384 header on HS256 signature", b64(`{"alg":"HS384","typ":"JWT"}`) + "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"HS512 token for HS256 key", mint(t, jwt.SigningMethodHS512, secret, good, nil), nil, invalidResult},
		{"RS256 token for HS256 key", mint(t, jwt.SigningMethodRS256, rsaKey, good, nil), nil, invalidResult},
		{"signed with another secret", mint(t, jwt.SigningMethodHS256, otherSecret, good, nil), nil, invalidResult},
		{"signature bit flipped", parts[0] + "." + parts[1] + "." + flip(parts[2]), nil, invalidResult},
		{"claims swapped", parts[0] + "." + b64(claimsJSON(`"admin":true`)) + "." + parts[2], nil, invalidResult},
		{"crit header", hsHdr(map[string]any{"crit": []string{"exp"}, "exp": 1}), nil, invalidResult},
		{"b64 header", hsHdr(map[string]any{"b64": false}), nil, invalidResult},
		{"jku and x5u ignored", hsHdr(map[string]any{"jku": "https://evil.example/jwks", "x5u": "https://evil.example/c"}), nil, okResult},
		{"duplicate alg in header", rawHS256(secret, `{"alg":"HS256","alg":"none"}`, claimsJSON("")), nil, invalidResult},
		{"case-variant alg in header", rawHS256(secret, `{"alg":"HS256","ALG":"none"}`, claimsJSON("")), nil, invalidResult},
		{"header not an object", rawHS256(secret, `["HS256"]`, claimsJSON("")), nil, invalidResult},
		{"alg not a string", rawHS256(secret, `{"alg":256}`, claimsJSON("")), nil, invalidResult},
		{"kid not a string", rawHS256(secret, `{"alg":"HS256","kid":1}`, claimsJSON("")), nil, invalidResult},
		{"duplicate claim", rawHS256(secret, hs256Header, claimsJSON(`"sub":"admin"`)), nil, invalidResult},
		{"duplicate claim via escape", rawHS256(secret, hs256Header, claimsJSON(`"s\u0075b":"admin"`)), nil, invalidResult},
		{"case-variant claim pair", rawHS256(secret, hs256Header, claimsJSON(`"SUB":"admin"`)), nil, invalidResult},
		{"case-variant claim alone", rawHS256(secret, hs256Header, `{"iss":"`+testIssuer+`","aud":"`+testAudience+`","EXP":1900000000}`), nil, invalidResult},
		{"kelvin-sign variant of a field", rawHS256(secret, hs256Header, claimsJSON(`"\u212Aid":"x","jt\u0131":"y"`)), nil, okResult},
		{"long-s variant of sub", rawHS256(secret, `{"alg":"HS256"}`, strings.Replace(claimsJSON(""), `"sub"`, `"ſub"`, 1)), nil, invalidResult},
		{"invalid UTF-8 in claim", rawHS256(secret, hs256Header, claimsJSON("\"name\":\"\xff\"")), nil, invalidResult},
		{"lone surrogate in claim", rawHS256(secret, hs256Header, claimsJSON(`"name":"\ud800"`)), nil, invalidResult},
		{"trailing data after claims", rawHS256(secret, hs256Header, claimsJSON("")+"{}"), nil, invalidResult},
		{"claims not an object", rawHS256(secret, hs256Header, `"x"`), nil, invalidResult},
		{"claims too deep", rawHS256(secret, hs256Header, claimsJSON(`"x":`+strings.Repeat("[", 40)+strings.Repeat("]", 40))), nil, invalidResult},
		{"aud of wrong type", rawHS256(secret, hs256Header, strings.Replace(claimsJSON(""), `"aud":"`+testAudience+`"`, `"aud":7`, 1)), nil, invalidResult},
		{"CR LF in signature", parts[0] + "." + parts[1] + "." + parts[2][:10] + "\r\n" + parts[2][10:], nil, invalidResult},
		{"space in payload", parts[0] + "." + parts[1][:5] + " " + parts[1][5:] + "." + parts[2], nil, invalidResult},
		{"padding", parts[0] + "=." + parts[1] + "." + parts[2], nil, invalidResult},
		{"standard base64 alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(valid), nil, invalidResult},
		{"non-canonical last character", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1] + nonCanonical(parts[2]), nil, invalidResult},
		{"four segments", valid + ".x", nil, invalidResult},
		{"two segments", parts[0] + "." + parts[1], nil, invalidResult},
		{"empty header segment", "." + parts[1] + "." + parts[2], nil, invalidResult},
		{"empty signature", parts[0] + "." + parts[1] + ".", nil, invalidResult},
		{"over the length cap", hs(with("pad", strings.Repeat("x", 9000))), nil, invalidResult},
		{"under a raised cap", hs(with("pad", strings.Repeat("x", 9000))), []jwtauth.Option{jwtauth.WithMaxTokenBytes(16 << 10)}, okResult},
		{"typ at+jwt required, JWT given", valid, []jwtauth.Option{jwtauth.WithType("at+jwt")}, invalidResult},
		{"typ at+jwt required and given", hsHdr(map[string]any{"typ": "at+jwt"}), []jwtauth.Option{jwtauth.WithType("at+jwt")}, okResult},
		{"typ application/AT+JWT", hsHdr(map[string]any{"typ": "application/AT+JWT"}), []jwtauth.Option{jwtauth.WithType("at+jwt")}, okResult},
		{"typ required, absent", rawHS256(secret, `{"alg":"HS256"}`, claimsJSON("")), []jwtauth.Option{jwtauth.WithType("at+jwt")}, invalidResult},
		{"not a JWT at all", "hello", nil, invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := strictHS256(t, tt.opts...)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tt.tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// flip flips one bit of the first byte a base64url segment encodes.
func flip(seg string) string {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		panic(err)
	}
	b[0] ^= 1
	return base64.RawURLEncoding.EncodeToString(b)
}

// nonCanonical returns a last character for seg that decodes to the same
// bytes but has non-zero unused bits (refused by strict decoding).
func nonCanonical(seg string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, seg[len(seg)-1])
	return string(alphabet[last+1])
}

func TestAlgorithms(t *testing.T) {
	t.Parallel()
	good := goodClaims()
	tests := []struct {
		name   string
		keys   jwtauth.KeySource
		method jwt.SigningMethod
		sign   any
		want   result
	}{
		{"HS384", jwtauth.HMAC("HS384", append(secret, secret[:16]...)), jwt.SigningMethodHS384, append(secret, secret[:16]...), okResult},
		{"HS512", jwtauth.HMAC("HS512", append(secret, secret...)), jwt.SigningMethodHS512, append(secret, secret...), okResult},
		{"RS256", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodRS256, rsaKey, okResult},
		{"RS512", jwtauth.PublicKey("RS512", &rsaKey.PublicKey), jwt.SigningMethodRS512, rsaKey, okResult},
		{"PS256", jwtauth.PublicKey("PS256", &rsaKey.PublicKey), jwt.SigningMethodPS256, rsaKey, okResult},
		{"ES256", jwtauth.PublicKey("ES256", &ecKey256.PublicKey), jwt.SigningMethodES256, ecKey256, okResult},
		{"ES384", jwtauth.PublicKey("ES384", &ecKey384.PublicKey), jwt.SigningMethodES384, ecKey384, okResult},
		{"ES512", jwtauth.PublicKey("ES512", &ecKey521.PublicKey), jwt.SigningMethodES512, ecKey521, okResult},
		{"EdDSA", jwtauth.PublicKey("EdDSA", edPub), jwt.SigningMethodEdDSA, edPriv, okResult},
		{"RS256 key, PS256 token", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodPS256, rsaKey, invalidResult},
		{"PS256 key, RS256 token", jwtauth.PublicKey("PS256", &rsaKey.PublicKey), jwt.SigningMethodRS256, rsaKey, invalidResult},
		{"RS256 key, HS256 token signed with the public key bytes", jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey), invalidResult},
		{"ES256 key, other EC key", jwtauth.PublicKey("ES256", &ecKey256.PublicKey), jwt.SigningMethodES256, mustEC(elliptic.P256()), invalidResult},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := jwtauth.New(tt.keys, jwtauth.WithIssuer(testIssuer), jwtauth.WithAudience(testAudience), jwtauth.WithTimeFunc(clock))
			if err != nil {
				t.Fatal(err)
			}
			tok := mint(t, tt.method, tt.sign, good, nil)
			if diff := cmp.Diff(tt.want, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmbeddedKeysIgnored: a token signed with the attacker's own key and
// carrying that key (jwk, x5c) or a URL to it (jku, x5u) in its header is
// verified with the configured key only, and so refused.
func TestEmbeddedKeysIgnored(t *testing.T) {
	t.Parallel()
	attacker := mustRSA(2048)
	jwk := map[string]any{"kty": "RSA", "n": base64.RawURLEncoding.EncodeToString(attacker.N.Bytes()), "e": "AQAB"}
	cert := selfSignedPEM(t, attacker)
	block, _ := pem.Decode(cert)
	m, err := jwtauth.New(jwtauth.PublicKey("RS256", &rsaKey.PublicKey), jwtauth.WithTimeFunc(clock))
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string]map[string]any{
		"jwk": {"jwk": jwk},
		"x5c": {"x5c": []string{base64.StdEncoding.EncodeToString(block.Bytes)}},
		"jku": {"jku": "https://evil.example/jwks.json", "kid": "evil"},
		"x5u": {"x5u": "https://evil.example/cert.pem"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tok := mint(t, jwt.SigningMethodRS256, attacker, goodClaims(), hdr)
			if diff := cmp.Diff(invalidResult, do(t, m.Handler, bearer(tok))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// constantOutputs holds every fixed text a response may contain.
const constantOutputs = `Bearer realm="api", error="invalid_token" error="invalid_request" error="insufficient_scope"` +
	`{"detail":"Not authenticated"} {"detail":"Could not validate credentials"} {"detail":"Malformed authorization request"}`

// FuzzToken mutates whole tokens: no panic, and nothing is accepted unless
// its signature verifies with the configured key (checked independently).
func FuzzToken(f *testing.F) {
	good := mint(f, jwt.SigningMethodHS256, secret, goodClaims(), nil)
	f.Add(good)
	f.Add(tutorialToken)
	f.Add(rawHS256(secret, hs256Header, claimsJSON(`"sub":"x"`)))
	f.Add(rawHS256(secret, `{"alg":"HS256","crit":["x"]}`, claimsJSON("")))
	f.Add(b64(`{"alg":"none"}`) + "." + b64(claimsJSON("")) + ".")
	f.Add(strings.Repeat("a", 100))
	m := strictHS256(f)
	f.Fuzz(func(t *testing.T, tok string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		var called bool
		rec := httptest.NewRecorder()
		m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })).ServeHTTP(rec, req)
		if !called {
			if rec.Code != 401 && rec.Code != 400 {
				t.Fatalf("status %d for a refused token", rec.Code)
			}
			return
		}
		parts := strings.Split(tok, ".")
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		if base64.RawURLEncoding.EncodeToString(mac.Sum(nil)) != parts[2] {
			t.Fatalf("accepted a token not signed with the key: %q", tok)
		}
	})
}

// TestRevocationTokenInfo: the revocation check sees jti, sub, iat, exp and
// the signing-input hash of the verified token, zero where a claim is
// absent, on a full verification and on a cache hit alike.
func TestRevocationTokenInfo(t *testing.T) {
	t.Parallel()
	full := goodClaims()
	full["jti"] = "id-1"
	bare := jwt.MapClaims{"iss": testIssuer, "aud": testAudience}
	tests := []struct {
		name   string
		claims jwt.MapClaims
		opts   []jwtauth.Option
		want   func(tok string) jwtauth.TokenInfo
	}{
		{"every claim", full, nil, func(tok string) jwtauth.TokenInfo {
			return jwtauth.TokenInfo{ID: "id-1", Subject: "user-1", Hash: jwtauth.SigningInputHash(tok),
				IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}
		}},
		{"no jti, sub, iat or exp", bare, []jwtauth.Option{jwtauth.WithoutExpirationRequired()}, func(tok string) jwtauth.TokenInfo {
			return jwtauth.TokenInfo{Hash: jwtauth.SigningInputHash(tok)}
		}},
	}
	for _, tt := range tests {
		for _, cache := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s, cache %v", tt.name, cache), func(t *testing.T) {
				t.Parallel()
				tok := mint(t, jwt.SigningMethodHS256, secret, tt.claims, nil)
				var got []jwtauth.TokenInfo
				opts := append([]jwtauth.Option{jwtauth.WithRevocationCheck(func(_ context.Context, ti jwtauth.TokenInfo) error {
					got = append(got, ti)
					return nil
				})}, tt.opts...)
				if cache {
					opts = append(opts, jwtauth.WithCache(4))
				}
				m := strictHS256(t, opts...)
				for range 2 { // the second is a cache hit when cached
					if r := do(t, m.Handler, bearer(tok)); r.Status != http.StatusOK {
						t.Fatalf("status %d, want 200", r.Status)
					}
				}
				want := []jwtauth.TokenInfo{tt.want(tok), tt.want(tok)}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("TokenInfo (-want +got):\n%s", diff)
				}
			})
		}
	}
}
