package buildcache

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/metawork/meta/internal/store"
)

// Colors paints the words of build output; the terminal palette
// implements it (and leaves text plain when colour is off).
type Colors interface {
	Red(string) string
	Green(string) string
	Yellow(string) string
	Bold(string) string
	Dim(string) string
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

const stamp = "2006-01-02 15:04"

// RoundDuration rounds d for display: milliseconds under a second, else
// hundredths.
func RoundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

// Status describes a component's outcome in a few words.
func (r Result) Status(p Colors) string {
	switch r.Outcome {
	case Built:
		return p.Green("built") + " in " + RoundDuration(r.Duration).String()
	case Hit, RemoteHit:
		status := p.Green(string(r.Outcome))
		if r.Restored {
			status += " (outputs restored)"
		}
		for _, c := range r.Cutoff {
			status += fmt.Sprintf(" (cutoff: %s rebuilt with the same outputs)", c.Dep)
		}
		return status
	case Failed:
		return p.Red("failed") + ": " + r.Err.Error()
	case Skipped:
		return p.Yellow("skipped") + ": " + r.SkippedBy + " failed"
	case NoBuild:
		return p.Dim("no build command")
	}
	return string(r.Outcome)
}

// LogText is what follows a component's line under the policy: its log,
// indented, when it is shown; a line saying a cached log is collapsed; or
// nothing.
func (p LogPolicy) LogText(r Result, c Colors) string {
	var b strings.Builder
	switch {
	case p.Shows(r):
		for line := range strings.Lines(string(bytes.TrimRight(r.Log, "\n"))) {
			fmt.Fprintf(&b, "\n  %s %s", c.Dim("|"), strings.TrimSuffix(line, "\n"))
		}
	case p.Collapses(r):
		fmt.Fprintf(&b, "\n  %s", c.Dim(fmt.Sprintf("| (cached log: %s; --output-logs full shows it)", plural(LogLines(r.Log), "line"))))
	}
	return b.String()
}

// Summary is the last line of 'meta build': the outcomes counted.
func Summary(results []Result, took time.Duration) string {
	n := Counts(results)
	return fmt.Sprintf("build: %d built, %d cached (%d from remote), %d failed, %d skipped, %d without a build command in %s",
		n[Built], n[Hit]+n[RemoteHit], n[RemoteHit], n[Failed], n[Skipped], n[NoBuild], RoundDuration(took))
}

// Failures are the error lines of the components that failed or were
// skipped; none when nothing failed.
func Failures(results []Result) []string {
	if Counts(results)[Failed] == 0 {
		return nil
	}
	var out []string
	for _, r := range results {
		switch r.Outcome {
		case Failed:
			out = append(out, fmt.Sprintf("build %s: %v", r.Name, r.Err))
		case Skipped:
			out = append(out, fmt.Sprintf("build %s: skipped because %s failed", r.Name, r.SkippedBy))
		}
	}
	return out
}

var dryActions = map[Action]string{
	WouldHit:       "would hit",
	WouldRemoteHit: "would hit the remote",
	WouldBuild:     "would build",
	WouldWait:      "would build if its dependencies' outputs change",
	NothingToBuild: "no build command",
	CannotKey:      "cannot compute its key",
}

// DryRunLines are the lines of 'meta build --dry-run': one per component,
// then the counts.
func DryRunLines(plan []Planned, dim func(string) string) []string {
	width := 0
	for _, p := range plan {
		width = max(width, len(p.Name))
	}
	var lines []string
	counts := map[Action]int{}
	for _, p := range plan {
		counts[p.Action]++
		key := ""
		if p.Key != "" {
			key = " " + dim(p.Key[:12])
		}
		lines = append(lines, fmt.Sprintf("%-*s  %s%s: %s", width, p.Name, dryActions[p.Action], key, p.Reason()))
	}
	return append(lines, fmt.Sprintf("dry run: %d would build, %d cached (%d on the remote), %d wait for a dependency, %d without a build command",
		counts[WouldBuild], counts[WouldHit]+counts[WouldRemoteHit], counts[WouldRemoteHit], counts[WouldWait], counts[NothingToBuild]))
}

// Lines are the lines 'meta gc cache' prints about what it removed.
func (res GCResult) Lines(dryRun bool) []string {
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	var freed int64
	var out []string
	for _, r := range res.Removed {
		freed += r.Size
		out = append(out, fmt.Sprintf("%s record %s %s (last used %s, %s)", verb, r.Key[:12], r.Component, r.LastUsed().Format("2006-01-02"), store.HumanSize(r.Size)))
	}
	return append(out, fmt.Sprintf("gc cache: %d records %s, %d kept (%s of outputs released to 'meta gc store')", len(res.Removed), verb, len(res.Kept), store.HumanSize(freed)))
}

// Lines are the lines 'meta gc store' prints about what it deleted.
func (res StoreGCReport) Lines(dryRun bool) []string {
	verb, freed := "deleted", "freed"
	if dryRun {
		verb, freed = "would delete", "would free"
	}
	var out []string
	for _, m := range res.Deleted {
		out = append(out, fmt.Sprintf("%s %s %s (%s)", verb, m.Hash[:12], m.Name, store.HumanSize(m.Size)))
	}
	for _, l := range res.Leftovers {
		out = append(out, fmt.Sprintf("%s leftover %s", verb, l))
	}
	return append(out, fmt.Sprintf("gc store: %d entries %s, %d kept, %s %s", len(res.Deleted), verb, res.Kept, store.HumanSize(res.BytesFreed), freed))
}

// ListHeader is the header row of 'meta cache list'.
var ListHeader = []string{"KEY", "COMPONENT", "OUTPUT", "SIZE", "CREATED", "LAST HIT"}

// ListRows are the rows of 'meta cache list' (never nil).
func ListRows(list []Listed) [][]string {
	rows := [][]string{}
	for _, r := range list {
		hit, output := "-", r.Output[:12]
		if !r.LastHit.IsZero() {
			hit = r.LastHit.Local().Format(stamp)
		}
		if !r.Present {
			output += " (gone)"
		}
		rows = append(rows, []string{r.Key[:12], r.Component, output, store.HumanSize(r.Size), r.Created.Local().Format(stamp), hit})
	}
	return rows
}

// Rows are the label/value rows 'meta cache stats' shows.
func (s Stats) Rows() [][]string {
	total := s.Hits + s.RemoteHits + s.Misses
	rate := 0.0
	if total > 0 {
		rate = 100 * float64(s.Hits+s.RemoteHits) / float64(total)
	}
	h := store.HumanSize
	rows := [][]string{{"records", fmt.Sprintf("%d (%s of outputs)", s.Records, h(s.RecordBytes))},
		{"hits", fmt.Sprintf("%d local, %d remote (%.0f%% of %d lookups)", s.Hits, s.RemoteHits, rate, total)},
		{"misses", strconv.FormatInt(s.Misses, 10)}, {"restored", h(s.BytesRestored)}, {"stored", h(s.BytesStored)},
		{"downloaded", h(s.BytesDownloaded)}, {"uploaded", h(s.BytesUploaded)}}
	if s.RemoteErrors > 0 {
		rows = append(rows, []string{"remote errors", strconv.FormatInt(s.RemoteErrors, 10)})
	}
	return rows
}

// Lines are the lines of 'meta cache explain': the key, whether it is
// cached, the key document (each input file too when verbose) and what
// changed since the last different key.
func (e *Explanation) Lines(verbose bool) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	d := e.Document
	add("component  %s", e.Component)
	add("key        %s", e.Key)
	if e.Cached {
		add("cached     yes: output %s, created %s", e.Record.Output[:12], e.Record.Created.Local().Format(stamp))
	} else {
		add("cached     no: the next build runs %q", d.Command)
	}
	if e.LastBuild != "" {
		add("last build %s", e.LastBuild)
	}
	add("\nkey document (%s):", d.Schema)
	for _, f := range d.Fields() {
		add("  %-9s %s", f.Label, f.Value)
	}
	add("  inputs    %s", plural(len(d.Inputs), "file"))
	for _, in := range d.Inputs {
		if verbose {
			add("    %s %s %s", in.Mode, in.SHA256[:12], in.Path)
		}
	}
	if len(e.Provisional) > 0 {
		add("\nprovisional: %s not built for their current keys; this key needs their outputs", strings.Join(e.Provisional, ", "))
	}
	for _, c := range e.Cutoff {
		add("\ncutoff: %s changed (key %s -> %s) but its outputs did not (%s): %s keeps its key", c.Dep, c.OldKey[:12], c.NewKey[:12], Short(c.Output), e.Component)
	}
	switch {
	case e.Diff == nil:
		add("\nno earlier build of %s to compare with", e.Component)
	case e.Diff.Empty():
		add("\nsame as key %s", e.BaseKey[:12])
	default:
		add("\nchanged since key %s:", e.BaseKey[:12])
		for _, ch := range e.Diff.Fields {
			add("  %-20s %s -> %s", ch.Field, Short(ch.Old), Short(ch.New))
		}
		for _, l := range []struct {
			verb  string
			paths []string
		}{{"changed", e.Diff.Changed}, {"added  ", e.Diff.Added}, {"removed", e.Diff.Removed}} {
			for _, p := range l.paths {
				add("  %s  %s", l.verb, p)
			}
		}
		for _, c := range e.Diff.Cutoff {
			add("  cutoff   %s rebuilt (key %s -> %s) with the same outputs", c.Dep, c.OldKey[:12], c.NewKey[:12])
		}
	}
	if e.Action != "" {
		add("action     %s (remote execution)", e.Action)
	}
	return out
}

// PlanReports are the JSON reports of a dry run's plan (never nil).
func PlanReports(plan []Planned) []PlanReport {
	out := []PlanReport{}
	for _, p := range plan {
		out = append(out, p.Report())
	}
	return out
}
