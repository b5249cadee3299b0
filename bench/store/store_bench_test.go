// Package store_test benchmarks internal/store on a generated tree of
// mixed file sizes: go test -bench . ./bench/store (STORE_BENCH_SIZE=N
// bytes, default 64 MiB). compare.sh times the meta binary against
// nix-store, cp -a and sha256sum.
package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/metawork/meta/bench/store/treegen"
	"github.com/metawork/meta/internal/store"
)

func benchTree(b *testing.B) (string, int64) {
	b.Helper()
	size := int64(64 << 20)
	if v, err := strconv.ParseInt(os.Getenv("STORE_BENCH_SIZE"), 10, 64); err == nil && v > 0 {
		size = v
	}
	dir := filepath.Join(b.TempDir(), "tree")
	if err := treegen.Generate(dir, size, 1); err != nil {
		b.Fatal(err)
	}
	return dir, size
}

func BenchmarkHashTree(b *testing.B) {
	src, size := benchTree(b)
	b.SetBytes(size)
	for b.Loop() {
		if _, err := store.HashTree(context.Background(), src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	src, size := benchTree(b)
	b.SetBytes(size)
	base := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		s, err := store.Open(filepath.Join(base, strconv.Itoa(i)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Add(context.Background(), "bench", src, store.AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddExisting(b *testing.B) {
	src, size := benchTree(b)
	b.SetBytes(size)
	s, err := store.Open(filepath.Join(b.TempDir(), "s"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Add(ctx, "bench", src, store.AddOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Add(ctx, "bench", src, store.AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGet(b *testing.B) {
	src, size := benchTree(b)
	b.SetBytes(size)
	s, err := store.Open(filepath.Join(b.TempDir(), "s"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	e, err := s.Add(ctx, "bench", src, store.AddOptions{})
	if err != nil {
		b.Fatal(err)
	}
	base := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := s.Get(ctx, e.Hash, filepath.Join(base, strconv.Itoa(i)), false); err != nil {
			b.Fatal(err)
		}
	}
}
