package backend_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"testing"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
	"github.com/metawork/meta/internal/reapi"
)

// TestGRPCOnBazelRemote exercises the REAPI client against a real
// bazel-remote: small blobs batched, a large one over ByteStream (zstd,
// which bazel-remote offers), FindMissingBlobs skipping what is present,
// action results, and a corrupt stored blob detected on read.
func TestGRPCOnBazelRemote(t *testing.T) {
	br := backendtest.StartBazelRemote(t)
	ctx := context.Background()
	b, err := backend.Open(ctx, br.GRPC, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := b.(*backend.GRPC)
	small := []byte("small blob")
	large := make([]byte, 6<<20) // over the 4 MiB batch limit
	rand.Read(large)
	blobs := []reapi.Blob{{Digest: reapi.Digest(small), Data: small}, {Digest: reapi.Digest(large), Data: large}}
	sent, err := g.WriteBlobs(ctx, blobs, false)
	if err != nil {
		t.Fatal(err)
	}
	if sent < int64(len(large)) { // zstd-compressed on the wire: random data does not shrink
		t.Errorf("first upload sent %d bytes, want about %d", sent, len(small)+len(large))
	}
	if sent, err = g.WriteBlobs(ctx, blobs, false); err != nil || sent != 0 {
		t.Errorf("second upload sent %d bytes (%v), want 0: FindMissingBlobs says they are present", sent, err)
	}
	for _, bl := range blobs {
		var buf bytes.Buffer
		if err := g.ReadBlob(ctx, bl.Digest, &buf); err != nil || !bytes.Equal(buf.Bytes(), bl.Data) {
			t.Errorf("read %d bytes back: %v (equal %v)", bl.Digest.SizeBytes, err, bytes.Equal(buf.Bytes(), bl.Data))
		}
	}
	if data, err := g.Client().Read(ctx, reapi.Digest(small)); err != nil || !bytes.Equal(data, small) {
		t.Errorf("batch read: %q, %v", data, err)
	}
	var sink bytes.Buffer
	if err := g.ReadBlob(ctx, reapi.Digest([]byte("absent")), &sink); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("absent blob: %v, want ErrNotFound", err)
	}

	action := reapi.KeyAction(string(bytes.Repeat([]byte("c"), 64)))
	if _, err := g.GetActionResult(ctx, action); !errors.Is(err, backend.ErrNotFound) {
		t.Errorf("absent action result: %v", err)
	}
	ar := &repb.ActionResult{OutputFiles: []*repb.OutputFile{{Path: "meta/x", Digest: reapi.Digest(small)}}}
	if err := g.UpdateActionResult(ctx, action, ar); err != nil {
		t.Fatal(err)
	}
	got, err := g.GetActionResult(ctx, action, "meta/x")
	if err != nil || len(got.GetOutputFiles()) != 1 {
		t.Fatalf("action result: %v, %v", got, err)
	}
	if c := reapi.InlineContents(got.GetOutputFiles()[0]); !bytes.Equal(c, small) {
		t.Errorf("inlined contents %q, want %q", c, small)
	}

	// Corrupt the stored blobs: reading either fails with a digest error.
	// A forced upload replaces the small one (BatchUpdateBlobs writes
	// over it). bazel-remote's ByteStream skips writes of blobs it
	// believes present, so a large one cannot be replaced this way.
	for _, bl := range blobs {
		f := backendtest.CASFile(br.Dir, bl.Digest.Hash)
		if f == "" {
			t.Fatalf("blob of %d bytes not found in bazel-remote's directory", bl.Digest.SizeBytes)
		}
		if err := os.WriteFile(f, bytes.Repeat([]byte{'X'}, len(bl.Data)), 0o644); err != nil {
			t.Fatal(err)
		}
		sink.Reset()
		if err := g.ReadBlob(ctx, bl.Digest, &sink); !errors.Is(err, reapi.ErrDigest) {
			t.Fatalf("corrupt blob of %d bytes read: %v, want a digest mismatch", bl.Digest.SizeBytes, err)
		}
	}
	if _, err := g.WriteBlobs(ctx, blobs[:1], true); err != nil {
		t.Fatal(err)
	}
	sink.Reset()
	if err := g.ReadBlob(ctx, blobs[0].Digest, &sink); err != nil || !bytes.Equal(sink.Bytes(), small) {
		t.Fatalf("after the forced upload: %q, %v", sink.Bytes(), err)
	}
}
