// Package jwttest is a test kit for code protected by jwtauth: ephemeral
// signing keys, token minting with sensible default claims, a JWKS and OpenID
// Connect discovery server on a local listener, and a settable clock.
//
// It is for tests only. Its keys are generated per process and never leave
// it, its server speaks plain HTTP on the loopback interface (or TLS with a
// throw-away certificate), and nothing in it is hardened for production use.
// It depends on the standard library and golang-jwt only, so jwtauth's own
// tests can use it too.
//
// A typical test:
//
//	key := jwttest.NewKey(t, "ES256")
//	srv := jwttest.NewJWKSServer(t, key)
//	clock := jwttest.NewClock(time.Time{})
//	token := jwttest.Mint(t, key, jwt.MapClaims{"scope": "read"}, jwttest.WithNow(clock.Now))
//	// ... point the code under test at srv.URL() and clock.Now, send token.
//
// Key rotation needs no clock and no sleeps: a jwtauth JWKS or OIDC source
// fetches the set again when a token names a kid it has not seen, so after
// [JWKSServer.Rotate] (or [JWKSServer.AddKeys]) the first token signed with
// the new key is accepted. Such fetches happen at most once per cooldown (1
// minute by default); a test that rotates more than once creates its source
// with jwtauth.WithRefreshCooldown(0), which lifts that limit. A removed key
// stops verifying at the source's next fetch.
package jwttest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of the claims [Mint] adds to every token unless [WithoutDefaults]
// is given or the claims passed to Mint already name them.
const (
	// DefaultIssuer is the "iss" claim [Mint] adds.
	DefaultIssuer = "https://issuer.jwttest.example"
	// DefaultAudience is the "aud" claim [Mint] adds (a single string).
	DefaultAudience = "https://api.jwttest.example"
	// DefaultSubject is the "sub" claim [Mint] adds.
	DefaultSubject = "jwttest-user"
	// DefaultTTL is how long after "iat" the "exp" claim [Mint] adds lies.
	DefaultTTL = time.Hour
)

// Algorithms returns every algorithm golang-jwt knows that [NewKey] can make
// a key for, HMAC first: HS256, HS384, HS512, RS256, RS384, RS512, PS256,
// PS384, PS512, ES256, ES384, ES512 and EdDSA. The slice is a fresh copy.
// NewKey also accepts [Ed25519], which is left out here because golang-jwt's
// parser does not know that name.
func Algorithms() []string {
	return []string{
		"HS256", "HS384", "HS512",
		"RS256", "RS384", "RS512",
		"PS256", "PS384", "PS512",
		"ES256", "ES384", "ES512",
		"EdDSA",
	}
}

// Ed25519 is RFC 9864's fully-specified name for EdDSA with an Ed25519 key.
// [NewKey] accepts it: the key signs exactly as an EdDSA key does, but its
// tokens' "alg" header and its JWK's "alg" member say "Ed25519".
const Ed25519 = "Ed25519"

// signingMethod returns golang-jwt's method for alg, also for [Ed25519].
func signingMethod(alg string) jwt.SigningMethod {
	if alg == Ed25519 {
		return jwt.SigningMethodEdDSA
	}
	return jwt.GetSigningMethod(alg)
}

