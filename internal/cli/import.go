package cli

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/importer"
	"github.com/metawork/meta/internal/manifest"
)

func newImportCmd(a *app) *cobra.Command {
	var (
		output string
		force  bool
	)
	cmd := &cobra.Command{
		Use:   "import west|vcstool|repo|gitmodules FILE",
		Short: "Convert another tool's manifest into manifests/components.yaml",
		Long: `Read west's west.yml, vcstool's .repos, repo's default.xml or git's
.gitmodules and write the equivalent manifests/components.yaml in the current
directory (which becomes the meta repository). Revisions that are semver
versions become 'version:', branches and commits 'ref:'. An existing manifest
is never overwritten unless --force is given.`,
		Example: `  meta import west ../zephyrproject/zephyr/west.yml
  meta import vcstool ros2.repos
  meta import repo .repo/manifests/default.xml --output -
  meta import gitmodules ../monorepo/.gitmodules`,
		ValidArgs: importer.Kinds,
		Args:      cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, file := args[0], args[1]
			known := false
			for _, k := range importer.Kinds {
				known = known || k == kind
			}
			if !known {
				return usagef("one of: "+strings.Join(importer.Kinds, ", "), "unknown manifest kind %q", kind)
			}
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			if !filepath.IsAbs(file) {
				file = filepath.Join(wd, file)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				return usagef("give the path of the "+kind+" manifest", "%v", err)
			}
			ps, notes, err := importer.ParseWithNotes(kind, args[1], data)
			for _, n := range notes {
				a.warnf("%s", n)
			}
			if err != nil {
				return usageError(err, "")
			}
			out := importer.Render(kind, args[1], ps)
			if _, err := manifest.Parse(wd, manifest.ManifestPath, out); err != nil {
				return failf("edit the source manifest or the result by hand", "the imported manifest does not validate: %v", err)
			}
			if output == "-" {
				_, err := a.out().Write(out)
				return err
			}
			dest := output
			if dest == "" {
				dest = filepath.Join(wd, manifest.ManifestPath)
			} else if !filepath.IsAbs(dest) {
				dest = filepath.Join(wd, dest)
			}
			if _, err := os.Stat(dest); err == nil && !force {
				return failf("pass --force to replace it, or --output - to print the result", "%s already exists", dest)
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			if err := writeFileAtomic(dest, out, 0o644); err != nil {
				return err
			}
			if output == "" {
				if err := ensureGitignore(wd); err != nil {
					return err
				}
			}
			a.printf("imported %s from %s into %s\nnext: meta bootstrap\n", plural(len(ps), "component"), args[1], dest)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of manifests/components.yaml (- for stdout)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing manifest")
	return cmd
}
