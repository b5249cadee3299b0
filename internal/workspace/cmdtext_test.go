package workspace

import (
	"errors"
	"reflect"
	"testing"

	"github.com/metawork/meta/internal/term"
)

func TestBlocks(t *testing.T) {
	p := term.Palette{}
	for _, tc := range []struct{ got, want string }{
		{ExecResult{Name: "api", Output: []byte("hi")}.Block(p, false), "== api (ok)\nhi\n"},
		{ExecResult{Name: "api", NotCloned: true}.Block(p, false), "== api (skipped: not cloned; run 'meta bootstrap api')\n"},
		{ExecResult{Name: "api", Err: errors.New("exit status 1")}.Block(p, true), "== api (interrupted)\n"},
		{ExecResult{Name: "api", Err: errors.New("exit status 1")}.Block(p, false), "== api (exit status 1)\n"},
		{SetupResult{SkippedBy: "lib"}.Block(p, "api"), "== api (skipped: lib failed)\n"},
		{SetupResult{}.Block(p, "api"), "== api (nothing to set up)\n"},
		{SetupResult{Ran: 1, Err: errors.New("boom"), Output: []byte("x\n")}.Block(p, "api"), "== api (failed: boom)\nx\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	line, skipped, failed := SetupSummary([]SetupResult{{Name: "lib", Err: errors.New("x")}, {Name: "api", SkippedBy: "lib"}, {Name: "ok", Ran: 1}})
	if line != "setup: 1 ok, 1 failed, 1 skipped\n" || !reflect.DeepEqual(skipped, []string{"meta: setup api: skipped because lib failed\n"}) || !failed {
		t.Errorf("SetupSummary = %q, %q, %v", line, skipped, failed)
	}
}

func TestStatusRows(t *testing.T) {
	rows := StatusRows([]ComponentStatus{
		{Name: "api", Path: "api", State: StateOK, Expected: "main", Commit: "0123456789abc", Branch: "main", Upstream: "origin/main", Ahead: 1},
		{Name: "lib", Path: "lib", State: StateOK, Expected: "v1", Commit: "0123456789abc", Branch: "dev", AtExpected: false},
		{Name: "x", Path: "x", State: StateNotInManifest, Expected: "?"},
	})
	want := [][]StatusCell{
		cells("COMPONENT", "PATH", "HEAD", "COMMIT", "EXPECTED", "SYNC", "CHANGES"),
		{{"api", Fine}, {"api", Fine}, {"main", Fine}, {"0123456789", Fine}, {"main differs", Notice}, {"+1 -0", Fine}, {"clean", Fine}},
		{{"lib", Fine}, {"lib", Fine}, {"dev", Fine}, {"0123456789", Fine}, {"v1 differs", Notice}, {"-", Fine}, {"clean", Fine}},
		{{"x", Fine}, {"x", Fine}, {"-", Fine}, {"-", Fine}, {"-", Fine}, {"-", Fine}, {"not in manifest", Notice}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("StatusRows =\n%v\nwant\n%v", rows, want)
	}
}
