package buildcache

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/store"
)

const crashChildEnv = "META_BUILDCACHE_CRASH_CHILD"

// TestCrashChild is the writer TestCrashDuringCacheWrites kills: it loops
// forever storing outputs, writing records and putting blobs, printing a
// line after each round.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("only run as a child of TestCrashDuringCacheWrites")
	}
	st, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	remote, err := backend.OpenLocal(filepath.Join(dir, "remote"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; ; i++ {
		tree := filepath.Join(dir, fmt.Sprintf("tree-%d-%d", os.Getpid(), i))
		content := make([]byte, 1+mrand.IntN(64<<10))
		rand.Read(content)
		for j := range 3 {
			f := filepath.Join(tree, "out", fmt.Sprintf("f%d", j))
			os.MkdirAll(filepath.Dir(f), 0o755)
			os.WriteFile(f, content[:len(content)/(j+1)], 0o644)
		}
		doc := baseDoc()
		doc.Component = fmt.Sprintf("c%d", i%5)
		doc.Target = hex.EncodeToString(content[:min(20, len(content))])
		rec, err := c.recordTree(ctx, doc.Component, tree, doc, doc.Key(), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if err := remote.Put(ctx, "cas/"+hex.EncodeToString(sum[:]), bytes.NewReader(content), int64(len(content))); err != nil {
			t.Fatal(err)
		}
		c.touch(rec)
		c.remember(doc.Component, doc, doc.Key(), true)
		os.RemoveAll(tree)
		fmt.Println("round", i)
	}
}

// TestCrashDuringCacheWrites kills a writer with SIGKILL at random points
// of its cache writes, many times, and checks after each kill that no half
// record, half blob or corrupt store entry is visible.
func TestCrashDuringCacheWrites(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("child")
	}
	// 200 kills in CI (about 20 s with -race); fewer on a developer's
	// machine shared with other work.
	kills := 40
	switch {
	case os.Getenv("CI") == "true":
		kills = 200
	case testing.Short():
		kills = 10
	}
	dir := t.TempDir()
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Let it finish 0–2 rounds, then kill it somewhere in the next one.
		sc := bufio.NewScanner(out)
		for range mrand.IntN(3) {
			if !sc.Scan() {
				break
			}
		}
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		io.Copy(io.Discard, out)
		cmd.Wait()
		checkConsistent(t, dir, i)
	}
	st, _ := store.Open(filepath.Join(dir, "store"))
	bad, err := st.Verify(context.Background())
	if err != nil || len(bad) > 0 {
		t.Fatalf("store verify after %d kills: %v %v", kills, bad, err)
	}
}

func checkConsistent(t *testing.T, dir string, round int) {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "store"))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	c, err := Open(st, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) > 0 {
		t.Fatalf("after kill %d: unreadable records: %q", round, warnings)
	}
	for _, r := range recs {
		if !st.Has(r.Output) {
			t.Fatalf("after kill %d: record %s names missing store entry %s", round, short(r.Key), short(r.Output))
		}
	}
	remote, err := backend.OpenLocal(filepath.Join(dir, "remote"))
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := remote.List(context.Background(), "cas/")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		rc, err := remote.Get(context.Background(), b.Key)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		io.Copy(h, rc)
		rc.Close()
		if got := hex.EncodeToString(h.Sum(nil)); "cas/"+got != b.Key {
			t.Fatalf("after kill %d: blob %s is incomplete or wrong (sha256 %s)", round, b.Key, got)
		}
	}
	// Explain state and stat files may be lost but never half-read.
	ents, _ := os.ReadDir(filepath.Join(c.dir, "state"))
	for _, e := range ents {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok && c.loadState(name) == nil {
			t.Fatalf("after kill %d: state file %s unreadable", round, e.Name())
		}
	}
}
