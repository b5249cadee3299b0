package declared

import (
	"context"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain"
)

func offlineOpts(t *testing.T) toolchain.Options {
	dir := t.TempDir()
	return toolchain.Options{CacheDir: dir + "/cache", DataDir: dir + "/data", Getenv: func(string) string { return "" }}
}

// badSources gives m a tools.sources entry the toolchain does not know.
func badSources(m *manifest.Manifest) *manifest.Manifest {
	m.ToolSources = map[string]string{"bogus": "https://x"}
	return m
}

func TestEnvFor(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     *manifest.Manifest
		notes []string // prefixes of the notes expected
	}{
		{"no tools", parse(t, "components:\n  api:\n    repo: https://example.com/api.git\n"), nil},
		{"tools not installed stay on PATH", parse(t, "tools: [go@1.22.12]\ncomponents: {}\n"), []string{"go@1.22.12: using PATH ("}},
		{"sources that do not load: nothing", badSources(parse(t, "tools: [go@1.22.12]\ncomponents: {}\n")), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var notes progress.Collector
			if env := EnvFor(context.Background(), tc.m, nil, offlineOpts(t), "/usr/bin", &notes); env != nil {
				t.Errorf("EnvFor = %v, want nil (nothing installed)", env)
			}
			got := notes.Notes()
			if len(got) != len(tc.notes) {
				t.Fatalf("notes = %v, want %d", got, len(tc.notes))
			}
			for i, p := range tc.notes {
				if !strings.HasPrefix(got[i].Status, p) {
					t.Errorf("note %d = %q, want prefix %q", i, got[i].Status, p)
				}
			}
		})
	}
}

func TestLockFor(t *testing.T) {
	old := &lockfile.File{Tools: map[string]lockfile.Tool{"go": {Requested: "1.22", Version: "1.22.12"}}}
	for _, tc := range []struct {
		name  string
		m     *manifest.Manifest
		want  map[string]lockfile.Tool
		notes []string
	}{
		{"no tools: an empty map", parse(t, "components: {}\n"), map[string]lockfile.Tool{}, nil},
		{"offline: the old versions stay", parse(t, "tools: [go@1.22]\ncomponents: {}\n"), old.Tools, []string{"tools not resolved"}},
		{"bad sources are a note, then the defaults", badSources(parse(t, "tools: [go@1.22]\ncomponents: {}\n")),
			old.Tools, []string{"unknown tool source \"bogus\"", "tools not resolved"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var notes progress.Collector
			o := offlineOpts(t)
			o.Offline = true
			got := LockFor(context.Background(), tc.m, old, o, &notes)
			if got == nil || len(got) != len(tc.want) || got["go"] != tc.want["go"] {
				t.Errorf("LockFor = %v, want %v", got, tc.want)
			}
			n := notes.Notes()
			if len(n) != len(tc.notes) {
				t.Fatalf("notes = %v, want %d", n, len(tc.notes))
			}
			for i, p := range tc.notes {
				if !strings.Contains(n[i].Status, p) {
					t.Errorf("note %d = %q, want %q in it", i, n[i].Status, p)
				}
			}
		})
	}
}
