package cli

import (
	"context"
	"time"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
)

// buildRun is what one `meta build` was asked to report.
type buildRun struct {
	remoteFrom string // where the remote cache was chosen
	json       bool
	summarize  bool
	summary    string // file; "" for the default
	started    time.Time
}

// reportRun prints the --json document and writes the --summarize file.
func (a *app) reportRun(run *buildRun, c *buildcache.Cache, results []buildcache.Result, took time.Duration) error {
	if !run.json && !run.summarize {
		return nil
	}
	doc := c.Report(results, run.started, took, run.remoteFrom)
	if run.summarize {
		file := run.summary
		if file == "" {
			file = c.SummaryFile(run.started)
		} else if abs, err := a.absPath(file); err == nil {
			file = abs
		}
		doc.Summary = file
		if err := buildcache.WriteJSON(file, doc); err != nil {
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

// dryRun prints what a build would do.
func (a *app) dryRun(ctx context.Context, c *buildcache.Cache, m *manifest.Manifest, names []string, jobs int, asJSON bool) error {
	plan, err := c.DryRun(ctx, m, names, buildcache.BuildOptions{Jobs: jobs})
	if err != nil {
		return buildError(err)
	}
	out := []buildcache.PlanReport{}
	width := 0
	for _, p := range plan {
		width = max(width, len(p.Name))
		out = append(out, p.Report())
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
		a.printf("%-*s  %s%s: %s\n", width, p.Name, dryActions[p.Action], key, out[i].Reason)
	}
	a.printf("dry run: %d would build, %d cached (%d on the remote), %d wait for a dependency, %d without a build command\n",
		counts[buildcache.WouldBuild], counts[buildcache.WouldHit]+counts[buildcache.WouldRemoteHit], counts[buildcache.WouldRemoteHit],
		counts[buildcache.WouldWait], counts[buildcache.NothingToBuild])
	return nil
}

var dryActions = map[buildcache.Action]string{
	buildcache.WouldHit:       "would hit",
	buildcache.WouldRemoteHit: "would hit the remote",
	buildcache.WouldBuild:     "would build",
	buildcache.WouldWait:      "would build if its dependencies' outputs change",
	buildcache.NothingToBuild: "no build command",
	buildcache.CannotKey:      "cannot compute its key",
}
