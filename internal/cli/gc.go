package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

func newGCCmd(a *app) *cobra.Command {
	var dryRun, asJSON bool
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "gc store|cache|all",
		Short: "Delete store entries and cache records nothing needs any more",
		Long: `gc store deletes every store entry not reachable from a root: pins, hashes
named in manifests/components.lock*.yaml, build-cache records the cache
policy keeps, and entries younger than --grace. gc cache drops build-cache
records older than cache.max_age or beyond cache.max_size; gc all does
both, cache first. gc waits for running adds and blocks new ones while it
works.`,
		Example: `  meta gc store --dry-run
  meta gc store --grace 0s
  meta gc all`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"store", "cache", "all"},
		RunE: func(cmd *cobra.Command, args []string) error {
			what := args[0]
			if what != "store" && what != "cache" && what != "all" {
				return usagef("say what to collect: store, cache or all", "gc: unknown target %q", what)
			}
			if grace < 0 {
				return usagef("", "gc: --grace must not be negative")
			}
			dir, metaRoot, err := a.storeDirFor()
			if err != nil {
				return err
			}
			st, err := store.Open(dir)
			if err != nil {
				return err
			}
			var m *manifest.Manifest
			if metaRoot != "" {
				if m, err = manifest.Load(metaRoot); err != nil {
					return usageError(err, "")
				}
			}
			c, err := buildcache.Open(st, buildcache.Options{Warn: func(s string) { a.warnf("%s", s) }})
			if err != nil {
				return err
			}
			if what != "store" { // records unused for longer than cache.max_age, then beyond cache.max_size
				res, err := c.GC(cmd.Context(), buildcache.PolicyOf(m, dryRun))
				if err == nil {
					a.printAll(res.Lines(dryRun))
				}
				if err != nil || what == "cache" {
					return err
				}
			}
			res, err := c.StoreGC(cmd.Context(), metaRoot, buildcache.PolicyOf(m, false), store.GCOptions{Grace: grace, DryRun: dryRun})
			if err != nil {
				return fmt.Errorf("gc store: %w", err)
			}
			return a.output(nil, asJSON, res, func() string { return linesText(res.Lines(dryRun)) })
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be deleted, delete nothing")
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Minute, "keep store entries younger than `DURATION`")
	return jsonFlag(cmd, &asJSON)
}
