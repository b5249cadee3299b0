package cli

import (
	"cmp"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/store"
	"github.com/metawork/meta/internal/term"
)

// storeDirFor returns the store directory meta uses and the meta
// repository enclosing the working directory (see buildcache.StoreDir).
func (a *app) storeDirFor() (dir, metaRoot string, err error) {
	wd, err := a.workdir()
	if err != nil {
		return "", "", err
	}
	dir, metaRoot, err = buildcache.StoreDir(wd, os.Getenv)
	if err != nil && os.Getenv(buildcache.EnvStore) == "" {
		return "", "", withHint(err, "run meta inside a workspace, or set META_STORE to a store directory")
	}
	return dir, metaRoot, err
}

// openStore opens the store meta uses (see storeDirFor).
func (a *app) openStore() (*store.Store, error) {
	dir, _, err := a.storeDirFor()
	if err != nil {
		return nil, err
	}
	return store.Open(dir)
}

// openStoreAt opens the store and expands a hash or prefix to an entry's
// full hash, with hints.
func (a *app) openStoreAt(arg string) (*store.Store, string, error) {
	st, err := a.openStore()
	if err != nil {
		return nil, "", err
	}
	h, err := st.ResolveArg(arg)
	return st, h, hinted(err)
}

func newStoreCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Add, inspect, restore and verify content-addressed store entries",
		Long: `The store keeps read-only directory trees under the SHA-256 of their
canonical serialisation (file names, types, executable bits, symlink
targets and contents; not times or owners), in .meta-store/ of the meta
repository or in $META_STORE. Identical files are stored once. Hashes may
be abbreviated to any unique prefix of at least 8 hex digits.`,
		Example: `  h=$(meta store add site --source ./public)
  meta store query $h
  meta store get $h --target /tmp/site
  meta store verify`,
	}
	cmd.AddCommand(
		newStoreAddCmd(a),
		newStoreQueryCmd(a),
		newStoreGetCmd(a),
		newStoreListCmd(a),
		newStoreStatsCmd(a),
		newStoreVerifyCmd(a),
		newStorePinCmd(a, true),
		newStorePinCmd(a, false),
	)
	return cmd
}

// storeError adds the hints that go with store errors.
func storeError(err error) error { return hinted(store.Hinted(err)) }

