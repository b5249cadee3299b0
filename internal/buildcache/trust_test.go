package buildcache

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aead.dev/minisign"
	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/store"
)

func TestEarlyCutoff(t *testing.T) {
	m, top := workspaceDir(t, threeComps())
	c, _ := newCache(t, nil)
	ctx := context.Background()
	// Before lib is built, svc's key is provisional: it needs lib's outputs.
	if _, err := c.Keys(ctx, m, []string{"svc"}, nil); err == nil || !strings.Contains(err.Error(), "depends on the outputs of lib") {
		t.Errorf("Keys(svc) before building lib: %v", err)
	}
	if e, err := c.Explain(ctx, m, "svc", nil); err != nil || !slices.Equal(e.Provisional, []string{"lib"}) {
		t.Errorf("explain svc before building lib: %+v %v", e, err)
	}
	if _, err := c.Build(ctx, m, nil, BuildOptions{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	// README.md is an input of lib but not part of its outputs.
	writeFile(t, filepath.Join(top, "lib", "README.md"), "a new readme\n")
	rs, err := c.Build(ctx, m, nil, BuildOptions{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Hit, "docs": Hit}, outcomes(rs)); d != "" {
		t.Fatalf("after a README change (-want +got):\n%s", d)
	}
	for _, r := range rs {
		if r.Name == "svc" && (len(r.Cutoff) != 1 || r.Cutoff[0].Dep != "lib" || r.Cutoff[0].OldKey == r.Cutoff[0].NewKey) {
			t.Errorf("svc cutoff = %+v, want lib with a new key", r.Cutoff)
		}
	}
	e, err := c.Explain(ctx, m, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !e.Cached || len(e.Cutoff) != 1 {
		t.Errorf("explain svc: cached %v cutoff %+v", e.Cached, e.Cutoff)
	}
}

func TestStrictEnv(t *testing.T) {
	u := &Unit{Name: "x", Env: []string{"MODE", "UNSET"}}
	visible := []string{"PATH=/a:/b", "HOME=/h", "FOO=secret", "MODE=dev", "LANG=C", "LC_ALL=C", "PWD=/x", "GH_TOKEN=t0k"}
	for _, tc := range []struct {
		mode      EnvMode
		cmd       []string
		env       map[string]string
		looseKeys []string
	}{
		{EnvStrict, []string{"HOME=/h", "LANG=C", "LC_ALL=C", "MODE=dev", "PATH=/a:/b"}, map[string]string{"MODE": "dev", "UNSET": "", "LANG": "C", "LC_ALL": "C"}, nil},
		{EnvLoose, []string{"FOO=secret", "GH_TOKEN=t0k", "HOME=/h", "LANG=C", "LC_ALL=C", "MODE=dev", "PATH=/a:/b", "PWD=/x"}, map[string]string{"MODE": "dev", "UNSET": "", "LANG": "C", "LC_ALL": "C"}, []string{"FOO", "HOME"}},
	} {
		e := newBuildEnv(tc.mode, visible, nil, nil, t.TempDir())
		var warned []string
		e.warn = func(s string) { warned = append(warned, s) }
		doc := &Document{Env: map[string]string{}}
		got := e.forUnit(u, doc)
		if tc.mode == EnvLoose && (len(warned) != 1 || !strings.Contains(warned[0], "GH_TOKEN")) {
			t.Errorf("loose mode warnings = %q, want one naming GH_TOKEN", warned)
		}
		if d := cmp.Diff(tc.cmd, got); d != "" {
			t.Errorf("%s: command env (-want +got):\n%s", tc.mode, d)
		}
		if d := cmp.Diff(tc.env, doc.Env); d != "" {
			t.Errorf("%s: keyed env (-want +got):\n%s", tc.mode, d)
		}
		var loose []string
		for k, v := range doc.LooseEnv {
			loose = append(loose, k)
			if strings.Contains(v, "secret") {
				t.Errorf("loose env keeps a value in clear: %s", v)
			}
		}
		slices.Sort(loose)
		if d := cmp.Diff(tc.looseKeys, loose); d != "" {
			t.Errorf("%s: loose keys (-want +got):\n%s", tc.mode, d)
		}
		if d := cmp.Diff([]string{"/a", "/b"}, doc.Path); d != "" {
			t.Errorf("%s: path (-want +got):\n%s", tc.mode, d)
		}
	}
}

func TestProbeArgs(t *testing.T) {
	for spec, want := range map[string]string{
		"go@1.22":                            "go version",
		"node@20":                            "node --version",
		"python@3.11":                        "python3 --version",
		"rust":                               "rustc --version",
		"npm:eslint@8":                       "eslint --version",
		"npm:@scope/pkg@8":                   "pkg --version",
		"uv:ruff":                            "ruff --version",
		"go:golang.org/x/tools/gopls@latest": "gopls --version",
		"jq":                                 "jq --version",
	} {
		if got := strings.Join(probeArgs(spec), " "); got != want {
			t.Errorf("probeArgs(%q) = %q, want %q", spec, got, want)
		}
	}
	env := []string{"PATH=" + t.TempDir()}
	if got := probeTool(context.Background(), "nosuchtool", env, t.TempDir()); got != "(not found on PATH)" {
		t.Errorf("missing tool: %q", got)
	}
}

// TestPoisonedRecord is the attack: a record rewritten to name another
// component's outputs, its own key document kept, is served without
// trusted keys and refused with them.
func TestPoisonedRecord(t *testing.T) {
	comps := []comp{
		{name: "lib", files: map[string]string{"src.txt": "lib\n"}, command: "mkdir -p out && cp src.txt out/x", outputs: []string{"out"}},
		{name: "docs", files: map[string]string{"src.txt": "docs\n"}, command: "mkdir -p out && cp src.txt out/x", outputs: []string{"out"}},
	}
	m, top := workspaceDir(t, comps)
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privText, _ := priv.MarshalText()
	remoteDir := t.TempDir()
	remote, err := backend.OpenLocal(remoteDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	signing := openWith(t, Options{Remote: remote, SigningKey: privText, TrustedKeys: []string{pub.String()}})
	if _, err := signing.Build(ctx, m, nil, BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	recs := map[string]*Record{}
	for _, r := range mustRecords(t, signing) {
		if r.Signature == "" {
			t.Fatalf("%s: record not signed", r.Component)
		}
		recs[r.Component] = r
	}
	poisoned := *recs["lib"]
	poisoned.Output, poisoned.Archive, poisoned.Size, poisoned.ArchiveSize = recs["docs"].Output, recs["docs"].Archive, recs["docs"].Size, recs["docs"].ArchiveSize
	data, _ := json.Marshal(&poisoned)
	if err := os.WriteFile(filepath.Join(remoteDir, "ac", poisoned.Key), data, 0o644); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(top, "lib", "out"))

	// Without trusted keys the poisoned record is served.
	var warnings []string
	naive := openWith(t, Options{Remote: remote, Warn: func(s string) { warnings = append(warnings, s) }})
	rs, _ := naive.Build(ctx, m, []string{"lib"}, BuildOptions{})
	if got, _ := os.ReadFile(filepath.Join(top, "lib", "out", "x")); rs[0].Outcome != RemoteHit || string(got) != "docs\n" {
		t.Fatalf("without keys: %v, lib/out/x = %q (the attack should work without signatures)", rs, got)
	}
	// With trusted keys it is a miss with a warning, and lib builds.
	os.RemoveAll(filepath.Join(top, "lib", "out"))
	warnings = nil
	careful := openWith(t, Options{Remote: remote, TrustedKeys: []string{pub.String()}, Warn: func(s string) { warnings = append(warnings, s) }})
	rs, _ = careful.Build(ctx, m, nil, BuildOptions{})
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "docs": RemoteHit}, outcomes(rs)); d != "" {
		t.Fatalf("with keys (-want +got):\n%s", d)
	}
	if got, _ := os.ReadFile(filepath.Join(top, "lib", "out", "x")); string(got) != "lib\n" {
		t.Fatalf("lib/out/x = %q", got)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "does not verify against any trusted key") {
		t.Errorf("warnings = %q", warnings)
	}
	var rec Record
	json.Unmarshal(data, &rec)
	rec.Signature = ""
	if err := careful.verify(&rec); !errors.Is(err, ErrUnsignedRecord) {
		t.Errorf("unsigned record: %v", err)
	}
}

func TestStoredLog(t *testing.T) {
	comps := []comp{{name: "lib", files: map[string]string{"src.txt": "lib\n"}, command: "echo out; echo err >&2; mkdir -p out && cp src.txt out/x", outputs: []string{"out"}}}
	m, _ := workspaceDir(t, comps)
	c, _ := newCache(t, nil)
	ctx := context.Background()
	rs, _ := c.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Built || rs[0].Replayed {
		t.Fatalf("first build: %+v", rs[0])
	}
	rs, _ = c.Build(ctx, m, nil, BuildOptions{})
	if rs[0].Outcome != Hit || !rs[0].Replayed || string(rs[0].Log) != "out\nerr\n" {
		t.Fatalf("hit: outcome %s replayed %v log %q", rs[0].Outcome, rs[0].Replayed, rs[0].Log)
	}
	long := strings.Repeat("x", maxKeptLog+10)
	if k := keptLog([]byte(long)); len(k) <= maxKeptLog || !strings.HasPrefix(string(k), "[meta: earlier output cut") || !strings.HasSuffix(string(k), "xxx") {
		t.Errorf("long log kept as %d bytes", len(k))
	}
}

func openWith(t *testing.T, opts Options) *Cache {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustRecords(t *testing.T, c *Cache) []*Record {
	t.Helper()
	recs, err := c.Records()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}
