package cli

import "github.com/spf13/cobra"

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
