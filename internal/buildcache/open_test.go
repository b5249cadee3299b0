package buildcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/store"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestChooseRemotePrecedence(t *testing.T) {
	m := &manifest.Manifest{Dir: "/ws/meta"}
	m.Cache.Remote = "cache-dir"
	for _, tc := range []struct {
		name string
		s    Settings
		want RemoteChoice
	}{
		{"flag wins", Settings{Manifest: m, RemoteFlag: "s3://f", UserRemote: "s3://u", Getenv: env(EnvRemote, "s3://e")}, RemoteChoice{"s3://f", "--remote-cache"}},
		{"env over user config", Settings{Manifest: m, UserRemote: "s3://u", Getenv: env(EnvRemote, "s3://e")}, RemoteChoice{"s3://e", EnvRemote}},
		{"user config over manifest", Settings{Manifest: m, UserRemote: "s3://u", Getenv: env()}, RemoteChoice{"s3://u", "user config"}},
		{"manifest path is relative to the meta repository", Settings{Manifest: m, WorkDir: "/elsewhere", Getenv: env()}, RemoteChoice{"/ws/meta/cache-dir", "manifest"}},
		{"other paths are relative to the working directory", Settings{Manifest: m, RemoteFlag: "rc", WorkDir: "/wd", Getenv: env()}, RemoteChoice{"/wd/rc", "--remote-cache"}},
		{"none", Settings{Manifest: &manifest.Manifest{}, Getenv: env()}, RemoteChoice{}},
	} {
		if got := tc.s.ChooseRemote(); got != tc.want {
			t.Errorf("%s: ChooseRemote = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if l := (RemoteChoice{From: "user config"}).Label(); l != "cache.remote (user config)" {
		t.Errorf("Label = %q", l)
	}
}

func TestRemoteTimeout(t *testing.T) {
	m := &manifest.Manifest{}
	m.Cache.Timeout = 3e9
	var warned []string
	s := Settings{Manifest: m, Getenv: env(EnvTimeout, "soon"), Warn: func(w string) { warned = append(warned, w) }}
	if d := s.RemoteTimeout(); d != 0 || len(warned) != 1 || !strings.Contains(warned[0], `META_CACHE_TIMEOUT="soon"`) {
		t.Errorf("bad env value: %v, warnings %q", d, warned)
	}
	s.Getenv = env(EnvTimeout, "2s")
	if d := s.RemoteTimeout(); d != 2e9 {
		t.Errorf("env 2s: %v", d)
	}
	s.Getenv = env()
	if d := s.RemoteTimeout(); d != 3e9 {
		t.Errorf("manifest 3s: %v", d)
	}
}

func TestOpenWith(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := &manifest.Manifest{Dir: t.TempDir()}
	var warned []string
	s := Settings{Manifest: m, RemoteFlag: "nosuch://x", Getenv: env(EnvReadOnly, "1"), Warn: func(w string) { warned = append(warned, w) }}
	c, rc, err := OpenWith(ctx, st, s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Remote() != nil || rc.From != "--remote-cache" || len(warned) != 1 || !strings.Contains(warned[0], "building without the remote cache") {
		t.Errorf("a remote that cannot be opened: remote %v, choice %+v, warnings %q", c.Remote(), rc, warned)
	}
	s = Settings{Manifest: m, RemoteFlag: t.TempDir(), Getenv: env()}
	if c, _, err = OpenWith(ctx, st, s); err != nil || c.Remote() == nil {
		t.Errorf("a local remote: %v, %v", c, err)
	}
	_, _, err = OpenWith(ctx, st, Settings{Getenv: env(EnvSigningKey, filepath.Join(t.TempDir(), "none"))})
	var kf *KeyFileError
	if !errors.As(err, &kf) || !strings.HasPrefix(err.Error(), "cache signing key: ") {
		t.Errorf("missing key file: %v", err)
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = OpenWith(ctx, st, Settings{Getenv: env(EnvSigningKey, key)})
	var ke *KeysError
	if !errors.As(err, &ke) {
		t.Errorf("bad key: %v", err)
	}
}

func TestStoreDir(t *testing.T) {
	m, _ := workspaceDir(t, nil)
	sub := filepath.Join(m.Dir, "manifests")
	dir, root, err := StoreDir(sub, env())
	if err != nil || dir != filepath.Join(m.Dir, ".meta-store") || root != m.Dir {
		t.Errorf("in a workspace: %q %q %v", dir, root, err)
	}
	out := t.TempDir()
	if _, _, err := StoreDir(out, env()); err == nil {
		t.Error("outside a workspace without META_STORE: no error")
	}
	dir, root, err = StoreDir(out, env(EnvStore, "/s"))
	if err != nil || dir != "/s" || root != "" {
		t.Errorf("META_STORE outside a workspace: %q %q %v", dir, root, err)
	}
}

func TestOpenRemoteExecSettings(t *testing.T) {
	ctx := context.Background()
	if re, err := OpenRemoteExec(ctx, &manifest.Manifest{}, ExecSettings{Getenv: env()}); re != nil || err != nil {
		t.Errorf("no executor named: %v, %v", re, err)
	}
	_, err := OpenRemoteExec(ctx, nil, ExecSettings{URL: "grpc://127.0.0.1:1", Platform: []string{"novalue"}, Getenv: env()})
	var bp *BadPlatformError
	if !errors.As(err, &bp) || bp.Prop != "novalue" {
		t.Errorf("bad platform property: %v", err)
	}
	_, err = OpenRemoteExec(ctx, nil, ExecSettings{Getenv: env(EnvExecutor, "http://x")})
	var be *BadExecutorError
	if !errors.As(err, &be) || !strings.HasPrefix(err.Error(), "--remote-exec: ") {
		t.Errorf("bad executor URL: %v", err)
	}
}

func TestLogPolicy(t *testing.T) {
	built := Result{Outcome: Built, Log: []byte("a\nb\n")}
	replayed := Result{Outcome: Hit, Log: []byte("a\n"), Replayed: true}
	failed := Result{Outcome: Failed, Log: []byte("boom")}
	for _, tc := range []struct {
		in                     string
		verbose                bool
		want                   LogPolicy
		built, replayed, fails bool
		collapses              bool
	}{
		{"", false, LogsCollapsed, true, false, true, true},
		{"", true, LogsFull, true, true, true, false},
		{"errors-only", false, LogsErrorsOnly, false, false, true, false},
		{"none", false, LogsNone, false, false, false, false},
	} {
		p, ok := ParseLogPolicy(tc.in, tc.verbose)
		if !ok || p != tc.want {
			t.Errorf("ParseLogPolicy(%q, %v) = %q, %v", tc.in, tc.verbose, p, ok)
		}
		if p.Shows(built) != tc.built || p.Shows(replayed) != tc.replayed || p.Shows(failed) != tc.fails || p.Collapses(replayed) != tc.collapses {
			t.Errorf("%s: shows built %v replayed %v failed %v, collapses %v", p, p.Shows(built), p.Shows(replayed), p.Shows(failed), p.Collapses(replayed))
		}
	}
	if _, ok := ParseLogPolicy("some", false); ok {
		t.Error("ParseLogPolicy accepted an unknown value")
	}
	if n := LogLines([]byte("a\nb\n\n")); n != 2 {
		t.Errorf("LogLines = %d", n)
	}
}

func TestPlannedReason(t *testing.T) {
	many := &Diff{Fields: []Change{{Field: "command"}}, Changed: []string{"a", "b"}, Added: []string{"c"}, Removed: []string{"d", "e"}}
	for _, tc := range []struct {
		p    Planned
		want string
	}{
		{Planned{Action: WouldHit, Cutoff: []Cutoff{{Dep: "lib"}}}, "cached for this key; lib has a new key but the same outputs (cutoff)"},
		{Planned{Action: WouldWait, Waits: []string{"a", "b"}}, "a, b build first; this key needs their outputs"},
		{Planned{Action: WouldBuild}, "never built with these inputs (no earlier build to compare with)"},
		{Planned{Action: WouldBuild, Diff: &Diff{}}, "not cached (the same key as an earlier build, whose outputs are gone)"},
		{Planned{Action: WouldBuild, Diff: many}, "command changed, a changed, b changed, c added, d removed, 1 more"},
		{Planned{Action: CannotKey, Err: errors.New("no such tool")}, "no such tool"},
	} {
		if got := tc.p.Reason(); got != tc.want {
			t.Errorf("Reason(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
	if r := (Planned{Name: "x", Action: CannotKey, Err: errors.New("e")}).Report(); r.Error != "e" || r.Reason != "e" || r.Action != "failed" {
		t.Errorf("Report = %+v", r)
	}
}

func TestLockFileRoots(t *testing.T) {
	dir := t.TempDir()
	h1, h2 := strings.Repeat("a", 64), strings.Repeat("b", 64)
	writeFile(t, filepath.Join(dir, "manifests", "components.lock.yaml"), "x: sha256:"+h1+"\n")
	writeFile(t, filepath.Join(dir, "manifests", "components.lock.ci.yaml"), "y: "+h2+"\nz: "+h2+"0\n")
	writeFile(t, filepath.Join(dir, "manifests", "other.yaml"), "w: "+strings.Repeat("c", 64)+"\n")
	got, err := LockFileRoots{Dir: dir}.Roots(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{h2, h1}, got); d != "" {
		t.Errorf("roots (-want +got):\n%s", d)
	}
}

// TestBuildProgress checks the events Build sends: the plan, a start and
// a finish (with the Result) per component, failures carrying the error.
func TestBuildProgress(t *testing.T) {
	comps := threeComps()
	comps[2].command = "exit 3"
	m, _ := workspaceDir(t, comps)
	c, _ := newCache(t, nil)
	var col progress.Collector
	var planned []string
	started := map[string]bool{}
	sink := progress.Tee(&col, progress.Func(func(e progress.Event) {
		switch e.Kind {
		case progress.Planned:
			planned = e.Items
		case progress.Started:
			started[e.Item] = e.Status == StatusChecking
		}
	}))
	rs, err := c.Build(context.Background(), m, []string{"svc", "docs"}, BuildOptions{Jobs: 1, Progress: sink})
	if rs == nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"lib", "svc", "docs"}, planned); d != "" {
		t.Errorf("planned (-want +got):\n%s", d)
	}
	if len(started) != 3 || !started["lib"] || !started["docs"] {
		t.Errorf("started = %v", started)
	}
	got := map[string]Outcome{}
	for _, r := range col.Results() {
		res := r.(Result)
		got[res.Name] = res.Outcome
	}
	if d := cmp.Diff(map[string]Outcome{"lib": Built, "svc": Built, "docs": Failed}, got); d != "" {
		t.Errorf("finished (-want +got):\n%s", d)
	}
	if col.Failed() != 1 {
		t.Errorf("failed = %d, want 1", col.Failed())
	}
}

func TestDocumentFields(t *testing.T) {
	h := strings.Repeat("f", 64)
	d := &Document{Platform: "linux/amd64", EnvMode: "loose", Command: "make", Outputs: []string{"a", "b"},
		Env: map[string]string{"B": "", "A": "1"}, LooseEnv: map[string]string{"X": h}, Deps: map[string]string{"lib": h}, DepKeys: map[string]string{"lib": "k123"}}
	want := []Field{{"platform", "linux/amd64"}, {"env mode", "loose"}, {"path", "-"}, {"command", "make"}, {"outputs", "a, b"},
		{"tools", "-"}, {"env", "A = 1"}, {"env", "B = -"}, {"loose env", "X = sha256 ffffffffffff"}, {"deps", "lib = ffffffffffff (outputs of key k123)"}}
	if diff := cmp.Diff(want, d.Fields()); diff != "" {
		t.Errorf("Fields (-want +got):\n%s", diff)
	}
}
