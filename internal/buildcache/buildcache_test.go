package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

func baseDoc() *Document {
	return &Document{
		Schema: Schema, Component: "api",
		Platform: "linux/amd64", Command: "make", Target: "//api", Outputs: []string{"bin"},
		Tools: map[string]string{"go@1.22": "go version go1.22.12 linux/amd64"},
		Path:  []string{"/opt/go/bin", "/usr/bin"}, EnvMode: "strict",
		Env:    map[string]string{"CC": "gcc"},
		Deps:   map[string]string{"lib": strings.Repeat("b", 64)},
		Inputs: []Input{{Path: "a.go", SHA256: strings.Repeat("c", 64), Mode: "100644"}, {Path: "b.sh", SHA256: strings.Repeat("d", 64), Mode: "100755"}},
	}
}

func TestKeyStable(t *testing.T) {
	a, b := baseDoc(), baseDoc()
	// Order of inputs and outputs does not matter; the key is canonical.
	slices.Reverse(b.Inputs)
	b.Outputs = []string{"bin"}
	if a.Key() != b.Key() {
		t.Fatalf("same document, different keys: %s vs %s", a.Key(), b.Key())
	}
	if len(a.Key()) != 64 {
		t.Fatalf("key %q is not 64 hex digits", a.Key())
	}
	// Which key a dependency had is not part of the key (early cutoff).
	b.DepKeys = map[string]string{"lib": strings.Repeat("e", 64)}
	if a.Key() != b.Key() {
		t.Fatal("dep_keys changed the key; only dependency outputs may")
	}
	// Golden: changing the document format must change Schema.
	const golden = "6ce9b924905efa8352954da4e058b2d712a404df644fa482b6b21606fd721fb1"
	if got := a.Key(); got != golden {
		t.Logf("canonical: %s", a.Canonical())
		t.Errorf("key of the reference document = %s, want %s (bump Schema when the format changes)", got, golden)
	}
}

func TestKeyChangesWithEachInput(t *testing.T) {
	base := baseDoc().Key()
	for name, mutate := range map[string]func(d *Document){
		"schema":        func(d *Document) { d.Schema = "meta-build-key/3" },
		"component":     func(d *Document) { d.Component = "web" },
		"subdir":        func(d *Document) { d.Subdir = "packages/api" },
		"path entry":    func(d *Document) { d.Path = append(d.Path, "/usr/local/bin") },
		"path order":    func(d *Document) { slices.Reverse(d.Path) },
		"env mode":      func(d *Document) { d.EnvMode = "loose" },
		"loose env":     func(d *Document) { d.LooseEnv = map[string]string{"FOO": strings.Repeat("9", 64)} },
		"platform":      func(d *Document) { d.Platform = "darwin/arm64" },
		"command":       func(d *Document) { d.Command = "make all" },
		"target":        func(d *Document) { d.Target = "//api:all" },
		"outputs":       func(d *Document) { d.Outputs = []string{"dist"} },
		"tool version":  func(d *Document) { d.Tools["go@1.22"] = "go version go1.22.13 linux/amd64" },
		"tool added":    func(d *Document) { d.Tools["node@20"] = "" },
		"env value":     func(d *Document) { d.Env["CC"] = "clang" },
		"env added":     func(d *Document) { d.Env["CFLAGS"] = "" },
		"dep key":       func(d *Document) { d.Deps["lib"] = strings.Repeat("f", 64) },
		"dep added":     func(d *Document) { d.Deps["db"] = strings.Repeat("f", 64) },
		"input content": func(d *Document) { d.Inputs[0].SHA256 = strings.Repeat("0", 64) },
		"input mode":    func(d *Document) { d.Inputs[0].Mode = "100755" },
		"input renamed": func(d *Document) { d.Inputs[0].Path = "c.go" },
		"input added": func(d *Document) {
			d.Inputs = append(d.Inputs, Input{Path: "z", SHA256: strings.Repeat("1", 64), Mode: "100644"})
		},
		"input removed": func(d *Document) { d.Inputs = d.Inputs[:1] },
	} {
		d := baseDoc()
		mutate(d)
		if d.Key() == base {
			t.Errorf("changing %s did not change the key", name)
		}
	}
}

