package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
	"github.com/metawork/meta/internal/term"
)

func newCacheCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect and manage the build cache",
		Long: `The build cache maps a component's cache key (a hash of everything that
affects its build: command, tool versions and PATH, env, dependency output
hashes and input file contents) to the store entry holding its build outputs. Records live in
the store directory (cache/); with cache.remote set they are shared
through an S3 bucket or a Bazel HTTP cache.`,
		Example: `  meta cache list
  meta cache stats
  meta cache explain api
  meta cache invalidate --component api`,
	}
	cmd.AddCommand(
		newCacheBuildCmd(a),
		newCacheGetCmd(a),
		newCacheInvalidateCmd(a),
		newCacheListCmd(a),
		newCacheStatsCmd(a),
		newCacheExplainCmd(a),
	)
	return cmd
}

func newCacheBuildCmd(a *app) *cobra.Command {
	var source string
	cmd := &cobra.Command{
		Use:   "build NAME --source PATH",
		Short: "Record a directory as NAME's build outputs under its current key",
		Long: `The manual form of a build: store the directory PATH as the outputs of
component NAME under NAME's current cache key, locally and on the remote.
Prints the key and the store hash.`,
		Example: `  meta cache build api --source ./api/dist`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source == "" {
				return usagef("say which directory holds the outputs", "cache build: --source is required")
			}
			c, m, src, err := a.componentCache(cmd.Context(), args[0], source, true)
			if err != nil {
				return err
			}
			rec, err := c.StoreDir(cmd.Context(), m, args[0], src)
			if err != nil {
				var se *store.SpecialFileError
				if errors.As(err, &se) {
					return failf("remove sockets, fifos and devices from the outputs", "cache build %s: %v", args[0], err)
				}
				return fmt.Errorf("cache build %s: %w", args[0], err)
			}
			a.printf("%s %s key %s output %s (%s)\n", args[0], a.pal.Green("cached"), rec.Key, rec.Output, store.HumanSize(rec.Size))
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the directory holding the outputs (`PATH`)")
	return cmd
}

func newCacheGetCmd(a *app) *cobra.Command {
	var target string
	cmd := &cobra.Command{
		Use:   "get NAME --target PATH",
		Short: "Restore NAME's cached outputs for its current key into a directory",
		Long: `Copy the outputs cached for component NAME's current key (local records
first, then the remote) into PATH, which must not exist or be empty.
Exits 1 with a hint when nothing is cached for the key.`,
		Example: `  meta cache get api --target /tmp/api-dist`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return usagef("say where the outputs go", "cache get: --target is required")
			}
			c, m, dst, err := a.componentCache(cmd.Context(), args[0], target, false)
			if err != nil {
				return err
			}
			rec, err := c.GetDir(cmd.Context(), m, args[0], dst)
			switch {
			case errors.Is(err, buildcache.ErrMiss):
				return failf(fmt.Sprintf("run 'meta build %s' first, or 'meta cache explain %s'", args[0], args[0]), "cache get %v", err)
			case errors.Is(err, store.ErrTargetNotEmpty):
				return failf("choose an empty or new directory", "cache get %s: %s: %v", args[0], target, err)
			case err != nil:
				return fmt.Errorf("cache get %s: %w", args[0], err)
			}
			a.printf("%s restored %s into %s\n", args[0], rec.Output[:12], target)
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "where to put the outputs (`PATH`)")
	return cmd
}

// componentCache loads the manifest, checks that name is a component,
// resolves path (an existing directory, with source: cache build's) and
// opens the build cache.
func (a *app) componentCache(ctx context.Context, name, path string, source bool) (*buildcache.Cache, *manifest.Manifest, string, error) {
	m, err := a.loadComponent(name)
	if err != nil {
		return nil, nil, "", err
	}
	abs, err := a.absPath(path)
	if st, serr := os.Stat(abs); err == nil && source && (serr != nil || !st.IsDir()) {
		err = usagef("--source takes an existing directory", "cache build: %s: not a directory", path)
	}
	if err != nil {
		return nil, nil, "", err
	}
	c, err := a.openBuildCache(ctx, m)
	return c, m, abs, err
}

