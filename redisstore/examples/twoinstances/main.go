// Command twoinstances shows two verifying instances of one service sharing
// their revocations and DPoP replay state through one Redis: a token logged
// out on instance A is refused by instance B on its next request, a user
// logged out everywhere through B is refused by A, and a DPoP proof used on
// A is refused when replayed to B.
//
//	redis-server --port 6379 --save '' --appendonly no &
//	go run ./examples/twoinstances -redis 127.0.0.1:6379
//
// -timeout sets the time limit of each call to Redis (default 100 ms).
//
// Each instance is a jwtauth middleware with its own go-redis client and
// redisstore.Store, serving on its own loopback port; the demo acts as the
// client. It writes its keys under the prefix "jwtauth-demo:".
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/seedb5d7e80f/jwtauth"
	"github.com/seedb5d7e80f/jwtauth/redisstore"
)

func main() {
	addr := flag.String("redis", "127.0.0.1:6379", "address of the Redis server both instances share")
	timeout := flag.Duration("timeout", redisstore.DefaultTimeout, "time limit of each call to Redis")
	flag.Parse()
	if err := run(context.Background(), *addr, *timeout, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "twoinstances:", err)
		os.Exit(1)
	}
}

// publicURL is where clients see the service, behind a load balancer.
const publicURL = "https://api.example"

// tokenLifetime is the longest a token of this demo's issuer lives, so the
// longest a subject's revocation must be kept.
const tokenLifetime = time.Hour

// instance is one running copy of the service.
type instance struct {
	name   string
	url    string
	client *redis.Client
	srv    *http.Server
}

// startInstance starts a copy of the service on a loopback port: GET /me
// answers "hello <sub>", POST /logout revokes the caller's token, POST
// /logout-everywhere every token of the caller issued until now.
func startInstance(name, redisAddr string, timeout time.Duration, secret []byte) (*instance, error) {
	client := redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
	store, err := redisstore.New(client, redisstore.WithPrefix("jwtauth-demo:"), redisstore.WithTimeout(timeout))
	if err != nil {
		client.Close()
		return nil, err
	}
	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret), jwtauth.WithRevocationCheck(store.Check),
		// Both instances stand behind one public URL, which proofs name.
		jwtauth.WithDPoPReplayStore(store), jwtauth.WithDPoPPublicURL(publicURL))
	if err != nil {
		client.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /me", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		fmt.Fprintf(w, "hello %s", c.Subject)
	})))
	mux.Handle("POST /logout", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		if err := store.RevokeID(r.Context(), c.ID, c.ExpiresAt.Time); err != nil {
			jwtauth.WriteError(w, r, err) // 503 when Redis cannot be reached
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	mux.Handle("POST /logout-everywhere", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
		now := time.Now()
		if err := store.RevokeSubject(r.Context(), c.Subject, now, now.Add(tokenLifetime)); err != nil {
			jwtauth.WriteError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		client.Close()
		return nil, err
	}
	in := &instance{name: name, url: "http://" + ln.Addr().String(), client: client,
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go in.srv.Serve(ln)
	return in, nil
}

func (in *instance) close() {
	in.srv.Close()
	in.client.Close()
}

// run starts instances A and B against the Redis at redisAddr and plays the
// scenario, writing what happens to out.
func run(ctx context.Context, redisAddr string, timeout time.Duration, out io.Writer) error {
	ping := redis.NewClient(&redis.Options{Addr: redisAddr, ContextTimeoutEnabled: true})
	err := ping.Ping(ctx).Err()
	ping.Close()
	if err != nil {
		return fmt.Errorf("no Redis at %s (start one with: redis-server --port 6379 --save '' --appendonly no): %w", redisAddr, err)
	}
	secret := make([]byte, 32) // the issuer's and both instances' HS256 key
	rand.Read(secret)
	a, err := startInstance("A", redisAddr, timeout, secret)
	if err != nil {
		return err
	}
	defer a.close()
	b, err := startInstance("B", redisAddr, timeout, secret)
	if err != nil {
		return err
	}
	defer b.close()

	issued := time.Now().Add(-2 * time.Second) // so that a logout now comes after it
	mint := func(sub string) (string, error) {
		id := make([]byte, 8)
		rand.Read(id)
		return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
			Subject: sub, ID: hex.EncodeToString(id),
			IssuedAt: jwt.NewNumericDate(issued), ExpiresAt: jwt.NewNumericDate(issued.Add(tokenLifetime)),
		}).SignedString(secret)
	}
	phone, err := mint("alice")
	if err != nil {
		return err
	}
	laptop, err := mint("alice")
	if err != nil {
		return err
	}
	// A DPoP client: a key of its own, a token bound to it, and a proof
	// per request.
	client, err := newDPoPClient()
	if err != nil {
		return err
	}
	bound, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "carol", "iat": issued.Unix(), "exp": issued.Add(tokenLifetime).Unix(),
		"cnf": map[string]string{"jkt": client.thumbprint},
	}).SignedString(secret)
	if err != nil {
		return err
	}
	proof, err := client.proof("GET", publicURL+"/me", bound)
	if err != nil {
		return err
	}
	fresh, err := client.proof("GET", publicURL+"/me", bound)
	if err != nil {
		return err
	}
	steps := []struct {
		in     *instance
		method string
		path   string
		token  string
		label  string
		proof  string
	}{
		{a, "GET", "/me", phone, "alice's phone token", ""},
		{b, "GET", "/me", phone, "alice's phone token", ""},
		{a, "POST", "/logout", phone, "alice's phone token: revoked by jti, through A", ""},
		{b, "GET", "/me", phone, "alice's phone token, revoked on A", ""},
		{a, "GET", "/me", phone, "alice's phone token, revoked on A", ""},
		{b, "GET", "/me", laptop, "alice's laptop token", ""},
		{b, "POST", "/logout-everywhere", laptop, "alice everywhere, through B", ""},
		{a, "GET", "/me", laptop, "alice's laptop token, after logging out everywhere on B", ""},
		{a, "GET", "/me", bound, "carol's DPoP-bound token with a proof", proof},
		{b, "GET", "/me", bound, "carol's DPoP-bound token, the same proof replayed", proof},
		{b, "GET", "/me", bound, "carol's DPoP-bound token with a fresh proof", fresh},
	}
	for _, s := range steps {
		status, body, err := call(ctx, s.in, s.method, s.path, s.token, s.proof)
		if err != nil {
			return err
		}
		if body != "" {
			body = " " + body
		}
		fmt.Fprintf(out, "%s %-4s %-18s %-56s -> %d%s\n", s.in.name, s.method, s.path, s.label, status, body)
	}
	return nil
}

