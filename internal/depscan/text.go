package depscan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/metawork/meta/internal/ecosystem"
)

// This file turns reports into the text meta deps prints.

// parenList is " (a, b)", or "" for no items.
func parenList(items []string) string {
	if len(items) == 0 {
		return ""
	}
	return " (" + strings.Join(items, ", ") + ")"
}

// plural is "1 word" or "n words".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// Lines is the report as meta deps audit prints it (without the warnings):
// per component its lock files, findings, what was not audited, then the
// summary line. verbose adds the offline database's counts and every
// skipped package.
func (r *AuditReport) Lines(verbose bool) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if st := r.Database; st != nil && verbose {
		add("offline database: %d files, %d records, %d kept for these lock files", st.Files, st.Records, st.Kept)
		for _, eco := range slices.Sorted(maps.Keys(st.Unsupported)) {
			add("  %d affected entries of unsupported ecosystem %s ignored", st.Unsupported[eco], eco)
		}
	}
	for _, c := range r.Components {
		add("%s: %d lock files, %d packages%s", c.Name, len(c.Lockfiles), c.Packages(), parenList(c.Paths()))
		for _, f := range c.Findings {
			sev, scope, fixed := f.Severity.String(), "", "no fixed version"
			if f.Score > 0 {
				sev += fmt.Sprintf(" %.1f", f.Score)
			}
			if f.Scope != "" && f.Scope != ecosystem.ScopeProd {
				scope = ", " + string(f.Scope)
			}
			add("  %s@%s [%s%s] %s: %s%s", f.Package, f.Version, f.Ecosystem, scope, sev, f.ID, parenList(f.Aliases))
			if f.Summary != "" {
				add("      %s", f.Summary)
			}
			if len(f.Fixed) > 0 {
				fixed = "fixed in " + strings.Join(f.Fixed, ", ")
			}
			add("      %s; in %s via %s", fixed, f.Lockfile, strings.Join(f.Path, " > "))
		}
		for _, n := range c.NotAudited {
			add("  NOT AUDITED %s: %s", n.Path, n.Reason)
		}
		for _, s := range c.SkippedBy() {
			add("  %d packages not checked: %s", s.N, s.What)
		}
		for _, s := range c.Skipped {
			if verbose {
				add("    %s@%s (%s): %s", s.Package, s.Version, s.Lockfile, s.Reason)
			}
		}
		for _, w := range c.Warnings {
			add("  warning: %s", w)
		}
		switch {
		case len(c.Lockfiles) == 0 && len(c.NotAudited) == 0:
			add("  no lock files found: nothing audited")
		case len(c.Findings) == 0 && c.Audited > 0:
			add("  no known vulnerabilities in the %d audited lock files", c.Audited)
		}
	}
	s := r.Summary
	var sevs []string
	for _, n := range s.Severities() {
		sevs = append(sevs, fmt.Sprintf("%d %s", n.N, n.What))
	}
	line := fmt.Sprintf("%d vulnerabilities%s in %d packages checked against %s", s.Findings, parenList(sevs), s.Packages, r.Source)
	if s.Local > 0 {
		line += fmt.Sprintf("; %d first-party workspace packages not audited", s.Local)
	}
	if s.NotAudited > 0 {
		line += fmt.Sprintf("; %d lock files NOT AUDITED", s.NotAudited)
	}
	return append(out, line)
}

// Text is the report as meta deps licenses prints it; table lays out
// each component's package rows (the first row is the header) in aligned
// columns.
func (r *LicenseReport) Text(table func(rows [][]string) string) string {
	var b strings.Builder
	add := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	for _, c := range r.Components {
		add("%s: %d packages\n", c.Name, len(c.Packages))
		if len(c.Packages) > 0 {
			rows := [][]string{{"  PACKAGE", "VERSION", "LICENSE", "SOURCE"}}
			for _, p := range c.Packages {
				if p.License == "" {
					p.License, p.Source = "?", "-"
				}
				rows = append(rows, []string{"  " + p.Name, p.Version, p.License, p.Source})
			}
			b.WriteString(table(rows))
		}
		for _, n := range c.NotChecked {
			add("  NOT CHECKED %s: %s\n", n.Path, n.Reason)
		}
		if len(c.Packages) == 0 && len(c.NotChecked) == 0 {
			add("  no lock files found\n")
		}
	}
	s := r.Summary
	for _, v := range []struct {
		verdict, title, none string
		n                    int
	}{{"denied", "violations", "", s.Violations}, {"unknown", "unknown licenses", "(none)", s.Unknown}} {
		if v.n > 0 {
			add("\n%s:\n", v.title)
		}
		for _, c := range r.Components {
			for _, p := range c.Packages {
				if p.Verdict == v.verdict {
					add("  %s: %s@%s (%s, %s): %s: %s\n", c.Name, p.Name, p.Version, p.Ecosystem, p.Lockfile, cmp.Or(p.License, v.none), p.Problem)
				}
			}
		}
	}
	add("%s: %s, %d unknown", plural(s.Packages, "package"), plural(s.Violations, "violation"), s.Unknown)
	if s.NotChecked > 0 {
		add("; %s NOT CHECKED", plural(s.NotChecked, "lock file"))
	}
	add("\n")
	return b.String()
}

// Summary is the line meta deps lock ends with: how many were locked,
// had nothing to lock, failed.
func (t LockTally) Summary() string {
	s := fmt.Sprintf("%d locked", t.Locked)
	if t.Nothing > 0 {
		s += fmt.Sprintf(", %d with nothing to lock", t.Nothing)
	}
	if t.Failed > 0 {
		s += fmt.Sprintf(", %d failed", t.Failed)
	}
	return s
}
