package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/yamlpos"
)

func TestInitWritesAStarterThatLoadsAndKeepsTheUsersGitignore(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("node_modules"), 0o644); err != nil {
		t.Fatal(err)
	}
	file, err := Init(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := manifest.Load(dir); err != nil {
		t.Errorf("the starter manifest does not load: %v", err)
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if want := "node_modules\n# written by meta: caches and the local store\n.meta/\n.meta-store/\n"; string(gi) != want {
		t.Errorf(".gitignore = %q, want %q", gi, want)
	}
	os.WriteFile(file, []byte("mine\n"), 0o644)
	var ee *ExistsError
	if _, err := Init(dir, false); !errors.As(err, &ee) || ee.File != file {
		t.Errorf("second Init = %v, want *ExistsError for %s", err, file)
	}
	if data, _ := os.ReadFile(file); string(data) != "mine\n" {
		t.Errorf("Init without force replaced the manifest")
	}
	if _, err := Init(dir, true); err != nil {
		t.Fatal(err)
	}
	if gi2, _ := os.ReadFile(filepath.Join(dir, ".gitignore")); string(gi2) != string(gi) {
		t.Errorf("a second Init changed .gitignore: %q", gi2)
	}
}

func TestManifestProblemsKeepPositions(t *testing.T) {
	ps := ManifestProblems([]error{&yamlpos.Error{File: "m.yaml", Line: 3, Col: 5, Msg: "bad", Hint: "fix"}, errors.New("plain")})
	if len(ps) != 2 || ps[0] != (ManifestProblem{"m.yaml", 3, 5, "bad", "fix"}) || ps[1].Message != "plain" || ps[1].Line != 0 {
		t.Errorf("problems = %+v", ps)
	}
	if !strings.Contains(StarterManifest, "components:") {
		t.Error("starter manifest has no components section")
	}
}
