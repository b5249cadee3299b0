package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	wsresolve "github.com/metawork/meta/internal/resolve"
	"github.com/metawork/meta/internal/yamlpos"
)

// resolveForView resolves for tree and why: the lock's versions are kept
// while valid, so the view matches what is locked.
func (a *app) resolveForView(ctx context.Context, env string) (*wsresolve.Result, error) {
	m, err := a.loadEnvs(env)
	if err != nil {
		return nil, err
	}
	old, err := viewLock(m, env)
	if err != nil {
		return nil, err
	}
	progress, clear := a.resolveProgress()
	res, err := wsresolve.ForView(ctx, m, old, wsresolve.Options{Env: env, Progress: progress})
	clear()
	if err != nil {
		return nil, a.resolveFailed(hinted(err))
	}
	a.printNotes(res)
	return res, nil
}

// viewLock is env's lock for views and advice: a lock that does not parse
// is an error, a missing or unreadable one is ignored.
func viewLock(m *manifest.Manifest, env string) (*lockfile.File, error) {
	old, err := readLock(m, env, true)
	var ye *yamlpos.Error
	if errors.As(err, &ye) {
		return nil, err
	}
	return old, nil
}

func newTreeCmd(a *app) *cobra.Command {
	var (
		env    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "tree [--env E] [--json]",
		Short: "Show the resolved components as a dependency tree",
		Long: `Resolve the workspace (keeping the lock's versions while they are valid) and
print every component with its version or tracked ref, under the components
that depend on it. A subtree already shown is marked (*).`,
		Example: `  meta tree
  meta tree --env prod
  meta tree --json | jq '.[] | select(.tracked)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := a.resolveForView(cmd.Context(), env)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(r.Nodes())
			}
			a.printTree(r)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) printTree(r *wsresolve.Result) {
	title := wsresolve.RootName
	if r.Env != "" {
		title += " (" + r.Env + ")"
	}
	a.printf("%s\n", title)
	for _, l := range r.Tree() {
		if l.Mark != "" {
			l.Label += " " + l.Mark
		}
		a.printf("%s%s\n", l.Prefix, l.Label)
	}
}

func newWhyCmd(a *app) *cobra.Command {
	var env string
	cmd := &cobra.Command{
		Use:   "why NAME [--env E]",
		Short: "Explain why a component is at its version: the chain of requirements",
		Long: `Print who requires NAME and with which range, where each requirement is
declared (file:line), and recursively who requires those, up to the
workspace manifest. Overrides that replaced a requirement are shown with
their reason.`,
		Example: `  meta why auth-lib
  meta why detector-core --env prod`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			m, err := a.loadManifest()
			if err != nil {
				return err
			}
			if _, err := selectComponents(m, []string{name}); err != nil {
				return err
			}
			r, err := a.resolveForView(cmd.Context(), env)
			if err != nil {
				return err
			}
			a.printWhy(r, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	return cmd
}

func (a *app) printWhy(r *wsresolve.Result, name string) {
	c := r.Lock.Components[name]
	if c == nil {
		a.printf("%s is not part of the resolution\n", name)
		return
	}
	a.printf("%s %s (commit %s)\n", name, c.Describe(), wsresolve.ShortCommit(c.Commit))
	if info, ok := r.Tracked[name]; ok {
		e := r.Manifest.Effective(r.Manifest.Components[name], r.Env)
		pos := e.Pos
		if e.VersionPos.File != "" {
			pos = e.VersionPos
		}
		what := "tracks " + info.Ref
		if e.Ref == "" {
			what = "has no semver tags: tracks its default branch " + info.Ref
		}
		a.printf("  %s (%s)\n", what, pos)
	}
	if o, ok := r.Manifest.Overrides[name]; ok {
		reason := ""
		if o.Reason != "" {
			reason = ": " + o.Reason
		}
		a.printf("  overridden to %s (%s)%s\n", o.Version, o.Pos, reason)
	}
	for _, q := range r.Why(name) {
		line := fmt.Sprintf("%s← %s requires %s", strings.Repeat("  ", q.Depth+1), q.From, q.Constraint)
		if q.Original != "" {
			line = fmt.Sprintf("%s← %s requires %s, overridden to %s", strings.Repeat("  ", q.Depth+1), q.From, q.Original, q.Constraint)
		}
		if q.Source != "" {
			line += "  (" + q.Source + ")"
		}
		a.printf("%s\n", line)
	}
}