// call sends a request with token, as a DPoP token with proof if proof is
// not "", else as a bearer token.
func call(ctx context.Context, in *instance, method, path, token, proof string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, in.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	if proof != "" {
		req.Header.Set("Authorization", "DPoP "+token)
		req.Header.Set("DPoP", proof)
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, "", err
	}
	return resp.StatusCode, strings.TrimSpace(string(body)), nil
}

// dpopClient is a DPoP client's key pair and its RFC 7638 thumbprint.
type dpopClient struct {
	key        *ecdsa.PrivateKey
	jwk        map[string]string
	thumbprint string
}

func newDPoPClient() (*dpopClient, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub, err := key.PublicKey.ECDH() // the uncompressed point 04 || x || y
	if err != nil {
		return nil, err
	}
	point := pub.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := map[string]string{"kty": "EC", "crv": "P-256", "x": b64(point[1:33]), "y": b64(point[33:])}
	// RFC 7638: the required members in lexicographic order, no spaces.
	members := `{"crv":"P-256","kty":"EC","x":"` + jwk["x"] + `","y":"` + jwk["y"] + `"}`
	sum := sha256.Sum256([]byte(members))
	return &dpopClient{key: key, jwk: jwk, thumbprint: b64(sum[:])}, nil
}

// proof returns a DPoP proof (RFC 9449 section 4.2) for a request with
// method to url, carrying token.
func (c *dpopClient) proof(method, url, token string) (string, error) {
	jti := make([]byte, 16)
	rand.Read(jti)
	ath := sha256.Sum256([]byte(token))
	t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"jti": hex.EncodeToString(jti), "htm": method, "htu": url,
		"iat": time.Now().Unix(), "ath": base64.RawURLEncoding.EncodeToString(ath[:]),
	})
	t.Header["typ"] = "dpop+jwt"
	t.Header["jwk"] = c.jwk
	return t.SignedString(c.key)
}
