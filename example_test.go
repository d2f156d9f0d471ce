package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth"
)

// exampleNow is the fixed clock of the examples.
var exampleNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// sign mints an HS256 token for the examples.
func sign(key []byte, claims jwt.MapClaims) string {
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(key)
	if err != nil {
		panic(err)
	}
	return s
}

// serve sends one request with the given Authorization value and prints
// the status, the challenge (if any) and the body.
func serve(h http.Handler, authorization string) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ")
	if c := rec.Header().Get("WWW-Authenticate"); c != "" {
		fmt.Print(c, " ")
	}
	fmt.Print(rec.Body.String())
}

// The quick start: an HS256 secret, an issuer and an audience, and a handler
// that reads the subject.
func ExampleNew() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithIssuer("https://issuer.example"),
		jwtauth.WithAudience("person-api"),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }), // omit in production
	)
	if err != nil {
		panic(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		fmt.Fprintf(w, "hello %s\n", claims.Subject)
	})
	mux := http.NewServeMux()
	mux.Handle("GET /", mw.Handler(hello))

	tok := sign(secret, jwt.MapClaims{
		"sub": "alice", "iss": "https://issuer.example", "aud": "person-api",
		"exp": exampleNow.Add(time.Hour).Unix(),
	})
	serve(mux, "Bearer "+tok)
	serve(mux, "")
	serve(mux, "Bearer "+tok+"x")
	// Output:
	// 200 hello alice
	// 401 Bearer realm="api" {"detail":"Not authenticated"}
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
}

// A public key in PEM form (PKIX, PKCS #1 or a certificate), here ES256.
func ExamplePEM() {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	mw, err := jwtauth.New(jwtauth.PEM("ES256", pemBytes),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	if err != nil {
		panic(err)
	}
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"sub": "svc-1", "exp": exampleNow.Add(time.Minute).Unix(),
	}).SignedString(priv)

	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "verified")
	}))
	serve(h, "Bearer "+tok)
	// Output:
	// 200 verified
}

// TenantClaims is an application's own claims type. Its Validate method
// runs after the standard checks.
type TenantClaims struct {
	Tenant string `json:"tenant"`
	jwt.RegisteredClaims
}

// Validate rejects tokens without a tenant.
func (c *TenantClaims) Validate() error {
	if c.Tenant == "" {
		return errors.New("no tenant")
	}
	return nil
}

// Custom claims through generics: no type assertions in handlers.
// WithClaims takes the struct type; handlers read *TenantClaims, or the
// embedded *jwt.RegisteredClaims where that is all they need.
func ExampleWithClaims() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, _ := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithClaims[TenantClaims](), // not WithClaims[*TenantClaims]
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*TenantClaims](r.Context())
		rc, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context()) // the embedded claims
		fmt.Fprintf(w, "%s of %s\n", rc.Subject, c.Tenant)
	}))
	exp := exampleNow.Add(time.Hour).Unix()
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"sub": "bob", "tenant": "acme", "exp": exp}))
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"sub": "eve", "exp": exp}))
	// Output:
	// 200 bob of acme
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
}

// Per-route scopes: 403 with the scope the route needs.
func ExampleMiddleware_Require() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, _ := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "written") })
	h := mw.Handler(mw.Require(jwtauth.Scopes("persons:write"))(write))

	exp := exampleNow.Add(time.Hour).Unix()
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"scope": "persons:read persons:write", "exp": exp}))
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"scope": "persons:read", "exp": exp}))
	// Output:
	// 200 written
	// 403 Bearer realm="api", error="insufficient_scope", scope="persons:write" {"detail":"Not enough permissions"}
}

// Optional authentication: anonymous requests pass without claims; a bad
// token is still refused.
func ExampleWithCredentialsOptional() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, _ := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithCredentialsOptional(),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, ok := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context()); ok {
			fmt.Fprintln(w, "hello", c.Subject)
			return
		}
		fmt.Fprintln(w, "hello stranger")
	}))
	serve(h, "")
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"sub": "carol", "exp": exampleNow.Add(time.Hour).Unix()}))
	serve(h, "Bearer not-a-token")
	// Output:
	// 200 hello stranger
	// 200 hello carol
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
}

// A custom error handler that tells expired tokens apart with errors.Is,
// while keeping the standard responses for everything else.
func ExampleWithErrorHandler() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, _ := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }),
		jwtauth.WithErrorHandler(func(w http.ResponseWriter, r *http.Request, err error) {
			switch {
			case errors.Is(err, jwt.ErrTokenExpired):
				fmt.Println("reason: expired")
			case errors.Is(err, jwt.ErrTokenSignatureInvalid):
				fmt.Println("reason: bad signature")
			case errors.Is(err, jwtauth.ErrMissingToken):
				fmt.Println("reason: no token")
			case errors.Is(err, jwtauth.ErrInvalidToken):
				fmt.Println("reason: other invalid token")
			}
			jwtauth.WriteError(w, r, err) // the same body for every bad token
		}))
	h := mw.Handler(http.NotFoundHandler())
	expired := sign(secret, jwt.MapClaims{"exp": exampleNow.Add(-time.Minute).Unix()})
	forged := sign([]byte(strings.Repeat("x", 32)), jwt.MapClaims{"exp": exampleNow.Add(time.Minute).Unix()})
	serve(h, "Bearer "+expired)
	serve(h, "Bearer "+forged)
	serve(h, "")
	// Output:
	// reason: expired
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
	// reason: bad signature
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
	// reason: no token
	// 401 Bearer realm="api" {"detail":"Not authenticated"}
}

