package declared

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain"
)

func parse(t *testing.T, text string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Parse(t.TempDir(), manifest.ManifestPath, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const ws = `tools: [go@1.22, git]
components:
  api:
    repo: https://example.com/api.git
    tools: [node@20, git]
  web:
    repo: https://example.com/web.git
    tools: [npm:eslint]
`

func TestSpecsPreferTheLockAndKeepEachSpecOnce(t *testing.T) {
	m := parse(t, ws)
	if got, want := Specs(m, nil), []string{"go@1.22", "git", "node@20", "npm:eslint"}; !slices.Equal(got, want) {
		t.Errorf("Specs(manifest) = %v, want %v", got, want)
	}
	lock := &lockfile.File{Tools: map[string]lockfile.Tool{"node": {Requested: "20", Version: "20.18.0"}, "go": {Requested: "1.22", Version: "1.22.12"}}}
	if got, want := Specs(m, lock), []string{"go@1.22.12", "node@20.18.0"}; !slices.Equal(got, want) {
		t.Errorf("Specs(lock) = %v, want %v", got, want)
	}
}

func TestRequested(t *testing.T) {
	m := parse(t, ws)
	for _, tc := range []struct {
		component string
		want      []string
		err, hint string
	}{
		{component: "", want: []string{"go@1.22", "git", "node@20", "npm:eslint"}},
		{component: "web", want: []string{"go@1.22", "git", "npm:eslint"}},
		{component: "wbe", err: `no component "wbe"`, hint: `did you mean "web"?`},
		{component: "zzzzzz", err: `no component "zzzzzz"`, hint: "meta status"},
	} {
		got, err := Requested(m, tc.component)
		if tc.err != "" {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Msg, tc.err) || !strings.Contains(ie.Hint, tc.hint) {
				t.Errorf("Requested(%q) = %v, want %q (hint %q)", tc.component, err, tc.err, tc.hint)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("Requested(%q) = %v, %v; want %v", tc.component, got, err, tc.want)
		}
	}
	none := parse(t, "components: {}\n")
	var ie *InputError
	if _, err := Requested(none, ""); !errors.As(err, &ie) || !strings.Contains(ie.Msg, "declares no tools") {
		t.Errorf("no tools: %v", err)
	}
}

// Offline with an empty cache, runtimes cannot be resolved: the lock keeps
// what it had, says so, and tools that need no list (apt) still resolve.
func TestLockKeepsOldVersionsWhenOffline(t *testing.T) {
	dir := t.TempDir()
	opts := toolchain.Options{Offline: true, CacheDir: dir + "/cache", DataDir: dir + "/data", Getenv: func(string) string { return "" }}
	old := &lockfile.File{Tools: map[string]lockfile.Tool{"go": {Requested: "1.22", Version: "1.22.12"}}}
	var notes progress.Collector
	got := Lock(context.Background(), []string{"go@1.22"}, old, opts, &notes)
	if got["go"].Version != "1.22.12" {
		t.Errorf("Lock = %v, want the old go 1.22.12", got)
	}
	if n := notes.Notes(); len(n) != 1 || !strings.Contains(n[0].Status, "tools not resolved") {
		t.Errorf("notes = %v", n)
	}
	if got := Lock(context.Background(), []string{"git", "make"}, nil, opts, nil); len(got) != 0 {
		t.Errorf("apt tools locked: %v (their versions are apt's to pick)", got)
	}
}

func TestPathEnvLeavesMissingToolsToPath(t *testing.T) {
	dir := t.TempDir()
	r, err := toolchain.NewResolver(toolchain.Options{Offline: true, CacheDir: dir + "/cache", DataDir: dir + "/data", Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	var notes progress.Collector
	if env := PathEnv(context.Background(), r, []string{"git", "go@1.22.12"}, "/usr/bin", &notes); env != nil {
		t.Errorf("PathEnv = %v, want nothing (nothing installed)", env)
	}
	if n := notes.Notes(); len(n) != 1 || !strings.HasPrefix(n[0].Status, "go@1.22.12: using PATH (") {
		t.Errorf("notes = %v", n)
	}
}

func TestCheckLockedWithoutToolsIsClean(t *testing.T) {
	if p, err := CheckLocked(nil); p != nil || err != nil {
		t.Errorf("CheckLocked(nil) = %v, %v", p, err)
	}
}
