package workspace

import (
	"errors"
	"testing"
)

func TestStatusText(t *testing.T) {
	tests := []struct {
		name    string
		s       ComponentStatus
		changes string
		sev     Severity
		path    string
	}{
		{"clean", ComponentStatus{Path: "../a", State: StateOK}, "clean", Fine, "../a"},
		{"missing", ComponentStatus{Name: "a", Path: "../a", State: StateMissing}, "missing: run 'meta bootstrap a'", Notice, "../a"},
		{"linked", ComponentStatus{Path: "../a", State: StateOK, Symlink: "/x/a", Modified: 2}, "2 modified", Notice, "../a -> /x/a"},
		{"local commits", ComponentStatus{State: StateOK, LocalOnly: 1, LocalWhere: []string{"branch f"}}, "1 commit on no remote branch or tag (branch f)", Worry, ""},
		{"wrong remote", ComponentStatus{State: StateWrongRemote, Remote: "u", Stash: true}, "wrong remote u, stash", Worry, ""},
		{"error", ComponentStatus{State: StateError, Error: "boom\nmore"}, "error: boom", Worry, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if c, sev := tt.s.Changes(); c != tt.changes || sev != tt.sev {
				t.Errorf("Changes() = %q, %d; want %q, %d", c, sev, tt.changes, tt.sev)
			}
			if p := tt.s.PathText(); p != tt.path {
				t.Errorf("PathText() = %q, want %q", p, tt.path)
			}
		})
	}
	if h, c := (ComponentStatus{Commit: "0123456789abcdef", Detached: true, Tag: "v1"}).Head(); h != "(v1)" || c != "0123456789" {
		t.Errorf("Head() = %q, %q", h, c)
	}
}

func TestSummaries(t *testing.T) {
	line, failed := ExecSummary([]ExecResult{{Name: "a"}, {Name: "b", Err: errors.New("x")}, {Name: "c", NotCloned: true}})
	if line != "ran in 2 components: 1 ok, 1 failed (b); 1 not cloned" || !failed {
		t.Errorf("ExecSummary = %q, %v", line, failed)
	}
	if f, s := SetupCounts([]SetupResult{{Err: errors.New("x")}, {SkippedBy: "a"}, {}}); f != 1 || s != 1 {
		t.Errorf("SetupCounts = %d, %d", f, s)
	}
}
