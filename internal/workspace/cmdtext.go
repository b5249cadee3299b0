package workspace

import (
	"fmt"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"

	"github.com/metawork/meta/internal/term"
)

// Block is what 'meta exec' shows for r when it finishes: a header with its
// status (interrupted says the run was cancelled), then its output.
func (r ExecResult) Block(p term.Palette, interrupted bool) string {
	status := p.Green("ok")
	switch {
	case r.NotCloned:
		status = p.Yellow("skipped: not cloned; run 'meta bootstrap " + r.Name + "'")
	case interrupted && r.Err != nil:
		status = "interrupted"
	case r.Err != nil:
		status = p.Red(r.Err.Error())
	}
	return p.Bold("==") + " " + r.Name + " (" + status + ")\n" + withNewline(r.Output)
}

// withNewline is b as text, ending in a newline unless empty.
func withNewline(b []byte) string {
	if len(b) == 0 || b[len(b)-1] == '\n' {
		return string(b)
	}
	return string(b) + "\n"
}

// Block is what 'meta setup' shows for r, the result of the component
// named name, when it finishes: a header with its outcome, then its output.
func (r SetupResult) Block(p term.Palette, name string) string {
	head := p.Bold("==") + " " + name
	switch {
	case r.SkippedBy != "":
		return head + " (skipped: " + r.SkippedBy + " failed)\n"
	case r.Err != nil:
		return head + " (" + p.Red("failed: "+r.Err.Error()) + ")\n" + string(r.Output)
	case r.Ran == 0:
		return head + " (nothing to set up)\n"
	}
	return head + " (" + p.Green("ok") + ")\n" + string(r.Output)
}

// SetupSummary is the line closing 'meta setup', the warnings naming the
// components skipped because a dependency failed, and whether any failed.
func SetupSummary(res []SetupResult) (line string, skippedWarnings []string, failed bool) {
	nfailed, skipped := SetupCounts(res)
	for _, r := range res {
		if r.SkippedBy != "" {
			skippedWarnings = append(skippedWarnings, fmt.Sprintf("meta: setup %s: skipped because %s failed\n", r.Name, r.SkippedBy))
		}
	}
	return fmt.Sprintf("setup: %d ok, %d failed, %d skipped\n", len(res)-nfailed-skipped, nfailed, skipped), skippedWarnings, nfailed > 0
}

// StatusCell is one cell of 'meta status”s table and how much it should
// draw the eye.
type StatusCell struct {
	Text string
	Sev  Severity
}

// StatusRows is the table 'meta status' prints for st: a header row, then
// one row per component.
func StatusRows(st []ComponentStatus) [][]StatusCell {
	rows := [][]StatusCell{cells("COMPONENT", "PATH", "HEAD", "COMMIT", "EXPECTED", "SYNC", "CHANGES")}
	for _, s := range st {
		head, commit := s.Head()
		exp, sync := StatusCell{Text: s.Expected}, "-"
		if s.State == StateNotInManifest {
			exp.Text = "-"
		}
		if s.State == StateOK || s.State == StateWrongRemote {
			exp = StatusCell{s.Expected + " ok", Fine}
			if !s.AtExpected {
				exp = StatusCell{s.Expected + " differs", Notice}
			}
			if s.Upstream != "" {
				sync = fmt.Sprintf("+%d -%d", s.Ahead, s.Behind)
			}
		}
		changes, sev := s.Changes()
		row := cells(s.Name, s.PathText(), head, commit, "", sync)
		row[4] = exp
		rows = append(rows, append(row, StatusCell{changes, sev}))
	}
	return rows
}

func cells(texts ...string) []StatusCell {
	out := make([]StatusCell, len(texts))
	for i, t := range texts {
		out[i].Text = t
	}
	return out
}

// StatusAgainst names what 'meta status' compares with: environment env's
// lock file, or the manifest when env is "".
func StatusAgainst(env string) string {
	if env != "" {
		return lockfile.RelPath(env)
	}
	return "the manifest (" + manifest.ManifestPath + ")"
}
