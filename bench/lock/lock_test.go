// Package lockbench times the lock-file paths of meta against the targets
// of issues 3 and 4, running the real binary (process start included):
//
//   - BenchmarkColdLock100x20: `meta lock --update` over git with no mirror
//     cached: 100 components × 20 semver tags on local remotes, each tag with
//     a component.yaml (target < 3 s);
//   - BenchmarkLockCheck200: `meta lock --check` on 200 components: manifest
//     digest only, no git (target < 100 ms);
//   - BenchmarkApplyNoop200: `meta apply --locked` over 200 cloned
//     repositories already at their locked commits (target < 1 s).
//
// Run with:
//
//	go test -run XXX -bench . -benchtime 5x ./bench/lock/
//
// Repositories are generated with one `git fast-import` each, so setting
// up takes a few seconds; run.sh times the same commands with hyperfine.
package lockbench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/cli"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/term"
)

// buildMeta builds the meta binary into dir.
func buildMeta(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "meta-bin")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/metawork/meta/cmd/meta")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func git(tb testing.TB, dir string, stdin []byte, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=b", "GIT_AUTHOR_EMAIL=b@b",
		"GIT_COMMITTER_NAME=b", "GIT_COMMITTER_EMAIL=b@b")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// tags are the 20 versions of every generated component.
func tags() []string {
	var t []string
	for major := 1; major <= 2; major++ {
		for minor := 0; minor < 10; minor++ {
			t = append(t, fmt.Sprintf("v%d.%d.0", major, minor))
		}
	}
	return t
}

// genRepo writes a repository with one commit per tag; at each tag
// component.yaml requires the two previous components with the tag's
// major ("^1.0.0" or "^2.0.0").
func genRepo(tb testing.TB, dir string, i int) {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	git(tb, dir, nil, "init", "-q", "-b", "main")
	var s bytes.Buffer
	for k, tag := range tags() {
		major := tag[1:2]
		var y strings.Builder
		y.WriteString("depends_on:\n")
		for d := 1; d <= 2 && i-d >= 0; d++ {
			fmt.Fprintf(&y, "  - \"c%03d:^%s.0.0\"\n", i-d, major)
		}
		if i == 0 {
			y.Reset()
			y.WriteString("depends_on: []\n")
		}
		fmt.Fprintf(&s, "blob\nmark :%d\ndata %d\n%s\n", 2*k+1, y.Len(), y.String())
		fmt.Fprintf(&s, "commit refs/heads/main\nmark :%d\ncommitter b <b@b> %d +0000\ndata %d\n%s\n", 2*k+2, 1700000000+k, len(tag), tag)
		fmt.Fprintf(&s, "M 100644 :%d component.yaml\n\n", 2*k+1)
		fmt.Fprintf(&s, "reset refs/tags/%s\nfrom :%d\n\n", tag, 2*k+2)
	}
	git(tb, dir, s.Bytes(), "fast-import", "--quiet")
}

