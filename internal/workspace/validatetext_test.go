package workspace

import (
	"slices"
	"testing"
)

func TestReportLines(t *testing.T) {
	for _, c := range []struct {
		r        Report
		noRemote bool
		want     []string
	}{
		{Report{}, false, []string{"ok: 3 components, all present on the expected remotes"}},
		{Report{Checked: 1, NotCloned: 2}, true, []string{"ok: 3 components in the manifest; 1 checkout checked, 2 components not cloned yet"}},
		{Report{Problems: []Problem{{Message: "m", Hint: "h"}}}, false, []string{"workspace: m", "  hint: h", "1 problem"}},
	} {
		if got := c.r.Lines(3, c.noRemote); !slices.Equal(got, c.want) {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}
