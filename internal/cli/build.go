package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/term"
)

func newBuildCmd(a *app) *cobra.Command {
	var (
		all    bool
		groups []string
	)
	var jobs int
	var rexec buildcache.ExecSettings
	var (
		remoteFlag, envMode, outputLogs, summarize string
		dryRun, asJSON                             bool
	)
	cmd := &cobra.Command{
		Use:   "build [NAMES...|--all]",
		Short: "Build components in dependency order, from the cache when nothing changed",
		Long: `Build runs each component's build.command (with sh -c, in the component's
directory) in dependency order; independent components build in parallel.
The named components are built together with everything they depend on;
with --all (or no names), every component is.

Before building, meta computes the component's cache key: a hash of its
build command and target, the versions of its tools as they report them
('go version', 'node --version', ...) and the PATH entries, its declared
env vars, the output hashes of its dependencies and the contents of its
input files (not the git commit: an empty commit keeps the key). A
dependency rebuilt to the same outputs leaves its dependents cached
(early cutoff). When the key is cached (locally, or on the remote cache),
build.outputs are restored from the store instead of building, and the
cached build's log is summarised (--output-logs full or --verbose shows
it). After a build, the outputs and the log are stored and recorded, and
uploaded to the remote (not with META_CACHE_READONLY=1, for jobs that must
not write to a cache trusted builds read). A remote that is down is a
warning, never a failure. A failed build skips everything depending on it.

Environment (--env-mode): strict (the default) runs build commands with
only their declared build.env variables plus PATH, HOME, USER, LOGNAME,
SHELL, TMPDIR, TERM, TZ, LANG, LANGUAGE, LC_* and the proxy variables; the
locale and TZ values are in the key. loose passes the whole environment and
hashes every variable into the key (except PWD, OLDPWD, SHLVL and _, and,
with a warning, names that look like credentials).

Remote cache: --remote-cache URL, else META_CACHE_REMOTE, else cache.remote
in your user config ('meta config set --global cache.remote URL'), else the
manifest's cache.remote. With cache.trusted_keys in the manifest, remote
records must be signed by one of those keys (META_CACHE_SIGNING_KEY names
the private key file of the machines that write them); others are misses.

--dry-run says what would hit, what would build and why, building nothing.
--json prints one JSON document (per component: key, outcome, source,
duration, cutoff). --summarize writes the same document, with the run's
settings, to a file (default .meta-store/cache/runs/<time>.json).

With --remote-exec grpc://HOST:PORT[/INSTANCE] (or $META_REMOTE_EXECUTOR)
each build command runs as a REAPI Action on a remote executor such as
Buildbarn: its inputs and its dependencies' outputs are uploaded, the
outputs come back into the working tree and the cache exactly as a local
build's would, and a failure shows the remote stdout, stderr and status.`,
		Example: `  meta build --all
  meta build --all --remote-exec grpc://buildbarn:8980 --remote-platform OSFamily=linux
  meta build api web -j 4
  meta build --dry-run api   # what would build, and why
  meta build --all --json --summarize
  meta build --remote-cache s3://cache/acme?region=us-east-1 --all
  meta cache explain api     # why was api rebuilt?`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(args) > 0 {
				return usagef("name components or use --all, not both", "build: --all with component names")
			}
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			names := splitNames(args)
			if len(groups) > 0 {
				if all {
					return usagef("use --group alone, or --all alone", "build: --all with --group")
				}
				sel, err := selectWithGroups(m, args, groups)
				if err != nil {
					return err
				}
				if names = compNames(sel); len(names) == 0 {
					return usagef("", "build: the groups select no component")
				}
			} else if _, err := selectComponents(m, args); err != nil {
				return err
			}
			mode, err := buildcache.ParseEnvMode(envMode)
			if err != nil {
				return usagef("use --env-mode strict or --env-mode loose", "build: %v", err)
			}
			logs, ok := buildcache.ParseLogPolicy(outputLogs, a.verbose)
			if !ok {
				return usagef("use collapsed, full, errors-only or none", "build: --output-logs %q", outputLogs)
			}
			settings := &cacheSettings{remote: remoteFlag, envMode: mode}
			c, err := a.openBuildCacheWith(cmd.Context(), m, settings)
			if err != nil {
				return err
			}
			if err := hinted(c.UseRemoteExec(cmd.Context(), m, rexec)); err != nil {
				return err
			}
			if dryRun {
				return a.dryRun(cmd.Context(), c, m, names, jobs, asJSON)
			}
			started, summarizing := time.Now(), cmd.Flags().Changed("summarize")
			sink, done := a.buildView(m, asJSON, logs)
			results, err := c.Build(cmd.Context(), m, names, buildcache.BuildOptions{Jobs: jobs, Env: a.toolEnv(cmd.Context(), m), Progress: sink})
			done(results)
			if results == nil {
				return buildError(err)
			}
			if asJSON || summarizing {
				doc := c.Report(results, started, time.Since(started), settings.chosen.From)
				if serr := a.reportRun(doc, c, asJSON, summarizing, summarize, started); serr != nil {
					return serr
				}
			}
			if !asJSON {
				a.printf("%s\n", buildcache.Summary(results, time.Since(started)))
			}
			if err != nil {
				return err
			}
			if fails := buildcache.Failures(results); len(fails) > 0 {
				for _, f := range fails {
					fmt.Fprintf(a.errw(), "meta: %s\n", f)
				}
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "build every component")
	addGroupFlag(cmd, &groups)
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "run `N` builds at a time (default: workspace.jobs, else the number of CPUs)")
	addRemoteExecFlags(cmd, &rexec)
	cmd.Flags().StringVar(&envMode, "env-mode", "strict", "environment of build commands: `strict` (declared vars and a pass-through set) or loose (everything, all hashed)")
	cmd.Flags().StringVar(&remoteFlag, "remote-cache", "", "remote cache `URL` (wins over META_CACHE_REMOTE, the user config and the manifest)")
	cmd.Flags().StringVar(&outputLogs, "output-logs", "", "build logs to print: `collapsed` (default: logs of builds that ran; one line for cached ones), full, errors-only or none")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would hit and what would build, and why, without building")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON document about the run instead of progress")
	cmd.Flags().StringVar(&summarize, "summarize", "", "write a JSON summary of the run to `FILE` (default .meta-store/cache/runs/<time>.json)")
	cmd.Flags().Lookup("summarize").NoOptDefVal = "auto"
	return cmd
}

