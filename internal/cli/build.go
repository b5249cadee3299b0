package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/term"
)

func newBuildCmd(a *app) *cobra.Command {
	var (
		all    bool
		groups []string
	)
	var jobs int
	var rexec remoteExecFlags
	cmd := &cobra.Command{
		Use:   "build [NAMES...|--all]",
		Short: "Build components in dependency order, from the cache when nothing changed",
		Long: `Build runs each component's build.command (with sh -c, in the component's
directory) in dependency order; independent components build in parallel.
The named components are built together with everything they depend on;
with --all (or no names), every component is.

Before building, meta computes the component's cache key: a hash of its
version and commit, build command and target, tools, declared env vars,
the keys of its dependencies and the contents of its input files. When the
key is cached (locally, or on cache.remote), build.outputs are restored
from the store instead of building. After a build, the outputs are stored
and recorded, and uploaded to the remote (not with META_CACHE_READONLY=1,
for jobs that must not write to a cache trusted builds read). A remote that
is down is a warning, never a failure. A failed build skips everything
depending on it.

With --remote-exec grpc://HOST:PORT[/INSTANCE] (or $META_REMOTE_EXECUTOR)
each build command runs as a REAPI Action on a remote executor such as
Buildbarn: its inputs and its dependencies' outputs are uploaded, the
outputs come back into the working tree and the cache exactly as a local
build's would, and a failure shows the remote stdout, stderr and status.`,
		Example: `  meta build --all
  meta build --all --remote-exec grpc://buildbarn:8980 --remote-platform OSFamily=linux
  meta build api web -j 4
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
				sel, err := a.selectWithGroups(m, args, groups)
				if err != nil {
					return err
				}
				names = nil
				for _, c := range sel {
					names = append(names, c.Name)
				}
				if len(names) == 0 {
					return usagef("", "build: the groups select no component")
				}
			} else if _, err := selectComponents(m, args); err != nil {
				return err
			}
			c, err := a.openBuildCache(cmd.Context(), m)
			if err != nil {
				return err
			}
			if err := a.useRemoteExec(cmd.Context(), c, rexec); err != nil { // build_remote.go
				return err
			}
			start := time.Now()
			var mu sync.Mutex
			width := 0
			for _, n := range m.Order {
				width = max(width, len(n))
			}
			// On a terminal: one live line per component, logs after.
			// Elsewhere: one line per component as it finishes, with its
			// log right under it, never interleaved with another's.
			var lines *term.Lines
			live := term.Interactive(a.out())
			opts := buildcache.BuildOptions{
				Jobs: jobs,
				Env:  a.toolEnv(cmd.Context(), m),
				OnDone: func(r buildcache.Result) {
					mu.Lock()
					defer mu.Unlock()
					if live {
						lines.Done(r.Name, a.buildStatus(r))
						return
					}
					a.printBuildResult(r, width)
				},
			}
			if live {
				opts.OnPlan = func(names []string) { lines = term.NewLines(a.out(), names) }
				opts.OnStart = func(name string) { lines.Update(name, "checking cache / building") }
			}
			results, err := c.Build(cmd.Context(), m, names, opts)
			if live {
				lines.Close()
				for _, r := range results {
					if len(r.Log) > 0 && (r.Outcome == buildcache.Failed || r.Outcome == buildcache.Built) {
						a.printf("%s %s\n", a.pal.Bold("=="), r.Name)
						a.printLog(r.Log)
					}
				}
			}
			if results == nil {
				return buildError(err)
			}
			counts := map[buildcache.Outcome]int{}
			for _, r := range results {
				counts[r.Outcome]++
			}
			a.printf("build: %d built, %d cached (%d from remote), %d failed, %d skipped, %d without a build command in %s\n",
				counts[buildcache.Built], counts[buildcache.Hit]+counts[buildcache.RemoteHit], counts[buildcache.RemoteHit],
				counts[buildcache.Failed], counts[buildcache.Skipped], counts[buildcache.NoBuild], roundDuration(time.Since(start)))
			if err != nil {
				return err
			}
			if counts[buildcache.Failed] > 0 {
				for _, r := range results {
					switch r.Outcome {
					case buildcache.Failed:
						fmt.Fprintf(a.errw(), "meta: build %s: %v\n", r.Name, r.Err)
					case buildcache.Skipped:
						fmt.Fprintf(a.errw(), "meta: build %s: skipped because %s failed\n", r.Name, r.SkippedBy)
					}
				}
				return errSilent
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "build every component")
	addGroupFlag(cmd, &groups)
	cmd.Flags().IntVarP(&jobs, "jobs", "j", 0, "run `N` builds at a time (default: workspace.jobs, else the number of CPUs)")
	addRemoteExecFlags(cmd, &rexec) // build_remote.go
	return cmd
}

// printBuildResult prints one component's line and, for a build that ran,
// its output.
func (a *app) printBuildResult(r buildcache.Result, width int) {
	a.printf("%-*s  %s\n", width, r.Name, a.buildStatus(r))
	if len(r.Log) > 0 && (r.Outcome == buildcache.Failed || r.Outcome == buildcache.Built) {
		a.printLog(r.Log)
	}
}

// buildStatus describes a component's outcome in a few words.
func (a *app) buildStatus(r buildcache.Result) string {
	switch r.Outcome {
	case buildcache.Built:
		return a.pal.Green("built") + " in " + roundDuration(r.Duration).String()
	case buildcache.Hit, buildcache.RemoteHit:
		status := a.pal.Green(string(r.Outcome))
		if r.Restored {
			status += " (outputs restored)"
		}
		return status
	case buildcache.Failed:
		return a.pal.Red("failed") + ": " + r.Err.Error()
	case buildcache.Skipped:
		return a.pal.Yellow("skipped") + ": " + r.SkippedBy + " failed"
	case buildcache.NoBuild:
		return a.pal.Dim("no build command")
	}
	return string(r.Outcome)
}

// printLog prints a build's output, indented under its component.
func (a *app) printLog(log []byte) {
	for line := range strings.Lines(string(bytes.TrimRight(log, "\n"))) {
		a.printf("  %s %s", a.pal.Dim("|"), strings.TrimSuffix(line, "\n"))
		a.printf("\n")
	}
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
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

// openBuildCache opens the store and its build cache, with the manifest's
// cache.remote when it is set. A remote that cannot be opened is a warning.
func (a *app) openBuildCache(ctx context.Context, m *manifest.Manifest) (*buildcache.Cache, error) {
	st, err := a.openStore()
	if err != nil {
		return nil, err
	}
	var remote backend.Backend
	if m != nil && m.Cache.Remote != "" {
		url := m.Cache.Remote
		if !strings.Contains(url, "://") && !filepath.IsAbs(url) {
			url = filepath.Join(m.Dir, url) // a local remote relative to the meta repository
		}
		remote, err = backend.Open(ctx, url, backend.Options{})
		if err != nil {
			a.warnf("cache.remote: %v; building without the remote cache", err)
			remote = nil
		}
	}
	// Untrusted jobs (pull requests) read the shared remote but must not
	// write to it.
	readOnly := os.Getenv("META_CACHE_READONLY") == "1" || os.Getenv("META_CACHE_READONLY") == "true"
	return buildcache.Open(st, buildcache.Options{Remote: remote, ReadOnly: readOnly, Warn: func(s string) { a.warnf("%s", s) },
		RemoteTimeout: a.cacheTimeout()}) // build_remote.go
}
