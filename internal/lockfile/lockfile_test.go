package lockfile

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

const c1 = "1111111111111111111111111111111111111111"
const c2 = "2222222222222222222222222222222222222222"
const c3 = "3333333333333333333333333333333333333333"

// ck is a registry tarball checksum.
const ck = `"sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"`

func sample() *File {
	return &File{
		Environment:    "dev",
		ManifestDigest: "sha256:" + strings.Repeat("ab", 32),
		Tools:          map[string]Tool{"go": {Requested: "1.22", Version: "1.22.12"}, "npm:eslint": {Version: "8.0.0"}},
		Components: map[string]*Component{
			"b-lib": {Name: "b-lib", Repo: "file:///tmp/b", Version: "1.2.0", Ref: "v1.2.0", Commit: c1},
			"a-app": {Name: "a-app", Repo: "git@host:org/a.git", Ref: "main", Commit: c2, DependsOn: []string{"b-lib", "c"}},
			"c":     {Name: "c", Repo: "./rel/c", Version: "0.1.0-rc.1", Ref: "0.1.0-rc.1", Commit: c3},
			"true":  {Name: "true", Repo: "x y: z", Version: "2.0.0", Ref: "v2.0.0", Commit: c3},
		},
	}
}

func TestMarshalGolden(t *testing.T) {
	want := Header + `
lock_version: 1
environment: dev
manifest_digest: "sha256:abababababababababababababababababababababababababababababababab"
tools:
  go:
    requested: "1.22"
    version: "1.22.12"
  "npm:eslint":
    version: "8.0.0"
components:
  a-app:
    repo: "git@host:org/a.git"
    ref: main
    commit: "2222222222222222222222222222222222222222"
    depends_on: [b-lib, c]
  b-lib:
    repo: "file:///tmp/b"
    version: "1.2.0"
    ref: v1.2.0
    commit: "1111111111111111111111111111111111111111"
  c:
    repo: "./rel/c"
    version: "0.1.0-rc.1"
    ref: "0.1.0-rc.1"
    commit: "3333333333333333333333333333333333333333"
  "true":
    repo: "x y: z"
    version: "2.0.0"
    ref: v2.0.0
    commit: "3333333333333333333333333333333333333333"
`
	got := string(sample().Marshal())
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Marshal mismatch (-want +got):\n%s", d)
	}
	if again := string(sample().Marshal()); again != got {
		t.Fatal("Marshal is not deterministic")
	}
}

