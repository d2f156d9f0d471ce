package jwtauth_test

import (
	"context"
	"log"
	"time"

	"github.com/seedb5d7e80f/jwtauth"
)

// A key set at an identity provider. NewJWKS fails only for a configuration
// mistake; an unreachable provider shows in Err, and requests are answered
// with 503 until keys arrive. (Not run: it needs the network.)
func ExampleNewJWKS() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keys, err := jwtauth.NewJWKS(ctx, "https://idp.example/.well-known/jwks.json",
		// The provider publishes RSA keys without "alg": bind them to RS256.
		jwtauth.WithAlgorithms("RS256"),
		jwtauth.WithJWKSErrorHandler(func(err error) { log.Print(err) }),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer keys.Close()
	if err := keys.Err(); err != nil {
		log.Printf("starting without keys: %v", err)
	}
	// Pass keys to jwtauth.New, with the issuer and audience checked.
}

// An OpenID Connect provider: its key set is found through discovery, and
// its issuer is the one every token's "iss" must name. (Not run: it needs the
// network.)
func ExampleNewOIDC() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	provider, err := jwtauth.NewOIDC(ctx, "https://accounts.idp.example")
	if err != nil {
		log.Fatal(err) // a bad URL, or a discovery document for another issuer
	}
	defer provider.Close()
	log.Printf("verifying tokens of %s", provider.Issuer())
}
