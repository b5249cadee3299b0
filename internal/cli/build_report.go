package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
)

// outputLogs says which build logs `meta build` prints.
type outputLogs string

const (
	logsCollapsed  outputLogs = "collapsed"   // logs of builds that ran; one line for a cached one
	logsFull       outputLogs = "full"        // also replay the logs of cached builds
	logsErrorsOnly outputLogs = "errors-only" // only logs of failed builds
	logsNone       outputLogs = "none"
)

func parseOutputLogs(s string, verbose bool) (outputLogs, error) {
	switch outputLogs(s) {
	case "":
		if verbose {
			return logsFull, nil
		}
		return logsCollapsed, nil
	case logsCollapsed, logsFull, logsErrorsOnly, logsNone:
		return outputLogs(s), nil
	}
	return "", usagef("use collapsed, full, errors-only or none", "build: --output-logs %q", s)
}

// showLog reports whether r's log is printed in full.
func showLog(r buildcache.Result, logs outputLogs) bool {
	if len(r.Log) == 0 {
		return false
	}
	switch logs {
	case logsNone:
		return false
	case logsErrorsOnly:
		return r.Outcome == buildcache.Failed
	case logsFull:
		return r.Outcome == buildcache.Failed || r.Outcome == buildcache.Built || r.Replayed
	}
	return r.Outcome == buildcache.Failed || r.Outcome == buildcache.Built
}

func logLines(log []byte) int {
	log = bytes.TrimRight(log, "\n")
	if len(log) == 0 {
		return 0
	}
	return bytes.Count(log, []byte("\n")) + 1
}

// buildRun is what one `meta build` was asked to report.
type buildRun struct {
	settings  *cacheSettings
	json      bool
	summarize bool
	summary   string // file; "" for the default
	started   time.Time
}

// buildRunJSON is the document --json prints and --summarize writes.
type buildRunJSON struct {
	Started    time.Time         `json:"started"`
	DurationMS int64             `json:"duration_ms"`
	EnvMode    string            `json:"env_mode"`
	Remote     string            `json:"remote,omitempty"`      // the remote cache, without credentials
	RemoteFrom string            `json:"remote_from,omitempty"` // --remote-cache, META_CACHE_REMOTE, user config or manifest
	Signing    bool              `json:"signing"`               // records written are signed
	Verifying  bool              `json:"verifying"`             // remote records must be signed
	Counts     map[string]int    `json:"counts"`
	Components []buildResultJSON `json:"components"`
	Summary    string            `json:"summary_file,omitempty"`
}

type buildResultJSON struct {
	Name       string              `json:"name"`
	Outcome    string              `json:"outcome"` // built, hit, remote-hit, failed, skipped, no-build
	Key        string              `json:"key,omitempty"`
	Hit        bool                `json:"hit"`
	Source     string              `json:"source,omitempty"` // local or remote, for hits
	DurationMS int64               `json:"duration_ms"`
	Output     string              `json:"output,omitempty"`   // store hash of the outputs
	Cutoff     []buildcache.Cutoff `json:"cutoff,omitempty"`   // dependencies rebuilt to the same outputs
	Restored   bool                `json:"restored,omitempty"` // outputs were written into the working tree
	LogLines   int                 `json:"log_lines"`
	Error      string              `json:"error,omitempty"`
	SkippedBy  string              `json:"skipped_by,omitempty"`
}

// reportRun prints the --json document and writes the --summarize file.
func (a *app) reportRun(run *buildRun, c *buildcache.Cache, results []buildcache.Result, took time.Duration) error {
	if !run.json && !run.summarize {
		return nil
	}
	doc := buildRunJSON{
		Started:    run.started.UTC(),
		DurationMS: took.Milliseconds(),
		EnvMode:    string(run.settings.envMode),
		RemoteFrom: run.settings.chosen.From,
		Signing:    c.Signing(),
		Verifying:  c.Verifying(),
		Counts:     map[string]int{},
		Components: []buildResultJSON{},
	}
	if rb := c.Remote(); rb != nil {
		doc.Remote = rb.String()
	}
	for _, r := range results {
		doc.Counts[string(r.Outcome)]++
		j := buildResultJSON{
			Name: r.Name, Outcome: string(r.Outcome), Key: r.Key, DurationMS: r.Duration.Milliseconds(),
			Output: r.Output, Cutoff: r.Cutoff, Restored: r.Restored, LogLines: logLines(r.Log), SkippedBy: r.SkippedBy,
		}
		switch r.Outcome {
		case buildcache.Hit:
			j.Hit, j.Source = true, "local"
		case buildcache.RemoteHit:
			j.Hit, j.Source = true, "remote"
		}
		if r.Err != nil {
			j.Error = r.Err.Error()
		}
		doc.Components = append(doc.Components, j)
	}
	if run.summarize {
		file := run.summary
		if file == "" {
			name := run.started.UTC().Format("20060102T150405.000Z") + fmt.Sprintf("-%d.json", os.Getpid())
			file = filepath.Join(c.Dir(), "runs", name)
		} else if abs, err := a.absPath(file); err == nil {
			file = abs
		}
		doc.Summary = file
		if err := writeJSONFile(file, doc); err != nil {
			return failf("choose a writable path with --summarize=FILE", "build summary: %v", err)
		}
		if !run.json {
			defer a.printf("summary: %s\n", file)
		}
	}
	if run.json {
		return a.printJSON(doc)
	}
	return nil
}

