package cli

import (
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/depscan"
	"github.com/metawork/meta/internal/ecosystem"
	"github.com/metawork/meta/internal/manifest"
)

// newDepsCmd is the parent of the third-party dependency commands: lock,
// audit, licenses, graph and sbom.
func newDepsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deps",
		Short: "Lock, audit, license-check, graph and SBOM every component's dependencies",
		Long: `The deps commands look at every component's package-manager lock files
(npm, pnpm, yarn, pip requirements, uv, poetry, Cargo, Go modules) and answer
one question across all repositories and ecosystems at once.`,
		Example: `  meta deps lock --all
  meta deps audit --all --fail-on high
  meta deps licenses --all --denied GPL-3.0-only
  meta deps graph --format mermaid
  meta deps sbom --component api --format cyclonedx --output api.cdx.json`,
	}
	cmd.AddCommand(
		// deps subcommands register here, one line each.
		newDepsLockCmd(a),
		newDepsGraphCmd(a),
		newDepsAuditCmd(a),
		newDepsLicensesCmd(a),
		newDepsSbomCmd(a),
	)
	return cmd
}

// depsTargetOpts is the component selection shared by every deps subcommand.
type depsTargetOpts struct {
	Components []string // --component, repeatable
	All        bool     // --all
	Groups     []string // --group, repeatable (-NAME excludes)
}

// addDepsTargetFlags adds --component, --all and --group to cmd.
func addDepsTargetFlags(cmd *cobra.Command, opts *depsTargetOpts) {
	cmd.Flags().StringArrayVar(&opts.Components, "component", nil, "a component to look at (repeatable)")
	cmd.Flags().BoolVar(&opts.All, "all", false, "look at every component of the workspace")
	addGroupFlag(cmd, &opts.Groups)
}

// depsComponents resolves --component/--group/--all to components.
// Exactly one is required; unknown names are usage errors.
func (a *app) depsComponents(m *manifest.Manifest, opts depsTargetOpts) ([]depscan.Component, error) {
	if len(opts.Groups) > 0 && !opts.All {
		sel, err := selectWithGroups(m, opts.Components, opts.Groups)
		if err != nil {
			return nil, err
		}
		opts.Components = compNames(sel)
	}
	if opts.All == (len(opts.Components) > 0) {
		return nil, usagef("e.g. meta deps audit --all, or --component NAME, or --group NAME", "choose the components: --component NAME (repeatable), --group NAME or --all")
	}
	comps, err := depscan.Select(m, opts.Components, opts.All)
	var ue *depscan.UnknownComponentError
	if errors.As(err, &ue) {
		return nil, usagef(ue.Hint, "--component %v", err)
	} else if err != nil {
		return nil, failf("run meta bootstrap to clone them", "%v", err)
	}
	return comps, nil
}

// depsSelect loads the manifest and the components opts select.
func (a *app) depsSelect(opts depsTargetOpts) (*manifest.Manifest, []depscan.Component, error) {
	m, err := a.loadManifest()
	if err != nil {
		return nil, nil, err
	}
	comps, err := a.depsComponents(m, opts)
	return m, comps, err
}

// depsTargets reads the lock files of the selected components.
func (a *app) depsTargets(cmd *cobra.Command, opts depsTargetOpts) ([]depscan.Target, error) {
	_, comps, err := a.depsSelect(opts)
	if err != nil {
		return nil, err
	}
	ctx := ecosystem.WithGoGraphCache(cmd.Context(), depscan.GoGraphCacheDir())
	out, err := depscan.LoadAll(ctx, comps)
	if err != nil {
		return nil, err
	}
	for _, t := range out {
		for _, l := range t.Locks { // -v: how each was read (e.g. which YAML document)
			writeLines(a.errw(), t.Name+": ", cond(a.verbose, l.Notes, nil))
		}
	}
	return out, nil
}

// depsFixHint is the hint for lock files that cannot be read.
const depsFixHint = "fix the file, or regenerate it with meta deps lock"

// depsUnreadable is the error for lock files that could not be read or
// parsed: bad input (exit 2), naming each file and why.
func depsUnreadable(ts []depscan.Target) error {
	if err := depscan.Unreadable(ts); err != nil {
		return usageError(err, depsFixHint)
	}
	return nil
}

// envOr is the environment variable name, trimmed, or def when it is empty.
func envOr(name, def string) string {
	if u := strings.TrimSpace(os.Getenv(name)); u != "" {
		return u
	}
	return def
}

// writeOut writes data to path atomically, or to standard output when
// path is "" or "-".
func (a *app) writeOut(path string, data []byte) error {
	if path == "" || path == "-" {
		_, err := a.out().Write(data)
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
