package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/registry"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/semver"
	"github.com/metawork/meta/internal/source"
	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/yamlpos"
)

// This file is the cli's door to internal/resolve, shared by lock,
// conflicts, tree, why, apply and bootstrap.

// checkEnv returns a usage error (exit 2) when env is not an environment
// of the manifest, listing the known ones.
func checkEnv(m *manifest.Manifest, env string) error {
	if env == "" || m.HasEnvironment(env) {
		return nil
	}
	known := m.KnownEnvironments()
	hint := "known environments: " + strings.Join(known, ", ") + "; declare others under 'environments:' in " + manifest.ManifestPath + " (or " + manifest.EnvironmentsPath + ")"
	if s := yamlpos.Suggest(env, known); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	return usagef(hint, "unknown environment %q", env)
}

// hinted turns a domain error carrying the user's next step into the
// cli's error with a hint.
func hintedResolve(err error) error {
	var he *wsresolve.HintError
	if errors.As(err, &he) {
		return withHint(he.Err, he.Hint)
	}
	return err
}

// registryReader is resolve.RegistryReader with the cli's hints.
func registryReader(m *manifest.Manifest, name string, warn func(string)) (*registry.Client, error) {
	c, err := wsresolve.RegistryReader(m, name, warn)
	return c, hintedResolve(err)
}

// registryHint is the next step after a failed registry read ("" when
// err is not one).
func registryHint(err error) string { return wsresolve.RegistryHint(err) }

// resolveOptions say how to resolve (see resolve.Options).
type resolveOptions struct {
	env        string
	strategy   pubgrub.Strategy
	locked     map[string]semver.Version
	lockedRefs map[string]*lockfile.Component
	jobs       int
	progress   func(loaded, total int)
}

// resolution is a resolve.Result under the names the cli files use.
type resolution struct {
	*wsresolve.Result
	m       *manifest.Manifest
	env     string
	sol     *pubgrub.Solution
	tracked map[string]source.RefInfo
	lock    *lockfile.File
	git     *source.Git
}

// rootName is how the workspace is called in explanations.
const rootName = wsresolve.RootName

func lockedVersions(f *lockfile.File, except map[string]bool) map[string]semver.Version {
	return wsresolve.LockedVersions(f, except)
}

func lockedCommits(f *lockfile.File, except map[string]bool) map[string]*lockfile.Component {
	return wsresolve.LockedCommits(f, except)
}

// resolve chooses a version (or the ref's commit) of every component of m
// in environment o.env. Resolution failures are *pubgrub.NoSolutionError.
func resolve(ctx context.Context, m *manifest.Manifest, o resolveOptions) (*resolution, error) {
	if err := checkEnv(m, o.env); err != nil {
		return nil, err
	}
	r, err := wsresolve.Resolve(ctx, m, wsresolve.Options{Env: o.env, Strategy: o.strategy, Locked: o.locked, LockedRefs: o.lockedRefs, Jobs: o.jobs, Progress: o.progress})
	if err != nil {
		return nil, hintedResolve(err)
	}
	return wrap(r), nil
}

func wrap(r *wsresolve.Result) *resolution {
	return &resolution{Result: r, m: r.Manifest, env: r.Env, sol: r.Solution, tracked: r.Tracked, lock: r.Lock, git: r.Git}
}

// resolveProgress returns a progress callback drawing one status line on
// a terminal (nil elsewhere: CI logs get no progress noise) and the
// function that clears it.
func (a *app) resolveProgress() (func(loaded, total int), func()) {
	if !term.Interactive(a.errw()) {
		return nil, func() {}
	}
	var mu sync.Mutex
	drawn := false
	return func(loaded, total int) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(a.errw(), "\rresolving: %d/%d repositories read", loaded, total)
			drawn = true
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			if drawn {
				fmt.Fprint(a.errw(), "\r\033[K")
			}
		}
}

// printNotes prints the resolution's warnings.
func (a *app) printNotes(r *resolution) {
	for _, n := range r.Notes {
		a.warnf("%s", n)
	}
}

// reportNoSolution prints a resolution failure in full.
func (a *app) reportNoSolution(nse *pubgrub.NoSolutionError) {
	fmt.Fprintf(a.errw(), "meta: %s\n\n", nse.Headline)
	fmt.Fprint(a.errw(), strings.TrimPrefix(nse.Report(), nse.Headline+"\n\n"))
}

// resolveFailed prints a resolution failure (exit 3: the ranges cannot all
// hold, as 'meta conflicts check' reports it) or passes err on.
func (a *app) resolveFailed(err error) error { return a.conflictFailed(err, false) }

// conflictFailed is the one conflict printer: a resolution failure is
// printed (as JSON {"ok": false, "conflict": ...} when asJSON) and ends
// the command with exit 3; other errors pass on.
func (a *app) conflictFailed(err error, asJSON bool) error {
	var nse *pubgrub.NoSolutionError
	if !errors.As(err, &nse) {
		return err
	}
	if !asJSON {
		a.reportNoSolution(nse)
	} else if err := a.printJSON(map[string]any{"ok": false, "conflict": nse}); err != nil {
		return err
	}
	return errCheckFailed
}

// cycleError reports dependency cycles among the chosen versions (exit 3,
// as 'meta conflicts check' reports a cycle).
func cycleError(r *resolution) error {
	if err := r.Cycles(); err != nil {
		return &exitError{code: ExitCheckFailed, err: err,
			hint: "remove one of the depends_on entries on the cycle (in the manifest or the components' component.yaml)"}
	}
	return nil
}

func shortCommit(c string) string { return wsresolve.ShortCommit(c) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadEnvs loads the manifest and checks that each of envs is one of its
// environments.
func (a *app) loadEnvs(envs ...string) (*manifest.Manifest, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if err := checkEnv(m, e); err != nil {
			return nil, err
		}
	}
	return m, nil
}