func newStoreAddCmd(a *app) *cobra.Command {
	var source string
	var asJSON, pin bool
	var inputs []string
	cmd := &cobra.Command{
		Use:   "add NAME --source DIR",
		Short: "Copy a directory tree into the store and print its hash",
		Long: `add copies the tree at --source into the store, read-only, and prints its
hash. Symlinks are stored as symlinks and never followed, wherever they
point; devices, sockets and fifos are refused. Adding a tree the store
already has only hashes it.`,
		Example: `  meta store add site --source ./public
  meta store add tools --source ./bin --pin --input version=1.2.3
  meta store add site --source ./public --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if source == "" {
				return usagef("name the tree to add with --source DIR", "store add: --source is required")
			}
			src, in, err := store.CheckAdd(args[0], source, inputs)
			if err != nil {
				return storeError(fmt.Errorf("store add: %w", err))
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			defer showProgress(a, st, "store add")()
			e, err := st.Add(cmd.Context(), args[0], src, store.AddOptions{Inputs: in, Pin: pin})
			if err != nil {
				return fmt.Errorf("store add: %w", err)
			}
			if asJSON {
				return a.printJSON(e.Report(pin))
			}
			a.printf("%s\n", e.Hash)
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the directory `DIR` to add")
	cmd.Flags().BoolVar(&pin, "pin", false, "pin the entry so gc keeps it")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "record `KEY=VALUE` in the entry's inputs (repeatable)")
	return jsonFlag(cmd, &asJSON)
}

func newStoreQueryCmd(a *app) *cobra.Command {
	var asJSON bool
	return jsonFlag(&cobra.Command{
		Use:     "query HASH",
		Short:   "Show an entry's metadata",
		Example: "  meta store query 3fa9c2e1\n  meta store query 3fa9c2e1 --json | jq .inputs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, h, err := a.openStoreAt(args[0])
			if err != nil {
				return err
			}
			e, err := st.Describe(h)
			return a.output(storeError(err), asJSON, e, func() string { return term.TableText(e.Rows()) })
		},
	}, &asJSON)
}

func newStoreGetCmd(a *app) *cobra.Command {
	var target string
	var force bool
	cmd := &cobra.Command{
		Use:   "get HASH --target DIR",
		Short: "Restore an entry into a directory, verifying it on the way",
		Long: `get copies an entry to --target as ordinary writable files, checking
every file against what was stored (any file touched since is re-hashed):
a damaged entry is reported and nothing is written. The target must be missing or empty unless --force, which
replaces it (never a git repository or the directory holding the store).`,
		Example: "  meta store get 3fa9c2e1 --target ./out\n  meta store get 3fa9c2e1 --target ./out --force",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return usagef("say where to restore the entry with --target DIR", "store get: --target is required")
			}
			st, h, err := a.openStoreAt(args[0])
			if err != nil {
				return err
			}
			stop := showProgress(a, st, "store get")
			err = st.Get(cmd.Context(), h, target, force)
			stop()
			if errors.Is(err, store.ErrTargetNotEmpty) {
				return failf("pass --force to replace its contents, or choose an empty directory", "store get: target %s is not empty", target)
			}
			if err != nil {
				return storeError(fmt.Errorf("store get: %w", err))
			}
			a.printf("restored %s to %s\n", h, target)
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "the directory `DIR` to restore into")
	cmd.Flags().BoolVar(&force, "force", false, "replace a target that is not empty")
	return cmd
}

func newStoreListCmd(a *app) *cobra.Command {
	var asJSON bool
	return jsonFlag(&cobra.Command{
		Use:     "list",
		Short:   "List the store's entries",
		Example: "  meta store list\n  meta store list --json | jq -r '.[].hash'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			list, err := st.ListPinned()
			return a.printListing(err, asJSON, list, store.ListRows(list), func() { fmt.Fprintln(a.errw(), "the store is empty") }, store.ListHeader...)
		},
	}, &asJSON)
}

// printListing prints a store or cache listing (unless err): list as JSON,
// or rows under the header as a table, or, with no rows, what empty says.
func (a *app) printListing(err error, asJSON bool, list any, rows [][]string, empty func(), header ...string) error {
	switch {
	case err != nil:
		return err
	case asJSON:
		return a.printJSON(list)
	case len(rows) == 0:
		empty()
	default:
		a.printf("%s", term.TableText(append([][]string{header}, rows...)))
	}
	return nil
}

func newStoreStatsCmd(a *app) *cobra.Command {
	var asJSON bool
	return jsonFlag(&cobra.Command{
		Use:     "stats",
		Short:   "Count entries and bytes, and what deduplication saves",
		Example: "  meta store stats\n  meta store stats --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			s, err := st.Stats(cmd.Context())
			return a.output(err, asJSON, s, func() string { return term.TableText(s.Rows()) })
		},
	}, &asJSON)
}

func newStoreVerifyCmd(a *app) *cobra.Command {
	var asJSON bool
	return jsonFlag(&cobra.Command{
		Use:   "verify",
		Short: "Re-hash every entry; exit 3 naming each damaged one",
		Example: `  meta store verify
  meta store verify || echo "store damaged"
  meta store verify --json | jq -r '.corrupt[].hash'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			stop := showProgress(a, st, "store verify")
			r, err := st.VerifyAll(cmd.Context())
			stop()
			if err := a.output(err, asJSON, r, func() string { return linesText(r.Lines()) }); err != nil || len(r.Corrupt) == 0 || asJSON {
				return cmp.Or(err, cond[error](asJSON && len(r.Corrupt) > 0, errCheckFailed, nil))
			}
			fmt.Fprintf(a.errw(), "meta: store verify: %d of %d entries are corrupt\n", len(r.Corrupt), r.Verified)
			fmt.Fprintln(a.errw(), "hint: re-add each tree to repair it; 'meta store get' refuses corrupt entries")
			return errCheckFailed
		},
	}, &asJSON)
}

func newStorePinCmd(a *app, pin bool) *cobra.Command {
	use, short, example := "pin HASH", "Keep an entry through gc", "  meta store pin 3fa9c2e1"
	if !pin {
		use, short, example = "unpin HASH", "Let gc remove an entry again", "  meta store unpin 3fa9c2e1"
	}
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, h, err := a.openStoreAt(args[0])
			if err != nil {
				return err
			}
			if pin {
				return storeError(st.Pin(cmd.Context(), h))
			}
			err = st.Unpin(cmd.Context(), h)
			if errors.Is(err, store.ErrNotPinned) {
				return failf("see 'meta store list' for what is pinned", "store unpin: %s is not pinned", h)
			}
			return err
		},
	}
}

// showProgress draws the store's progress as one live line on stderr when
// that is a terminal (never in pipes or CI), and returns what ends it.
func showProgress(a *app, st *store.Store, label string) (stop func()) {
	update, done := term.LiveLine(a.errw(), label)
	if update != nil {
		st.SetProgress(func(phase string, n, total int64) {
			update(fmt.Sprintf("%s %s / %s", phase, store.HumanSize(n), store.HumanSize(total)))
		})
	}
	return func() { st.SetProgress(nil); done() }
}
