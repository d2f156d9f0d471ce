package jwtauth

import (
	"encoding/json"
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeIntegers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    ints
		wantErr []FieldError
	}{
		{name: "exact", in: `{"i":-5,"i8":-128,"u":18446744073709551615,"u8":255,"i64":-9223372036854775808}`,
			want: ints{I: -5, I8: -128, U: 1<<64 - 1, U8: 255, I64: -1 << 63}},
		{name: "integral floats", in: `{"i":1e2,"i8":-0.0,"u":25.0}`, want: ints{I: 100, U: 25}},
		{name: "out of range", in: `{"i8":-129,"u":-1,"u8":256,"i64":9223372036854775808,"i":1e30}`,
			wantErr: []FieldError{
				{Type: "less_than_equal", Loc: []any{"body", "i"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}},
				{Type: "greater_than_equal", Loc: []any{"body", "i8"}, Msg: "Input should be greater than or equal to -128", Ctx: map[string]any{"ge": int64(-128)}},
				{Type: "greater_than_equal", Loc: []any{"body", "u"}, Msg: "Input should be greater than or equal to 0", Ctx: map[string]any{"ge": 0}},
				{Type: "less_than_equal", Loc: []any{"body", "u8"}, Msg: "Input should be less than or equal to 255", Ctx: map[string]any{"le": uint64(255)}},
				{Type: "less_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}},
			}},
		{name: "not integers", in: `{"i":"x","i8":"5","u":true,"u8":0.5}`,
			wantErr: []FieldError{
				{Type: "int_parsing", Loc: []any{"body", "i"}, Msg: "Input should be a valid integer, unable to parse string as an integer"},
				{Type: "int_type", Loc: []any{"body", "i8"}, Msg: "Input should be a valid integer"},
				{Type: "int_type", Loc: []any{"body", "u"}, Msg: "Input should be a valid integer"},
				{Type: "int_from_float", Loc: []any{"body", "u8"}, Msg: "Input should be a valid integer, got a number with a fractional part"},
			}},
	}
	fromFloat := func(field string) FieldError {
		return FieldError{Type: "int_from_float", Loc: []any{"body", field}, Msg: "Input should be a valid integer, got a number with a fractional part"}
	}
	leMax := FieldError{Type: "less_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be less than or equal to 9223372036854775807", Ctx: map[string]any{"le": int64(9223372036854775807)}}
	geMin := FieldError{Type: "greater_than_equal", Loc: []any{"body", "i64"}, Msg: "Input should be greater than or equal to -9223372036854775808", Ctx: map[string]any{"ge": int64(-9223372036854775808)}}
	// The decimal text decides, exactly: never rounded through float64.
	exact := []struct {
		lit     string
		want    int64
		wantErr *FieldError
	}{
		{lit: "1e-400", wantErr: ptr(fromFloat("i64"))},
		{lit: "-1e-400", wantErr: ptr(fromFloat("i64"))},
		{lit: "1.00000000000000000001", wantErr: ptr(fromFloat("i64"))},
		{lit: "0.99999999999999999999", wantErr: ptr(fromFloat("i64"))},
		{lit: "9007199254740993.5", wantErr: ptr(fromFloat("i64"))},
		{lit: "1e400", wantErr: &leMax},
		{lit: "-1e400", wantErr: &geMin},
		{lit: "1e99999999999999999999", wantErr: &leMax},
		{lit: "1e-99999999999999999999", wantErr: ptr(fromFloat("i64"))},
		{lit: "12345678901234567890", wantErr: &leMax},
		{lit: "9223372036854775807.0", want: math.MaxInt64},
		{lit: "9223372036854775807.5", wantErr: ptr(fromFloat("i64"))},
		{lit: "9223372036854775808.0", wantErr: &leMax},
		{lit: "-9223372036854775808e0", want: math.MinInt64},
		{lit: "922337203685477580.7e1", want: math.MaxInt64},
		{lit: "9007199254740993e0", want: 9007199254740993}, // not a float64
		{lit: "-0", want: 0},
		{lit: "0.0", want: 0},
		{lit: "-0.0e-5", want: 0},
		{lit: "0e400", want: 0},
		{lit: "1E+2", want: 100},
		{lit: "1.0", want: 1},
		{lit: "1e2", want: 100},
		{lit: "1500e-3", wantErr: ptr(fromFloat("i64"))},
		{lit: "1500e-2", want: 15},
		{lit: "0.000123e6", want: 123},
	}
	for _, e := range exact {
		tc := struct {
			name    string
			in      string
			want    ints
			wantErr []FieldError
		}{name: "i64 " + e.lit, in: `{"i64":` + e.lit + `}`, want: ints{I64: e.want}}
		if e.wantErr != nil {
			tc.want, tc.wantErr = ints{}, []FieldError{*e.wantErr}
		}
		tests = append(tests, tc)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DecodeBytes[ints]([]byte(tc.in))
			gotErr := fieldErrors(t, err)
			if diff := cmp.Diff(tc.wantErr, gotErr); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("value mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDecodeInteger checks the integer decoder against math/big's exact
// rationals: a number is accepted iff it is an integer in int64's range,
// with its exact value.
func FuzzDecodeInteger(f *testing.F) {
	for _, s := range []string{"0", "-0", "1e2", "1.5", "1e-400", "1.00000000000000000001", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "1E+2", "0.0e7", "12345678901234567890", "1500e-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, lit string) {
		lit = strings.TrimSpace(lit)
		if !json.Valid([]byte(lit)) || len(lit) > 64 || !strings.ContainsAny(lit[:1], "-0123456789") {
			return
		}
		if e := strings.IndexAny(lit, "eE"); e >= 0 && len(strings.TrimLeft(lit[e+1:], "+-0")) > 3 {
			return // big.Rat would build 10^exp
		}
		want, ok := new(big.Rat).SetString(lit)
		if !ok {
			t.Fatalf("big.Rat cannot read %q", lit)
		}
		got, err := DecodeBytes[int64]([]byte(lit))
		fits := want.IsInt() && want.Num().IsInt64()
		if fits != (err == nil) {
			t.Fatalf("DecodeBytes[int64](%s) = %d, %v; exact value %s", lit, got, err, want.RatString())
		}
		if fits && got != want.Num().Int64() {
			t.Fatalf("DecodeBytes[int64](%s) = %d, want %s", lit, got, want.RatString())
		}
		if !want.IsInt() {
			if fe := fieldErrors(t, err); len(fe) != 1 || fe[0].Type != "int_from_float" {
				t.Fatalf("DecodeBytes[int64](%s): %v, want int_from_float", lit, err)
			}
		}
	})
}