// Key is an ephemeral signing key: a private key (or HMAC secret) bound to
// one algorithm and a key ID. Keys are immutable and safe for concurrent use.
// Create them with [NewKey].
type Key struct {
	id      string
	alg     string
	method  jwt.SigningMethod
	private any // []byte, *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey
	public  any // []byte, *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// NewKey generates a fresh key for alg, one of [Algorithms] or [Ed25519]: a
// random HMAC secret as long as the hash output (32 bytes for HS256, 48 for
// HS384, 64 for HS512), a 2048-bit RSA key for RS* and PS*, an ECDSA key on
// P-256, P-384 or P-521 for ES256, ES384 or ES512, or an Ed25519 key for
// EdDSA and Ed25519. Its key ID is
// random, of the form "ES256-0123456789abcdef"; use [Key.WithID] for another.
// NewKey fails the test if alg is unknown.
func NewKey(t testing.TB, alg string) *Key {
	t.Helper()
	method := signingMethod(alg)
	if method == nil || (!slices.Contains(Algorithms(), alg) && alg != Ed25519) {
		t.Fatalf("jwttest: NewKey: unsupported algorithm %q", alg)
		return nil
	}
	k := &Key{id: alg + "-" + randomHex(t, 8), alg: alg, method: method}
	var err error
	switch alg[:2] {
	case "HS":
		secret := make([]byte, map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[alg])
		_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+)
		k.private, k.public = secret, slices.Clone(secret)
	case "RS", "PS":
		var pk *rsa.PrivateKey
		if pk, err = rsa.GenerateKey(rand.Reader, 2048); err == nil {
			k.private, k.public = pk, &pk.PublicKey
		}
	case "ES":
		curve := map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}[alg]
		var pk *ecdsa.PrivateKey
		if pk, err = ecdsa.GenerateKey(curve, rand.Reader); err == nil {
			k.private, k.public = pk, &pk.PublicKey
		}
	default: // EdDSA, Ed25519
		var pub ed25519.PublicKey
		var priv ed25519.PrivateKey
		if pub, priv, err = ed25519.GenerateKey(rand.Reader); err == nil {
			k.private, k.public = priv, pub
		}
	}
	if err != nil {
		t.Fatalf("jwttest: NewKey(%q): %v", alg, err)
	}
	return k
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// WithID returns a copy of k with the key ID kid ("" for none) and the same
// key material and algorithm.
func (k *Key) WithID(kid string) *Key {
	c := *k
	c.id = kid
	return &c
}

// ID returns the key ID that [Mint] puts in the "kid" header and [Key.JWK] in
// the "kid" member.
func (k *Key) ID() string { return k.id }

// Algorithm returns the JOSE algorithm the key signs with, such as "ES256".
func (k *Key) Algorithm() string { return k.alg }

// Method returns the golang-jwt signing method of the key's algorithm
// (EdDSA's for [Ed25519]).
func (k *Key) Method() jwt.SigningMethod { return k.method }

// Private returns the signing key: a []byte secret for HMAC, otherwise an
// *rsa.PrivateKey, *ecdsa.PrivateKey or ed25519.PrivateKey. It is the value
// to pass to golang-jwt's [jwt.Token.SignedString].
func (k *Key) Private() any { return k.private }

// Public returns the verification key: a copy of the secret for HMAC,
// otherwise an *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey. It is
// the value to pass to jwtauth.NewKey, jwtauth.PublicKey or jwtauth.HMAC.
func (k *Key) Public() any {
	if b, ok := k.public.([]byte); ok {
		return slices.Clone(b)
	}
	return k.public
}

