package lockfile

import (
	"strings"
	"testing"
)

func TestMovedTagsAndChangeLines(t *testing.T) {
	c1, c2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
	old := &File{Components: map[string]*Component{
		"lib":  {Name: "lib", Version: "1.0.0", Ref: "v1.0.0", Commit: c1},
		"app":  {Name: "app", Version: "1.0.0", Ref: "v1.0.0", Commit: c1},
		"gone": {Name: "gone", Ref: "main", Commit: c1},
	}}
	new := &File{Components: map[string]*Component{
		"lib": {Name: "lib", Version: "1.0.0", Ref: "v1.0.0", Commit: c2}, // the tag moved
		"app": {Name: "app", Version: "1.1.0", Ref: "v1.1.0", Commit: c2}, // an upgrade
		"reg": {Name: "reg", Version: "2.0.0", Registry: "acme", Checksum: "sha256:" + strings.Repeat("ab", 32)},
	}}
	moved := MovedTags(old, new)
	if len(moved) != 1 || moved[0].Name != "lib" {
		t.Fatalf("MovedTags = %+v, want lib only", moved)
	}
	got := ChangeLines(Compare(old, new), map[string][]string{"app": {"fix a bug"}})
	want := []string{
		"~ app                  1.0.0 111111111111 → 1.1.0 222222222222",
		"      fix a bug",
		"- gone                 main 111111111111",
		"~ lib                  1.0.0 111111111111 → 1.0.0 222222222222",
		"+ reg                  2.0.0 (registry acme, sha256 abababababab)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ChangeLines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w := NameWidth([]string{"a", strings.Repeat("x", 25)}); w != 25 {
		t.Errorf("NameWidth = %d, want 25", w)
	}
}
