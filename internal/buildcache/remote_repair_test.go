package buildcache

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestHungRemoteTimesOut: a remote that accepts connections and never
// answers (a SIGSTOPped server) costs one short timeout, not 30 s a lookup.
func TestHungRemoteTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()
	m, _ := workspaceDir(t, threeComps())
	remote, err := backend.Open(context.Background(), "http://"+l.Addr().String()+"/cache", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, warnings := newCache(t, remote)
	c.timeout = 300 * time.Millisecond
	start := time.Now()
	rs, err := c.Build(context.Background(), m, nil, BuildOptions{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("build took %v with a hung remote", d)
	}
	for _, r := range rs {
		if r.Outcome != Built {
			t.Errorf("%s: %s (%v)", r.Name, r.Outcome, r.Err)
		}
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "remote cache unavailable") {
		t.Errorf("warnings = %q, want one about the remote", *warnings)
	}
}

// TestFailingRemoteTripsTheBreaker: a reachable remote that keeps failing
// is asked DefaultRemoteFailures times, then left alone for the run.
func TestFailingRemoteTripsTheBreaker(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv.Close()
	m, _ := workspaceDir(t, threeComps())
	remote, err := backend.Open(context.Background(), srv.URL+"/cache", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, warnings := newCache(t, remote)
	rs, err := c.Build(context.Background(), m, nil, BuildOptions{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Outcome != Built {
			t.Errorf("%s: %s (%v)", r.Name, r.Outcome, r.Err)
		}
	}
	if n := requests.Load(); n != DefaultRemoteFailures {
		t.Errorf("%d requests, want %d (then the breaker stops them)", n, DefaultRemoteFailures)
	}
	w := strings.Join(*warnings, "\n")
	if len(*warnings) != DefaultRemoteFailures || !strings.Contains(w, "failure 1 of 3") || !strings.Contains((*warnings)[2], "remote cache unavailable") {
		t.Errorf("warnings = %q", *warnings)
	}
}
