package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/testgit"
)

// gitRepo makes a repository at dir with one commit per step; a step with a
// tag is tagged, and writes component.yaml when yaml is not "-".
type step struct{ tag, yaml string }

func gitRepo(t *testing.T, dir string, steps ...step) {
	t.Helper()
	testgit.Init(t, dir)
	for i, s := range steps {
		os.WriteFile(filepath.Join(dir, "file"), []byte{byte('a' + i)}, 0o644)
		if s.yaml == "-" {
			os.Remove(filepath.Join(dir, "component.yaml"))
		} else {
			os.WriteFile(filepath.Join(dir, "component.yaml"), []byte(s.yaml), 0o644)
		}
		testgit.CommitAll(t, dir, "step "+s.tag)
		if s.tag != "" {
			testgit.Run(t, dir, "tag", "-a", "-m", s.tag, s.tag)
		}
	}
}

func TestGitProvider(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	gitRepo(t, lib,
		step{"v1.0.0", "-"},
		step{"v1.1.0", "depends_on: [\"base:^2.0.0\"]\n"},
		step{"v1.2.0", "depends_on: [\n"}, // does not parse
		step{"1.2.0", "-"},                // same version as v1.2.0
		step{"release-7", "-"},            // not semver
		step{"v2.0.0-rc.1", "depends_on: [base]\n"},
		step{"", "depends_on: [\"base:~2.1\"]\n"}, // main, untagged
	)
	g := NewGit(GitOptions{CacheDir: filepath.Join(root, "cache"), Jobs: 2}, map[string]GitComponent{
		"lib": {URL: "file://" + lib, Deps: []pubgrub.Dependency{{Name: "tool", Constraint: semver.Releases(), Source: "m:3"}}},
	})
	ctx := context.Background()
	g.Prefetch(ctx)
	vs, err := g.Versions(ctx, "lib")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	if d := cmp.Diff([]string{"1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"}, got); d != "" {
		t.Fatal(d)
	}
	deps, err := g.Dependencies(ctx, "lib", semver.MustParseVersion("1.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 2 || deps[0].Name != "tool" || deps[1].Name != "base" || deps[1].Constraint.String() != "^2.0.0" ||
		deps[1].Source != "lib@v1.1.0:component.yaml:1" {
		t.Fatalf("deps = %+v", deps)
	}
	_, err = g.Dependencies(ctx, "lib", semver.MustParseVersion("1.2.0"))
	var ue *pubgrub.UnusableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "lib@1.2.0:component.yaml") && !strings.Contains(ue.Reason, "lib@v1.2.0:component.yaml") {
		t.Fatalf("want unusable with the file named, got %v", err)
	}
	if tag, commit, ok := g.Tag("lib", semver.MustParseVersion("1.0.0")); !ok || tag != "v1.0.0" || len(commit) != 40 {
		t.Fatalf("Tag = %q %q %v", tag, commit, ok)
	}
	w := strings.Join(g.Warnings(), "\n")
	if !strings.Contains(w, "release-7") || !strings.Contains(w, "same version") {
		t.Fatalf("warnings: %s", w)
	}
	if _, err := g.Versions(ctx, "nope"); !errors.Is(err, pubgrub.ErrNotFound) {
		t.Fatalf("unknown component: %v", err)
	}

	ri, err := g.ResolveRef(ctx, "lib", "")
	if err != nil {
		t.Fatal(err)
	}
	if ri.Ref != "main" || len(ri.Commit) != 40 || len(ri.Deps) != 2 || ri.Deps[1].Constraint.String() != "~2.1.0" {
		t.Fatalf("ResolveRef = %+v", ri)
	}
	ri2, err := g.ResolveRef(ctx, "lib", "main")
	if err != nil || ri2.Commit != ri.Commit {
		t.Fatalf("main: %+v %v", ri2, err)
	}
	if _, err := g.ResolveRef(ctx, "lib", "nope"); err == nil {
		t.Fatal("unknown ref resolved")
	}
	if ok, err := g.HasCommit(ctx, "file://"+lib, ri.Commit); !ok || err != nil {
		t.Fatalf("HasCommit(main) = %v %v", ok, err)
	}
	if ok, _ := g.HasCommit(ctx, "file://"+lib, strings.Repeat("1", 40)); ok {
		t.Fatal("HasCommit(bogus) = true")
	}
	_, c100, _ := g.Tag("lib", semver.MustParseVersion("1.0.0"))
	log, err := g.Log(ctx, "file://"+lib, c100, ri.Commit, 0)
	if err != nil || len(log) != 6 || !strings.HasSuffix(log[0], " step") {
		t.Fatalf("Log = %q %v", log, err)
	}

	// The fork-free reading of a fresh mirror's refs agrees with git's.
	dir := g.MirrorDir("file://" + lib)
	fast, ok := packedRefs(dir, []string{"refs/tags", "refs/heads"})
	if !ok {
		t.Fatal("a fresh mirror's refs are not all packed and peeled")
	}
	out, err := exec.Command("git", "-C", dir, "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)", "refs/tags", "refs/heads").Output()
	if err != nil {
		t.Fatal(err)
	}
	var slow []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		slow = append(slow, f[0]+" "+f[len(f)-1])
	}
	var got2 []string
	for _, r := range fast {
		got2 = append(got2, r.Name+" "+r.Commit)
	}
	if d := cmp.Diff(slow, got2); d != "" {
		t.Fatalf("packedRefs differs from git for-each-ref:\n%s", d)
	}

	// A second provider reuses the mirror (fetching it) and sees new tags.
	gitRepo2 := exec.Command("git", "tag", "v3.0.0")
	gitRepo2.Dir = lib
	if out, err := gitRepo2.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	g2 := NewGit(GitOptions{CacheDir: filepath.Join(root, "cache")}, map[string]GitComponent{"lib": {URL: "file://" + lib}})
	vs, err = g2.Versions(ctx, "lib")
	if err != nil || len(vs) != 5 {
		t.Fatalf("after fetch: %v %v", vs, err)
	}
}

