// Package store_test benchmarks internal/store on a generated tree of
// mixed file sizes: go test -bench . ./bench/store (STORE_BENCH_SIZE=N
// bytes, default 64 MiB). compare.sh times the meta binary against
// nix-store, cp -a and sha256sum.
package store_test

import (
	"context"
	"io/fs"
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

// openStore opens a store in a temporary directory that is removed
// afterwards even though its trees are read-only.
func openStore(b *testing.B) *store.Store {
	b.Helper()
	dir := filepath.Join(b.TempDir(), "store")
	s, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
	return s
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
	for b.Loop() {
		s := openStore(b)
		if _, err := s.Add(context.Background(), "bench", src, store.AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddExisting(b *testing.B) {
	src, size := benchTree(b)
	b.SetBytes(size)
	s := openStore(b)
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
	s := openStore(b)
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
