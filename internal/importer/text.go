package importer

import (
	"fmt"
	"strings"
)

// DoneLines say what an import wrote: how many components from file
// into where, the default selection, and what to run next.
func (o *Outcome) DoneLines(file string) []string {
	n := fmt.Sprintf("%d components", len(o.Result.Projects))
	if len(o.Result.Projects) == 1 {
		n = "1 component"
	}
	out := []string{fmt.Sprintf("imported %s from %s into %s", n, file, o.Dest)}
	if len(o.Result.DefaultGroups) > 0 {
		out = append(out, "default selection: "+strings.Join(o.Result.DefaultGroups, " ")+" (add others with --group NAME)")
	}
	return append(out, "next: meta bootstrap")
}