func TestRegistryComponent(t *testing.T) {
	f := &File{Tools: map[string]Tool{}, Components: map[string]*Component{
		"app": {Name: "app", Repo: "file:///app", Version: "1.0.0", Ref: "v1.0.0", Commit: c1, DependsOn: []string{"lib"}},
		"lib": {Name: "lib", Registry: "default", RegistryURL: "http://127.0.0.1:7878", Version: "1.2.0",
			Checksum: "sha256:" + strings.Repeat("cd", 32), DependsOn: []string{"base"}},
	}}
	want := Header + `
lock_version: 1
components:
  app:
    repo: "file:///app"
    version: "1.0.0"
    ref: v1.0.0
    commit: "1111111111111111111111111111111111111111"
    depends_on: [lib]
  lib:
    registry: default
    registry_url: "http://127.0.0.1:7878"
    version: "1.2.0"
    checksum: ` + ck + `
    depends_on: [base]
`
	got := f.Marshal()
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Fatalf("Marshal mismatch (-want +got):\n%s", d)
	}
	g := checkRoundTrip(t, f, got)
	if !g.Components["lib"].FromRegistry() || g.Components["app"].FromRegistry() {
		t.Error("FromRegistry is wrong")
	}
	// Same version, another checksum: a change.
	h, _ := Parse("y.yaml", got)
	h.Components["lib"].Checksum = "sha256:" + strings.Repeat("ef", 32)
	if ch := Compare(g, h); len(ch) != 1 || ch[0].Name != "lib" || ch[0].Kind != Changed {
		t.Errorf("Compare = %+v, want lib changed", ch)
	}
	if ch := Compare(g, g); len(ch) != 0 {
		t.Errorf("Compare with itself = %+v", ch)
	}
	// Verify leaves registry components alone (no git remote to ask).
	probs, err := Verify(context.Background(), g, fakeRemote{}, func(c *Component) string { return c.Repo }, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range probs {
		if p.Name == "lib" {
			t.Errorf("Verify reported a registry component: %+v", p)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	f := sample()
	checkRoundTrip(t, f, f.Marshal())
}

// checkRoundTrip parses data, f marshalled, and checks that it gives f
// back but for what only parsing fills in (file name, lines); it returns
// what it parsed.
func checkRoundTrip(t *testing.T, f *File, data []byte) *File {
	t.Helper()
	g, err := Parse("x.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range g.Components {
		c.Line = 0
	}
	g.Name = ""
	if d := cmp.Diff(f, g); d != "" {
		t.Fatalf("round trip (-want +got):\n%s", d)
	}
	return g
}

func TestEmpty(t *testing.T) {
	f := &File{Components: map[string]*Component{}}
	g, err := Parse("x", f.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Components) != 0 || g.Legacy {
		t.Fatalf("got %+v", g)
	}
}

func TestLegacy(t *testing.T) {
	tests := []struct {
		file string
		env  string
		want map[string]Component
	}{
		{"components.lock.dev.yaml", "dev", map[string]Component{}},
		{"components.lock.staging.yaml", "staging", map[string]Component{
			"test-component": {Version: "1.0.0", Ref: "v1.0.0", Commit: "abc123def456"},
		}},
		{"components.lock.dev.generated.yaml", "dev", map[string]Component{
			"agent-core":                {Ref: "dev", Commit: c1, Repo: "git@github.com:yourorg/agent-core.git"},
			"detector-core":             {Ref: "dev", Commit: c1, Repo: "git@github.com:yourorg/detector-core.git"},
			"scraper-capabilities":      {Ref: "dev", Commit: c1, Repo: "git@github.com:yourorg/scraper-capabilities.git"},
			"infrastructure-components": {Ref: "dev", Commit: c1, Repo: "git@github.com:yourorg/infrastructure-components.git"},
		}},
		{"components.lock.prod.generated.yaml", "prod", nil},
		{"components.lock.staging.generated.yaml", "staging", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := Read(filepath.Join("testdata", tt.file), tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Legacy || f.Environment != tt.env {
				t.Fatalf("legacy=%v env=%q", f.Legacy, f.Environment)
			}
			if tt.want == nil {
				if len(f.Components) != 4 {
					t.Fatalf("want 4 components, got %d", len(f.Components))
				}
				return
			}
			got := map[string]Component{}
			for n, c := range f.Components {
				cc := *c
				cc.Name, cc.Line, cc.DependsOn = "", 0, nil
				got[n] = cc
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
			// A legacy lock with full commits rewritten in meta's format
			// reads back the same.
			if !fullCommits(f) {
				return
			}
			g, err := Parse("new", f.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			if len(g.Components) != len(f.Components) || g.Legacy {
				t.Fatal("rewrite lost components")
			}
		})
	}
	f, _ := Read("testdata/components.lock.staging.generated.yaml", "s")
	if f.PromotedFrom != "dev" {
		t.Fatalf("promoted_from = %q", f.PromotedFrom)
	}
}

func TestParseErrors(t *testing.T) {
	const head = "lock_version: 1\n"
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"invalid yaml", head + "components:\n  a: [\n", 0, ""},
		{"empty", "", 1, "empty"},
		{"not a map", "- a\n", 1, "expected a mapping"},
		{"newer", "lock_version: 2\ncomponents: {}\n", 1, "newer than"},
		{"bad lock_version", "lock_version: one\ncomponents: {}\n", 1, "positive whole number"},
		{"unknown top key", head + "component: {}\n", 2, `unknown key "component" (did you mean "components"?)`},
		{"missing components", head + "environment: dev\n", 1, "missing 'components'"},
		{"bad digest", head + "manifest_digest: md5:abc\ncomponents: {}\n", 2, "manifest_digest"},
		{"no commit", head + "components:\n  a:\n    repo: x\n", 3, "has no 'commit'"},
		{"short commit", head + "components:\n  a:\n    commit: abc1234\n", 4, "40 (or 64) hex"},
		{"bad version", head + "components:\n  a:\n    version: main\n    commit: " + c1 + "\n", 4, "not a semantic version"},
		{"unknown comp key", head + "components:\n  a:\n    sha: " + c1 + "\n", 4, `unknown key "sha"`},
		{"bad deps", head + "components:\n  a:\n    commit: " + c1 + "\n    depends_on: b\n", 5, "must be a list"},
		{"bad dep name", head + "components:\n  a:\n    commit: " + c1 + "\n    depends_on: [\"b c\"]\n", 5, `"b c"`},
		{"bad name", head + "components:\n  \"a b\":\n    commit: " + c1 + "\n", 3, "component name"},
		{"comp not map", head + "components:\n  a: x\n", 3, "must be a mapping"},
		{"tools", head + "tools:\n  go: 1.22\ncomponents: {}\n", 3, "tool \"go\""},
		{"legacy bad sha", "components:\n  a:\n    sha: zz\n", 3, "7 to 64 hex"},
		{"registry without checksum", head + "components:\n  a:\n    registry: default\n    version: 1.0.0\n", 3, "checksum must be"},
		{"registry bad checksum", head + "components:\n  a:\n    registry: default\n    version: 1.0.0\n    checksum: md5:00\n", 6, "checksum must be"},
		{"registry with commit", head + "components:\n  a:\n    registry: default\n    version: 1.0.0\n    commit: " + c1 + "\n    checksum: " + ck + "\n", 6, "cannot have a 'commit'"},
		{"registry with repo", head + "components:\n  a:\n    registry: default\n    repo: x\n    version: 1.0.0\n    checksum: " + ck + "\n", 5, "cannot have a 'repo'"},
		{"registry without version", head + "components:\n  a:\n    registry: default\n    checksum: " + ck + "\n", 3, "has no 'version'"},
		{"registry bad name", head + "components:\n  a:\n    registry: \"a b\"\n    version: 1.0.0\n    checksum: " + ck + "\n", 4, "registry"},
		{"checksum without registry", head + "components:\n  a:\n    commit: " + c1 + "\n    checksum: " + ck + "\n", 5, "no 'registry'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("manifests/components.lock.dev.yaml", []byte(tt.in))
			var ye *yamlpos.Error
			if !errors.As(err, &ye) {
				t.Fatalf("want *yamlpos.Error, got %v", err)
			}
			if ye.File != "manifests/components.lock.dev.yaml" {
				t.Errorf("file = %q", ye.File)
			}
			if tt.line != 0 && ye.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", ye.Line, tt.line, err)
			}
			if tt.line == 0 && ye.Line == 0 {
				t.Errorf("syntax error without a position: %v", err)
			}
			if !strings.Contains(ye.Msg, tt.msg) {
				t.Errorf("msg = %q, want it to contain %q", ye.Msg, tt.msg)
			}
		})
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	p := Path(dir, "dev")
	if err := Write(p, sample()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, sample().Marshal()) {
		t.Fatal("content differs")
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
	if RelPath("") != "manifests/components.lock.yaml" || RelPath("prod") != "manifests/components.lock.prod.yaml" {
		t.Fatal("RelPath")
	}
}

func loadManifest(t *testing.T, yaml string) *manifest.Manifest {
	t.Helper()
	dir := t.TempDir()
	m, err := manifest.Parse(filepath.Join(dir, "meta"), "manifests/components.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const manifestYAML = `tools: [go@1.22]
components:
  app:
    repo: file:///r/app
    ref: main
    depends_on: ["lib:^1.0.0"]
  lib:
    repo: file:///r/lib
    version: "^1.0.0"
environments:
  dev: {}
  prod:
    lib: "~1.2.0"
    app: "^2.0.0"
overrides:
  lib: {version: "1.2.3", reason: "CVE"}
`

func TestDigest(t *testing.T) {
	m := loadManifest(t, manifestYAML)
	d := Digest(m, "dev")
	if !validDigest(d) {
		t.Fatalf("digest %q", d)
	}
	if Digest(m, "dev") != d {
		t.Fatal("not deterministic")
	}
	if Digest(m, "prod") == d {
		t.Fatal("environments must differ")
	}
	// Inputs that matter change it; others do not.
	changes := map[string]string{
		"range":    strings.Replace(manifestYAML, `"^1.0.0"`+"\nenv", `"^1.1.0"`+"\nenv", 1),
		"dep":      strings.Replace(manifestYAML, `"lib:^1.0.0"`, `"lib:^1.1.0"`, 1),
		"override": strings.Replace(manifestYAML, `"1.2.3"`, `"1.2.4"`, 1),
		"tool":     strings.Replace(manifestYAML, "go@1.22", "go@1.23", 1),
		"repo":     strings.Replace(manifestYAML, "file:///r/app", "file:///r/app2", 1),
		"ref":      strings.Replace(manifestYAML, "ref: main", "ref: dev", 1),
	}
	for what, y := range changes {
		if y == manifestYAML {
			t.Fatalf("%s: replacement did not apply", what)
		}
		if Digest(loadManifest(t, y), "dev") == d {
			t.Errorf("%s change does not change the digest", what)
		}
	}
	same := map[string]string{
		"reason":      strings.Replace(manifestYAML, `"CVE"`, `"other"`, 1),
		"description": strings.Replace(manifestYAML, "ref: main", "ref: main\n    description: hi", 1),
		"dep order":   strings.Replace(manifestYAML, "tools: [go@1.22]", "tools: [go@1.22]", 1),
	}
	for what, y := range same {
		if Digest(loadManifest(t, y), "dev") != d {
			t.Errorf("%s change changes the digest", what)
		}
	}
}

func TestStale(t *testing.T) {
	m := loadManifest(t, manifestYAML)
	f := &File{Environment: "dev", ManifestDigest: Digest(m, "dev"), Components: map[string]*Component{
		"app": {Name: "app", Repo: "file:///r/app", Ref: "main", Commit: c1, DependsOn: []string{"lib"}},
		"lib": {Name: "lib", Repo: "file:///r/lib", Version: "1.2.3", Ref: "v1.2.3", Commit: c2},
	}}
	if s := Stale(f, m, "dev"); s != nil {
		t.Fatalf("fresh lock reported stale: %v", s)
	}
	m2 := loadManifest(t, strings.Replace(strings.Replace(manifestYAML, "ref: main", "ref: dev", 1), `"1.2.3"`, `"1.2.4"`, 1))
	got := strings.Join(Stale(f, m2, "dev"), "\n")
	for _, want := range []string{`app: now tracks "dev"`, "lib: locked 1.2.3 does not satisfy 1.2.4"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	delete(f.Components, "lib")
	f.Components["gone"] = &Component{Name: "gone", Commit: c3}
	got = strings.Join(Stale(f, m2, "dev"), "\n")
	for _, want := range []string{"lib: added to the manifest", "gone: locked, but no longer in the manifest"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

func TestCompare(t *testing.T) {
	a := &File{Components: map[string]*Component{
		"same":    {Name: "same", Version: "1.0.0", Commit: c1},
		"abbrev":  {Name: "abbrev", Ref: "main", Commit: c1[:12]},
		"changed": {Name: "changed", Version: "1.0.0", Commit: c1},
		"gone":    {Name: "gone", Commit: c1},
	}}
	b := &File{Components: map[string]*Component{
		"same":    {Name: "same", Version: "1.0.0", Commit: c1},
		"abbrev":  {Name: "abbrev", Ref: "main", Commit: c1},
		"changed": {Name: "changed", Version: "1.1.0", Commit: c2},
		"new":     {Name: "new", Commit: c3},
	}}
	var got []string
	for _, c := range Compare(a, b) {
		got = append(got, c.Name+":"+string(c.Kind))
	}
	want := []string{"changed:changed", "gone:removed", "new:added"}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
}

func TestPromote(t *testing.T) {
	m := loadManifest(t, strings.Replace(manifestYAML, "overrides:\n  lib: {version: \"1.2.3\", reason: \"CVE\"}\n", "", 1))
	src := &File{Environment: "dev", Components: map[string]*Component{
		"app": {Name: "app", Repo: "file:///r/app", Ref: "main", Commit: c1},
		"lib": {Name: "lib", Repo: "file:///r/lib", Version: "1.3.0", Ref: "v1.3.0", Commit: c2},
	}}
	out, refused := Promote(src, m, "dev", "prod")
	if out.Environment != "prod" || out.PromotedFrom != "dev" || out.ManifestDigest != Digest(m, "prod") {
		t.Fatalf("header: %+v", out)
	}
	var got []string
	for _, r := range refused {
		got = append(got, r.Name+": "+r.Reason)
	}
	want := []string{
		"app: needs ^2.0.0 (range) there, but the promoted entry tracks main at 111111111111, which has no version",
		"lib: range ~1.2.0 there does not admit 1.3.0",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	if _, refused := Promote(src, m, "dev", "dev"); len(refused) != 0 {
		t.Fatalf("dev → dev refused: %v", refused)
	}
}

type fakeRemote struct {
	refs    map[string][]git.Ref
	commits map[string]bool
}

func (f fakeRemote) Refs(ctx context.Context, url string) ([]git.Ref, error) {
	r, ok := f.refs[url]
	if !ok {
		return nil, errors.New("no such repository")
	}
	return r, nil
}

func (f fakeRemote) HasCommit(ctx context.Context, url, commit string) (bool, error) {
	return f.commits[commit], nil
}

func TestVerify(t *testing.T) {
	f := &File{Components: map[string]*Component{
		"tip":     {Name: "tip", Repo: "a", Ref: "main", Commit: c1},
		"old":     {Name: "old", Repo: "a", Ref: "main", Commit: c2},
		"gone":    {Name: "gone", Repo: "a", Ref: "main", Commit: c3},
		"moved":   {Name: "moved", Repo: "a", Version: "1.0.0", Ref: "v1.0.0", Commit: c2},
		"missing": {Name: "missing", Repo: "nope", Commit: c1},
	}}
	r := fakeRemote{
		refs:    map[string][]git.Ref{"a": {{Name: "refs/heads/main", Commit: c1}, {Name: "refs/tags/v1.0.0", Commit: c1}}},
		commits: map[string]bool{c2: true},
	}
	probs, err := Verify(context.Background(), f, r, func(c *Component) string { return c.Repo }, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.Name+": "+p.Msg)
	}
	want := []string{
		"gone: locked commit 333333333333 (main) no longer exists on a",
		"missing: cannot list nope: no such repository",
		"moved: tag v1.0.0 now points at 111111111111, but the lock says 222222222222",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
}

// FuzzParse: the reader never panics, and whatever it accepts it writes
// back in a form that reads to the same components.
func FuzzParse(f *testing.F) {
	f.Add(sample().Marshal())
	for _, name := range []string{"components.lock.dev.yaml", "components.lock.staging.yaml", "components.lock.dev.generated.yaml"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("lock_version: 1\ncomponents:\n  a: {commit: " + c1 + ", depends_on: [b, b]}\n"))
	f.Add([]byte("components: {x: {sha: abcdef0, version: '1.0'}}"))
	f.Add([]byte("lock_version: 1\ncomponents:\n  a: {registry: r, registry_url: 'http://h', version: 1.0.0, checksum: " + ck + "}\n"))
	// Option injection (issue 15): refs and commits that git could read as options.
	f.Add([]byte("lock_version: 1\ncomponents:\n  a: {ref: '--upload-pack=touch PWNED #', commit: " + c1 + "}\n"))
	f.Add([]byte("lock_version: 1\ncomponents:\n  a: {ref: main, commit: '--upload-pack=x'}\n"))
	f.Add([]byte("components: {x: {sha: abcdef0, version: '-x'}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse("fuzz.yaml", data)
		if err != nil {
			var ye *yamlpos.Error
			if !errors.As(err, &ye) {
				t.Fatalf("error is not positioned: %T %v", err, err)
			}
			return
		}
		for _, c := range lf.Components {
			if c.Ref != "" && git.CheckRefName(c.Ref) != nil {
				t.Fatalf("%s: accepted ref %q that git would refuse", c.Name, c.Ref)
			}
			if strings.HasPrefix(c.Commit, "-") {
				t.Fatalf("%s: accepted commit %q", c.Name, c.Commit)
			}
		}
		if !fullCommits(lf) {
			return // abbreviated commits of legacy files are not written
		}
		out := lf.Marshal()
		again, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("rewritten lock does not parse: %v\n%s", err, out)
		}
		if !bytes.Equal(again.Marshal(), out) {
			t.Fatalf("not stable:\n%s\n---\n%s", out, again.Marshal())
		}
	})
}

func TestParseRefusesOptionLikeValues(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"lock_version: 1\ncomponents:\n  a:\n    ref: \"--upload-pack=touch PWNED #\"\n    commit: " + c1 + "\n",
			`x.yaml:4:10: a.ref "--upload-pack=touch PWNED #" is not a valid git ref name: it starts with '-'`},
		{"lock_version: 1\ncomponents:\n  a:\n    ref: a..b\n    commit: " + c1 + "\n", `a.ref "a..b" is not a valid git ref name: it contains '..'`},
		{"lock_version: 1\ncomponents:\n  a:\n    ref: main\n    commit: \"--x\"\n", `a.commit must be a commit id of 40 (or 64) hex digits`},
		{"components:\n  a:\n    sha: abcdef0\n    version: \"-b\"\n", `a.ref "-b" is not a valid git ref name`},
	} {
		_, err := Parse("x.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func fullCommits(f *File) bool {
	for _, c := range f.Components {
		if !c.FromRegistry() && !validCommit(c.Commit, false) {
			return false
		}
	}
	return true
}

func TestRefKindOf(t *testing.T) {
	for ref, want := range map[string]RefKind{
		"main": RefBranch, "staging": RefBranch, "release/2.x": RefBranch, "v1.2.0": RefTag, "1.2.0": RefTag,
		"abcdef0": RefCommit, "abcdef": RefBranch, strings.Repeat("a", 40): RefCommit,
	} {
		if got := RefKindOf(ref); got != want {
			t.Errorf("RefKindOf(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestAdmits(t *testing.T) {
	m := loadManifest(t, manifestYAML)
	lib := m.Components["lib"]
	app := m.Components["app"]
	tests := []struct {
		name string
		c    *manifest.Component
		lc   Component
		want string // "" admitted, else a substring of the reason
	}{
		{"override admits", lib, Component{Version: "1.2.3", Commit: c1}, ""},
		{"override refuses", lib, Component{Version: "1.2.4", Commit: c1}, "override 1.2.3 there does not admit 1.2.4"},
		{"override needs a version", lib, Component{Ref: "main", Commit: c1}, "needs 1.2.3 (override)"},
		{"same ref", app, Component{Ref: "main", Commit: c1}, ""},
		{"other branch: pinned to the promoted commit", app, Component{Ref: "dev", Commit: c1}, ""},
		{"a pinned tag", &manifest.Component{Name: "t", Ref: "v1.0.0"}, Component{Ref: "dev", Commit: c1}, "pins tag v1.0.0 there, but the promoted entry is dev"},
		{"the pinned tag", &manifest.Component{Name: "t", Ref: "v1.0.0"}, Component{Ref: "v1.0.0", Commit: c1}, ""},
		{"a pinned commit", &manifest.Component{Name: "t", Ref: "abcdef0123"}, Component{Ref: "dev", Commit: c1}, "pins commit abcdef0123 there"},
		{"range", m.Effective(app, "prod"), Component{Version: "2.1.0", Commit: c1}, ""},
		{"range refuses", m.Effective(app, "prod"), Component{Version: "1.9.0", Commit: c1}, "range ^2.0.0 there does not admit 1.9.0"},
		{"registry entry for a git component", m.Effective(app, "prod"), Component{Version: "2.1.0", Registry: "default"}, `the promoted entry is from registry "default"`},
		{"git entry for a registry component", &manifest.Component{Name: "r", Registry: "default"}, Component{Version: "2.1.0", Commit: c1}, "the promoted entry is a git commit"},
		{"other registry", &manifest.Component{Name: "r", Registry: "default"}, Component{Version: "2.1.0", Registry: "mirror"}, `from registry "mirror"`},
		{"same registry", &manifest.Component{Name: "r", Registry: "default", Version: "^2.0.0"}, Component{Version: "2.1.0", Registry: "default"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Admits(m, tt.c, &tt.lc)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Fatalf("Admits = %q, want %q", got, tt.want)
			}
		})
	}
}
