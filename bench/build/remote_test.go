package buildbench

// Remote cache and remote execution benchmarks on real servers built by
// .ci/run (bazel-remote; Buildbarn's bb_scheduler, bb_worker, bb_runner),
// found on PATH or in $META_TEST_SERVERS:
//
//	go test -run XXX -bench Remote -benchtime 5x ./bench/build/
//	META_BENCH=1 go test -run TestRemoteUploadTwice -v ./bench/build/
//	META_BENCH=1 go test -run TestRemoteExecVsLocal -v -timeout 30m ./bench/build/
//
// BenchmarkRemoteHitsGRPC: `meta build --all` (the real binary) of the 50
// components with a fresh store each time, every output a remote hit from
// bazel-remote over loopback gRPC. TestRemoteUploadTwice: blob bytes sent
// by a first upload of the 50 components' outputs and by a second upload
// of the same outputs under new keys (FindMissingBlobs finds every archive
// present; only the small records go). TestRemoteExecVsLocal: the
// 10-component DAG of internal/cli/testdata/script/reapi_exec.txtar built
// locally and on Buildbarn with 2 workers, interleaved, with new inputs
// each round so nothing is cached.
//
// Measured on the shared 2-core machine (2026-12-02), load average 35–58
// (eight helpers building at once), so far from the < 1 s aim, which needs
// an idle machine to judge: BenchmarkRemoteHitsGRPC 6.1–8.0 s per
// fresh-store build of 50 components (BenchmarkRemoteHitsDir, a directory
// remote, 6.0 s in the same period: most of the time is local key
// computation without a stat cache, and the store). TestRemoteUploadTwice:
// first upload 2,454,180 blob bytes (2,306,800 of archives), second
// upload 153,030 bytes (the 50 records only). TestRemoteExecVsLocal (load
// 51–56; the two workers share the same 2 cores): local median wall
// 14.1 s, Buildbarn 24.1 s; meta's own CPU 1.97 s vs 0.49 s.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/backend/backendtest"
	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

// withRemote adds cache.remote to the generated manifest.
func withRemote(tb testing.TB, meta, remote string) {
	tb.Helper()
	file := filepath.Join(meta, manifest.ManifestPath)
	data, err := os.ReadFile(file)
	must(tb, err)
	s := strings.Replace(string(data), "components:\n", "cache:\n  remote: "+remote+"\ncomponents:\n", 1)
	must(tb, os.WriteFile(file, []byte(s), 0o644))
}

func compileMeta(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "meta-bin")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/metawork/meta/cmd/meta").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func BenchmarkRemoteHitsGRPC(b *testing.B) {
	br := backendtest.StartBazelRemote(b)
	benchRemoteHits(b, br.GRPC)
}

// BenchmarkRemoteHitsDir is the same with the remote a local directory:
// the difference is the cost of the network protocol.
func BenchmarkRemoteHitsDir(b *testing.B) { benchRemoteHits(b, b.TempDir()) }

func benchRemoteHits(b *testing.B, remote string) {
	top := b.TempDir()
	meta := generate(b, top)
	withRemote(b, meta, remote)
	bin := compileMeta(b, top)
	run := func(st string) string {
		cmd := exec.Command(bin, "build", "--all")
		cmd.Dir = meta
		cmd.Env = append(os.Environ(), "META_STORE="+st)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("meta build --all: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := run(filepath.Join(top, "store0")); !strings.Contains(out, fmt.Sprintf("build: %d built", components)) {
		b.Fatalf("first build:\n%s", out)
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		n++
		out := run(filepath.Join(top, fmt.Sprintf("store%d", n)))
		if !strings.Contains(out, fmt.Sprintf("build: 0 built, %d cached (%d from remote)", components, components)) || strings.Contains(out, "warning") {
			b.Fatalf("not all remote hits:\n%s", out)
		}
	}
}

func TestRemoteUploadTwice(t *testing.T) {
	if os.Getenv("META_BENCH") == "" {
		t.Skip("a measurement: run with META_BENCH=1")
	}
	br := backendtest.StartBazelRemote(t)
	top := t.TempDir()
	meta := generate(t, top)
	m, err := manifest.Load(meta)
	must(t, err)
	ctx := context.Background()
	upload := func(storeDir string) (sent int64, archives int64) {
		remote, err := backend.Open(ctx, br.GRPC, backend.Options{})
		must(t, err)
		st, err := store.Open(storeDir)
		must(t, err)
		c, err := buildcache.Open(st, buildcache.Options{Remote: remote, Warn: func(s string) { t.Error(s) }})
		must(t, err)
		rs, err := c.Build(ctx, m, nil, buildcache.BuildOptions{Jobs: 2})
		must(t, err)
		for _, r := range rs {
			if r.Outcome != buildcache.Built {
				t.Fatalf("%s: %s", r.Name, r.Outcome)
			}
		}
		recs, err := c.Records()
		must(t, err)
		for _, r := range recs {
			archives += r.ArchiveSize
		}
		return remote.(*backend.GRPC).Client().BytesSent(), archives
	}
	sent1, arch1 := upload(filepath.Join(top, "store1"))
	// New keys, same outputs: a README change in every component.
	for i := range components {
		must(t, os.WriteFile(filepath.Join(top, fmt.Sprintf("c%02d", i), "README.md"), []byte("changed\n"), 0o644))
		git(t, filepath.Join(top, fmt.Sprintf("c%02d", i)), "add", "README.md")
	}
	sent2, arch2 := upload(filepath.Join(top, "store2"))
	t.Logf("first upload: %d blob bytes sent (%d of output archives)", sent1, arch1)
	t.Logf("second upload of the same outputs under new keys: %d blob bytes sent (records only; %d bytes of archives already present)", sent2, arch2)
	if sent2 >= arch2 || sent2 > int64(components)*8192 {
		t.Errorf("second upload sent %d bytes: archives were sent again", sent2)
	}
}

// dag writes the 10-component DAG workspace under top with the given
// manifest extra (cache.remote) and returns the meta directory.
func dag(tb testing.TB, top, extra string) string {
	tb.Helper()
	deps := [][]int{{}, {0}, {0}, {1, 2}, {1}, {3, 4}, {2}, {5, 6}, {7}, {8, 0}}
	var y strings.Builder
	y.WriteString("workspace:\n  root: ..\n" + extra + "components:\n")
	for i, ds := range deps {
		dir := filepath.Join(top, fmt.Sprintf("c%d", i))
		must(tb, os.MkdirAll(dir, 0o755))
		must(tb, os.WriteFile(filepath.Join(dir, "src.txt"), []byte(fmt.Sprintf("c%d source\n", i)), 0o644))
		git(tb, dir, "init", "-q", "-b", "main")
		git(tb, dir, "add", "-A")
		git(tb, dir, "commit", "-q", "-m", "initial")
		var cat []string
		var dn []string
		for _, d := range ds {
			cat = append(cat, fmt.Sprintf("../c%d/out/o.txt", d))
			dn = append(dn, fmt.Sprintf("c%d", d))
		}
		fmt.Fprintf(&y, "  c%d:\n    repo: ../c%d\n", i, i)
		if len(dn) > 0 {
			fmt.Fprintf(&y, "    depends_on: [%s]\n", strings.Join(dn, ", "))
		}
		// Each step does a little work (about 0.3 s of CPU on an idle core),
		// as a small compile would.
		fmt.Fprintf(&y, "    build:\n      command: \"mkdir -p out && cat src.txt %s > out/o.txt && head -c 20000000 /dev/zero | sha256sum >> out/o.txt\"\n      outputs: [out]\n", strings.Join(cat, " "))
	}
	meta := filepath.Join(top, "meta")
	must(tb, os.MkdirAll(filepath.Join(meta, "manifests"), 0o755))
	must(tb, os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(y.String()), 0o644))
	return meta
}

