package jwtauth

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestDecodeTooLargeReadsNothingOrLittle(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte(" "), 3000)
	tests := []struct {
		name     string
		length   int64
		wantRead int
	}{
		{name: "declared", length: 3000, wantRead: 0},
		{name: "chunked", length: -1, wantRead: 1001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cr := &countingReader{r: bytes.NewReader(body)}
			r := httptest.NewRequest(http.MethodPost, "/", io.NopCloser(cr))
			r.ContentLength = tc.length
			r.Header.Set("Content-Type", "application/json")
			_, err := Decode[Person](r, WithMaxBodyBytes(1000))
			if !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("Decode error = %v, want ErrBodyTooLarge", err)
			}
			var re *RequestError
			if !errors.As(err, &re) || re.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("Decode error %#v, want *RequestError with 413", err)
			}
			if cr.n > tc.wantRead+4096 || (tc.wantRead == 0 && cr.n != 0) {
				t.Errorf("read %d bytes, want about %d", cr.n, tc.wantRead)
			}
		})
	}
}

// TestReadLimitedNeverGrowsPastTheLimit: a chunked body far over the limit
// is refused after reading at most limit+1 bytes, with a buffer no larger.
func TestReadLimitedNeverGrowsPastTheLimit(t *testing.T) {
	t.Parallel()
	const limit = 1000
	src := &countingReader{r: strings.NewReader(strings.Repeat("x", 100_000))}
	buf, err := readLimited(src, limit)
	if !errors.Is(err, ErrBodyTooLarge) || buf != nil {
		t.Fatalf("readLimited = %v, %v; want ErrBodyTooLarge", buf, err)
	}
	if src.n > limit+1 {
		t.Errorf("read %d bytes, want at most %d", src.n, limit+1)
	}
}

func TestHugeBodyLimit(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"name":"a","gender":"b","age":1,"checked":true}`))
	r.Header.Set("Content-Type", "application/json")
	if _, err := Decode[Person](r, WithMaxBodyBytes(math.MaxInt64)); err != nil {
		t.Errorf("WithMaxBodyBytes(MaxInt64): %v", err)
	}
}

// trickle sends data and then, on the next Read, calls block (if any)
// before reporting the end of the body.
type trickle struct {
	data  []byte
	block func()
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.data) > 0 {
		n := copy(p, t.data)
		t.data = t.data[n:]
		return n, nil
	}
	if t.block != nil {
		t.block()
		t.block = nil
	}
	return 0, io.EOF
}

func totalAlloc() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

// TestDeclaredLengthAllocatesNothing: memory follows the bytes a client
// sends, not the Content-Length it declares. Not parallel: it measures the
// process's allocations.
func TestDeclaredLengthAllocatesNothing(t *testing.T) {
	const declared = 64 << 20
	const budget = 64 << 10
	newRequest := func(rd io.Reader) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/", rd)
		r.ContentLength = declared
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	t.Run("2-byte body", func(t *testing.T) {
		const calls = 4
		before := totalAlloc()
		for range calls {
			_, err := Decode[map[string]int](newRequest(&trickle{data: []byte("{}")}), WithMaxBodyBytes(128<<20))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
		}
		if got := (totalAlloc() - before) / calls; got > budget {
			t.Errorf("a 2-byte body declaring %d bytes allocated %d bytes per call, want at most %d", declared, got, budget)
		}
	})
	t.Run("blocked after 2 bytes", func(t *testing.T) {
		// The reader measures while it blocks, before the body ends: an
		// idle connection that declared 64 MiB must hold no megabytes.
		var before, during uint64
		rd := &trickle{data: []byte("{}"), block: func() { during = totalAlloc() }}
		r := newRequest(rd)
		before = totalAlloc()
		if _, err := Decode[map[string]int](r, WithMaxBodyBytes(128<<20)); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if got := during - before; got > budget {
			t.Errorf("%d bytes allocated before the blocked body ended, want at most %d", got, budget)
		}
	})
}
