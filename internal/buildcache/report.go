package buildcache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LogPolicy says which build logs a build shows.
type LogPolicy string

const (
	LogsCollapsed  LogPolicy = "collapsed"   // logs of builds that ran; one line for a cached one
	LogsFull       LogPolicy = "full"        // also replay the logs of cached builds
	LogsErrorsOnly LogPolicy = "errors-only" // only logs of failed builds
	LogsNone       LogPolicy = "none"
)

// ParseLogPolicy reads an --output-logs value; "" is full when verbose,
// else collapsed. ok is false for an unknown value.
func ParseLogPolicy(s string, verbose bool) (p LogPolicy, ok bool) {
	switch LogPolicy(s) {
	case "":
		if verbose {
			return LogsFull, true
		}
		return LogsCollapsed, true
	case LogsCollapsed, LogsFull, LogsErrorsOnly, LogsNone:
		return LogPolicy(s), true
	}
	return "", false
}

// Shows reports whether r's log is shown in full.
func (p LogPolicy) Shows(r Result) bool {
	if len(r.Log) == 0 {
		return false
	}
	switch p {
	case LogsNone:
		return false
	case LogsErrorsOnly:
		return r.Outcome == Failed
	case LogsFull:
		return r.Outcome == Failed || r.Outcome == Built || r.Replayed
	}
	return r.Outcome == Failed || r.Outcome == Built
}

// Collapses reports whether r's log is shown as one line saying it was
// replayed from the cache.
func (p LogPolicy) Collapses(r Result) bool {
	return !p.Shows(r) && r.Replayed && p == LogsCollapsed
}

// LogLines counts the lines of a build log.
func LogLines(log []byte) int {
	log = bytes.TrimRight(log, "\n")
	if len(log) == 0 {
		return 0
	}
	return bytes.Count(log, []byte("\n")) + 1
}

// Counts counts results per outcome.
func Counts(results []Result) map[Outcome]int {
	n := map[Outcome]int{}
	for _, r := range results {
		n[r.Outcome]++
	}
	return n
}

// RunReport is the document `meta build --json` prints and --summarize
// writes.
type RunReport struct {
	Started    time.Time         `json:"started"`
	DurationMS int64             `json:"duration_ms"`
	EnvMode    string            `json:"env_mode"`
	Remote     string            `json:"remote,omitempty"`      // the remote cache, without credentials
	RemoteFrom string            `json:"remote_from,omitempty"` // --remote-cache, META_CACHE_REMOTE, user config or manifest
	Signing    bool              `json:"signing"`               // records written are signed
	Verifying  bool              `json:"verifying"`             // remote records must be signed
	Counts     map[string]int    `json:"counts"`
	Components []ComponentReport `json:"components"`
	Summary    string            `json:"summary_file,omitempty"`
}

// ComponentReport is one component of a RunReport.
type ComponentReport struct {
	Name       string   `json:"name"`
	Outcome    string   `json:"outcome"` // built, hit, remote-hit, failed, skipped, no-build
	Key        string   `json:"key,omitempty"`
	Hit        bool     `json:"hit"`
	Source     string   `json:"source,omitempty"` // local or remote, for hits
	DurationMS int64    `json:"duration_ms"`
	Output     string   `json:"output,omitempty"`   // store hash of the outputs
	Cutoff     []Cutoff `json:"cutoff,omitempty"`   // dependencies rebuilt to the same outputs
	Restored   bool     `json:"restored,omitempty"` // outputs were written into the working tree
	LogLines   int      `json:"log_lines"`
	Error      string   `json:"error,omitempty"`
	SkippedBy  string   `json:"skipped_by,omitempty"`
}

// Report describes a build run of c that started at started and took
// took, with the remote chosen from remoteFrom.
func (c *Cache) Report(results []Result, started time.Time, took time.Duration, remoteFrom string) RunReport {
	doc := RunReport{
		Started:    started.UTC(),
		DurationMS: took.Milliseconds(),
		EnvMode:    string(c.envMode),
		RemoteFrom: remoteFrom,
		Signing:    c.Signing(),
		Verifying:  c.Verifying(),
		Counts:     map[string]int{},
		Components: []ComponentReport{},
	}
	if rb := c.Remote(); rb != nil {
		doc.Remote = rb.String()
	}
	for _, r := range results {
		doc.Counts[string(r.Outcome)]++
		j := ComponentReport{
			Name: r.Name, Outcome: string(r.Outcome), Key: r.Key, DurationMS: r.Duration.Milliseconds(),
			Output: r.Output, Cutoff: r.Cutoff, Restored: r.Restored, LogLines: LogLines(r.Log), SkippedBy: r.SkippedBy,
		}
		switch r.Outcome {
		case Hit:
			j.Hit, j.Source = true, "local"
		case RemoteHit:
			j.Hit, j.Source = true, "remote"
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		doc.Components = append(doc.Components, j)
	}
	return doc
}

// SummaryFile is the default --summarize file of a run that started at
// started: runs/<time>-<pid>.json in the cache directory.
func (c *Cache) SummaryFile(started time.Time) string {
	name := started.UTC().Format("20060102T150405.000Z") + fmt.Sprintf("-%d.json", os.Getpid())
	return filepath.Join(c.dir, "runs", name)
}

// WriteJSON writes v to file as indented JSON, atomically, creating its
// directory.
func WriteJSON(file string, v any) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// PlanReport is one component of `meta build --dry-run --json`.
type PlanReport struct {
	Name    string   `json:"name"`
	Action  string   `json:"action"` // hit, remote-hit, build, unknown, no-build, failed
	Key     string   `json:"key,omitempty"`
	Waits   []string `json:"waits_for,omitempty"` // dependencies that build first; the key needs their outputs
	Reason  string   `json:"reason,omitempty"`
	BaseKey string   `json:"base_key,omitempty"`
	Diff    *Diff    `json:"diff,omitempty"`
	Cutoff  []Cutoff `json:"cutoff,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// Report describes p, with the reason in one line.
func (p Planned) Report() PlanReport {
	j := PlanReport{Name: p.Name, Action: string(p.Action), Key: p.Key, Waits: p.Waits, BaseKey: p.BaseKey, Diff: p.Diff, Cutoff: p.Cutoff, Reason: p.Reason()}
	if p.Err != nil {
		j.Error = p.Err.Error()
	}
	return j
}

// Reason says in one line why a component would hit or build.
func (p Planned) Reason() string {
	switch p.Action {
	case WouldHit, WouldRemoteHit:
		r := "cached for this key"
		for _, c := range p.Cutoff {
			r += fmt.Sprintf("; %s has a new key but the same outputs (cutoff)", c.Dep)
		}
		return r
	case WouldWait:
		return strings.Join(p.Waits, ", ") + " build first; this key needs their outputs"
	case NothingToBuild:
		return "nothing to do"
	case CannotKey:
		return p.Err.Error()
	}
	if p.Diff == nil {
		return "never built with these inputs (no earlier build to compare with)"
	}
	var parts []string
	for _, ch := range p.Diff.Fields {
		parts = append(parts, ch.Field+" changed")
	}
	for _, f := range p.Diff.Changed {
		parts = append(parts, f+" changed")
	}
	for _, f := range p.Diff.Added {
		parts = append(parts, f+" added")
	}
	for _, f := range p.Diff.Removed {
		parts = append(parts, f+" removed")
	}
	if len(parts) == 0 {
		return "not cached (the same key as an earlier build, whose outputs are gone)"
	}
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("%d more", len(parts)-5))
	}
	return strings.Join(parts, ", ")
}
