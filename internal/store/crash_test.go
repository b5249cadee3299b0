package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// The crash and concurrency tests run this test binary again as a child
// process (TestChild) that works on a shared store and, for crash tests,
// kills itself with SIGKILL at the Nth crash point it reaches.
const (
	envChild   = "STORE_TEST_CHILD"    // add | gc | adder | collector
	envStore   = "STORE_TEST_DIR"      // the store
	envSources = "STORE_TEST_SOURCES"  // directory of source trees t0, t1, ...
	envCrashAt = "STORE_TEST_CRASH_AT" // kill at this crash point (1-based); 0: never
	envSeed    = "STORE_TEST_SEED"
)

// makeSources creates n small source trees with overlapping contents (so
// deduplication and shared index files are exercised) and returns their
// directory and hashes.
func makeSources(t *testing.T, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	hashes := make([]string, n)
	for i := range n {
		spec := map[string]string{
			"shared.txt":              "the same in every tree\n",
			"bin/tool*":               "#!/bin/sh\necho " + strconv.Itoa(i%3) + "\n",
			"lib/own.txt":             strings.Repeat("tree "+strconv.Itoa(i)+"\n", 100*(i+1)),
			"lib/link":                "->../shared.txt",
			fmt.Sprintf("d%d/x/y", i): strings.Repeat("y", 5000),
			"empty/":                  "",
		}
		src := filepath.Join(dir, "t"+strconv.Itoa(i))
		mktree(t, src, spec)
		h, err := HashTree(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		hashes[i] = h
	}
	// The same trees as archives, for AddArchive.
	scratch := openStore(t)
	must(t, os.Mkdir(filepath.Join(dir, "archives"), 0o755))
	for i := range n {
		ctx := context.Background()
		e, err := scratch.Add(ctx, "t", filepath.Join(dir, "t"+strconv.Itoa(i)), AddOptions{})
		must(t, err)
		f, err := os.Create(filepath.Join(dir, "archives", "t"+strconv.Itoa(i)))
		must(t, err)
		must(t, scratch.WriteArchive(ctx, f, e.Hash))
		must(t, f.Close())
	}
	return dir, hashes
}

// TestChild is the child process; it does nothing in a normal test run.
func TestChild(t *testing.T) {
	op := os.Getenv(envChild)
	if op == "" {
		t.Skip("only run as a child of the crash and concurrency tests")
	}
	if n, _ := strconv.Atoi(os.Getenv(envCrashAt)); n > 0 {
		var count atomic.Int64
		crashHook = func(string) {
			if count.Add(1) == int64(n) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		}
	}
	s, err := Open(os.Getenv(envStore))
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 1))
	srcs, _ := filepath.Glob(filepath.Join(os.Getenv(envSources), "t*"))
	ctx := context.Background()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	switch op {
	case "add": // add a few trees, new ones first, pinning some
		var fresh []string
		for _, src := range srcs {
			if h, err := HashTree(ctx, src); err == nil && !s.Has(h) {
				fresh = append(fresh, src)
			}
		}
		for i := range 3 {
			src := srcs[rng.IntN(len(srcs))]
			if i < len(fresh) {
				src = fresh[i]
			}
			opts := AddOptions{Pin: rng.IntN(2) == 0}
			if rng.IntN(3) == 0 { // the same tree, restored from its archive
				f, err := os.Open(filepath.Join(filepath.Dir(src), "archives", filepath.Base(src)))
				if err != nil {
					t.Fatal(err)
				}
				_, err = s.AddArchive(ctx, f, filepath.Base(src), opts)
				f.Close()
				if err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := s.Add(ctx, filepath.Base(src), src, opts); err != nil {
				t.Fatal(err)
			}
		}
	case "gc": // drop a pin, collect
		if pins, _ := s.Pins(); len(pins) > 0 {
			s.Unpin(ctx, pins[rng.IntN(len(pins))])
		}
		if _, err := s.GC(ctx, GCOptions{}); err != nil {
			t.Fatal(err)
		}
	case "adder": // add every tree in random order; report each completed add
		for _, i := range rng.Perm(len(srcs)) {
			pin := rng.IntN(2) == 0
			e, err := s.Add(ctx, filepath.Base(srcs[i]), srcs[i], AddOptions{Pin: pin})
			if err != nil {
				t.Fatal(err)
			}
			json.NewEncoder(out).Encode(addReport{Hash: e.Hash, Pinned: pin})
		}
	case "collector":
		for range 10 {
			if _, err := s.GC(ctx, GCOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	default:
		t.Fatalf("unknown child op %q", op)
	}
}

type addReport struct {
	Hash   string
	Pinned bool
}

func child(t *testing.T, op, store, sources string, crashAt int, seed uint64) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	// The race runtime sleeps a second at exit unless told not to.
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"),
		envChild+"="+op, envStore+"="+store, envSources+"="+sources,
		envCrashAt+"="+strconv.Itoa(crashAt), envSeed+"="+strconv.FormatUint(seed, 10))
	return cmd
}

