package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestReadChunks: the lists' results come back in the lists' order, every
// value once, and a failing list fails the whole read.
func TestReadChunks(t *testing.T) {
	ctx := context.Background()
	var values []int
	for i := range 3*BatchChunk + 7 {
		values = append(values, i)
	}
	got, err := ReadChunks(ctx, values, func(_ context.Context, chunk []int) ([]int, error) {
		return slices.Clone(chunk), nil
	})
	if err != nil || !slices.Equal(got, values) {
		t.Fatalf("ReadChunks returned %d values in another order (%v)", len(got), err)
	}
	boom := errors.New("boom")
	_, err = ReadChunks(ctx, values, func(_ context.Context, chunk []int) ([]int, error) {
		if chunk[0] == 2*BatchChunk {
			return nil, boom
		}
		return chunk, nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("a failing list: %v", err)
	}
	if got, err := ReadChunks(ctx, []int{}, func(_ context.Context, chunk []int) ([]int, error) { return chunk, nil }); err != nil || len(got) != 0 {
		t.Errorf("no values: %v %v", got, err)
	}
}

// TestDecodeFields: a record's fields decode as encoding/json wrote them,
// and what is not an object of strings is an error.
func TestDecodeFields(t *testing.T) {
	m, err := DecodeFields([]byte(`{"cf_wsh":"西市监罚〔2025〕1号","cf_fkje":"0.5","empty":""}`))
	if err != nil || len(m) != 3 || m["cf_wsh"] != "西市监罚〔2025〕1号" || m["cf_fkje"] != "0.5" {
		t.Fatalf("DecodeFields = %v, %v", m, err)
	}
	for _, bad := range []string{``, `[]`, `{"a":1}`, `{"a":"b"`, `{"a":"b","a":"c"}`} {
		if _, err := DecodeFields([]byte(bad)); err == nil {
			t.Errorf("DecodeFields(%q): no error", bad)
		}
	}
}