func TestCompare(t *testing.T) {
	old, cur := baseDoc(), baseDoc()
	cur.Env["CC"] = "clang"
	cur.Deps["db"] = "x"
	cur.Inputs[0].SHA256 = strings.Repeat("0", 64)
	cur.Inputs = append(cur.Inputs[:1], Input{Path: "new.go", SHA256: "n", Mode: "100644"})
	want := Diff{
		Fields:  []Change{{Field: "deps.db", Old: "(absent)", New: "x"}, {Field: "env.CC", Old: "gcc", New: "clang"}},
		Added:   []string{"new.go"},
		Removed: []string{"b.sh"},
		Changed: []string{"a.go"},
	}
	got := Compare(old, cur)
	// Fields come in document order: env before deps.
	slices.SortFunc(got.Fields, func(a, b Change) int { return strings.Compare(a.Field, b.Field) })
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Compare (-want +got):\n%s", d)
	}
	if !Compare(old, old).Empty() {
		t.Fatal("a document differs from itself")
	}
}

func TestGlobs(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		path     string
		want     bool
	}{
		{[]string{"**/*"}, "a.go", true},
		{[]string{"**/*"}, "x/y/z.go", true},
		{[]string{"**/*", "!**/node_modules/**"}, "node_modules/x/index.js", false},
		{[]string{"**/*", "!**/node_modules/**"}, "web/node_modules/x.js", false},
		{[]string{"**/*", "!**/node_modules/**"}, "web/src/x.js", true},
		{[]string{"src/**/*.go"}, "src/a.go", true},
		{[]string{"src/**/*.go"}, "src/x/a.go", true},
		{[]string{"src/**/*.go"}, "lib/a.go", false},
		{[]string{"*.c"}, "a.c", true},
		{[]string{"*.c"}, "x/a.c", false},
		{[]string{"!*.md"}, "README.md", false},
		{[]string{"!*.md"}, "main.c", true},
		{[]string{"./src/*"}, "src/a", true},
	} {
		g, err := ParseGlobs(tc.patterns)
		if err != nil {
			t.Fatalf("ParseGlobs(%q): %v", tc.patterns, err)
		}
		if got := g.Match(tc.path); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.patterns, tc.path, got, tc.want)
		}
	}
	for _, bad := range [][]string{{"../x"}, {"/abs"}, {""}, {"!"}, {"a//b"}, {"[x"}} {
		if _, err := ParseGlobs(bad); err == nil {
			t.Errorf("ParseGlobs(%q) accepted a bad pattern", bad)
		}
	}
}

func FuzzGlobs(f *testing.F) {
	f.Add("**/*", "a/b/c.go")
	f.Add("!**/node_modules/**", "node_modules/x")
	f.Add("src/*.[ch]", "src/a.c")
	f.Fuzz(func(t *testing.T, pattern, p string) {
		if strings.Count(pattern, "**") > 8 || len(p) > 256 {
			return
		}
		g, err := ParseGlobs([]string{pattern})
		if err != nil {
			return
		}
		g.Match(p)
		// "**" alone selects everything.
		all, _ := ParseGlobs([]string{"**"})
		if !all.Match(p) {
			t.Fatalf("** does not match %q", p)
		}
	})
}

func FuzzRecord(f *testing.F) {
	d := baseDoc()
	r := Record{Version: RecordVersion, Key: d.Key(), Component: "api", Output: strings.Repeat("a", 64), Document: d}
	good, _ := json.Marshal(r)
	f.Add(good, d.Key())
	f.Add([]byte(`{"version":1}`), strings.Repeat("0", 64))
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		var r Record
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if r.check(key) == nil {
			// An accepted record is exactly what its key says.
			if r.Document.Key() != key || r.Key != key {
				t.Fatalf("accepted a record whose document does not hash to its key")
			}
		}
	})
}

// --- workspace helpers ---

type comp struct {
	name    string
	files   map[string]string
	deps    []string
	command string
	outputs []string
	inputs  []string
	env     []string
}

