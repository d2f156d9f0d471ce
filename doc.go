// Package jwtauth protects net/http handlers with JSON Web Tokens and decodes
// typed, validated JSON request bodies, in the manner of FastAPI's Depends and
// pydantic, using golang-jwt and the standard library only.
//
// A [Middleware] verifies a JWT on every request before the next handler
// runs, and puts the verified claims into the request context:
//
//	mw, err := jwtauth.New(jwtauth.HMAC("HS256", secret),
//		jwtauth.WithIssuer("https://issuer.example"),
//		jwtauth.WithAudience("my-api"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	mux := http.NewServeMux()
//	mux.Handle("POST /items", mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		claims, _ := jwtauth.ClaimsFrom[*jwt.RegisteredClaims](r.Context())
//		fmt.Fprintln(w, "hello", claims.Subject)
//	})))
//
// Failures follow RFC 6750 and FastAPI: a JSON body {"detail": "..."} and a
// WWW-Authenticate challenge (see [WriteError]). Every bad token gets the same
// response; the reason goes to [WithErrorObserver] or [WithErrorHandler].
//
// Sender-constrained tokens (RFC 9449 DPoP) are accepted with the DPoP
// scheme and a proof of the client's key, checked on every request with
// replay detection and optional server nonces; see [WithDPoP].
//
// Keys come from a [KeySource]: a secret ([HMAC]), a public key ([PublicKey],
// [PEM]), a set for rotation ([KeySet]), an identity provider's key set
// ([NewJWKS], [NewOIDC]), or your own implementation. [NewMultiIssuer] binds
// several issuers to their own keys. Per-route authorization is
// [Middleware.Require] with [Scopes], [RolesIn] or [Check].
//
// Bodies are decoded and validated with [Decode] or a typed handler ([Handle]), with
// every problem reported at once in pydantic's shape (422). The subpackage
// jwttest helps test code that uses this package.
//
// The package is for resource servers that verify tokens. It does not issue
// tokens, manage sessions or users, or implement OAuth 2.0 flows, and it never
// accepts unsigned ("none") or encrypted (JWE) tokens.
//
// # Body decoding
//
// The decoder's decisions, in short (each is repeated where it applies):
//
//   - Strict JSON: exactly one value, RFC 8259, valid UTF-8, no duplicate or
//     case-variant object keys anywhere (map keys included), nesting at most
//     [DefaultMaxDepth] deep unless [WithMaxDepth] says otherwise.
//   - Strict types (pydantic's strict mode): no coercion, so "25" is not a
//     number and "true" is not a boolean; null is accepted only by pointers,
//     slices and maps (nil, as json.Marshal writes them), interfaces,
//     json.RawMessage and json.Unmarshaler types, and never by a required
//     field.
//   - Errors never carry the client's values: not what an unmarshaler
//     (time.Time, netip.Addr, *big.Int...) says about them either.
//   - Errors are pydantic v2's types and messages, in pydantic's order
//     (fields in declaration order, then unknown keys), without "input": a
//     response never echoes the client's values, only its key names (capped
//     at 128 bytes). At most [MaxFieldErrors] errors are listed.
package jwtauth