// absPath resolves p against the directory meta acts from.
func (a *app) absPath(p string) (string, error) {
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	wd, err := a.workdir()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, p), nil
}

func newCacheInvalidateCmd(a *app) *cobra.Command {
	var component string
	var all bool
	cmd := &cobra.Command{
		Use:   "invalidate --component C | --all",
		Short: "Forget cached builds of one component or of all",
		Long: `Delete the local cache records of component C (or of every component), so
the next 'meta build' runs the build again. Store entries stay until 'meta
gc'; records on the remote are left alone, since other machines use them.`,
		Example: `  meta cache invalidate --component api
  meta cache invalidate --all`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (component == "") == !all {
				return usagef("use --component C or --all", "cache invalidate: say what to invalidate")
			}
			var m *manifest.Manifest
			if component != "" {
				var err error
				if m, err = a.loadComponent(component); err != nil {
					return err
				}
			}
			c, err := a.openBuildCache(cmd.Context(), m)
			if err != nil {
				return err
			}
			n, err := c.Invalidate(component)
			if err != nil {
				return err
			}
			a.printf("invalidated %s of %s\n", plural(n, "record"), cmp.Or(component, "all components"))
			return nil
		},
	}
	cmd.Flags().StringVar(&component, "component", "", "the component `C` to invalidate")
	cmd.Flags().BoolVar(&all, "all", false, "invalidate every component")
	return cmd
}

func newCacheListCmd(a *app) *cobra.Command {
	var asJSON bool
	var component string
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List the local build-cache records",
		Example: `  meta cache list
  meta cache list --component api --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.openBuildCache(cmd.Context(), nil)
			if err != nil {
				return err
			}
			list, err := c.List(component)
			return a.printListing(err, asJSON, list, buildcache.ListRows(list), func() { a.printf("no cache records (run 'meta build')\n") }, buildcache.ListHeader...)
		},
	}
	cmd.Flags().StringVar(&component, "component", "", "only records of component `C`")
	return jsonFlag(cmd, &asJSON)
}

func newCacheStatsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "stats [--json]",
		Short:   "Show build-cache hits, misses and bytes",
		Example: "  meta cache stats\n  meta cache stats --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.openBuildCache(cmd.Context(), nil)
			if err != nil {
				return err
			}
			s, err := c.Stats()
			return a.output(err, asJSON, s, func() string { return term.TableText(s.Rows()) })
		},
	}
	return jsonFlag(cmd, &asJSON)
}

func newCacheExplainCmd(a *app) *cobra.Command {
	var asJSON bool
	var rexec buildcache.ExecSettings
	var envMode string
	cmd := &cobra.Command{
		Use:   "explain NAME [--json]",
		Short: "Show what NAME's cache key is made of and why it changed",
		Long: `Compute component NAME's cache key now, say whether it is cached, print
the key document (everything the key is a hash of) and compare it with the
most recent different key that was built or served: which fields changed,
and which input files were added, removed or changed. A dependency that
was rebuilt with the same outputs is shown as a cutoff: it did not change
this key. Use the same --env-mode as the build.`,
		Example: `  meta cache explain api
  meta cache explain api --json | jq .diff`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := a.loadComponent(args[0])
			if err != nil {
				return err
			}
			mode, err := buildcache.ParseEnvMode(envMode)
			if err != nil {
				return usagef("use --env-mode strict or --env-mode loose", "cache explain: %v", err)
			}
			c, err := a.openBuildCacheWith(cmd.Context(), m, &cacheSettings{envMode: mode})
			if err != nil {
				return err
			}
			e, err := c.Explain(cmd.Context(), m, args[0], nil)
			if err != nil {
				return fmt.Errorf("cache explain %w", err)
			}
			e.Action, err = c.ExplainAction(cmd.Context(), m, args[0], rexec)
			return a.output(hinted(err), asJSON, e, func() string { return linesText(e.Lines(a.verbose)) })
		},
	}
	addRemoteExecFlags(cmd, &rexec) // with an executor, explain shows the Action digest
	cmd.Flags().StringVar(&envMode, "env-mode", "strict", "the build's environment mode: `strict` or loose")
	return jsonFlag(cmd, &asJSON)
}
