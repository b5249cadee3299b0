package toolchain

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// This file turns tools, versions, plans and installs into the text
// meta tools prints.

// columns lays out tab-separated lines as aligned columns.
func columns(lines []string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, l := range lines {
		fmt.Fprintln(tw, l)
	}
	tw.Flush()
	return b.String()
}

// ToolsText lists ts, one per line: name, type, description.
func ToolsText(ts []*Tool) string {
	var lines []string
	for _, t := range ts {
		lines = append(lines, t.Name+"\t"+t.Type+"\t"+t.Description)
	}
	return columns(lines)
}

// Describe is what 'meta tools list NAME' prints for a tool without a
// version list: what it is and who installs it.
func (t *Tool) Describe() string {
	s := fmt.Sprintf("%s (%s): %s\n", t.Name, t.Type, t.Description)
	switch t.Type {
	case TypeBundle:
		return s + "tools: " + strings.Join(t.Tools, ", ") + "\n"
	case TypeCustom:
		return s + "installed by hand: " + t.Docs + "\n"
	}
	return s + "package " + t.Package + "; its package manager picks the version at install time\n"
}

// VersionsText lists rows, one per line: version, date, notes.
func VersionsText(rows []VersionRow) string {
	var lines []string
	for _, r := range rows {
		lines = append(lines, r.Version+"\t"+r.Date+"\t"+strings.Join(r.Notes(), ", "))
	}
	return columns(lines)
}

// Text is the plan as 'meta tools plan' prints it: numbered steps, then
// the plan's hash.
func (p *Plan) Text() string {
	var lines []string
	for i, s := range p.Steps {
		lines = append(lines, fmt.Sprintf("%d.\t%s\t%s\t%s\t%s", i+1, s.Phase, s.Name, s.ShownVersion(), s.Reason()))
	}
	return columns(lines) + "plan " + p.Hash[:16] + "\n"
}

// InstallLines say what 'meta tools install' did: each tool installed (or
// found installed), and each left to its own package manager.
func InstallLines(done []Installed, skipped []Resolved) []string {
	var out []string
	for _, in := range done {
		state := "installed"
		if in.Already {
			state = "already installed"
		}
		out = append(out, fmt.Sprintf("%s %s %s in %s", in.Name, in.Version, state, in.Dir))
	}
	for _, x := range skipped {
		out = append(out, fmt.Sprintf("%s: not installed by meta (%s package); 'meta tools script' writes its install command", x.Name, x.Manager()))
	}
	return out
}