// workspaceDir builds <tmp>/meta (the meta repository) and one git
// repository per component beside it, with file times an hour in the past
// (as after a checkout long ago) so the stat cache can trust them.
func workspaceDir(t *testing.T, comps []comp) (*manifest.Manifest, string) {
	t.Helper()
	top := t.TempDir()
	meta := filepath.Join(top, "meta")
	var y strings.Builder
	y.WriteString("workspace:\n  name: t\n  root: ..\n  jobs: 4\ncomponents:\n")
	for _, c := range comps {
		dir := filepath.Join(top, c.name)
		for f, content := range c.files {
			writeFile(t, filepath.Join(dir, f), content)
		}
		gitRun(t, dir, "init", "-q", "-b", "main")
		gitRun(t, dir, "add", "-A")
		gitRun(t, dir, "commit", "-q", "-m", "initial")
		ageFiles(t, dir)
		fmt.Fprintf(&y, "  %s:\n    repo: file://%s\n", c.name, dir)
		if len(c.deps) > 0 {
			fmt.Fprintf(&y, "    depends_on: [%s]\n", strings.Join(c.deps, ", "))
		}
		if c.command != "" {
			fmt.Fprintf(&y, "    build:\n      command: %q\n", c.command)
			if len(c.outputs) > 0 {
				fmt.Fprintf(&y, "      outputs: [%s]\n", strings.Join(c.outputs, ", "))
			}
			if len(c.inputs) > 0 {
				fmt.Fprintf(&y, "      inputs: [%s]\n", quoteAll(c.inputs))
			}
			if len(c.env) > 0 {
				fmt.Fprintf(&y, "      env: [%s]\n", strings.Join(c.env, ", "))
			}
		}
	}
	writeFile(t, filepath.Join(meta, manifest.ManifestPath), y.String())
	m, err := manifest.Load(meta)
	if err != nil {
		t.Fatalf("load manifest: %v\n%s", err, y.String())
	}
	return m, top
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func writeFile(t *testing.T, file, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func ageFiles(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Hour)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
}

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func newCache(t *testing.T, remote backend.Backend) (*Cache, *[]string) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	c, err := Open(st, Options{Remote: remote, Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return c, &warnings
}

func outcomes(rs []Result) map[string]Outcome {
	out := map[string]Outcome{}
	for _, r := range rs {
		out[r.Name] = r.Outcome
	}
	return out
}

func threeComps() []comp {
	return []comp{
		{name: "lib", files: map[string]string{"src.txt": "lib v1\n", "README.md": "lib\n"}, command: "mkdir -p out && cat src.txt > out/lib.txt", outputs: []string{"out"}},
		{name: "svc", files: map[string]string{"main.txt": "svc\n"}, deps: []string{"lib"}, command: "mkdir -p bin && cat main.txt ../lib/out/lib.txt > bin/svc", outputs: []string{"bin"}},
		{name: "docs", files: map[string]string{"index.md": "docs\n"}, command: "echo built > site.html", outputs: []string{"site.html"}},
	}
}

func TestStatCache(t *testing.T) {
	m, top := workspaceDir(t, threeComps())
	c, _ := newCache(t, nil)
	ctx := context.Background()
	p, err := NewPlan(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs1, _, errs := c.documents(ctx, p, 2, os.Getenv)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := c.FilesHashed(); got != 4 {
		t.Fatalf("first run hashed %d files, want 4", got)
	}
	docs2, _, _ := c.documents(ctx, p, 2, os.Getenv)
	if got := c.FilesHashed(); got != 4 {
		t.Fatalf("second run hashed %d more files, want 0 (stat cache)", got-4)
	}
	for n := range docs1 {
		if docs1[n].Key() != docs2[n].Key() {
			t.Errorf("%s: key changed between runs with nothing changed", n)
		}
	}
	// Change one file (same size, new content): only it is re-hashed, and
	// the keys of lib and of svc (which depends on it) change.
	writeFile(t, filepath.Join(top, "lib", "src.txt"), "lib v2\n")
	docs3, _, _ := c.documents(ctx, p, 2, os.Getenv)
	if got := c.FilesHashed(); got != 5 {
		t.Fatalf("after changing one file, %d files were hashed, want 1", got-4)
	}
	for n, want := range map[string]bool{"lib": true, "svc": true, "docs": false} {
		if changed := docs3[n].Key() != docs1[n].Key(); changed != want {
			t.Errorf("%s: key changed = %v, want %v", n, changed, want)
		}
	}
	// A newly tracked file rewrites the git index: the file list is read
	// again and the file becomes an input.
	writeFile(t, filepath.Join(top, "docs", "new.md"), "new\n")
	docs4, _, _ := c.documents(ctx, p, 2, os.Getenv)
	if docs4["docs"].Key() != docs3["docs"].Key() {
		t.Errorf("an untracked file changed the key of docs (default inputs are tracked files)")
	}
	gitRun(t, filepath.Join(top, "docs"), "add", "new.md")
	docs5, _, _ := c.documents(ctx, p, 2, os.Getenv)
	if d := Compare(docs4["docs"], docs5["docs"]); !slices.Equal(d.Added, []string{"new.md"}) {
		t.Errorf("after git add, diff = %+v, want new.md added", d)
	}
}

func TestInputsAndEnv(t *testing.T) {
	comps := []comp{{name: "web", files: map[string]string{"src/a.js": "a", "node_modules/x.js": "x", "README.md": "r"},
		command: "true", inputs: []string{"**/*", "!**/node_modules/**", "!*.md"}, env: []string{"MODE"}}}
	m, top := workspaceDir(t, comps)
	c, _ := newCache(t, nil)
	env := map[string]string{"MODE": "prod"}
	docs, err := c.Keys(context.Background(), m, []string{"web"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, in := range docs["web"].Inputs {
		paths = append(paths, in.Path)
	}
	if d := cmp.Diff([]string{"src/a.js"}, paths); d != "" {
		t.Errorf("inputs (-want +got):\n%s", d)
	}
	if docs["web"].Env["MODE"] != "prod" {
		t.Errorf("env = %v", docs["web"].Env)
	}
	k1 := docs["web"].Key()
	// An untracked, non-ignored file matching the patterns is an input.
	writeFile(t, filepath.Join(top, "web", "src", "b.js"), "b")
	env["MODE"] = "dev"
	docs, _ = c.Keys(context.Background(), m, []string{"web"}, func(k string) string { return env[k] })
	d := Compare(&Document{Inputs: nil, Env: map[string]string{"MODE": "prod"}}, docs["web"])
	if !slices.Contains(d.Added, "src/b.js") || docs["web"].Key() == k1 {
		t.Errorf("untracked input not seen: %+v", d)
	}
}

func TestBuild(t *testing.T) {
	m, top := workspaceDir(t, threeComps())
	remoteDir := t.TempDir()
	remote, err := backend.OpenLocal(remoteDir)
	if err != nil {
		t.Fatal(err)
	}
	c, warnings := newCache(t, remote)
	ctx := context.Background()

	rs, err := c.Build(ctx, m, nil, BuildOptions{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Built, "docs": Built}, outcomes(rs)); d != "" {
		t.Fatalf("first build (-want +got):\n%s\n%v", d, rs)
	}
	svc := filepath.Join(top, "svc", "bin", "svc")
	if data, _ := os.ReadFile(svc); string(data) != "svc\nlib v1\n" {
		t.Fatalf("svc output = %q", data)
	}

	// Nothing changed: all hits, nothing restored (outputs in place).
	rs, _ = c.Build(ctx, m, nil, BuildOptions{Jobs: 2})
	if d := cmp.Diff(map[string]Outcome{"lib": Hit, "svc": Hit, "docs": Hit}, outcomes(rs)); d != "" {
		t.Fatalf("second build (-want +got):\n%s", d)
	}
	for _, r := range rs {
		if r.Restored {
			t.Errorf("%s: outputs restored although they were in place", r.Name)
		}
	}

	// Outputs deleted: a hit restores them.
	os.RemoveAll(filepath.Join(top, "svc", "bin"))
	rs, _ = c.Build(ctx, m, []string{"svc"}, BuildOptions{Jobs: 2})
	if o := outcomes(rs); o["svc"] != Hit || len(o) != 2 {
		t.Fatalf("build svc = %v (want svc and its dependency lib)", o)
	}
	if data, _ := os.ReadFile(svc); string(data) != "svc\nlib v1\n" {
		t.Fatalf("restored svc output = %q", data)
	}

	// One input changes: that component and its dependent rebuild.
	writeFile(t, filepath.Join(top, "lib", "src.txt"), "lib v2\n")
	rs, _ = c.Build(ctx, m, nil, BuildOptions{Jobs: 2})
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Built, "docs": Hit}, outcomes(rs)); d != "" {
		t.Fatalf("build after a change (-want +got):\n%s", d)
	}
	e, err := c.Explain(ctx, m, "lib", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Cached || e.Diff == nil || !slices.Equal(e.Diff.Changed, []string{"src.txt"}) {
		t.Fatalf("explain lib: cached=%v diff=%+v", e.Cached, e.Diff)
	}
	e, _ = c.Explain(ctx, m, "svc", nil)
	if e.Diff == nil || len(e.Diff.Fields) != 1 || e.Diff.Fields[0].Field != "deps.lib" {
		t.Fatalf("explain svc: diff=%+v", e.Diff)
	}

	// A fresh store sharing the remote: hits from the remote, no builds.
	c2, _ := newCache(t, remote)
	os.RemoveAll(filepath.Join(top, "svc", "bin"))
	rs, _ = c2.Build(ctx, m, nil, BuildOptions{Jobs: 2})
	if d := cmp.Diff(map[string]Outcome{"lib": RemoteHit, "svc": RemoteHit, "docs": RemoteHit}, outcomes(rs)); d != "" {
		t.Fatalf("build on a fresh store (-want +got):\n%s\n%v", d, rs)
	}
	if data, _ := os.ReadFile(svc); string(data) != "svc\nlib v2\n" {
		t.Fatalf("svc output from the remote = %q", data)
	}
	if len(*warnings) > 0 {
		t.Errorf("warnings: %q", *warnings)
	}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Misses != 5 || s.Hits != 6 || s.Records != 5 {
		t.Errorf("stats = %+v", s)
	}
}

func TestBuildFailureSkipsDependents(t *testing.T) {
	comps := threeComps()
	comps[0].command = "echo compiling; echo broken >&2; exit 3"
	m, _ := workspaceDir(t, comps)
	c, _ := newCache(t, nil)
	rs, err := c.Build(context.Background(), m, nil, BuildOptions{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]Result{}
	for _, r := range rs {
		byName[r.Name] = r
	}
	if r := byName["lib"]; r.Outcome != Failed || !strings.Contains(string(r.Log), "broken") || !strings.Contains(r.Err.Error(), "status 3") {
		t.Errorf("lib = %+v (log %q)", r, r.Log)
	}
	if r := byName["svc"]; r.Outcome != Skipped || r.SkippedBy != "lib" {
		t.Errorf("svc = %+v", r)
	}
	if r := byName["docs"]; r.Outcome != Built {
		t.Errorf("docs = %+v", r)
	}
}

func TestRemoteDownIsAWarning(t *testing.T) {
	m, _ := workspaceDir(t, threeComps())
	remote, err := backend.Open(context.Background(), "http://127.0.0.1:1/cache", backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, warnings := newCache(t, remote)
	rs, err := c.Build(context.Background(), m, nil, BuildOptions{Jobs: 2})
	if err != nil {
		t.Fatal(err)
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

func TestPoisonedRemoteIsRejected(t *testing.T) {
	m, top := workspaceDir(t, threeComps()[2:])
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	c, _ := newCache(t, remote)
	ctx := context.Background()
	if _, err := c.Build(ctx, m, nil, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	// Replace the blob on the remote with another tree's archive.
	recs, _ := c.Records()
	blob := filepath.Join(remoteDir, "cas", recs[0].Archive)
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "site.html"), "evil\n")
	ent, err := c.store.Add(ctx, "evil", other, store.AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Create(blob + ".new")
	c.store.WriteArchive(ctx, f, ent.Hash)
	f.Close()
	os.Chmod(blob, 0o644)
	os.Rename(blob+".new", blob)

	c2, warnings := newCache(t, remote)
	os.Remove(filepath.Join(top, "docs", "site.html"))
	rs, _ := c2.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Built {
		t.Fatalf("docs = %s, want built (poisoned remote ignored)", rs[0].Outcome)
	}
	if data, _ := os.ReadFile(filepath.Join(top, "docs", "site.html")); string(data) != "built\n" {
		t.Fatalf("site.html = %q", data)
	}
	if len(*warnings) == 0 || !strings.Contains(strings.Join(*warnings, "\n"), "rejected") {
		t.Errorf("warnings = %q, want the rejection", *warnings)
	}
}

func TestGCPolicy(t *testing.T) {
	c, _ := newCache(t, nil)
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	mk := func(name string, age time.Duration, size int64) *Record {
		d := baseDoc()
		d.Component = name
		out := fmt.Sprintf("%064x", name)
		r := &Record{Version: RecordVersion, Key: d.Key(), Component: name, Output: out, Size: size, Created: now.Add(-age), Document: d}
		if err := c.Put(r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	old := mk("old", 40*24*time.Hour, 10)
	nw := mk("new", time.Hour, 100)
	mid := mk("mid", 10*24*time.Hour, 100)
	// Store gc roots: what the policy keeps.
	roots, err := c.PolicyRoots(Policy{}).Roots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{nw.Output, mid.Output}
	slices.Sort(want)
	if d := cmp.Diff(want, roots); d != "" || slices.Contains(roots, old.Output) {
		t.Errorf("policy roots (-want +got):\n%s", d)
	}
	res, err := c.GC(context.Background(), Policy{MaxSize: 150, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(rs []*Record) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Component)
		}
		slices.Sort(out)
		return out
	}
	if d := cmp.Diff([]string{"mid", "old"}, names(res.Removed)); d != "" {
		t.Errorf("removed (-want +got):\n%s", d)
	}
	if recs, _ := c.Records(); len(recs) != 3 {
		t.Fatalf("dry run removed records")
	}
	debris := filepath.Join(c.dir, "tmp", "outputs-123")
	writeFile(t, filepath.Join(debris, "f"), "left by a killed build")
	os.Chtimes(debris, now.Add(-48*time.Hour), now.Add(-48*time.Hour))
	fresh := filepath.Join(c.dir, "tmp", "outputs-456")
	writeFile(t, filepath.Join(fresh, "f"), "a running build's")
	os.Chtimes(fresh, now, now)
	if _, err := c.GC(context.Background(), Policy{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(debris); err == nil {
		t.Error("gc left old debris in tmp/")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("gc removed a running build's work files")
	}
	recs, _ := c.Records()
	if d := cmp.Diff([]string{"mid", "new"}, names(recs)); d != "" {
		t.Errorf("kept (-want +got):\n%s", d)
	}
}

func TestBadRemoteRecordIsIgnored(t *testing.T) {
	m, _ := workspaceDir(t, threeComps()[2:])
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	ctx := context.Background()
	c, _ := newCache(t, nil)
	docs, err := c.Keys(ctx, m, []string{"docs"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := docs["docs"].Key()
	other := baseDoc()
	for name, body := range map[string]string{
		"garbage":        "{not json",
		"wrong document": fmt.Sprintf(`{"version":1,"key":%q,"component":"docs","output":"%s","archive":"%s","document":%s}`, key, strings.Repeat("a", 64), strings.Repeat("b", 64), other.Canonical()),
	} {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(remoteDir, "ac"))
			if err := remote.Put(ctx, "ac/"+key, strings.NewReader(body), int64(len(body))); err != nil {
				t.Fatal(err)
			}
			c, warnings := newCache(t, remote)
			rs, _ := c.Build(ctx, m, nil, BuildOptions{})
			if rs[0].Outcome != Built {
				t.Fatalf("docs = %s, want built", rs[0].Outcome)
			}
			if !strings.Contains(strings.Join(*warnings, "\n"), "ignoring it") {
				t.Errorf("warnings = %q", *warnings)
			}
			// The bad record was replaced by this build's: a fresh store
			// now gets a remote hit.
			c2, _ := newCache(t, remote)
			if rs, _ := c2.Build(ctx, m, nil, BuildOptions{}); rs[0].Outcome != RemoteHit {
				t.Errorf("after the write-back, a fresh store got %s, want remote-hit", rs[0].Outcome)
			}
		})
	}
}

func TestConcurrentBuildsShareWork(t *testing.T) {
	count := filepath.Join(t.TempDir(), "count")
	comps := threeComps()
	for i := range comps {
		comps[i].command = fmt.Sprintf("echo %s >> %s; %s", comps[i].name, count, comps[i].command)
	}
	m, _ := workspaceDir(t, comps)
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	results := make([][]Result, 4)
	var wg sync.WaitGroup
	for i := range results {
		c, err := Open(st, Options{})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			results[i], _ = c.Build(ctx, m, nil, BuildOptions{Jobs: 2})
		})
	}
	wg.Wait()
	for i, rs := range results {
		for _, r := range rs {
			if r.Outcome != Built && r.Outcome != Hit {
				t.Errorf("build %d: %s: %s (%v)", i, r.Name, r.Outcome, r.Err)
			}
		}
	}
	data, _ := os.ReadFile(count)
	lines := strings.Fields(string(data))
	slices.Sort(lines)
	if d := cmp.Diff([]string{"docs", "lib", "svc"}, lines); d != "" {
		t.Errorf("each build command should run once across concurrent builds (-want +got):\n%s", d)
	}
}

func TestOutputBehindSymlink(t *testing.T) {
	// Like Bazel's bazel-bin: the output path goes through a symlink to a
	// directory outside the component.
	elsewhere := t.TempDir()
	comps := []comp{{name: "bz", files: map[string]string{"BUILD": "x"},
		command: fmt.Sprintf("mkdir -p %[1]s/bin/pkg && echo artefact > %[1]s/bin/pkg/a.out && ln -sfn %[1]s/bin bazel-bin", elsewhere),
		outputs: []string{"bazel-bin/pkg"}}}
	m, _ := workspaceDir(t, comps)
	c, warnings := newCache(t, nil)
	ctx := context.Background()
	rs, _ := c.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Built {
		t.Fatalf("bz = %s: %v", rs[0].Outcome, rs[0].Err)
	}
	ent, err := c.store.Query(rs[0].Output)
	if err != nil || ent.Files != 1 {
		t.Fatalf("stored outputs: %+v %v", ent, err)
	}
	data, err := os.ReadFile(filepath.Join(c.store.Path(rs[0].Output), "bazel-bin", "pkg", "a.out"))
	if err != nil || string(data) != "artefact\n" {
		t.Fatalf("stored a.out = %q, %v", data, err)
	}
	// Unchanged outputs in place: a hit, nothing written through the link.
	rs, _ = c.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Hit || rs[0].Restored || len(*warnings) > 0 {
		t.Fatalf("second build: %s restored=%v warnings=%q", rs[0].Outcome, rs[0].Restored, *warnings)
	}
}

// hostileArchive is an archive (store's format) whose one file tries to
// leave the tree.
func hostileArchive(name string) []byte {
	var b bytes.Buffer
	str := func(s string) {
		binary.Write(&b, binary.LittleEndian, uint64(len(s)))
		b.WriteString(s)
	}
	str("meta-archive-v1")
	b.WriteByte('f')
	str(name)
	binary.Write(&b, binary.LittleEndian, uint64(5))
	b.WriteString("evil\n")
	b.WriteByte('E')
	str(strings.Repeat("0", 64))
	return b.Bytes()
}

func TestRemoteArchiveEscapingIsRejected(t *testing.T) {
	m, top := workspaceDir(t, threeComps()[2:])
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	ctx := context.Background()
	c0, _ := newCache(t, nil)
	docs, err := c0.Keys(ctx, m, []string{"docs"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc := docs["docs"]
	for _, name := range []string{"../../../escaped.txt", "/tmp/escaped-abs.txt"} {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(filepath.Join(remoteDir, "ac"))
			blob := hostileArchive(name)
			sum := sha256.Sum256(blob)
			archive := hex.EncodeToString(sum[:])
			if err := remote.Put(ctx, "cas/"+archive, bytes.NewReader(blob), int64(len(blob))); err != nil && !errors.Is(err, backend.ErrExists) {
				t.Fatal(err)
			}
			rec := Record{Version: RecordVersion, Key: doc.Key(), Component: "docs", Output: strings.Repeat("0", 64), Archive: archive, Document: doc}
			data, _ := json.Marshal(rec)
			if err := remote.Put(ctx, "ac/"+doc.Key(), bytes.NewReader(data), int64(len(data))); err != nil {
				t.Fatal(err)
			}
			c, warnings := newCache(t, remote)
			rs, _ := c.Build(ctx, m, nil, BuildOptions{})
			if rs[0].Outcome != Built {
				t.Fatalf("docs = %s, want built (hostile remote rejected)", rs[0].Outcome)
			}
			if w := strings.Join(*warnings, "\n"); !strings.Contains(w, "rejected") {
				t.Errorf("warnings = %q, want the rejection", w)
			} else {
				t.Log(w)
			}
			for _, p := range []string{filepath.Join(top, "escaped.txt"), "/tmp/escaped-abs.txt", filepath.Join(filepath.Dir(c.store.Dir()), "escaped.txt")} {
				if _, err := os.Stat(p); err == nil {
					t.Fatalf("%s was written outside the store", p)
				}
			}
		})
	}
}

func TestReadOnlyRemote(t *testing.T) {
	m, _ := workspaceDir(t, threeComps())
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(st, Options{Remote: remote, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Build(context.Background(), m, nil, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Built, "docs": Built}, outcomes(rs)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if blobs, _ := remote.List(context.Background(), ""); len(blobs) != 0 {
		t.Fatalf("a read-only cache wrote %d objects to the remote", len(blobs))
	}
}

func TestRemoteRecordWithoutBlob(t *testing.T) {
	m, top := workspaceDir(t, threeComps())
	remoteDir := t.TempDir()
	remote, _ := backend.OpenLocal(remoteDir)
	ctx := context.Background()
	c, _ := newCache(t, remote)
	if _, err := c.Build(ctx, m, nil, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	// The docs blob disappears from the remote; the others stay.
	recs, _ := c.Records()
	for _, r := range recs {
		if r.Component == "docs" {
			os.Remove(filepath.Join(remoteDir, "cas", r.Archive))
		}
	}
	c2, warnings := newCache(t, remote)
	os.RemoveAll(filepath.Join(top, "svc", "bin"))
	rs, _ := c2.Build(ctx, m, nil, BuildOptions{Jobs: 1})
	if d := cmp.Diff(map[string]Outcome{"lib": RemoteHit, "svc": RemoteHit, "docs": Built}, outcomes(rs)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	if w := strings.Join(*warnings, "\n"); !strings.Contains(w, "does not have") || strings.Contains(w, "unavailable") {
		t.Errorf("warnings = %q", w)
	}
}

// TestRemoteHitIsALastHit: a record fetched from the remote for a hit
// shows that hit ('meta cache list' LAST HIT) although the fetch itself
// now sets it (one synced record write per remote hit instead of two).
func TestRemoteHitIsALastHit(t *testing.T) {
	m, _ := workspaceDir(t, threeComps())
	remote, _ := backend.OpenLocal(t.TempDir())
	ctx := context.Background()
	c, _ := newCache(t, remote)
	if _, err := c.Build(ctx, m, nil, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	c2, _ := newCache(t, remote)
	rs, err := c2.Build(ctx, m, nil, BuildOptions{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]Outcome{"lib": RemoteHit, "svc": RemoteHit, "docs": RemoteHit}, outcomes(rs)); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	recs, _ := c2.Records()
	if len(recs) != 3 {
		t.Fatalf("%d local records after 3 remote hits", len(recs))
	}
	for _, r := range recs {
		if r.LastHit.IsZero() || r.LastHit.Before(r.Created) {
			t.Errorf("%s: created %v, last hit %v: the remote hit is not recorded", r.Component, r.Created, r.LastHit)
		}
	}
}
