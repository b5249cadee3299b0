package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/audit"
	"github.com/metawork/meta/internal/depscan"
	"github.com/metawork/meta/internal/sbom"
)

func newDepsSbomCmd(a *app) *cobra.Command {
	var (
		targets   depsTargetOpts
		format    string
		output    string
		withAudit bool
		offlineDB string
		stamp     bool
	)
	cmd := &cobra.Command{
		Use:   "sbom (--component C | --all) [--format cyclonedx|spdx] [--output FILE] [--audit [--offline-db PATH]]",
		Short: "Write a CycloneDX or SPDX bill of materials of each component's dependencies",
		Long: `Writes, per component, a CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON document
listing every package of its lock files with its purl, license (from the lock
file or installed metadata; deps.dev is not asked) and scope, and the
dependency relations between them. With --audit (CycloneDX only) the
vulnerabilities that meta deps audit finds are included, from the OSV API or
--offline-db PATH.

Output is deterministic: sorted, with no timestamp or serial number, unless
SOURCE_DATE_EPOCH is set (that time is used) or --timestamp asks for the
current time. SPDX requires a creation time; without one it is the Unix
epoch.

With one component the document goes to --output FILE or standard output;
with several, --output names a directory that receives
<component>.cdx.json or <component>.spdx.json. The workspace's own
packages that lock files list (yarn, npm and pnpm workspaces, path-only
Cargo crates, uv project roots) are components marked first-party, without
a purl. A lock
file that cannot be read is an error (exit 2) naming it: no SBOM is
written rather than an incomplete one.`,
		Example: `  meta deps sbom --component api > api.cdx.json
  meta deps sbom --component api --format spdx --output api.spdx.json
  meta deps sbom --all --audit --output sboms/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			format = strings.ToLower(format)
			if format != "cyclonedx" && format != "spdx" {
				return usagef("use --format cyclonedx or --format spdx", "--format %s: unknown SBOM format", format)
			}
			if withAudit && format != "cyclonedx" {
				return usagef("use --format cyclonedx with --audit", "--audit: SPDX 2.3 has no place for vulnerabilities")
			}
			if offlineDB != "" && !withAudit {
				return usagef("add --audit", "--offline-db is only used with --audit")
			}
			opt := sbom.Options{ToolVersion: Version}
			var err error
			if opt.Time, err = sbom.StampTime(os.Getenv("SOURCE_DATE_EPOCH"), stamp, time.Now); err != nil {
				return usageError(err, "SOURCE_DATE_EPOCH is seconds since 1970")
			}
			ts, err := a.depsTargets(cmd, targets)
			if err != nil {
				return err
			}
			if len(ts) > 1 && output == "" {
				return usagef("e.g. --output sboms/", "%d components selected: --output must name a directory", len(ts))
			}
			// An SBOM that leaves out a lock file it could not read
			// would look complete and not be: write none.
			if err := depsUnreadable(ts); err != nil {
				return err
			}
			var findings map[string][]audit.Finding
			if withAudit {
				rep, err := a.runAudit(cmd, ts, offlineDB, nil)
				if err != nil {
					return err
				}
				a.warnAll(rep.SBOMWarnings())
				findings = rep.Findings()
			}
			done, err := depscan.WriteSBOMs(cmd.Context(), ts, findings, format, opt, output, a.out())
			for _, w := range done {
				fmt.Fprintf(a.errw(), "%s: wrote %s\n", w.Name, w.Dest)
			}
			return err
		},
	}
	addDepsTargetFlags(cmd, &targets)
	cmd.Flags().StringVar(&format, "format", "cyclonedx", "`FORMAT` of the document: cyclonedx or spdx")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` (one component) or directory (several) instead of standard output")
	cmd.Flags().BoolVar(&withAudit, "audit", false, "include vulnerabilities (CycloneDX only)")
	cmd.Flags().StringVar(&offlineDB, "offline-db", "", "with --audit: read OSV records from `PATH` instead of the OSV API")
	cmd.Flags().BoolVar(&stamp, "timestamp", false, "stamp the document with the current time (SOURCE_DATE_EPOCH wins)")
	return cmd
}
