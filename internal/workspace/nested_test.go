package workspace

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/metawork/meta/internal/manifest"
)

func TestReplaceBlockKeepsTheUsersLines(t *testing.T) {
	user := "# git ls-files --others --exclude-from=.git/info/exclude\n*.log\n"
	once := replaceBlock(user, []string{"/ext/"})
	want := user + excludeBegin + "\n/ext/\n" + excludeEnd + "\n"
	if once != want {
		t.Fatalf("got %q, want %q", once, want)
	}
	if again := replaceBlock(once, []string{"/ext/"}); again != once {
		t.Errorf("not idempotent: %q", again)
	}
	if moved := replaceBlock(once+"tmp/\n", []string{"/a/", "/b\\ c/"}); moved != user+"tmp/\n"+excludeBegin+"\n/a/\n/b\\ c/\n"+excludeEnd+"\n" {
		t.Errorf("replacing the block: %q", moved)
	}
	if escapeExclude("a b/[x]*") != `a\ b/\[x\]\*` {
		t.Errorf("escape: %q", escapeExclude("a b/[x]*"))
	}
}

func TestBootstrapOrderOuterFirst(t *testing.T) {
	src := `components:
  inner: {repo: /r/i, path: ../o/in}
  deeper: {repo: /r/d, path: ../o/in/deep}
  other: {repo: /r/x}
  outer: {repo: /r/o, path: ../o}
`
	m, err := manifest.Parse("/w/meta", manifest.ManifestPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	comps := m.List()
	order, after := CloneOrder(m, comps)
	pos := map[string]int{}
	for p, i := range order {
		pos[comps[i].Name] = p
	}
	if !(pos["outer"] < pos["inner"] && pos["inner"] < pos["deeper"]) {
		t.Errorf("order %v", pos)
	}
	waits := map[string]string{}
	for i, j := range after {
		if j >= 0 {
			waits[comps[i].Name] = comps[j].Name
		}
	}
	if waits["inner"] != "outer" || waits["deeper"] != "inner" || waits["outer"] != "" || waits["other"] != "" {
		t.Errorf("waits %v", waits)
	}
	// Without the middle one selected, the deepest waits for the outermost.
	var sel []*manifest.Component
	for _, c := range comps {
		if c.Name != "inner" {
			sel = append(sel, c)
		}
	}
	_, after = CloneOrder(m, sel)
	for i, j := range after {
		if sel[i].Name == "deeper" && (j < 0 || sel[j].Name != "outer") {
			t.Errorf("deeper waits for %d", j)
		}
	}
}

func TestHoldsOnlyCheckouts(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a", "b", ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !holdsOnlyCheckouts(dir, 0) {
		t.Error("a directory leading only to a checkout")
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "stray.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if holdsOnlyCheckouts(dir, 0) {
		t.Error("a stray file is not a checkout")
	}
}
