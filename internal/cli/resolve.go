package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/pubgrub"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/term"
)

// This file is the cli's door to internal/resolve, shared by lock,
// conflicts, tree, why, apply and bootstrap.

// checkEnv returns a usage error (exit 2) when env is not an environment
// of the manifest, listing the known ones.
func checkEnv(m *manifest.Manifest, env string) error { return hinted(m.CheckEnv(env)) }

// hintedResolve turns a domain error carrying the user's next step
// (resolve.HintError) into the cli's error with a hint.
func hintedResolve(err error) error {
	var he *wsresolve.HintError
	if errors.As(err, &he) {
		return withHint(he.Err, he.Hint)
	}
	return err
}

// resolveWith checks o.Env and resolves m (see resolve.Resolve), with a
// status line on a terminal when progress is set. Resolution failures are
// *pubgrub.NoSolutionError.
func (a *app) resolveWith(ctx context.Context, m *manifest.Manifest, o wsresolve.Options, progress bool) (*wsresolve.Result, error) {
	if err := checkEnv(m, o.Env); err != nil {
		return nil, err
	}
	clear := func() {}
	if progress {
		o.Progress, clear = a.resolveProgress()
	}
	r, err := wsresolve.Resolve(ctx, m, o)
	clear()
	return r, hintedResolve(err)
}

// resolveProgress returns a progress callback drawing one status line on
// a terminal (nil elsewhere: CI logs get no progress noise) and the
// function that clears it.
func (a *app) resolveProgress() (func(loaded, total int), func()) {
	return term.Counter(a.errw(), "resolving: %d/%d repositories read")
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
		fmt.Fprintf(a.errw(), "meta: %s\n\n%s", nse.Headline, strings.TrimPrefix(nse.Report(), nse.Headline+"\n\n"))
	} else if err := a.printJSON(map[string]any{"ok": false, "conflict": nse}); err != nil {
		return err
	}
	return errCheckFailed
}

// cycleError reports dependency cycles among the chosen versions (exit 3,
// as 'meta conflicts check' reports a cycle).
func cycleError(r *wsresolve.Result) error {
	if err := r.Cycles(); err != nil {
		return &exitError{code: ExitCheckFailed, err: err,
			hint: "remove one of the depends_on entries on the cycle (in the manifest or the components' component.yaml)"}
	}
	return nil
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
