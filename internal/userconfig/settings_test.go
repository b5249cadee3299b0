package userconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/manifest"
)

func TestLookup(t *testing.T) {
	for _, tc := range []struct {
		key, wantErr, wantHint string
		wpath, gpath           string
	}{
		{key: "jobs", wpath: "workspace.jobs", gpath: "jobs"},
		{key: "registries.acme", wpath: "registries.acme", gpath: "registries.acme"},
		{key: "tools.sources.go", gpath: "tools.sources.go"},
		{key: "workspace.name", wpath: "workspace.name"},
		{key: "tools.sources.ruby", wantErr: `unknown tool source "ruby"`, wantHint: "tool sources are: go, node, python, github"},
		{key: "registries.a.b", wantErr: `"a.b" is not a valid name`},
		{key: "jbos", wantErr: `unknown config key "jbos"`, wantHint: `did you mean "jobs"?`},
		{key: "zzzzzzzz", wantErr: "unknown config key", wantHint: "known keys: jobs, cache.remote"},
	} {
		s, err := Lookup(tc.key)
		if tc.wantErr != "" {
			var ke *KeyError
			if !errors.As(err, &ke) || !strings.Contains(ke.Msg, tc.wantErr) || !strings.Contains(ke.Hint, tc.wantHint) {
				t.Errorf("Lookup(%q) = %v (hint %q), want %q with hint %q", tc.key, err, hintOf(err), tc.wantErr, tc.wantHint)
			}
			continue
		}
		if err != nil {
			t.Errorf("Lookup(%q): %v", tc.key, err)
			continue
		}
		if got := strings.Join(s.WorkspacePath, "."); got != tc.wpath {
			t.Errorf("Lookup(%q) workspace path = %q, want %q", tc.key, got, tc.wpath)
		}
		if got := strings.Join(s.GlobalPath, "."); got != tc.gpath {
			t.Errorf("Lookup(%q) global path = %q, want %q", tc.key, got, tc.gpath)
		}
	}
}

func hintOf(err error) string {
	var ke *KeyError
	if errors.As(err, &ke) {
		return ke.Hint
	}
	return ""
}

// A workspace and a user file that both set jobs and cache.remote: jobs is
// machine-local (the user's wins), cache.remote is the team's.
func TestSetGetListPrecedence(t *testing.T) {
	root := t.TempDir()
	ws := WorkspaceScope(root)
	if err := os.MkdirAll(filepath.Dir(ws.File), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ws.File, []byte("# team settings\nworkspace:\n  name: demo\ncomponents: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	user := Scope{File: filepath.Join(t.TempDir(), "config.yaml"), Global: true}
	set := func(sc Scope, key, value string) {
		t.Helper()
		s, err := Lookup(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := Set(sc, s.Path(sc), value, false); err != nil {
			t.Fatal(err)
		}
	}
	set(ws, "jobs", "8")
	set(user, "jobs", "2")
	set(ws, "cache.remote", "s3://team")
	set(user, "cache.remote", "s3://mine")
	scopes := []Scope{ws, user}
	for key, want := range map[string]string{"jobs": "2", "cache.remote": "s3://team"} {
		s, _ := Lookup(key)
		if v, ok, err := Get(s, scopes); err != nil || !ok || v != want {
			t.Errorf("Get(%s) = %q, %v, %v; want %q", key, v, ok, err, want)
		}
	}
	entries, err := List(scopes)
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]string{}
	for _, e := range entries {
		if e.Active {
			active[e.Key] = e.Value
		}
	}
	if active["jobs"] != "2" || active["cache.remote"] != "s3://team" || active["workspace.name"] != "demo" {
		t.Errorf("active settings = %v", active)
	}
	data, _ := os.ReadFile(ws.File)
	if !strings.HasPrefix(string(data), "# team settings\n") {
		t.Errorf("the edit lost the manifest's comment:\n%s", data)
	}
	s, _ := Lookup("jobs")
	if err := Set(ws, s.WorkspacePath, "", true); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := Get(s, []Scope{ws}); ok {
		t.Errorf("jobs still set to %q after unset", v)
	}
}

func TestSetRefusesAnEditThatBreaksTheManifest(t *testing.T) {
	root := t.TempDir()
	ws := WorkspaceScope(root)
	os.MkdirAll(filepath.Join(root, "manifests"), 0o755)
	before := "workspace:\n  name: demo\ncomponents: {}\n"
	if err := os.WriteFile(ws.File, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Set(ws, []string{"workspace", "jobs"}, "many", false)
	var ie *InvalidEditError
	if !errors.As(err, &ie) {
		t.Fatalf("Set = %v, want *InvalidEditError", err)
	}
	if data, _ := os.ReadFile(ws.File); string(data) != before {
		t.Errorf("the manifest changed:\n%s", data)
	}
	if ws.Root() != root || !strings.HasSuffix(ws.File, manifest.ManifestPath) {
		t.Errorf("scope = %+v", ws)
	}
}

func TestOrderPutsTheUserFirstForMachineLocalKeys(t *testing.T) {
	ws, user := Scope{File: "w"}, Scope{File: "u", Global: true}
	if got := Order("jobs", []Scope{ws, user}); got[0] != user {
		t.Errorf("jobs order = %v", got)
	}
	if got := Order("cache.remote", []Scope{ws, user}); got[0] != ws {
		t.Errorf("cache.remote order = %v", got)
	}
}