// TestGitProviderPartialMirror: in a partial mirror (as a network server
// honouring the blob filter gives), component.yaml files are still read,
// with one batched fetch of the blobs.
func TestGitProviderPartialMirror(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	lib := filepath.Join(root, "lib")
	gitRepo(t, lib, step{"v1.0.0", "depends_on: [\"a:^1.0.0\"]\n"}, step{"v1.1.0", "depends_on: [\"a:^1.1.0\"]\n"}, step{"v1.2.0", "-"})
	gitIn := func(dir string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
		return string(out)
	}
	gitIn(lib, "config", "uploadpack.allowFilter", "true")
	url := "file://" + lib
	g := NewGit(GitOptions{CacheDir: filepath.Join(root, "cache")}, map[string]GitComponent{"lib": {URL: url}})
	os.MkdirAll(filepath.Join(root, "cache"), 0o755)
	gitIn(root, "clone", "--quiet", "--mirror", "--filter=blob:none", url, g.MirrorDir(url))
	if !partial(g.MirrorDir(url)) {
		t.Fatal("the mirror is not partial although the server honours filters")
	}
	ctx := context.Background()
	for v, want := range map[string]string{"1.0.0": "^1.0.0", "1.1.0": "^1.1.0", "1.2.0": ""} {
		deps, err := g.Dependencies(ctx, "lib", semver.MustParseVersion(v))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(deps) == 1 {
			got = deps[0].Constraint.String()
		}
		if got != want {
			t.Errorf("%s: deps %v, want %s", v, deps, want)
		}
	}

	// A server that ignores the filter sends everything: the mirror is made
	// an ordinary one again.
	plain := filepath.Join(root, "plain")
	gitRepo(t, plain, step{"v1.0.0", "-"})
	dir := filepath.Join(root, "plain.git")
	cmd := exec.Command("git", "clone", "--quiet", "--mirror", "--filter=blob:none", "file://"+plain, dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if !partial(dir) {
		t.Skip("this git marks no promisor pack for an ignored filter")
	}
	completeIfUnfiltered(ctx, dir, string(out))
	if partial(dir) {
		t.Fatalf("an unfiltered clone is still marked partial (clone said %q)", out)
	}
	left := exec.Command("git", "config", "--get-regexp", "promisor|partialclone")
	left.Dir = dir
	if got, _ := left.Output(); strings.TrimSpace(string(got)) != "" {
		t.Fatalf("promisor settings left: %s", got)
	}
}

func TestTreeEntry(t *testing.T) {
	id := bytes.Repeat([]byte{0xab}, 20)
	tree := append([]byte("40000 dir\x00"), id...)
	tree = append(tree, append([]byte("100644 component.yaml\x00"), id...)...)
	tree = append(tree, append([]byte("120000 link.yaml\x00"), id...)...)
	if got := treeEntry(tree, "component.yaml", 20); got != strings.Repeat("ab", 20) {
		t.Fatalf("got %q", got)
	}
	for _, name := range []string{"dir", "link.yaml", "missing"} {
		if got := treeEntry(tree, name, 20); got != "" {
			t.Errorf("%s: got %q, want none (not a regular file)", name, got)
		}
	}
}

// FuzzGitOutput: the parsers of git's raw tree objects, cat-file --batch
// answers and packed-refs files never panic, and accepted refs are sane.
func FuzzGitOutput(f *testing.F) {
	f.Add([]byte("100644 component.yaml\x00aaaaaaaaaaaaaaaaaaaa"), []byte("abc blob 3\nxyz\n"))
	f.Add([]byte("100644 x"), []byte("abc missing\n"))
	f.Add([]byte{}, []byte("abc blob -1\n"))
	f.Add([]byte("# pack-refs with: peeled fully-peeled sorted \n"+strings.Repeat("a", 40)+" refs/tags/v1\n^"+strings.Repeat("b", 40)+"\n"), []byte(""))
	f.Fuzz(func(t *testing.T, tree, batch []byte) {
		if refs, ok := parsePackedRefs(string(tree), []string{"refs/tags"}); ok {
			for _, r := range refs {
				if !strings.HasPrefix(r.Name, "refs/tags/") || !isHexID(r.Commit) {
					t.Fatalf("bad ref %+v", r)
				}
			}
		}
		treeEntry(tree, "component.yaml", 20)
		treeEntry(tree, "component.yaml", 32)
		r := bufio.NewReader(bytes.NewReader(batch))
		for i := 0; i < 4; i++ {
			if _, _, err := readBatchEntry(r, "d"); err != nil {
				break
			}
		}
	})
}