func writeJSONFile(file string, v any) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	buf := bytes.NewBuffer(append(data, '\n'))
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

// plannedJSON is one component of `meta build --dry-run --json`.
type plannedJSON struct {
	Name    string              `json:"name"`
	Action  string              `json:"action"` // hit, remote-hit, build, unknown, no-build, failed
	Key     string              `json:"key,omitempty"`
	Waits   []string            `json:"waits_for,omitempty"` // dependencies that build first; the key needs their outputs
	Reason  string              `json:"reason,omitempty"`
	BaseKey string              `json:"base_key,omitempty"`
	Diff    *buildcache.Diff    `json:"diff,omitempty"`
	Cutoff  []buildcache.Cutoff `json:"cutoff,omitempty"`
	Error   string              `json:"error,omitempty"`
}

// dryRun prints what a build would do.
func (a *app) dryRun(ctx context.Context, c *buildcache.Cache, m *manifest.Manifest, names []string, jobs int, asJSON bool) error {
	plan, err := c.DryRun(ctx, m, names, buildcache.BuildOptions{Jobs: jobs})
	if err != nil {
		return buildError(err)
	}
	out := []plannedJSON{}
	width := 0
	for _, p := range plan {
		width = max(width, len(p.Name))
		j := plannedJSON{Name: p.Name, Action: string(p.Action), Key: p.Key, Waits: p.Waits, BaseKey: p.BaseKey, Diff: p.Diff, Cutoff: p.Cutoff, Reason: planReason(p)}
		if p.Err != nil {
			j.Error = p.Err.Error()
		}
		out = append(out, j)
	}
	if asJSON {
		return a.printJSON(out)
	}
	counts := map[buildcache.Action]int{}
	for i, p := range plan {
		counts[p.Action]++
		key := ""
		if p.Key != "" {
			key = " " + a.pal.Dim(p.Key[:12])
		}
		a.printf("%-*s  %s%s: %s\n", width, p.Name, dryAction(p.Action), key, out[i].Reason)
	}
	a.printf("dry run: %d would build, %d cached (%d on the remote), %d wait for a dependency, %d without a build command\n",
		counts[buildcache.WouldBuild], counts[buildcache.WouldHit]+counts[buildcache.WouldRemoteHit], counts[buildcache.WouldRemoteHit],
		counts[buildcache.WouldWait], counts[buildcache.NothingToBuild])
	return nil
}

func dryAction(a buildcache.Action) string {
	switch a {
	case buildcache.WouldHit:
		return "would hit"
	case buildcache.WouldRemoteHit:
		return "would hit the remote"
	case buildcache.WouldBuild:
		return "would build"
	case buildcache.WouldWait:
		return "would build if its dependencies' outputs change"
	case buildcache.NothingToBuild:
		return "no build command"
	}
	return "cannot compute its key"
}

// planReason says in one line why a component would hit or build.
func planReason(p buildcache.Planned) string {
	switch p.Action {
	case buildcache.WouldHit, buildcache.WouldRemoteHit:
		r := "cached for this key"
		for _, c := range p.Cutoff {
			r += fmt.Sprintf("; %s has a new key but the same outputs (cutoff)", c.Dep)
		}
		return r
	case buildcache.WouldWait:
		return strings.Join(p.Waits, ", ") + " build first; this key needs their outputs"
	case buildcache.NothingToBuild:
		return "nothing to do"
	case buildcache.CannotKey:
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
