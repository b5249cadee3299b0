package depscan

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/metawork/meta/internal/audit"
)

// AuditReport is what an audit found, as meta deps audit prints it (text
// or JSON).
type AuditReport struct {
	Source     string           `json:"source"`
	FailOn     string           `json:"fail_on"`
	Components []AuditComponent `json:"components"`
	Summary    AuditSummary     `json:"summary"`
	Database   *audit.LoadStats `json:"offline_db,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`
}

// AuditComponent is one component's lock files and findings.
type AuditComponent struct {
	Name       string          `json:"name"`
	Lockfiles  []AuditLockfile `json:"lockfiles"`
	Findings   []audit.Finding `json:"findings"`
	NotAudited []NotRead       `json:"not_audited,omitempty"`
	Skipped    []audit.Skipped `json:"skipped_packages,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
	Audited    int             `json:"-"` // lock files checked
}

// AuditLockfile is one lock file that was read.
type AuditLockfile struct {
	Path      string `json:"path"`
	Manager   string `json:"manager"`
	Ecosystem string `json:"ecosystem"`
	Packages  int    `json:"packages"`
}

// AuditSummary counts over every component.
type AuditSummary struct {
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"by_severity"`
	Packages   int            `json:"packages_checked"`
	Lockfiles  int            `json:"lockfiles"`
	NotAudited int            `json:"lockfiles_not_audited"`
	Skipped    int            `json:"packages_skipped"`
	Local      int            `json:"packages_local"` // the workspace's own, among Skipped
}

// AuditOptions say what to audit and against which OSV source.
type AuditOptions struct {
	Targets   []Target
	OfflineDB string        // a directory of OSV records or all.zip files; "" asks the API
	Loader    *audit.Loader // reads OfflineDB; DefaultLoader() when nil
	OSVURL    string        // the OSV API base (default audit.DefaultOSVURL)
	CacheDir  string        // where API records are cached; DefaultCacheDir() when ""
}

// SourceError is a failure of the advisory source: the offline database
// could not be loaded (Offline), or the OSV API did not answer.
type SourceError struct {
	Offline bool
	Err     error
}

func (e *SourceError) Error() string {
	if e.Offline {
		return e.Err.Error()
	}
	return "OSV API: " + e.Err.Error()
}

func (e *SourceError) Unwrap() error { return e.Err }

// DefaultLoader reads offline databases, keeping archive indexes in
// $XDG_CACHE_HOME/meta/osv-index.
func DefaultLoader() *audit.Loader {
	l := &audit.Loader{}
	if dir, err := os.UserCacheDir(); err == nil {
		l.IndexDir = filepath.Join(dir, "meta", "osv-index")
	}
	return l
}

// GoGraphCacheDir is where `go mod graph` outputs are kept for reading
// go.mod files again: $XDG_CACHE_HOME/meta/go-mod-graph ("" when there is
// no cache directory).
func GoGraphCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "meta", "go-mod-graph")
}

// DefaultCacheDir is where OSV records are cached: $XDG_CACHE_HOME/meta/osv.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "meta", "osv")
}

// PrepareDB indexes the offline database's archives in the background (a
// no-op when the indexes are current or path is ""). wait waits for it,
// stopping it first when stop is set.
func PrepareDB(ctx context.Context, loader *audit.Loader, path string) (wait func(stop bool)) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if path != "" {
			_ = loader.Prepare(ctx, path)
		}
	}()
	return func(stop bool) {
		if stop {
			cancel()
		}
		<-done
		cancel()
		if stop {
			loader.Close() // no load follows to use what Prepare opened
		}
	}
}

// FailNone is a threshold no finding reaches.
const FailNone = audit.Severity(-1)

// ParseFailOn reads a --fail-on value: a severity, or "none".
func ParseFailOn(s string) (audit.Severity, error) {
	if strings.EqualFold(strings.TrimSpace(s), "none") {
		return FailNone, nil
	}
	sev, err := audit.ParseSeverity(s)
	if err != nil || sev == audit.SeverityUnknown || sev == audit.SeverityNone {
		return 0, fmt.Errorf("--fail-on %s: not a severity", s)
	}
	return sev, nil
}

// Reaches reports whether a finding of severity s fails threshold; an
// unknown severity reaches every threshold but FailNone.
func Reaches(s, threshold audit.Severity) bool {
	if threshold == FailNone {
		return false
	}
	return s == audit.SeverityUnknown || s >= threshold
}

// Fails reports whether any finding of r reaches threshold.
func (r *AuditReport) Fails(threshold audit.Severity) bool {
	for _, c := range r.Components {
		for _, f := range c.Findings {
			if Reaches(f.Severity, threshold) {
				return true
			}
		}
	}
	return false
}

// NothingAudited reports whether no package at all could be checked
// although there was something to check (or nothing was found).
func (r *AuditReport) NothingAudited() bool {
	return r.Summary.Packages == 0 && (r.Summary.NotAudited > 0 || r.Summary.Lockfiles == 0)
}

