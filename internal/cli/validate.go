package cli

import (
	"cmp"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

func newValidateCmd(a *app) *cobra.Command {
	var asJSON, noRemote bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the manifest, the checkouts and the required tools",
		Long: `Check that the manifest parses, that every component is cloned from the
remote the manifest names, that component.yaml files parse and depend only on
known components without cycles, and that required tools are on PATH.
With workspace.default_groups, the components outside the default selection
that are not checked out are not checked. With --no-remote, components not
cloned yet are skipped too (nothing needs a network: use it right after
'meta import'). Exits 3 when it finds problems.

A manifest that does not load is reported whole: every problem found, each
with file:line:col and a hint where there is one, and exit 2 (the input is
wrong; nothing else is checked until it loads).`,
		Example: `  meta validate
  meta validate --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := a.metaRoot()
			if err != nil {
				return err
			}
			m, errs := manifest.LoadAll(root)
			if len(errs) > 0 {
				return a.manifestProblems(errs, asJSON)
			}
			a.applyUserConfig(m)
			lock, _ := readLock(m, "", true)
			r := workspace.CheckAll(cmd.Context(), m, lock, noRemote)
			err = a.output(nil, asJSON, r.JSON(), func() string { return linesText(r.Lines(len(m.Order), noRemote)) })
			if err == nil && len(r.Problems) > 0 {
				return errCheckFailed
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&noRemote, "no-remote", false, "check the manifest and the existing checkouts only; skip components not cloned yet")
	return jsonFlag(cmd, &asJSON)
}

// manifestProblems prints every manifest error (text or JSON) and returns
// exit 2.
func (a *app) manifestProblems(errs []error, asJSON bool) error {
	loadErr := &exitError{code: ExitUsage, err: errors.New("the manifest does not load")}
	if asJSON {
		return cmp.Or(a.printJSON(map[string]any{"ok": false, "manifest_errors": workspace.ManifestProblems(errs), "problems": []workspace.Problem{}}), error(loadErr))
	}
	for _, l := range workspace.ManifestErrorLines(errs) {
		fmt.Fprintln(a.errw(), l)
	}
	return loadErr
}
