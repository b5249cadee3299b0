package apply

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/workspace"
)

// UpdatesText is what 'meta update' shows of changes: old → new per
// component in aligned columns, the size of each move coloured by pal (or
// a line saying nothing moved).
func UpdatesText(changes []Change, pal term.Palette) string {
	paints := map[string]func(string) string{"major": pal.Red, "downgrade": pal.Red, "minor": pal.Yellow, "patch": pal.Green}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range changes {
		kind := c.Kind
		if p, ok := paints[kind]; ok {
			kind = p(kind)
		}
		if c.Kind == "new" {
			fmt.Fprintf(tw, "%s\t(new)\t→ %s\t\n", c.Name, c.To)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t→ %s\t%s\n", c.Name, c.From, c.To, kind)
		}
	}
	tw.Flush()
	if len(changes) == 0 {
		b.WriteString("everything is already at the newest versions allowed\n")
	}
	return b.String()
}

// FailureLines are what a failed step shows (nothing for others): what
// failed, then the hints that apply, registryHint giving a registry
// error's ("" when it has none).
func (s *Step) FailureLines(registryHint func(error) string) []string {
	if s.Err == nil {
		return nil
	}
	lines := []string{"meta: apply " + s.Name + ": " + firstLine(s.Err.Error())}
	if h := registryHint(s.Err); h != "" {
		lines = append(lines, "hint: "+s.Name+": "+h)
	}
	if strings.Contains(s.Err.Error(), "would be overwritten") {
		lines = append(lines, "hint: "+s.Name+": commit or stash your changes; meta never discards them")
	}
	return lines
}

// DoneText is the status a finished step shows: failed, or what it did
// and where the tree is now.
func (s *Step) DoneText(pal term.Palette) string {
	switch {
	case s.Err != nil:
		return pal.Red("failed")
	case s.Action == Clone:
		return pal.Green("cloned") + " at " + workspace.ShortCommit(s.Commit)
	case s.Action == Download:
		return pal.Green("extracted") + " " + s.Locked.Version
	}
	return pal.Green("checked out") + " " + workspace.ShortCommit(s.Commit)
}