// Role and predicate checks per route: RolesIn reads a claim (an array, or a
// space-delimited string), Check any rule on the typed claims.
func ExampleCheck() {
	secret := []byte("an example secret of 32 bytes!!!")
	mw, _ := jwtauth.New(jwtauth.HMAC("HS256", secret),
		jwtauth.WithClaims[TenantClaims](),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	admin := mw.Require(
		jwtauth.RolesIn("roles", "admin"),
		jwtauth.Check(func(c *TenantClaims) bool { return c.Tenant == "acme" }),
	)
	h := mw.Handler(admin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "admin of acme")
	})))
	exp := exampleNow.Add(time.Hour).Unix()
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"tenant": "acme", "roles": []string{"admin"}, "exp": exp}))
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"tenant": "globex", "roles": []string{"admin"}, "exp": exp}))
	serve(h, "Bearer "+sign(secret, jwt.MapClaims{"tenant": "acme", "roles": "user", "exp": exp}))
	// Output:
	// 200 admin of acme
	// 403 Bearer realm="api", error="insufficient_scope" {"detail":"Not enough permissions"}
	// 403 Bearer realm="api", error="insufficient_scope" {"detail":"Not enough permissions"}
}

// Key rotation with a fixed set: each token's kid selects its key, and a
// key is bound to one algorithm.
func ExampleKeySet() {
	old, _ := jwtauth.NewKey("2026-10", "HS256", []byte("the October secret, 32 bytes!!!!"))
	cur, _ := jwtauth.NewKey("2026-11", "HS256", []byte("the November secret, 32 bytes!!!"))
	mw, _ := jwtauth.New(jwtauth.KeySet(old, cur),
		jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	signKID := func(kid string, key []byte) string {
		t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exampleNow.Add(time.Hour).Unix()})
		t.Header["kid"] = kid
		s, _ := t.SignedString(key)
		return s
	}
	serve(h, "Bearer "+signKID("2026-10", []byte("the October secret, 32 bytes!!!!")))
	serve(h, "Bearer "+signKID("2026-11", []byte("the November secret, 32 bytes!!!")))
	serve(h, "Bearer "+signKID("2026-11", []byte("the October secret, 32 bytes!!!!"))) // wrong key for the kid
	// Output:
	// 200 ok
	// 200 ok
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
}

// Two issuers, each with its own keys and audience: neither can vouch for
// the other's tokens.
func ExampleNewMultiIssuer() {
	a := []byte("issuer A's secret of 32 bytes!!!")
	b := []byte("issuer B's secret of 32 bytes!!!")
	mw, _ := jwtauth.NewMultiIssuer([]jwtauth.Issuer{
		{Issuer: "https://a.example", Keys: jwtauth.HMAC("HS256", a), Audiences: []string{"api"}},
		{Issuer: "https://b.example", Keys: jwtauth.HMAC("HS256", b), Audiences: []string{"api"}},
	}, jwtauth.WithTimeFunc(func() time.Time { return exampleNow }))
	h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		fmt.Fprintln(w, "from", c.Issuer)
	}))
	exp := exampleNow.Add(time.Hour).Unix()
	serve(h, "Bearer "+sign(a, jwt.MapClaims{"iss": "https://a.example", "aud": "api", "exp": exp}))
	serve(h, "Bearer "+sign(b, jwt.MapClaims{"iss": "https://b.example", "aud": "api", "exp": exp}))
	serve(h, "Bearer "+sign(a, jwt.MapClaims{"iss": "https://b.example", "aud": "api", "exp": exp})) // A's key, B's name
	// Output:
	// 200 from https://a.example
	// 200 from https://b.example
	// 401 Bearer realm="api", error="invalid_token" {"detail":"Could not validate credentials"}
}

// A typed handler behind the middleware: the body is decoded and validated
// into the input type (422 in pydantic's shape otherwise), the result
// written as JSON, and a Response sets the status and headers.
func ExampleHandle() {
	type Item struct {
		Name  string  `json:"name" validate:"required,minlen=1"`
		Price float64 `json:"price" validate:"required,min=0"`
	}
	create, err := jwtauth.Handle(func(ctx context.Context, in Item) (jwtauth.Response[Item], error) {
		return jwtauth.Response[Item]{Status: http.StatusCreated, Header: http.Header{"Location": {"/items/1"}}, Body: in}, nil
	})
	if err != nil {
		panic(err) // a malformed validate tag is found here, at start-up
	}
	post := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		create.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Header().Get("Location"), " ", rec.Body.String())
	}
	post(`{"name":"pen","price":1.5}`)
	post(`{"name":"pen","price":-1}`)
	// Output:
	// 201 /items/1 {"name":"pen","price":1.5}
	// 422  {"detail":[{"type":"greater_than_equal","loc":["body","price"],"msg":"Input should be greater than or equal to 0","ctx":{"ge":0}}]}
}
