package jwtauth

import (
	"encoding/json"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

var registeredSeeds = []string{
	`{"iss":"https://issuer.example","sub":"user-1","aud":"api","exp":1900000000,"nbf":1700000000,"iat":1800000000,"jti":"x"}`,
	`{"aud":["a","b"],"exp":1.5e9}`,
	`{"aud":[],"exp":1900000000.75}`,
	`{"aud":null,"iss":null,"sub":"\u00e9\n"}`,
	`{"aud":["a",1]}`,
	`{"aud":{"x":1}}`,
	`{"iss":7}`,
	`{"sub":true}`,
	`{"exp":1e400}`,
	`{"exp":-1}`,
	`{"exp":0.000000001}`,
	`{"other":{"nested":[1,2,{"a":null}]},"jti":"\ud83d\ude00"}`,
	`{ "aud" : [ "a" , "b" ] , "sub" : "s" }`,
	`{}`,
}

// TestDecodeRegisteredMatchesEncodingJSON checks the fast decoder of the
// default claims type against encoding/json on the seeds.
func TestDecodeRegisteredMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range registeredSeeds {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			compareRegistered(t, []byte(s))
		})
	}
}

// FuzzDecodeRegistered: for every payload the middleware would decode,
// decodeRegistered and encoding/json agree on success and on the value.
func FuzzDecodeRegistered(f *testing.F) {
	for _, s := range registeredSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		compareRegistered(t, payload)
	})
}

func compareRegistered(t *testing.T, payload []byte) {
	t.Helper()
	m := &Middleware{cfg: defaultConfig()}
	if m.checkClaimsJSON(payload) != nil {
		return // never reaches a decoder
	}
	fast, fastErr := decodeRegistered(payload)
	var slow jwt.RegisteredClaims
	slowErr := json.Unmarshal(payload, &slow)
	if (fastErr == nil) != (slowErr == nil) {
		t.Fatalf("%s: decodeRegistered error %v, encoding/json error %v", payload, fastErr, slowErr)
	}
	if fastErr != nil {
		return
	}
	if diff := cmp.Diff(&slow, fast); diff != "" {
		t.Errorf("%s (-encoding/json +decodeRegistered):\n%s", payload, diff)
	}
}
