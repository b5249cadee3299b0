// Package backendtest is the conformance suite every backend.Backend
// implementation must pass: round trips, create-if-absent, absence, key
// validation, concurrent writers, large blobs, listing and deletion.
package backendtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/backend"
)

// Options describe what the backend under test promises.
type Options struct {
	// AtomicCreate: concurrent Puts of one key have exactly one winner.
	// False for protocols where create-if-absent is best effort (Bazel
	// HTTP over a server whose PUT overwrites).
	AtomicCreate bool
	// LargeSize is the size of the large-blob test (default 4 MiB; S3
	// uses 20 MiB, past minio-go's multipart threshold).
	LargeSize int
}

// Key returns an ac/ key derived from name, valid on every backend.
func Key(name string) string {
	s := sha256.Sum256([]byte(name))
	return "ac/" + hex.EncodeToString(s[:])
}

// CASKey returns the cas/ key of data.
func CASKey(data []byte) string {
	s := sha256.Sum256(data)
	return "cas/" + hex.EncodeToString(s[:])
}

// Run runs the suite against b. Each subtest uses its own keys (prefixed
// by the test name), so b may be shared but should start empty for List.
func Run(t *testing.T, b backend.Backend, opts Options) {
	if opts.LargeSize == 0 {
		opts.LargeSize = 4 << 20
	}
	ctx := context.Background()
	uniq := randomHex(8) // keys unique to this run, for servers that persist

	t.Run("RoundTrip", func(t *testing.T) {
		key := Key(uniq + "roundtrip")
		data := []byte("hello, cache\n")
		mustPut(t, b, key, data)
		if got := mustGet(t, b, key); !bytes.Equal(got, data) {
			t.Fatalf("Get(%s) = %q, want %q", key, got, data)
		}
		info, err := b.Stat(ctx, key)
		if err != nil {
			t.Fatalf("Stat(%s): %v", key, err)
		}
		if info.Size != int64(len(data)) {
			t.Errorf("Stat(%s).Size = %d, want %d", key, info.Size, len(data))
		}
	})

	t.Run("Empty", func(t *testing.T) {
		key := CASKey(nil)
		if err := b.Put(ctx, key, bytes.NewReader(nil), 0); err != nil && !errors.Is(err, backend.ErrExists) {
			t.Fatalf("Put(empty): %v", err)
		}
		if got := mustGet(t, b, key); len(got) != 0 {
			t.Fatalf("Get(empty) = %d bytes", len(got))
		}
	})

	t.Run("CreateIfAbsent", func(t *testing.T) {
		key := Key(uniq + "create")
		mustPut(t, b, key, []byte("first"))
		err := b.Put(ctx, key, bytes.NewReader([]byte("second")), 6)
		if !errors.Is(err, backend.ErrExists) {
			t.Fatalf("second Put(%s) = %v, want ErrExists", key, err)
		}
		if got := mustGet(t, b, key); string(got) != "first" {
			t.Fatalf("after a refused Put, content = %q, want %q", got, "first")
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		key := Key(uniq + "absent")
		if _, err := b.Get(ctx, key); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Get(absent) = %v, want ErrNotFound", err)
		}
		if _, err := b.Stat(ctx, key); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("Stat(absent) = %v, want ErrNotFound", err)
		}
		if err := b.Delete(ctx, key); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Delete(absent) = %v, want nil", err)
		}
	})

	t.Run("BadKeys", func(t *testing.T) {
		for _, key := range []string{"", "/etc/passwd", "../x", "ac/../../x", "ac/./x", "ac//x", "ac/", `ac\x`, "ac/.hidden", "ac/x\x00y", "ac/ x", "ac/ü"} {
			if err := b.Put(ctx, key, bytes.NewReader([]byte("x")), 1); !errors.Is(err, backend.ErrBadKey) {
				t.Errorf("Put(%q) = %v, want ErrBadKey", key, err)
			}
			if _, err := b.Get(ctx, key); !errors.Is(err, backend.ErrBadKey) {
				t.Errorf("Get(%q) = %v, want ErrBadKey", key, err)
			}
			if _, err := b.Stat(ctx, key); !errors.Is(err, backend.ErrBadKey) {
				t.Errorf("Stat(%q) = %v, want ErrBadKey", key, err)
			}
			if err := b.Delete(ctx, key); !errors.Is(err, backend.ErrBadKey) {
				t.Errorf("Delete(%q) = %v, want ErrBadKey", key, err)
			}
		}
	})

	t.Run("ShortBody", func(t *testing.T) {
		// A writer that dies mid-upload must not leave a blob behind.
		key := Key(uniq + "short")
		err := b.Put(ctx, key, io.MultiReader(bytes.NewReader([]byte("abc")), failingReader{}), 100)
		if err == nil {
			t.Fatalf("Put with a failing reader succeeded")
		}
		if _, err := b.Stat(ctx, key); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("after a failed Put, Stat = %v, want ErrNotFound", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		key := Key(uniq + "concurrent")
		const writers = 8
		var wg sync.WaitGroup
		errs := make([]error, writers)
		bodies := make([][]byte, writers)
		for i := range writers {
			bodies[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
			wg.Go(func() {
				errs[i] = b.Put(ctx, key, bytes.NewReader(bodies[i]), int64(len(bodies[i])))
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, backend.ErrExists):
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}
		if opts.AtomicCreate && won != 1 {
			t.Errorf("%d writers won, want exactly 1", won)
		}
		if won < 1 {
			t.Errorf("no writer won")
		}
		got := mustGet(t, b, key)
		if !slices.ContainsFunc(bodies, func(b []byte) bool { return bytes.Equal(b, got) }) {
			t.Fatalf("content after concurrent puts (%d bytes) is none of the written bodies", len(got))
		}
		if opts.AtomicCreate {
			for i, err := range errs {
				if err == nil && !bytes.Equal(bodies[i], got) {
					t.Fatalf("writer %d won but content is another writer's", i)
				}
			}
		}
	})

	t.Run("Large", func(t *testing.T) {
		data := make([]byte, opts.LargeSize)
		rand.Read(data)
		key := CASKey(data)
		mustPut(t, b, key, data)
		if got := mustGet(t, b, key); !bytes.Equal(got, data) {
			t.Fatalf("large blob: got %d bytes back, different from the %d written", len(got), len(data))
		}
		// Create-if-absent holds for large blobs too (S3 multipart
		// uploads do not all honour If-None-Match).
		lkey := Key(uniq + "large")
		mustPut(t, b, lkey, data)
		other := bytes.Repeat([]byte{'z'}, len(data))
		if err := b.Put(ctx, lkey, bytes.NewReader(other), int64(len(other))); !errors.Is(err, backend.ErrExists) {
			t.Fatalf("second Put of a large blob = %v, want ErrExists", err)
		}
		if got := mustGet(t, b, lkey); !bytes.Equal(got, data) {
			t.Fatalf("a refused large Put changed the content")
		}
	})

	t.Run("List", func(t *testing.T) {
		prefix := "ac/" + randomHex(4)
		var want []string
		for i := range 3 {
			s := sha256.Sum256(fmt.Appendf(nil, "%s-%d", uniq, i))
			key := prefix + hex.EncodeToString(s[:])[8:]
			want = append(want, key)
			mustPut(t, b, key, []byte{byte(i)})
		}
		slices.Sort(want)
		infos, err := b.List(ctx, prefix)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("%s cannot list: %v", b, err)
		}
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		var got []string
		for _, in := range infos {
			got = append(got, in.Key)
			if in.Size != 1 {
				t.Errorf("List: %s has size %d, want 1", in.Key, in.Size)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("List(%q) = %v, want %v", prefix, got, want)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		key := Key(uniq + "delete")
		mustPut(t, b, key, []byte("gone soon"))
		err := b.Delete(ctx, key)
		if errors.Is(err, errors.ErrUnsupported) {
			t.Skipf("%s cannot delete: %v", b, err)
		}
		if err != nil {
			t.Fatalf("Delete(%s): %v", key, err)
		}
		if _, err := b.Get(ctx, key); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
		}
		mustPut(t, b, key, []byte("again")) // a deleted key can be created anew
	})
}

func mustPut(t *testing.T, b backend.Backend, key string, data []byte) {
	t.Helper()
	if err := b.Put(context.Background(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
}

func mustGet(t *testing.T, b backend.Backend, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%s): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%s): read: %v", key, err)
	}
	return data
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("writer died") }