// PublicKeyPEM returns the verification key as a PEM "PUBLIC KEY" block
// (PKIX), the form jwtauth.PEM and jwtauth.PEMFile read and identity
// providers publish. It fails the test for an HMAC key, which has no public
// half.
func (k *Key) PublicKeyPEM(t testing.TB) []byte {
	t.Helper()
	if _, secret := k.public.([]byte); secret {
		t.Fatalf("jwttest: PublicKeyPEM: %s is an HMAC key; it has no public key", k.alg)
		return nil
	}
	der, err := x509.MarshalPKIXPublicKey(k.public)
	if err != nil {
		t.Fatalf("jwttest: PublicKeyPEM: %v", err)
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// PrivateKeyPEM returns the signing key as a PEM "PRIVATE KEY" block
// (PKCS #8), for tests that hand it to another signer. It fails the test for
// an HMAC key.
func (k *Key) PrivateKeyPEM(t testing.TB) []byte {
	t.Helper()
	if _, secret := k.private.([]byte); secret {
		t.Fatalf("jwttest: PrivateKeyPEM: %s is an HMAC key", k.alg)
		return nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		t.Fatalf("jwttest: PrivateKeyPEM: %v", err)
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// JWK is one JSON Web Key (RFC 7517) as [JWKSServer] serves it. The fields
// are exported, and the struct is a plain value, so that tests can publish
// malformed or unusual keys (a wrong "use", a missing "alg", a short modulus)
// with [JWKSServer.SetJWKs]. Each field is the member named in its JSON tag
// and is left out when empty.
type JWK struct {
	Kty    string   `json:"kty"`               // key type: RSA, EC, OKP or oct
	Use    string   `json:"use,omitempty"`     // public key use, "sig"
	KeyOps []string `json:"key_ops,omitempty"` // key operations, such as ["verify"]
	Alg    string   `json:"alg,omitempty"`     // the algorithm the key is for
	Kid    string   `json:"kid,omitempty"`     // key ID
	Crv    string   `json:"crv,omitempty"`     // EC or OKP curve
	N      string   `json:"n,omitempty"`       // RSA modulus, base64url
	E      string   `json:"e,omitempty"`       // RSA exponent, base64url
	X      string   `json:"x,omitempty"`       // EC x coordinate or OKP public key, base64url
	Y      string   `json:"y,omitempty"`       // EC y coordinate, base64url
	K      string   `json:"k,omitempty"`       // symmetric key, base64url
}

// JWK returns the public JSON Web Key of k with "use":"sig", its "alg" and
// its "kid" (omitted when the ID is ""). For an HMAC key it is an "oct" key
// whose "k" member holds the secret: useful only to test that a verifier
// refuses symmetric keys from a key set.
func (k *Key) JWK() JWK {
	b64 := base64.RawURLEncoding.EncodeToString
	j := JWK{Use: "sig", Alg: k.alg, Kid: k.id}
	switch pub := k.public.(type) {
	case []byte:
		j.Kty, j.K = "oct", b64(pub)
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		// The uncompressed point is 0x04 || X || Y, each coordinate padded to
		// the field size as RFC 7518 section 6.2.1.2 requires.
		ep, err := pub.ECDH()
		if err != nil {
			panic("jwttest: encoding an ECDSA key: " + err.Error())
		}
		point := ep.Bytes()
		j.Kty, j.Crv = "EC", pub.Curve.Params().Name
		j.X, j.Y = b64(point[1:1+size]), b64(point[1+size:])
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(pub)
	}
	return j
}

// MintOption changes how [Mint] and [MintUnsigned] build a token.
type MintOption func(*mintConfig)

type mintConfig struct {
	now      func() time.Time
	issuer   string
	defaults bool
	header   []headerEdit
	jkt      string // WithDPoPBinding
}

type headerEdit struct {
	name  string
	value any // nil deletes
}

// WithNow sets the clock the default "iat" and "exp" claims are computed
// from, for example a [Clock]'s Now method. The default is [time.Now].
func WithNow(now func() time.Time) MintOption {
	return func(c *mintConfig) { c.now = now }
}

// WithIssuer sets the default "iss" claim [Mint] adds (the default is
// [DefaultIssuer]; [JWKSServer.Mint] uses the server's issuer). An "iss" in
// the claims passed to Mint still wins.
func WithIssuer(iss string) MintOption {
	return func(c *mintConfig) { c.issuer = iss }
}

// WithoutDefaults makes [Mint] add no default claims: the token holds exactly
// the claims passed to it.
func WithoutDefaults() MintOption {
	return func(c *mintConfig) { c.defaults = false }
}

// WithKID sets the "kid" header to kid, or removes it when kid is "". The
// default is the key's [Key.ID] ("" omits the header).
func WithKID(kid string) MintOption {
	if kid == "" {
		return WithHeader("kid", nil)
	}
	return WithHeader("kid", kid)
}

// WithTyp sets the "typ" header to typ, or removes it when typ is "". The
// default is "JWT".
func WithTyp(typ string) MintOption {
	if typ == "" {
		return WithHeader("typ", nil)
	}
	return WithHeader("typ", typ)
}

// WithHeader sets the protected header parameter name to value, or removes it
// when value is nil. Edits apply in order, after the defaults ("alg", "typ"
// and "kid"). The signature is always made with the key's own algorithm, so
// WithHeader("alg", "RS256") on an HS256 key mints an algorithm-confusion
// token whose header lies about how it was signed.
func WithHeader(name string, value any) MintOption {
	return func(c *mintConfig) { c.header = append(c.header, headerEdit{name, value}) }
}

// Mint returns a compact JWS signed with k. claims may be nil, a map such as
// [jwt.MapClaims], or any value that encoding/json marshals to a JSON object
// (such as [jwt.RegisteredClaims] or a struct embedding it).
//
// Unless [WithoutDefaults] is given, Mint adds the claims that claims does not
// name: "iss" [DefaultIssuer] (see [WithIssuer]), "aud" [DefaultAudience], "sub"
// [DefaultSubject], "iat" now and "exp" now + [DefaultTTL], with now from
// [WithNow] (default [time.Now]). In a map, a claim whose value is nil is left
// out of the token, which drops a default: jwt.MapClaims{"exp": nil} mints a
// token without "exp". The header is {"alg": k's algorithm, "typ": "JWT",
// "kid": k.ID()} as changed by [WithKID], [WithTyp] and [WithHeader].
//
// Mint fails the test if the claims cannot be encoded or signing fails.
func Mint(t testing.TB, k *Key, claims any, opts ...MintOption) string {
	t.Helper()
	return mint(t, k.alg, k.method, k.private, k.id, claims, opts)
}

// MintUnsigned is [Mint] for an unsecured token: "alg":"none", no "kid" and
// an empty signature. It exists to test that verifiers reject such tokens.
func MintUnsigned(t testing.TB, claims any, opts ...MintOption) string {
	t.Helper()
	return mint(t, "none", jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", claims, opts)
}

func mint(t testing.TB, alg string, method jwt.SigningMethod, key any, kid string, claims any, opts []MintOption) string {
	t.Helper()
	cfg := mintConfig{now: time.Now, issuer: DefaultIssuer, defaults: true}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := claimsMap(claims)
	if err != nil {
		t.Fatalf("jwttest: Mint: %v", err)
	}
	if cfg.defaults {
		now := cfg.now()
		defaults := map[string]any{
			"iss": cfg.issuer,
			"aud": DefaultAudience,
			"sub": DefaultSubject,
			"iat": now.Unix(),
			"exp": now.Add(DefaultTTL).Unix(),
		}
		for name, v := range defaults {
			if _, named := m[name]; !named {
				m[name] = v
			}
		}
	}
	if cfg.jkt != "" {
		m["cnf"] = map[string]any{"jkt": cfg.jkt}
	}
	for name, v := range m {
		if v == nil {
			delete(m, name)
		}
	}
	tok := jwt.NewWithClaims(method, jwt.MapClaims(m))
	tok.Header["alg"] = alg // "Ed25519" for an Ed25519 key, not its method's "EdDSA"
	if kid != "" {
		tok.Header["kid"] = kid
	}
	for _, e := range cfg.header {
		if e.value == nil {
			delete(tok.Header, e.name)
		} else {
			tok.Header[e.name] = e.value
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("jwttest: Mint: signing: %v", err)
	}
	return s
}

// claimsMap turns claims into a fresh map. Maps are copied as they are (so a
// nil value survives to mean "omit"); anything else goes through
// encoding/json, keeping numbers exact.
func claimsMap(claims any) (map[string]any, error) {
	m := map[string]any{}
	if claims == nil {
		return m, nil
	}
	if rv := reflect.ValueOf(claims); rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		for it := rv.MapRange(); it.Next(); {
			m[it.Key().String()] = it.Value().Interface()
		}
		return m, nil
	}
	data, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil { // the claims marshalled to JSON null
		m = map[string]any{}
	}
	return m, nil
}

// Clock is a settable clock for tests: it stands still until told to move.
// Pass its Now method wherever a clock function is wanted, such as
// golang-jwt's jwt.WithTimeFunc(clock.Now) or [WithNow]. The zero Clock reads
// 2025-01-01T00:00:00Z. A Clock is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// defaultStart is the time a zero [Clock] reads.
var defaultStart = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// NewClock returns a [Clock] reading start, or 2025-01-01T00:00:00Z if start
// is the zero time.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = defaultStart
	}
	return c.now
}

// Advance moves the clock forward by d (backward if d is negative) and
// returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = defaultStart
	}
	c.now = c.now.Add(d)
	return c.now
}

// Set sets the clock to t; the zero time resets it to 2025-01-01T00:00:00Z.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}
