package jwtauth

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/golang-jwt/jwt/v5"

	"github.com/seedb5d7e80f/jwtauth/internal/jsonscan"
)

// decodeRegistered decodes claims JSON that passed checkClaimsJSON into
// jwt.RegisteredClaims, with the result encoding/json gives (tested by
// FuzzDecodeRegistered) at a fraction of its cost: the default claims type is
// on every request's path. Strings without escapes share the payload's
// memory, which is never modified after decoding.
func decodeRegistered(payload []byte) (jwt.Claims, error) {
	c := new(jwt.RegisteredClaims)
	ok := true
	err := jsonscan.Members(payload, func(name []byte, kind jsonscan.Kind, raw []byte) bool {
		switch string(name) {
		case "iss":
			ok = claimStr(&c.Issuer, kind, raw)
		case "sub":
			ok = claimStr(&c.Subject, kind, raw)
		case "jti":
			ok = claimStr(&c.ID, kind, raw)
		case "aud":
			ok = claimAudience(&c.Audience, kind, raw)
		case "exp":
			c.ExpiresAt, ok = claimDate(kind, raw)
		case "nbf":
			c.NotBefore, ok = claimDate(kind, raw)
		case "iat":
			c.IssuedAt, ok = claimDate(kind, raw)
		}
		return ok
	})
	if err != nil || !ok {
		return nil, errClaimsDecode
	}
	return c, nil
}

func claimStr(dst *string, kind jsonscan.Kind, raw []byte) bool {
	switch kind {
	case jsonscan.Null: // encoding/json leaves the field as it is
		return true
	case jsonscan.String:
		s, err := jsonscan.StringValue(raw)
		*dst = s
		return err == nil
	}
	return false
}

// claimAudience decodes aud as jwt.ClaimStrings does: a string, an array of
// strings, or null.
func claimAudience(dst *jwt.ClaimStrings, kind jsonscan.Kind, raw []byte) bool {
	switch kind {
	case jsonscan.Null:
		return true
	case jsonscan.String:
		s, err := jsonscan.StringValue(raw)
		*dst = jwt.ClaimStrings{s}
		return err == nil
	case jsonscan.Array:
	default:
		return false
	}
	aud, ok := jsonscan.Strings(raw)
	if ok {
		*dst = aud
	}
	return ok
}

// maxNumericDate bounds NumericDates: beyond 2^53 seconds (285 million
// years) float64 seconds are not exact and the conversion to time.Time
// overflows, so that a huge nbf would land in the past.
const maxNumericDate = 1 << 53

// claimDate decodes a NumericDate as jwt.NumericDate.UnmarshalJSON does.
// checkClaimsJSON has already refused anything but a number.
func claimDate(kind jsonscan.Kind, raw []byte) (*jwt.NumericDate, bool) {
	if kind != jsonscan.Number {
		return nil, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&raw[0], len(raw)), 64)
	if err != nil || math.Abs(f) > maxNumericDate {
		return nil, false
	}
	round, frac := math.Modf(f)
	return jwt.NewNumericDate(time.Unix(int64(round), int64(frac*1e9))), true
}

// claimsType describes the claims type a middleware decodes into.
type claimsType struct {
	new    func() jwt.Claims
	decode func(payload []byte) (jwt.Claims, error) // checked claims JSON to a fresh value
	names  []string                                 // top-level JSON names, for the case-variant check
	err    error                                    // C cannot be decoded into
}

func claimsTypeOf[C any, P interface {
	*C
	jwt.Claims
}]() claimsType {
	var zero C
	t := reflect.TypeOf(zero)
	names := []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}
	if t.Kind() == reflect.Struct {
		names = appendJSONNames(names, t, 0)
	}
	ct := claimsType{
		new:   func() jwt.Claims { return P(new(C)) },
		names: names,
	}
	if t == reflect.TypeFor[jwt.RegisteredClaims]() {
		ct.decode = decodeRegistered
		return ct
	}
	tr := rulesFor(t)
	ct.err = tr.err
	cfg := decodeConfig{maxDepth: jsonscan.DefaultMaxDepth, ignoreUnknown: true, skipRootValidate: true}
	ct.decode = func(payload []byte) (jwt.Claims, error) {
		c := new(C)
		if err := decodeData(payload, tr, &cfg, reflect.ValueOf(c).Elem()); err != nil {
			return nil, claimsDecodeError(err)
		}
		return P(c), nil
	}
	return ct
}

// appendJSONNames appends the top-level JSON member names encoding/json maps
// to fields of the struct type t, following embedded structs.
func appendJSONNames(names []string, t reflect.Type, depth int) []string {
	if depth > 8 {
		return names
	}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			names = appendJSONNames(names, ft, depth+1)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// claimsDecodeError wraps a decode failure of custom claims as a refused
// token whose error names the claim paths.
func claimsDecodeError(err error) error {
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) == 0 {
		return errClaimsDecode
	}
	return fmt.Errorf("%w: %w", errClaimsDecode, &claimsError{errs: ve.Errors})
}
