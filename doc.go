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
// every problem reported at once in pydantic's shape (422). An [API] records
// routes as they are registered and serves their OpenAPI 3.1 document and a
// Swagger UI page ([API.Mount]), as FastAPI does. The subpackage jwttest
// helps test code that uses this package.
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
//
// # OpenAPI
//
// [API.Handle] reads what a route's handler chain already says: the security
// scheme from [Middleware.Handler] (http bearer with bearerFormat JWT, an
// apiKey for [FromAuthorization], cookies and query parameters, and
// openIdConnect with the discovery URL for an [OIDC] source; an empty
// requirement when credentials are optional), the scopes from
// [Middleware.Require], the body and response types from [Handle] (201 with
// Location for [Created], 204 for [NoContent]), path parameters from the
// pattern, and the library's own errors: 400 and 401 with WWW-Authenticate,
// 403, 413, 415, 422 with FastAPI's HTTPValidationError, 503 when keys or a
// revocation check can be unavailable. Handlers of your own in the chain
// implement [Wrapper] to be looked through.
//
// Schemas are JSON Schema 2020-12 written from the rule table the decoder
// applies, so a schema accepts exactly what the decoder accepts; a test
// decides hundreds of generated bodies with both the decoder and ajv and
// requires the same verdict on each. required is "present and not null";
// null is allowed where the decoder takes it (pointers, slices, maps,
// []byte, any, json.RawMessage, unmarshalers) unless the field is required;
// integer types carry their exact range, float32 its finite range; pattern
// tags are rewritten from RE2 into the ECMA-262 expression with the same
// matches (RE2's "." matches "\r", ECMA-262's does not; (?i) and (?m) do not
// exist there). What JSON Schema cannot say is checked before a schema
// would apply: duplicate and case-variant keys, invalid UTF-8 and lone
// surrogates, depth and size limits. Beyond that the two can differ only on
// numbers that a JavaScript validator, reading doubles, cannot compare
// exactly (beyond 2^53, or not representable: 1.00000000000000000001), on
// Validate methods and unmarshalers other than time.Time's, on the decoded
// length of a []byte, and on float32 bounds and oneof values within half a
// float32 step. A time.Time is read as a strict RFC 3339 date-time (upper
// case T and Z, offsets in range, no leap second) and published with that
// pattern beside format date-time, so Go and JSON Schema agree on every
// date-time; JSON escapes in it are read as the characters they stand for.
//
// [WithOAuth2Password] declares a token endpoint, so that Swagger UI's
// Authorize logs in with a username and password, as FastAPI's
// OAuth2PasswordBearer does.
package jwtauth
