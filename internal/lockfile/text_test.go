package lockfile

import (
	"strings"
	"testing"
)

func TestWrittenText(t *testing.T) {
	c1, c2 := strings.Repeat("1", 40), strings.Repeat("2", 40)
	old := &File{Components: map[string]*Component{"lib": {Name: "lib", Version: "1.0.0", Ref: "v1.0.0", Commit: c1}}}
	moved := &File{Components: map[string]*Component{"lib": {Name: "lib", Version: "1.1.0", Ref: "v1.1.0", Commit: c2}}}
	tests := []struct {
		name     string
		old, new *File
		want     string
	}{
		{"first lock", nil, old, "wrote manifests/components.lock.prod.yaml: 1 component\n  "},
		{"unchanged", old, old, "manifests/components.lock.prod.yaml is up to date: 1 component"},
		{"changed", old, moved, "wrote manifests/components.lock.prod.yaml: 1 component changed\n  ~ lib"},
	}
	for _, tt := range tests {
		got := strings.Join(WrittenText("prod", tt.old, tt.new), "\n")
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: WrittenText =\n%s\nwant prefix\n%s", tt.name, got, tt.want)
		}
	}
}

func TestProblemTextAndRefusals(t *testing.T) {
	got := strings.Join(ProblemText("", []Problem{{Name: "a", Msg: "gone", Hint: "re-lock"}, {Name: "b", Msg: "moved"}}), "\n")
	want := "meta: manifests/components.lock.yaml: 2 problems\n  a: gone\n    hint: re-lock\n  b: moved"
	if got != want {
		t.Errorf("ProblemText =\n%s\nwant\n%s", got, want)
	}
	if got := ProblemText("dev", []Problem{{Name: "a", Msg: "gone"}})[0]; got != "meta: manifests/components.lock.dev.yaml: 1 problem" {
		t.Errorf("ProblemText headline = %q", got)
	}
	if got := RefusalText([]Refusal{{"a", "why"}}); len(got) != 1 || got[0] != "a: why" {
		t.Errorf("RefusalText = %q", got)
	}
	for arg, want := range map[string]bool{"prod": false, "old.yaml": true, "x.yml": true, "dir/lock": true} {
		if IsPathArg(arg) != want {
			t.Errorf("IsPathArg(%q) = %v, want %v", arg, !want, want)
		}
	}
	if EnvFlag("") != "" || EnvFlag("dev") != " --env dev" {
		t.Errorf("EnvFlag = %q, %q", EnvFlag(""), EnvFlag("dev"))
	}
}
