package importer

import (
	"slices"
	"testing"
)

func TestDoneLines(t *testing.T) {
	o := &Outcome{Result: &Result{Projects: []Project{{Name: "a"}}, DefaultGroups: []string{"g", "-h"}}, Dest: "m.yaml"}
	want := []string{"imported 1 component from west.yml into m.yaml", "default selection: g -h (add others with --group NAME)", "next: meta bootstrap"}
	if got := o.DoneLines("west.yml"); !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
