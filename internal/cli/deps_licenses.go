package cli

import (
	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/depscan"
	"github.com/metawork/meta/internal/license"
	"github.com/metawork/meta/internal/term"
)

func newDepsLicensesCmd(a *app) *cobra.Command {
	var (
		targets      depsTargetOpts
		allowed      []string
		denied       []string
		sitePackages []string
		offline      bool
		asJSON       bool
	)
	cmd := &cobra.Command{
		Use:   "licenses (--component C | --all) [--allowed LIST] [--denied LIST] [--json]",
		Short: "List the license of every locked dependency and check it against a policy",
		Long: `Finds the license of every package in the selected components' lock files,
from the first source that has it:

  1. the lock file itself (npm 11 writes a license per package)
  2. installed metadata beside the lock file: node_modules/<name>/package.json,
     Python .venv (or --site-packages DIR) *.dist-info/METADATA
     (License-Expression, License, license classifiers), Cargo registry
     sources ($CARGO_HOME/registry/src/*/<name>-<version>/Cargo.toml), the Go
     module cache ($GOMODCACHE/<module>@<version>/LICENSE*, classified by text)
  3. deps.dev (https://api.deps.dev, or META_DEPSDEV_URL), unless --offline

Licenses are SPDX expressions, evaluated as cargo-deny does: OR needs one
allowed side, AND needs every side; "X WITH exception" is one unit (allowed
when the unit or X is allowed); GPL-2.0+ is GPL-2.0-or-later. With no
--allowed list every license not --denied is allowed. Licenses that are not
SPDX, or not found, are listed separately as unknown (with the nearest SPDX
id when one is close); they do not fail the check.

Exit status: 3 when a package's license is not allowed, else 0.`,
		Example: `  meta deps licenses --all
  meta deps licenses --all --allowed MIT,Apache-2.0,BSD-3-Clause,ISC
  meta deps licenses --component api --denied GPL-3.0-only,AGPL-3.0-only --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pol, err := license.Policy{Allow: allowed, Deny: denied}.Compile()
			if err != nil {
				return usageError(err, "use SPDX license ids, e.g. --allowed MIT,Apache-2.0")
			}
			ts, err := a.depsTargets(cmd, targets)
			if err != nil {
				return err
			}
			var dd *license.DepsDev
			if !offline {
				dd = &license.DepsDev{BaseURL: envOr("META_DEPSDEV_URL", license.DefaultDepsDevURL)}
			}
			rep, err := depscan.Licenses(cmd.Context(), depscan.LicenseOptions{Targets: ts, Policy: pol, DepsDev: dd, SitePackages: sitePackages})
			if err != nil {
				return err
			}
			if err := a.output(nil, asJSON, rep, func() string { return rep.Text(term.TableText) }); err != nil {
				return err
			}
			if rep.Summary.Violations > 0 {
				return errCheckFailed
			}
			return nil
		},
	}
	addDepsTargetFlags(cmd, &targets)
	cmd.Flags().StringSliceVar(&allowed, "allowed", nil, "allow only these SPDX `LIST` (comma-separated ids)")
	cmd.Flags().StringSliceVar(&denied, "denied", nil, "deny these SPDX `LIST` (comma-separated ids)")
	cmd.Flags().StringArrayVar(&sitePackages, "site-packages", nil, "also read Python metadata from `DIR` (repeatable)")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not ask deps.dev")
	return jsonFlag(cmd, &asJSON)
}