// buildView shows a build's progress. On a terminal: one live line per
// component, logs after. Elsewhere: one line per component as it
// finishes, with its log right under it, never interleaved with another's.
// done ends the view.
func (a *app) buildView(m *manifest.Manifest, asJSON bool, logs buildcache.LogPolicy) (sink progress.Sink, done func([]buildcache.Result)) {
	if asJSON {
		return nil, func([]buildcache.Result) {}
	}
	live := term.Interactive(a.out())
	r := term.NewRenderer(a.out(), false, nil, func(e progress.Event) string {
		res := e.Result.(buildcache.Result)
		if live {
			return res.Status(a.pal)
		}
		return res.Status(a.pal) + logs.LogText(res, a.pal)
	})
	sink = r
	if !live { // names align over every component of the workspace
		sink = progress.Func(func(e progress.Event) {
			if e.Kind == progress.Planned {
				e.Items = m.Order
			}
			r.Event(e)
		})
	}
	return sink, func(results []buildcache.Result) {
		r.Close()
		for _, res := range results {
			if live && logs.Shows(res) {
				a.printf("%s %s%s\n", a.pal.Bold("=="), res.Name, logs.LogText(res, a.pal))
			}
		}
	}
}

// splitNames flattens "a,b c" style arguments.
func splitNames(args []string) []string {
	var out []string
	for _, arg := range args {
		for n := range strings.SplitSeq(arg, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// buildError turns a planning failure into an error with a hint.
func buildError(err error) error {
	if err == nil {
		return nil
	}
	if strings.Contains(err.Error(), "dependency cycle") {
		return usagef("break the cycle by removing one of its depends_on entries", "%v", err)
	}
	return err
}

// reportRun prints the --json document and, when summarizing, writes it to
// file ("" or "auto" for the default file).
func (a *app) reportRun(doc buildcache.RunReport, c *buildcache.Cache, asJSON, summarizing bool, file string, started time.Time) error {
	if summarizing {
		if file == "" || file == "auto" {
			file = c.SummaryFile(started)
		} else if abs, err := a.absPath(file); err == nil {
			file = abs
		}
		doc.Summary = file
		if err := buildcache.WriteJSON(file, doc); err != nil {
			return failf("choose a writable path with --summarize=FILE", "build summary: %v", err)
		}
		if !asJSON {
			a.printf("summary: %s\n", file)
		}
	}
	if asJSON {
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
	return a.output(nil, asJSON, buildcache.PlanReports(plan), func() string { return linesText(buildcache.DryRunLines(plan, a.pal.Dim)) })
}
