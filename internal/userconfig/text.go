package userconfig

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// ListText lays entries out as 'meta config list' prints them: key,
// value and source in aligned columns, values another scope overrides
// marked.
func ListText(entries []Entry) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, e := range entries {
		note := ""
		if !e.Active {
			note = " (overridden)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\n", e.Key, e.Value, e.Source, note)
	}
	tw.Flush()
	return b.String()
}
