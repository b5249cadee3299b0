package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
	"github.com/metawork/meta/internal/term"
)

// storeDirFor returns the store directory meta uses: $META_STORE when set,
// else .meta-store in the meta repository enclosing the working directory.
// metaRoot is that repository ("" when META_STORE is set and there is none).
func (a *app) storeDirFor() (dir, metaRoot string, err error) {
	wd, err := a.workdir()
	if err != nil {
		return "", "", err
	}
	root, ferr := manifest.Find(wd)
	if env := os.Getenv("META_STORE"); env != "" {
		if ferr != nil {
			root = ""
		}
		abs, err := filepath.Abs(env)
		return abs, root, err
	}
	if ferr != nil {
		return "", "", withHint(ferr, "run meta inside a workspace, or set META_STORE to a store directory")
	}
	return filepath.Join(root, ".meta-store"), root, nil
}

// openStore opens the store meta uses (see storeDirFor).
func (a *app) openStore() (*store.Store, error) {
	dir, _, err := a.storeDirFor()
	if err != nil {
		return nil, err
	}
	return store.Open(dir)
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

// resolveHash expands a hash or prefix to an entry's full hash, with hints.
func resolveHash(st *store.Store, arg string) (string, error) {
	h, err := st.Resolve(arg)
	switch {
	case err == nil:
		return h, nil
	case errors.Is(err, store.ErrNotFound):
		return "", failf("see 'meta store list' for the entries there are", "%v", err)
	case errors.Is(err, store.ErrAmbiguous):
		return "", usagef("give more hex digits of the hash", "%v", err)
	}
	return "", usagef("a hash is 64 hex digits, optionally prefixed with sha256:", "%v", err)
}

// storeError adds the hints that go with store errors.
func storeError(err error) error {
	switch {
	case errors.Is(err, store.ErrCorrupt):
		return withHint(err, "run 'meta store verify' to list damaged entries; re-add the tree to repair it")
	case errors.Is(err, store.ErrNotFound):
		return withHint(err, "see 'meta store list' for the entries there are")
	}
	return err
}

type addJSON struct {
	Hash    string `json:"hash"`
	Name    string `json:"name"`
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Files   int    `json:"files"`
	Existed bool   `json:"existed"`
	Pinned  bool   `json:"pinned"`
}

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
			if err := store.ValidName(args[0]); err != nil {
				return usagef("", "store add: %v", err)
			}
			in := map[string]string{}
			for _, kv := range inputs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usagef("write inputs as --input KEY=VALUE", "store add: --input %q: no KEY=", kv)
				}
				in[k] = v
			}
			if len(in) == 0 {
				in = nil
			}
			fi, err := os.Stat(source) // a symlink naming the tree is followed; links inside it never are
			if errors.Is(err, fs.ErrNotExist) {
				return usagef("check the path given to --source", "store add: source %s does not exist", source)
			}
			if err != nil {
				return fmt.Errorf("store add: %w", err)
			}
			if !fi.IsDir() {
				return usagef("the store holds directory trees; put the file in a directory", "store add: source %s is not a directory", source)
			}
			if source, err = filepath.EvalSymlinks(source); err != nil {
				return fmt.Errorf("store add: %w", err)
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			defer showProgress(a, st, "store add")()
			e, err := st.Add(cmd.Context(), args[0], source, store.AddOptions{Inputs: in, Pin: pin})
			if err != nil {
				return fmt.Errorf("store add: %w", err)
			}
			if asJSON {
				return a.printJSON(addJSON{Hash: e.Hash, Name: e.Name, Path: e.Path, Size: e.Size, Files: e.Files, Existed: e.Existed, Pinned: pin})
			}
			a.printf("%s\n", e.Hash)
			return nil
		},
	}
	cmd.Flags().StringVar(&source, "source", "", "the directory `DIR` to add")
	cmd.Flags().BoolVar(&pin, "pin", false, "pin the entry so gc keeps it")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "record `KEY=VALUE` in the entry's inputs (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type entryJSON struct {
	store.Metadata
	Path   string `json:"path"`
	Pinned bool   `json:"pinned"`
}

func newStoreQueryCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "query HASH",
		Short:   "Show an entry's metadata",
		Example: "  meta store query 3fa9c2e1\n  meta store query 3fa9c2e1 --json | jq .inputs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			h, err := resolveHash(st, args[0])
			if err != nil {
				return err
			}
			m, err := st.Query(h)
			if err != nil {
				return storeError(err)
			}
			pins, err := st.Pins()
			if err != nil {
				return err
			}
			e := entryJSON{Metadata: m, Path: st.Path(h), Pinned: slices.Contains(pins, h)}
			if asJSON {
				return a.printJSON(e)
			}
			w := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "hash:\t%s\n", m.Hash)
			fmt.Fprintf(w, "name:\t%s\n", m.Name)
			fmt.Fprintf(w, "size:\t%s (%d bytes)\n", humanSize(m.Size), m.Size)
			fmt.Fprintf(w, "files:\t%d (%d directories, %d symlinks)\n", m.Files, m.Dirs, m.Symlinks)
			fmt.Fprintf(w, "created:\t%s\n", m.Created.Format(time.RFC3339))
			fmt.Fprintf(w, "pinned:\t%s\n", yesNo(e.Pinned))
			fmt.Fprintf(w, "path:\t%s\n", e.Path)
			for _, k := range slices.Sorted(maps.Keys(m.Inputs)) {
				fmt.Fprintf(w, "input:\t%s=%s\n", k, m.Inputs[k])
			}
			for _, r := range m.References {
				fmt.Fprintf(w, "reference:\t%s\n", r)
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
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
			st, err := a.openStore()
			if err != nil {
				return err
			}
			h, err := resolveHash(st, args[0])
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

type listJSON struct {
	store.Metadata
	Pinned bool `json:"pinned"`
}

func newStoreListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the store's entries",
		Example: "  meta store list\n  meta store list --json | jq -r '.[].hash'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			list, err := st.List()
			if err != nil {
				return err
			}
			pins, err := st.Pins()
			if err != nil {
				return err
			}
			out := make([]listJSON, 0, len(list))
			for _, m := range list {
				out = append(out, listJSON{Metadata: m, Pinned: slices.Contains(pins, m.Hash)})
			}
			if asJSON {
				return a.printJSON(out)
			}
			if len(out) == 0 {
				fmt.Fprintln(a.errw(), "the store is empty")
				return nil
			}
			w := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "HASH\tNAME\tSIZE\tFILES\tCREATED\tPINNED")
			for _, e := range out {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%s\n", e.Hash[:12], e.Name, humanSize(e.Size), e.Files, e.Created.Format(time.RFC3339), yesNo(e.Pinned))
			}
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newStoreStatsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
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
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(s)
			}
			w := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "entries:\t%d (%d pinned)\n", s.Entries, s.Pins)
			fmt.Fprintf(w, "files:\t%d\n", s.Files)
			fmt.Fprintf(w, "bytes:\t%s (%d)\n", humanSize(s.Bytes), s.Bytes)
			fmt.Fprintf(w, "on disk:\t%s (%d)\n", humanSize(s.DiskBytes), s.DiskBytes)
			fmt.Fprintf(w, "saved by dedup:\t%s (%d)\n", humanSize(s.DedupSaved), s.DedupSaved)
			return w.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type verifyJSON struct {
	Verified int           `json:"verified"`
	Corrupt  []corruptJSON `json:"corrupt"`
}

type corruptJSON struct {
	Hash   string `json:"hash"`
	Name   string `json:"name,omitempty"`
	Path   string `json:"path,omitempty"`
	Reason string `json:"reason"`
}

func newStoreVerifyCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
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
			bad, err := st.Verify(cmd.Context())
			stop()
			if err != nil {
				return err
			}
			list, err := st.List()
			if err != nil {
				return err
			}
			names := map[string]string{}
			for _, m := range list {
				names[m.Hash] = m.Name
			}
			if asJSON {
				out := verifyJSON{Verified: len(list) + countMissing(bad, names), Corrupt: []corruptJSON{}}
				for _, ce := range bad {
					out.Corrupt = append(out.Corrupt, corruptJSON{Hash: ce.Hash, Name: names[ce.Hash], Path: ce.Path, Reason: ce.Reason})
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
				if len(bad) > 0 {
					return errCheckFailed
				}
				return nil
			}
			for _, ce := range bad {
				where := ce.Reason
				if ce.Path != "" {
					where = ce.Path + ": " + ce.Reason
				}
				name := names[ce.Hash]
				if name == "" {
					name = "?"
				}
				a.printf("corrupt: %s %s: %s\n", ce.Hash, name, where)
			}
			if len(bad) > 0 {
				fmt.Fprintf(a.errw(), "meta: store verify: %d of %d entries are corrupt\n", len(bad), len(list)+countMissing(bad, names))
				fmt.Fprintln(a.errw(), "hint: re-add each tree to repair it; 'meta store get' refuses corrupt entries")
				return errCheckFailed
			}
			a.printf("ok: %d entries verified\n", len(list))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// countMissing counts corrupt entries List could not show (unreadable
// metadata), so the total is right.
func countMissing(bad []*store.CorruptError, names map[string]string) int {
	n := 0
	for _, ce := range bad {
		if _, ok := names[ce.Hash]; !ok {
			n++
		}
	}
	return n
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
			st, err := a.openStore()
			if err != nil {
				return err
			}
			h, err := resolveHash(st, args[0])
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
	if !term.Interactive(a.errw()) {
		return func() {}
	}
	lines := term.NewLines(a.errw(), []string{label})
	st.SetProgress(func(phase string, done, total int64) {
		lines.Update(label, fmt.Sprintf("%s %s / %s", phase, humanSize(done), humanSize(total)))
	})
	return func() {
		st.SetProgress(nil)
		lines.Done(label, "done")
	}
}

// humanSize formats a byte count with binary units.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