// genGitWorkspace makes top/remotes/cNNN and top/meta with a manifest
// asking any version of each, except c050 held to ^1.0.0: the solver
// first picks 2.9.0 everywhere, then backtracks every component, above and
// below c050, to 1.9.0 through the ranges of their component.yaml files.
func genGitWorkspace(tb testing.TB, top string, n int) string {
	var y strings.Builder
	y.WriteString("components:\n")
	for i := 0; i < n; i++ {
		genRepo(tb, filepath.Join(top, "remotes", fmt.Sprintf("c%03d", i)), i)
		fmt.Fprintf(&y, "  c%03d:\n    repo: file://%s/remotes/c%03d\n", i, top, i)
		if i == n/2 {
			y.WriteString("    version: \"^1.0.0\"\n")
		}
	}
	meta := filepath.Join(top, "meta")
	if err := os.MkdirAll(filepath.Join(meta, "manifests"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(y.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return meta
}

func runMeta(tb testing.TB, bin string, args ...string) string {
	tb.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("meta %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func BenchmarkColdLock100x20(b *testing.B) {
	top := b.TempDir()
	bin := buildMeta(b, top)
	meta := genGitWorkspace(b, top, 100)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(filepath.Join(meta, ".meta"))
		os.Remove(lockfile.Path(meta, ""))
		b.StartTimer()
		out := runMeta(b, bin, "-C", meta, "lock", "--update")
		if !strings.Contains(out, "100 components") {
			b.Fatalf("unexpected output:\n%s", out)
		}
	}
	b.StopTimer()
	data, _ := os.ReadFile(lockfile.Path(meta, ""))
	if !bytes.Contains(data, []byte("c099:")) || !bytes.Contains(data, []byte("version: \"1.9.0\"")) {
		b.Fatalf("lock:\n%s", data)
	}
}

// genLockedWorkspace makes a manifest of n components and a fresh lock for
// it (commits made up: --check never looks at git).
func genLockedWorkspace(tb testing.TB, top string, n int) string {
	var y strings.Builder
	y.WriteString("tools: [go@1.22]\ncomponents:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&y, "  c%03d:\n    repo: git@example.com:acme/c%03d.git\n    version: \"^1.%d.0\"\n", i, i, i%10)
		if i > 0 {
			fmt.Fprintf(&y, "    depends_on: [\"c%03d:^1.0.0\"]\n", i-1)
		}
	}
	y.WriteString("environments:\n  prod:\n    c000: \"~1.0.0\"\n")
	meta := filepath.Join(top, "meta")
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(y.String()), 0o644)
	m, err := manifest.Load(meta)
	if err != nil {
		tb.Fatal(err)
	}
	f := &lockfile.File{Environment: "prod", ManifestDigest: lockfile.Digest(m, "prod"), Components: map[string]*lockfile.Component{}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("c%03d", i)
		c := &lockfile.Component{Name: name, Repo: m.Components[name].Repo, Version: fmt.Sprintf("1.%d.3", i%10),
			Ref: fmt.Sprintf("v1.%d.3", i%10), Commit: fmt.Sprintf("%040x", i+1)}
		if i > 0 {
			c.DependsOn = []string{fmt.Sprintf("c%03d", i-1)}
		}
		f.Components[name] = c
	}
	if err := lockfile.Write(lockfile.Path(meta, "prod"), f); err != nil {
		tb.Fatal(err)
	}
	return meta
}

func BenchmarkLockCheck200(b *testing.B) {
	top := b.TempDir()
	bin := buildMeta(b, top)
	meta := genLockedWorkspace(b, top, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := runMeta(b, bin, "-C", meta, "lock", "--check", "--env", "prod")
		if !strings.Contains(out, "up to date") {
			b.Fatalf("unexpected output:\n%s", out)
		}
	}
}

// BenchmarkLockCheck200InProcess is the same check without process start:
// load the manifest, read the lock, compute the digest.
func BenchmarkLockCheck200InProcess(b *testing.B) {
	meta := genLockedWorkspace(b, b.TempDir(), 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := manifest.Load(meta)
		if err != nil {
			b.Fatal(err)
		}
		f, err := lockfile.Load(meta, "prod")
		if err != nil {
			b.Fatal(err)
		}
		if s := lockfile.Stale(f, m, "prod"); s != nil {
			b.Fatal(s)
		}
	}
}

// genClonedWorkspace makes 200 clones (copies of one clone) already at
// the locked commit.
func genClonedWorkspace(tb testing.TB, top string, n int) string {
	src := filepath.Join(top, "remotes", "src")
	genRepo(tb, src, 0)
	head := git(tb, src, nil, "rev-parse", "HEAD")
	first := filepath.Join(top, "c000")
	git(tb, top, nil, "clone", "-q", src, first)
	for i := 1; i < n; i++ {
		if out, err := exec.Command("cp", "-a", first, filepath.Join(top, fmt.Sprintf("c%03d", i))).CombinedOutput(); err != nil {
			tb.Fatalf("cp: %v %s", err, out)
		}
	}
	var y strings.Builder
	y.WriteString("components:\n")
	f := &lockfile.File{Components: map[string]*lockfile.Component{}}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("c%03d", i)
		fmt.Fprintf(&y, "  %s:\n    repo: ../remotes/src\n    ref: main\n", name)
		f.Components[name] = &lockfile.Component{Name: name, Repo: "../remotes/src", Ref: "main", Commit: head}
	}
	meta := filepath.Join(top, "meta")
	os.MkdirAll(filepath.Join(meta, "manifests"), 0o755)
	os.WriteFile(filepath.Join(meta, manifest.ManifestPath), []byte(y.String()), 0o644)
	m, err := manifest.Load(meta)
	if err != nil {
		tb.Fatal(err)
	}
	f.ManifestDigest = lockfile.Digest(m, "")
	if err := lockfile.Write(lockfile.Path(meta, ""), f); err != nil {
		tb.Fatal(err)
	}
	return meta
}

func BenchmarkApplyNoop200(b *testing.B) {
	top := b.TempDir()
	bin := buildMeta(b, top)
	meta := genClonedWorkspace(b, top, 200)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := runMeta(b, bin, "-C", meta, "apply", "--locked")
		if !strings.Contains(out, "0 cloned, 0 checked out, 200 up to date, 0 skipped, 0 failed") {
			b.Fatalf("unexpected output:\n%s", out)
		}
	}
}

// TestGenerate writes the three benchmark workspaces under $LOCKBENCH_DIR
// (git/, check/, apply/) for run.sh; it is skipped otherwise.
func TestGenerate(t *testing.T) {
	dir := os.Getenv("LOCKBENCH_DIR")
	if dir == "" {
		t.Skip("set LOCKBENCH_DIR to generate the benchmark workspaces there")
	}
	genGitWorkspace(t, filepath.Join(dir, "git"), 100)
	genLockedWorkspace(t, filepath.Join(dir, "check"), 200)
	genClonedWorkspace(t, filepath.Join(dir, "apply"), 200)
}

// BenchmarkWarmLock100x20InProcess re-locks with the mirrors cached (one
// fetch per component) inside the test process, so that a CPU profile
// shows meta's own work apart from git's.
func BenchmarkWarmLock100x20InProcess(b *testing.B) {
	meta := genGitWorkspace(b, b.TempDir(), 100)
	var out bytes.Buffer
	streams := term.Streams{In: strings.NewReader(""), Out: &out, Err: &out}
	if code := cli.Main(context.Background(), []string{"-C", meta, "lock", "--update"}, streams); code != 0 {
		b.Fatalf("meta lock: %d\n%s", code, out.String())
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		if code := cli.Main(context.Background(), []string{"-C", meta, "lock", "--update"}, streams); code != 0 {
			b.Fatalf("meta lock: %d\n%s", code, out.String())
		}
	}
}
