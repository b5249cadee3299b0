package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/spf13/cobra"

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
			ctx := cmd.Context()
			if what != "store" {
				if err := runCacheGC(ctx, a, st, dryRun); err != nil {
					return err
				}
				if what == "cache" {
					return nil
				}
			}
			return runStoreGC(ctx, a, st, metaRoot, store.GCOptions{Grace: grace, DryRun: dryRun}, asJSON)
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be deleted, delete nothing")
	cmd.Flags().DurationVar(&grace, "grace", 10*time.Minute, "keep store entries younger than `DURATION`")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type gcJSON struct {
	DryRun     bool             `json:"dry_run"`
	Deleted    []store.Metadata `json:"deleted"`
	Kept       int              `json:"kept"`
	BytesFreed int64            `json:"bytes_freed"`
	Leftovers  []string         `json:"leftovers"`
}

// runStoreGC collects the store with roots from pins, lock files and the
// build cache, and reports what it deleted.
func runStoreGC(ctx context.Context, a *app, st *store.Store, metaRoot string, opts store.GCOptions, asJSON bool) error {
	if metaRoot != "" {
		opts.Sources = append(opts.Sources, lockFileRoots{dir: metaRoot})
	}
	extra, err := cacheRootSources(ctx, a, st)
	if err != nil {
		return err
	}
	opts.Sources = append(opts.Sources, extra...)
	res, err := st.GC(ctx, opts)
	if err != nil {
		return fmt.Errorf("gc store: %w", err)
	}
	if asJSON {
		out := gcJSON{DryRun: opts.DryRun, Deleted: res.Deleted, Kept: res.Kept, BytesFreed: res.BytesFreed, Leftovers: res.Leftovers}
		if out.Deleted == nil {
			out.Deleted = []store.Metadata{}
		}
		if out.Leftovers == nil {
			out.Leftovers = []string{}
		}
		return a.printJSON(out)
	}
	verb, freed := "deleted", "freed"
	if opts.DryRun {
		verb, freed = "would delete", "would free"
	}
	for _, m := range res.Deleted {
		a.printf("%s %s %s (%s)\n", verb, m.Hash[:12], m.Name, humanSize(m.Size))
	}
	for _, l := range res.Leftovers {
		a.printf("%s leftover %s\n", verb, l)
	}
	a.printf("gc store: %d entries %s, %d kept, %s %s\n", len(res.Deleted), verb, res.Kept, humanSize(res.BytesFreed), freed)
	return nil
}

// lockFileRoots finds store hashes named in the workspace's lock files.
type lockFileRoots struct{ dir string }

var hashInText = regexp.MustCompile(`\b(?:sha256:)?([0-9a-f]{64})\b`)

func (l lockFileRoots) Roots(ctx context.Context) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(l.dir, "manifests", "components.lock*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range hashInText.FindAllSubmatch(data, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out, nil
}
