package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/depscan"
)

func newDepsAuditCmd(a *app) *cobra.Command {
	var (
		targets   depsTargetOpts
		offlineDB string
		failOn    string
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "audit (--component C | --all) [--offline-db PATH] [--fail-on SEVERITY] [--json]",
		Short: "Check every component's locked dependencies against OSV advisories",
		Long: `Reads each selected component's lock files and checks every locked package
version against OSV advisories, comparing versions with the ecosystem's own
ordering (semver for npm, crates.io and Go; PEP 440 for PyPI), every affected
entry and every range event of each record. Records that alias each other
are one finding with all their ids.

Online (the default), meta asks the OSV API (POST /v1/querybatch, then
GET /v1/vulns/{id}), caching records under $XDG_CACHE_HOME/meta/osv. The API
is https://api.osv.dev unless META_OSV_URL names another. With --offline-db,
meta reads a directory of OSV JSON records or per-ecosystem all.zip files
(<dir>/<ecosystem>/all.zip, <dir>/osv-scanner/<ecosystem>/all.zip) instead;
an index of each all.zip is kept in $XDG_CACHE_HOME/meta/osv-index so later
runs decompress only the records that may concern the lock files, with the
records that matched (checked against the archive's CRC-32 before use).

A go.mod's dependency paths come from "go mod graph"; its output is kept in
$XDG_CACHE_HOME/meta/go-mod-graph and reused while go.mod, go.sum, the go
command and its GO* settings are unchanged (never for local replacements).

For each finding: package@version, ecosystem, advisory ids, summary,
severity (CVSS v3 base score, else the database's label, else unknown),
fixed versions and the dependency path from a direct dependency.

Lock files that cannot be read are listed as NOT AUDITED; packages that
cannot be checked (no pinned version, an ecosystem OSV matching does not
cover) are counted, and listed with -v. The Go standard library is not
audited: a go.mod "go" line is a minimum language version, not the
toolchain that builds the binary.

The workspace's own packages that lock files list (yarn, npm and pnpm
workspaces, path-only Cargo crates, uv project roots) are not audited; the
summary counts them.

Exit status: 3 when a finding reaches --fail-on (default low: any finding;
findings of unknown severity count as reaching every level; "none" never
fails), else 2 when a lock file could not be read or parsed (each is
named), 1 when nothing at all could be audited, else 0.`,
		Example: `  meta deps audit --all
  meta deps audit --component api --fail-on high
  meta deps audit --all --offline-db ~/osv --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, err := depscan.ParseFailOn(failOn)
			if err != nil {
				return usageError(err, "use low, medium, high, critical or none")
			}
			// Index the offline database's archives while the lock files
			// are read (a no-op when the indexes are current).
			loader := depscan.DefaultLoader()
			wait := depscan.PrepareDB(cmd.Context(), loader, offlineDB)
			ts, err := a.depsTargets(cmd, targets)
			wait(err != nil)
			if err != nil {
				return err
			}
			rep, err := a.runAudit(cmd, ts, offlineDB, loader)
			if err != nil {
				return err
			}
			rep.FailOn = failOn
			if err := a.output(nil, asJSON, rep, func() string { return a.auditText(rep) }); err != nil {
				return err
			}
			if rep.Fails(threshold) {
				return errCheckFailed
			}
			if err := depsUnreadable(ts); err != nil {
				return err
			}
			if rep.NothingAudited() {
				if asJSON {
					return errSilent
				}
				return failf("check the lock files listed above", "nothing could be audited")
			}
			return nil
		},
	}
	addDepsTargetFlags(cmd, &targets)
	cmd.Flags().StringVar(&offlineDB, "offline-db", "", "read OSV records from `PATH` (directory or all.zip files) instead of the OSV API")
	cmd.Flags().StringVar(&failOn, "fail-on", "low", "exit 3 when a finding has at least `SEVERITY`: low, medium, high, critical, or none")
	return jsonFlag(cmd, &asJSON)
}

// runAudit audits ts against offlineDB, or the OSV API when it is "";
// loader reads offlineDB (a default one when nil).
func (a *app) runAudit(cmd *cobra.Command, ts []depscan.Target, offlineDB string, loader *audit.Loader) (*depscan.AuditReport, error) {
	rep, err := depscan.Audit(cmd.Context(), depscan.AuditOptions{Targets: ts, OfflineDB: offlineDB, Loader: loader, OSVURL: envOr("META_OSV_URL", audit.DefaultOSVURL)})
	var se *depscan.SourceError
	switch {
	case errors.As(err, &se) && se.Offline:
		return nil, withHint(err, "--offline-db takes a directory of OSV JSON records or <ecosystem>/all.zip files")
	case errors.As(err, &se):
		return nil, withHint(err, "set META_OSV_URL to another OSV server, or use --offline-db PATH")
	}
	return rep, err
}

// auditText is the report's text, after its warnings (printed).
func (a *app) auditText(rep *depscan.AuditReport) string {
	a.warnAll(rep.Warnings)
	return linesText(rep.Lines(a.verbose))
}
