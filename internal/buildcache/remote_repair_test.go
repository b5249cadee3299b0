package buildcache

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/metawork/meta/internal/backend"
)

// TestCorruptRemoteBlobIsRepaired: a blob found corrupt is replaced by the
// rebuild's upload, so the next fresh machine gets a hit instead of
// rebuilding forever.
func TestCorruptRemoteBlobIsRepaired(t *testing.T) {
	m, top := workspaceDir(t, threeComps()[2:])
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	ctx := context.Background()
	c1, _ := newCache(t, remote)
	if _, err := c1.Build(ctx, m, nil, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	recs, _ := c1.Records()
	blob := filepath.Join(remoteDir, "cas", recs[0].Archive)
	os.Chmod(blob, 0o644)
	if err := os.WriteFile(blob, []byte("junk"), 0o444); err != nil {
		t.Fatal(err)
	}

	c2, _ := newCache(t, remote)
	os.Remove(filepath.Join(top, "docs", "site.html"))
	rs, _ := c2.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Built {
		t.Fatalf("docs = %s, want built (corrupt blob ignored)", rs[0].Outcome)
	}
	if s, _ := c2.Stats(); s.RemoteRepaired != 1 {
		t.Errorf("remote_repaired = %d, want 1", s.RemoteRepaired)
	}

	c3, w3 := newCache(t, remote)
	os.Remove(filepath.Join(top, "docs", "site.html"))
	rs, _ = c3.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != RemoteHit {
		t.Fatalf("third machine: docs = %s, want remote-hit (blob repaired); warnings %q", rs[0].Outcome, *w3)
	}
	if data, _ := os.ReadFile(filepath.Join(top, "docs", "site.html")); string(data) != "built\n" {
		t.Fatalf("site.html = %q", data)
	}
}
