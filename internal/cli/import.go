package cli

import (
	"errors"
	"slices"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/importer"
)

func newImportCmd(a *app) *cobra.Command {
	var asJSON bool
	var req importer.Request
	cmd := &cobra.Command{
		Use:   "import west|vcstool|repo|gitmodules|wrknv FILE",
		Short: "Convert another tool's manifest into manifests/components.yaml",
		Long: `Read west's west.yml, vcstool's .repos, repo's default.xml, git's
.gitmodules or provide-workspace's wrknv.toml ([[siblings]]) and write the
equivalent manifests/components.yaml in the current directory (which becomes
the meta repository). An existing manifest is never overwritten unless
--force is given.

Relative URLs (repo's fetch="..", a submodule's ../x.git, a west url-base
"..") are resolved against the URL of the repository the file comes from:
--manifest-url, or else the origin of the git checkout the file is in.

Revisions: commits and branches become 'ref:', full version numbers
(v3.6.0, 9.2.0) 'version:'. A vcstool version such as 2.3.x or rolling is
looked up on its remote (skip with --no-remote); what could not be checked
is reported as assumed.

Groups (west, repo) become meta groups; west's group-filter and repo's
notdefault become workspace.default_groups, so 'meta bootstrap' clones what
'west update' or 'repo sync' would, and --group NAME adds the rest. West
imports (self: import: and a project's import:) are followed when the files
are present locally. Everything meta does not carry over is reported: one
warning line per kind with a count and examples (-v lists them all,
--json prints them for tools).`,
		Example: `  meta import west ../zephyrproject/zephyr/west.yml
  meta import vcstool ros2.repos --no-remote
  meta import repo default.xml --manifest-url https://android.googlesource.com/platform/manifest
  meta import gitmodules ../monorepo/.gitmodules
  meta import wrknv ../provide-workspace/wrknv.toml`,
		ValidArgs: importer.Kinds,
		Args:      cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Kind, req.File = args[0], args[1]
			if asJSON && req.Output == "-" && slices.Contains(importer.Kinds, req.Kind) {
				return usagef("write the manifest to a file with --output FILE", "--json and --output - both print to stdout")
			}
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			req.WorkDir = wd
			out, err := importer.Convert(cmd.Context(), req)
			if out != nil && out.Result != nil && (err != nil || !asJSON) {
				lines, more := importer.WarningLines(out.Result.Warnings, a.verbose)
				a.warnAll(lines)
				if more {
					a.warnf("run with -v to list every one, or --json")
				}
			}
			if err == nil && req.Output == "-" {
				_, err = a.out().Write(out.Manifest)
				return err
			} else if err == nil {
				err = importer.Write(out, req)
			}
			var ie *importer.Error
			if errors.As(err, &ie) && ie.BadInput {
				return usageError(err, ie.Hint)
			} else if errors.As(err, &ie) {
				return withHint(err, ie.Hint)
			} else if err != nil {
				return err
			} else if asJSON {
				return a.printJSON(out.Summary())
			}
			a.printAll(out.DoneLines(args[1]))
			return nil
		},
	}
	cmd.Flags().StringVarP(&req.Output, "output", "o", "", "write to `FILE` instead of manifests/components.yaml (- for stdout)")
	cmd.Flags().BoolVar(&req.Force, "force", false, "replace an existing manifest")
	cmd.Flags().StringVar(&req.ManifestURL, "manifest-url", "", "`URL` of the repository the file comes from, for relative URLs (default: its checkout's origin)")
	cmd.Flags().BoolVar(&req.NoRemote, "no-remote", false, "do not contact remotes to tell branches from tags")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result and every warning as JSON")
	return cmd
}