// Audit checks the targets' lock files against the chosen OSV source.
func Audit(ctx context.Context, opts AuditOptions) (*AuditReport, error) {
	ts := opts.Targets
	rep := &AuditReport{Summary: AuditSummary{BySeverity: map[string]int{}}}
	comps := make([]AuditComponent, len(ts))
	want := audit.Wanted{}
	vs := audit.Versions{}
	for i, t := range ts {
		comps[i].Name = t.Name
		comps[i].Findings = []audit.Finding{}
		comps[i].NotAudited = notRead(t)
		for _, l := range t.Locks {
			comps[i].Lockfiles = append(comps[i].Lockfiles, AuditLockfile{Path: l.Path, Manager: l.Manager, Ecosystem: l.Ecosystem, Packages: len(l.Packages)})
			comps[i].Warnings = append(comps[i].Warnings, l.Warnings...)
			for _, p := range l.Packages {
				eco := PkgEcosystem(p, l)
				want.Add(eco, p.Name)
				vs.Add(eco, p.Name, p.Version)
			}
		}
	}
	// has says whether the source has records for an ecosystem; a lock
	// file it has none for is not audited: "no vulnerabilities" would lie.
	has := func(string) bool { return true }
	var src audit.Source
	if opts.OfflineDB != "" {
		loader := opts.Loader
		if loader == nil {
			loader = DefaultLoader()
		}
		rep.Source = "offline " + opts.OfflineDB
		db, err := loader.LoadFor(ctx, opts.OfflineDB, want, vs)
		loader.Close() // archives Prepare opened that this load skipped
		if err != nil {
			return nil, &SourceError{Offline: true, Err: err}
		}
		if n := len(db.Stats.Problems); n > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d OSV records in %s could not be read; first: %s", n, opts.OfflineDB, db.Stats.Problems[0]))
		}
		src, rep.Database, has = db, &db.Stats, db.HasEcosystem
	} else {
		url, cache := opts.OSVURL, opts.CacheDir
		if url == "" {
			url = audit.DefaultOSVURL
		}
		if cache == "" {
			cache = DefaultCacheDir()
		}
		rep.Source = url
		src = &audit.Client{BaseURL: url, CacheDir: cache}
	}
	var inputs []audit.Input
	for i, t := range ts {
		for _, l := range t.Locks {
			if audit.Supported(l.Ecosystem) && auditable(l) > 0 && !has(l.Ecosystem) {
				comps[i].NotAudited = append(comps[i].NotAudited, NotRead{Path: l.Path, Reason: fmt.Sprintf("the offline database has no %s records", l.Ecosystem)})
				continue
			}
			inputs = append(inputs, audit.Input{Component: t.Name, Lockfile: l})
			comps[i].Audited++
		}
	}
	res, err := audit.Run(ctx, src, inputs)
	if err != nil {
		if opts.OfflineDB == "" {
			return nil, &SourceError{Err: err}
		}
		return nil, err
	}
	byName := map[string]*AuditComponent{}
	for i := range comps {
		byName[comps[i].Name] = &comps[i]
	}
	for _, f := range res.Findings {
		c := byName[f.Component]
		c.Findings = append(c.Findings, f)
		rep.Summary.Findings++
		rep.Summary.BySeverity[f.Severity.String()]++
	}
	for _, s := range res.Skipped {
		c := byName[s.Component]
		c.Skipped = append(c.Skipped, s)
		rep.Summary.Skipped++
		if s.Reason == audit.ReasonLocal {
			rep.Summary.Local++
		}
	}
	rep.Summary.Packages = res.Packages
	for _, c := range comps {
		rep.Summary.Lockfiles += len(c.Lockfiles)
		rep.Summary.NotAudited += len(c.NotAudited)
	}
	rep.Components = comps
	return rep, nil
}

// Findings returns each component's findings by name.
func (r *AuditReport) Findings() map[string][]audit.Finding {
	out := map[string][]audit.Finding{}
	for _, c := range r.Components {
		out[c.Name] = c.Findings
	}
	return out
}

// Count is how many of something there are.
type Count struct {
	What string
	N    int
}

// Packages counts the packages of c's lock files.
func (c AuditComponent) Packages() int {
	n := 0
	for _, l := range c.Lockfiles {
		n += l.Packages
	}
	return n
}

// Paths lists c's lock files.
func (c AuditComponent) Paths() []string {
	var out []string
	for _, l := range c.Lockfiles {
		out = append(out, l.Path)
	}
	return out
}

// SkippedBy counts c's skipped packages by reason, sorted by reason.
func (c AuditComponent) SkippedBy() []Count {
	n := map[string]int{}
	for _, s := range c.Skipped {
		n[s.Reason]++
	}
	var out []Count
	for _, r := range slices.Sorted(maps.Keys(n)) {
		out = append(out, Count{r, n[r]})
	}
	return out
}

// Severities counts the findings by severity, most severe first, leaving
// out severities without findings.
func (s AuditSummary) Severities() []Count {
	var out []Count
	for _, sev := range []string{"critical", "high", "medium", "low", "none", "unknown"} {
		if n := s.BySeverity[sev]; n > 0 {
			out = append(out, Count{sev, n})
		}
	}
	return out
}