// checkSound asserts what must hold after any crash: nothing corrupt,
// every listed entry complete and one of the known trees.
func checkSound(t *testing.T, s *Store, known map[string]bool) {
	t.Helper()
	bad, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("corrupt after crash: %v", b)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if !known[m.Hash] {
			t.Errorf("unknown entry %s (%s) visible", m.Hash, m.Name)
		}
	}
}

func TestCrashAddAndGC(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 200 processes")
	}
	sources, hashes := makeSources(t, 5)
	known := map[string]bool{}
	for _, h := range hashes {
		known[h] = true
	}
	s := openStore(t)
	rng := rand.New(rand.NewPCG(42, 7))
	kills := 0
	const runs = 200
	for i := range runs {
		op := "add"
		if i%4 == 3 {
			op = "gc"
		}
		crashAt := 1 + rng.IntN(16)
		cmd := child(t, op, s.Dir(), sources, crashAt, uint64(i))
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
			kills++
		default:
			t.Fatalf("run %d (%s, crash at %d): %v\n%s", i, op, crashAt, err, out)
		}
		if i%20 == 19 {
			checkSound(t, s, known)
		}
	}
	t.Logf("%d runs, %d killed", runs, kills)
	if kills < runs/3 {
		t.Errorf("only %d of %d runs were killed: the crash points are not reached", kills, runs)
	}
	checkSound(t, s, known)
	// The store is still fully usable: every tree can be added and read
	// back, and a collection leaves no debris.
	ctx := context.Background()
	for i, h := range hashes {
		src := filepath.Join(sources, "t"+strconv.Itoa(i))
		e, err := s.Add(ctx, "final", src, AddOptions{Pin: true})
		if err != nil || e.Hash != h {
			t.Fatalf("add after crashes: %v %v", e.Hash, err)
		}
		if err := s.Get(ctx, h, filepath.Join(t.TempDir(), "out"), false); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GC(ctx, GCOptions{}); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.leftovers(); len(left) != 0 {
		t.Errorf("leftovers after gc: %v", left)
	}
	checkSound(t, s, known)
}

func TestConcurrentAddsAndGC(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns 9 processes")
	}
	sources, hashes := makeSources(t, 6)
	known := map[string]bool{}
	for _, h := range hashes {
		known[h] = true
	}
	s := openStore(t)
	var adders []*exec.Cmd
	var outs []*strings.Builder
	for i := range 8 {
		cmd := child(t, "adder", s.Dir(), sources, 0, uint64(100+i))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		must(t, cmd.Start())
		adders = append(adders, cmd)
		outs = append(outs, &out)
	}
	gc := child(t, "collector", s.Dir(), sources, 0, 1)
	gcOut, gcErr := "", error(nil)
	done := make(chan struct{})
	go func() {
		b, err := gc.CombinedOutput()
		gcOut, gcErr = string(b), err
		close(done)
	}()
	pinned := map[string]bool{}
	added := 0
	for i, cmd := range adders {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("adder %d: %v\n%s", i, err, outs[i])
		}
		for line := range strings.SplitSeq(outs[i].String(), "\n") {
			var r addReport
			if json.Unmarshal([]byte(line), &r) != nil {
				continue
			}
			added++
			if !known[r.Hash] {
				t.Errorf("adder %d added unknown hash %s", i, r.Hash)
			}
			if r.Pinned {
				pinned[r.Hash] = true
			}
		}
	}
	<-done
	if gcErr != nil {
		t.Fatalf("collector: %v\n%s", gcErr, gcOut)
	}
	if added != 8*len(hashes) {
		t.Errorf("%d adds reported, want %d", added, 8*len(hashes))
	}
	ctx := context.Background()
	for h := range pinned {
		if err := s.VerifyEntry(ctx, h); err != nil {
			t.Errorf("pinned entry %s: %v", h, err)
		}
	}
	checkSound(t, s, known)
	// Once more with nothing running: only pinned entries stay.
	res, err := s.GC(ctx, GCOptions{})
	must(t, err)
	if res.Kept != len(pinned) {
		t.Errorf("gc kept %d entries, want the %d pinned", res.Kept, len(pinned))
	}
	checkSound(t, s, known)
}