func TestRemoteExecVsLocal(t *testing.T) {
	if os.Getenv("META_BENCH") == "" {
		t.Skip("a measurement: run with META_BENCH=1")
	}
	br := backendtest.StartBazelRemote(t)
	bb := backendtest.StartBuildbarn(t, strings.TrimPrefix(br.GRPC, "grpc://"), 2)
	top := t.TempDir()
	bin := compileMeta(t, top)
	local := dag(t, filepath.Join(top, "local"), "")
	remote := dag(t, filepath.Join(top, "remote"), "cache:\n  remote: "+br.GRPC+"\n")
	type sample struct{ wall, cpu time.Duration }
	var ls, rs []sample
	run := func(meta string, round int, args ...string) sample {
		// New inputs every round: nothing is cached, locally or remotely.
		for i := range 10 {
			f := filepath.Join(filepath.Dir(meta), fmt.Sprintf("c%d", i), "src.txt")
			must(t, os.WriteFile(f, []byte(fmt.Sprintf("c%d source, round %d\n", i, round)), 0o644))
		}
		cmd := exec.Command(bin, append([]string{"build", "--all", "-j", "2"}, args...)...)
		cmd.Dir = meta
		cmd.Env = append(os.Environ(), "META_STORE=")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		wall := time.Since(start)
		if err != nil || !strings.Contains(string(out), "build: 10 built") {
			t.Fatalf("meta build: %v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		return sample{wall, cpu}
	}
	for round := range 5 {
		ls = append(ls, run(local, round))
		rs = append(rs, run(remote, round, "--remote-exec", bb.Exec))
	}
	med := func(s []sample) (time.Duration, time.Duration) {
		w := make([]time.Duration, len(s))
		c := make([]time.Duration, len(s))
		for i, x := range s {
			w[i], c[i] = x.wall, x.cpu
		}
		slices.Sort(w)
		slices.Sort(c)
		return w[len(w)/2], c[len(c)/2]
	}
	lw, lc := med(ls)
	rw, rc := med(rs)
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("10-component DAG, -j 2, 5 interleaved rounds, medians (load %s):", strings.TrimSpace(string(load)))
	t.Logf("  local:                    wall %v, meta CPU %v (build commands included)", lw.Round(time.Millisecond), lc.Round(time.Millisecond))
	t.Logf("  Buildbarn, 2 workers:     wall %v, meta CPU %v (commands run on the workers)", rw.Round(time.Millisecond), rc.Round(time.Millisecond))
}

// TestGenerateForProfiling writes the benchmark's workspace to
// $META_BENCH_GENERATE (and nothing else), so a run can be profiled by
// hand: META_CPUPROFILE=cpu.prof meta build --all.
func TestGenerateForProfiling(t *testing.T) {
	dir := os.Getenv("META_BENCH_GENERATE")
	if dir == "" {
		t.Skip("set META_BENCH_GENERATE=DIR to write the workspace there")
	}
	t.Logf("workspace: %s", generate(t, dir))
}
