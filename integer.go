package jwtauth

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"strconv"
)

func (d *decoder) integer(lit []byte, t *typeRules, ru *rules, v reflect.Value) {
	neg := lit[0] == '-'
	digits := lit
	if neg {
		digits = lit[1:]
	}
	var mag uint64 // magnitude
	overflow, plain := false, true
	for _, c := range digits {
		if c < '0' || c > '9' {
			plain = false
			break
		}
		if mag > math.MaxUint64/10 || (mag == math.MaxUint64/10 && uint64(c-'0') > math.MaxUint64%10) {
			overflow = true
		}
		mag = mag*10 + uint64(c-'0')
	}
	if !plain {
		var integral bool
		mag, overflow, integral = decimalInteger(digits)
		if !integral {
			d.add("int_from_float", "Input should be a valid integer, got a number with a fractional part", nil)
			return
		}
	}
	if t.Kind == kUint {
		switch {
		case neg && (mag != 0 || overflow):
			d.add("greater_than_equal", "Input should be greater than or equal to 0", map[string]any{"ge": 0})
			return
		case overflow || (t.Bits < 64 && mag >= 1<<t.Bits):
			max := uint64(math.MaxUint64) >> (64 - t.Bits)
			d.add("less_than_equal", "Input should be less than or equal to "+strconv.FormatUint(max, 10), map[string]any{"le": max})
			return
		}
		v.SetUint(mag)
		if ru != nil {
			d.checkNumber(float64(mag), ru)
		}
		return
	}
	limit := uint64(1) << (t.Bits - 1) // |min|; max is limit-1
	switch {
	case neg && (overflow || mag > limit):
		min := -int64(limit-1) - 1
		d.add("greater_than_equal", "Input should be greater than or equal to "+strconv.FormatInt(min, 10), map[string]any{"ge": min})
		return
	case !neg && (overflow || mag >= limit):
		max := int64(limit - 1)
		d.add("less_than_equal", "Input should be less than or equal to "+strconv.FormatInt(max, 10), map[string]any{"le": max})
		return
	}
	n := int64(mag)
	if neg {
		n = -int64(mag-1) - 1
		if mag == 0 {
			n = 0
		}
	}
	v.SetInt(n)
	if ru != nil {
		d.checkNumber(float64(n), ru)
	}
}

// decimalInteger reads the unsigned JSON number lit (digits, an optional
// fraction and an optional exponent; it passed the scanner) exactly, on its
// decimal text, never through float64: integral reports whether it denotes
// an integer (1.0, 1e2 and 1500e-2 do; 1e-400 and 1.00000000000000000001 do
// not), and then mag is its value or overflow says it is 2^64 or more.
func decimalInteger(lit []byte) (mag uint64, overflow, integral bool) {
	// The significant digits are lit's digits without the dot; the value is
	// digits * 10^exp10.
	end := len(lit)
	var exp10 int64
	if e := slices.IndexFunc(lit, func(r byte) bool { return r == 'e' || r == 'E' }); e >= 0 {
		end = e
		x, neg := lit[e+1:], false
		if x[0] == '+' || x[0] == '-' {
			neg, x = x[0] == '-', x[1:]
		}
		for _, c := range x {
			// Saturate: the body is at most 1 GiB, so 1<<40 is out of reach
			// of any digit count and still far from overflowing an int64.
			if exp10 < 1<<40 {
				exp10 = exp10*10 + int64(c-'0')
			}
		}
		if neg {
			exp10 = -exp10
		}
	}
	mant := lit[:end]
	intPart, frac, _ := bytes.Cut(mant, []byte{'.'})
	exp10 -= int64(len(frac))
	// Significant digits: intPart then frac, without leading zeros and with
	// trailing zeros moved into the exponent.
	first, last := -1, -1 // over the concatenation intPart+frac
	n := len(intPart) + len(frac)
	at := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return frac[k-len(intPart)]
	}
	for k := range n {
		if at(k) != '0' {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return 0, false, true // zero, whatever the exponent
	}
	exp10 += int64(n - 1 - last)
	if exp10 < 0 {
		return 0, false, false
	}
	if int64(last-first+1)+exp10 > 20 { // at least 10^20 > 2^64
		return 0, true, true
	}
	for k := first; k <= last; k++ {
		c := uint64(at(k) - '0')
		if mag > (math.MaxUint64-c)/10 {
			return 0, true, true
		}
		mag = mag*10 + c
	}
	for range exp10 {
		if mag > math.MaxUint64/10 {
			return 0, true, true
		}
		mag *= 10
	}
	return mag, false, true
}
