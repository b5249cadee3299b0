package cli

import (
	"context"
	"errors"
	"io/fs"
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
		return nil, a.resolveFailed(hinted(hintedResolve(err)))
	}
	a.warnAll(res.Notes)
	return res, nil
}

// readLock reads the lock of env; a missing file is (nil, nil) when
// optional, else an error with a hint.
func readLock(m *manifest.Manifest, env string, optional bool) (*lockfile.File, error) {
	f, err := lockfile.Load(m.Dir, env)
	if errors.Is(err, fs.ErrNotExist) {
		if optional {
			return nil, nil
		}
		return nil, failf("run 'meta lock"+lockfile.EnvFlag(env)+"' to write it", "%s does not exist", lockfile.RelPath(env))
	}
	return f, err
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
			return a.output(nil, asJSON, r.Nodes(), func() string { return strings.Join(r.TreeText(), "\n") + "\n" })
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	return jsonFlag(cmd, &asJSON)
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
			if _, err := a.loadComponent(args[0]); err != nil {
				return err
			}
			r, err := a.resolveForView(cmd.Context(), env)
			if err != nil {
				return err
			}
			a.printf("%s\n", strings.Join(r.WhyText(args[0]), "\n"))
			return nil
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "resolve for environment `E`")
	return cmd
}
