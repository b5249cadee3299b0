package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Golden tests: testdata/edit/NAME.in is edited, the result must equal
// NAME.want byte for byte, and must still load.
func TestEditGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func([]byte) ([]byte, error)
	}{
		{"add", func(b []byte) ([]byte, error) {
			return AddComponent("f", b, "cache-svc", []Field{{Key: "repo", Value: "git@github.com:acme/cache-svc.git"}, {Key: "version", Value: "^1.2.0"}, {Key: "depends_on", List: []string{"auth-lib:^1.0"}}})
		}},
		{"add-empty", func(b []byte) ([]byte, error) {
			return AddComponent("f", b, "first", []Field{{Key: "repo", Value: "../remotes/first"}, {Key: "ref", Value: "main"}})
		}},
		{"remove-middle", func(b []byte) ([]byte, error) { return RemoveComponent("f", b, "auth-lib") }},
		{"remove-last", func(b []byte) ([]byte, error) { return RemoveComponent("f", b, "web") }},
		{"set-existing", func(b []byte) ([]byte, error) { return SetScalar("f", b, []string{"workspace", "jobs"}, "16") }},
		{"set-new-section", func(b []byte) ([]byte, error) {
			return SetScalar("f", b, []string{"cache", "remote"}, "s3://b/p?region=x")
		}},
		{"set-new-key", func(b []byte) ([]byte, error) { return SetScalar("f", b, []string{"workspace", "name"}, "acme") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata/edit", tc.name+".in"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := tc.edit(in)
			if err != nil {
				t.Fatal(err)
			}
			wantFile := filepath.Join("testdata/edit", tc.name+".want")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				os.WriteFile(wantFile, got, 0o644)
			}
			want, _ := os.ReadFile(wantFile)
			if string(got) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if _, err := Parse("/w/meta", "f", got); err != nil {
				t.Errorf("result does not load: %v", err)
			}
		})
	}
}

func TestEditErrors(t *testing.T) {
	src := []byte("components:\n  a: {repo: /x}\n")
	if _, err := AddComponent("f", src, "a", nil); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("add existing: %v", err)
	}
	if _, err := RemoveComponent("f", src, "zz"); err == nil {
		t.Error("remove missing: no error")
	}
	flow := []byte("components: {a: {repo: /x}}\n")
	if _, err := AddComponent("f", flow, "b", []Field{{Key: "repo", Value: "/y"}}); err == nil || !strings.Contains(err.Error(), "flow style") {
		t.Errorf("flow: %v", err)
	}
}

func TestUnsetGet(t *testing.T) {
	src := []byte("workspace:\n  jobs: 4 # fast\n  name: x\ncomponents: {}\n")
	v, ok, err := GetScalar("f", src, []string{"workspace", "jobs"})
	if err != nil || !ok || v != "4" {
		t.Fatalf("get = %q %v %v", v, ok, err)
	}
	out, ok, err := UnsetScalar("f", src, []string{"workspace", "jobs"})
	if err != nil || !ok || string(out) != "workspace:\n  name: x\ncomponents: {}\n" {
		t.Fatalf("unset = %q %v %v", out, ok, err)
	}
	set, err := SetScalar("f", src, []string{"workspace", "jobs"}, "12")
	if err != nil || !strings.Contains(string(set), "  jobs: 12 # fast\n") {
		t.Fatalf("set keeps comment: %q %v", set, err)
	}
}

func TestYAMLString(t *testing.T) {
	for in, want := range map[string]string{"main": "main", "^1.2.0": `"^1.2.0"`, "yes": `"yes"`, "1.10": `"1.10"`, "8": "8", "a: b": `"a: b"`, "git@h:x.git": `"git@h:x.git"`, "": `""`} {
		if got := yamlString(in); got != want {
			t.Errorf("yamlString(%q) = %s, want %s", in, got, want)
		}
	}
}

func FuzzEdit(f *testing.F) {
	f.Add([]byte("components:\n  a:\n    repo: /x\n  b:\n    repo: /y\n"), "b")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		if CheckName(name) != nil {
			return
		}
		if _, err := Parse("/w/meta", "f", data); err != nil {
			return
		}
		out, err := AddComponent("f", data, name, []Field{{Key: "repo", Value: "/z"}})
		if err != nil {
			return
		}
		m, err := Parse("/w/meta", "f", out)
		if err != nil {
			// The input may be one we cannot extend (e.g. path clashes).
			return
		}
		if m.Components[name] == nil {
			t.Fatalf("added component missing:\n%s", out)
		}
		back, err := RemoveComponent("f", out, name)
		if err != nil {
			t.Fatalf("remove after add: %v\n%s", err, out)
		}
		if m2, err := Parse("/w/meta", "f", back); err == nil && m2.Components[name] != nil {
			t.Fatalf("removed component still there:\n%s", back)
		}
	})
}
