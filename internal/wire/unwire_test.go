package wire

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// layout makes a workspace root with a meta repository and a victim
// directory outside the root holding a user's file.
func layout(t *testing.T) (root, meta, victim string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "ws")
	meta = filepath.Join(root, "meta")
	victim = filepath.Join(base, "victim")
	for _, d := range []string{meta, victim} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(victim, "precious.txt"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return root, meta, victim
}

func writeRecord(t *testing.T, meta string, r Record) {
	t.Helper()
	if err := saveRecord(meta, r); err != nil {
		t.Fatal(err)
	}
}

// A hostile or stale .meta/wired.json never makes unwire delete what
// wiring did not create (issue 15 item 10).
func TestUnwireRefusesRecordedPathsItDidNotMake(t *testing.T) {
	for _, tc := range []struct {
		name   string
		record func(root, victim string) Record
		setup  func(t *testing.T, root, victim string)
		want   string
	}{
		{"venv outside the root", func(root, victim string) Record {
			return Record{Root: root, Venv: victim}
		}, nil, "venv " + "%VICTIM%" + " is not"},
		{"another root", func(root, victim string) Record {
			return Record{Root: filepath.Dir(victim), Venv: victim}
		}, nil, "it was written for the workspace root"},
		{"the user's .venv without our marker", func(root, victim string) Record {
			return Record{Root: root, Venv: VenvDir(root), VenvMarker: "abc"}
		}, func(t *testing.T, root, victim string) {
			os.MkdirAll(filepath.Join(VenvDir(root), "bin"), 0o755)
			os.WriteFile(filepath.Join(VenvDir(root), "pyvenv.cfg"), nil, 0o644)
			os.WriteFile(filepath.Join(VenvDir(root), "precious.txt"), []byte("mine\n"), 0o644)
		}, "does not hold the marker"},
		{".venv is a link", func(root, victim string) Record {
			return Record{Root: root, Venv: VenvDir(root), VenvMarker: "abc"}
		}, func(t *testing.T, root, victim string) {
			os.Symlink(victim, VenvDir(root))
		}, "is not a directory"},
		{"package.json elsewhere", func(root, victim string) Record {
			return Record{Root: root, NpmRoot: filepath.Join(victim, "precious.txt")}
		}, nil, "is not " + "%ROOT%/package.json"},
		{"npm link outside node_modules", func(root, victim string) Record {
			return Record{Root: root, NpmRoot: filepath.Join(root, "package.json"), NpmLinks: []string{filepath.Join(root, "node_modules", "..", "..", "victim")}}
		}, nil, "is not below"},
		{"node_modules a link out", func(root, victim string) Record {
			return Record{Root: root, NpmRoot: filepath.Join(root, "package.json"), NpmLinks: []string{filepath.Join(root, "node_modules", "precious.txt")}}
		}, func(t *testing.T, root, victim string) {
			os.Symlink(victim, filepath.Join(root, "node_modules"))
		}, "is not below"},
		{".pth file outside the venv", func(root, victim string) Record {
			return Record{Root: root, PyPth: []string{filepath.Join(victim, "precious.txt")}}
		}, nil, "is not one wiring writes"},
		{"option as a package name", func(root, victim string) Record {
			return Record{Root: root, PyProjects: []string{"--index-url=http://evil"}}
		}, nil, "is not a Python distribution name"},
		{"go.work entry outside", func(root, victim string) Record {
			return Record{Root: root, GoWork: "edited", GoUses: []string{"-json"}}
		}, nil, "go.work entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, meta, victim := layout(t)
			if tc.setup != nil {
				tc.setup(t, root, victim)
			}
			writeRecord(t, meta, tc.record(root, victim))
			err := Unwire(context.Background(), meta, root, nil)
			want := strings.NewReplacer("%VICTIM%", victim, "%ROOT%", root).Replace(tc.want)
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "nothing was removed") {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if _, err := os.Stat(filepath.Join(victim, "precious.txt")); err != nil {
				t.Fatalf("the user's file is gone: %v", err)
			}
			if p := filepath.Join(VenvDir(root), "precious.txt"); tc.setup != nil && strings.Contains(tc.name, "marker") {
				if _, err := os.Stat(p); err != nil {
					t.Fatalf("the user's venv file is gone: %v", err)
				}
			}
		})
	}
}

// Wiring over an existing .venv that is not an environment neither builds
// into it nor records it as created (issue 15 item 10).
func TestWireLeavesTheUsersVenvAlone(t *testing.T) {
	root, meta, _ := layout(t)
	comp := filepath.Join(root, "pylib")
	os.MkdirAll(comp, 0o755)
	os.WriteFile(filepath.Join(comp, "pyproject.toml"), []byte("[project]\nname = \"pylib\"\n"), 0o644)
	os.MkdirAll(VenvDir(root), 0o755)
	os.WriteFile(filepath.Join(VenvDir(root), "notes.txt"), []byte("mine\n"), 0o644)
	r, err := Wire(context.Background(), []Component{{Name: "pylib", Dir: comp}}, Options{Root: root, MetaDir: meta})
	if err == nil || !strings.Contains(err.Error(), "exists but is not a virtual environment") {
		t.Fatalf("err = %v", err)
	}
	if r.Venv != "" {
		t.Fatalf("recorded %s as created", r.Venv)
	}
	if err := Unwire(context.Background(), meta, root, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(VenvDir(root), "notes.txt")); err != nil {
		t.Fatalf("the user's file is gone: %v", err)
	}
}

// Unwiring takes out of the root package.json only what wiring wrote; the
// file goes only when nothing else is left (issue 12 item 11).
func TestUnwirePackageJSONKeepsUserFields(t *testing.T) {
	root, meta, _ := layout(t)
	pkg := filepath.Join(root, "package.json")
	rec := Record{Root: root, NpmRoot: pkg, NpmWorkspaces: []string{"ui", "web"}}
	ours := map[string]any{"name": "meta-workspace", "private": true, "description": npmDescription, "workspaces": []string{"ui", "web"}}

	write := func(doc map[string]any) {
		data, _ := json.MarshalIndent(doc, "", "  ")
		if err := os.WriteFile(pkg, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Only meta's content: removed.
	write(ours)
	writeRecord(t, meta, rec)
	if err := Unwire(context.Background(), meta, root, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pkg); !os.IsNotExist(err) {
		t.Fatalf("package.json with only meta's content kept: %v", err)
	}

	// The user added scripts and a workspace of their own: both stay.
	user := map[string]any{"scripts": map[string]any{"test": "jest"}}
	for k, v := range ours {
		user[k] = v
	}
	user["workspaces"] = []string{"ui", "tools/lint", "web"}
	write(user)
	writeRecord(t, meta, rec)
	var msgs []string
	if err := Unwire(context.Background(), meta, root, func(_, m string) { msgs = append(msgs, m) }); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatalf("package.json with the user's fields removed: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["scripts"]; !ok || len(got) != 2 {
		t.Fatalf("left %v, want scripts and workspaces", got)
	}
	if ws, _ := got["workspaces"].([]any); len(ws) != 1 || ws[0] != "tools/lint" {
		t.Fatalf("workspaces = %v, want [tools/lint]", got["workspaces"])
	}
	if !strings.Contains(strings.Join(msgs, "\n"), "kept "+pkg+" without meta's entries") {
		t.Fatalf("messages: %v", msgs)
	}
}
