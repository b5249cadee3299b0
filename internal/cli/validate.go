package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/toolchain/declared"
	"github.com/metawork/meta/internal/wire"
	"github.com/metawork/meta/internal/workspace"
	"github.com/metawork/meta/internal/yamlpos"
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
			comps := workspace.DefaultSelection(m)
			notCloned := 0
			if noRemote {
				comps, notCloned = workspace.ClonedOnly(comps)
			}
			probs := workspace.Validate(cmd.Context(), m, comps, m.Jobs(0)*2)
			probs = append(probs, a.checkWiring(cmd.Context(), m)...)
			lock, _ := readLock(m, "", true)
			if tp, err := declared.CheckLocked(lock); err != nil {
				probs = append(probs, workspace.Problem{Message: "tools: " + err.Error()})
			} else {
				for _, p := range tp {
					probs = append(probs, workspace.Problem{Message: "tools: " + p, Hint: "run 'meta tools install'"})
				}
			}
			if asJSON {
				if probs == nil {
					probs = []workspace.Problem{}
				}
				if err := a.printJSON(map[string]any{"ok": len(probs) == 0, "problems": probs}); err != nil {
					return err
				}
			} else {
				for _, p := range probs {
					where := p.Component
					if where == "" {
						where = "workspace"
					}
					a.printf("%s: %s\n", where, p.Message)
					if p.Hint != "" {
						a.printf("  hint: %s\n", p.Hint)
					}
				}
				if len(probs) == 0 && noRemote {
					a.printf("ok: %s in the manifest; %s checked, %s not cloned yet\n", plural(len(m.Order), "component"), plural(len(comps), "checkout"), plural(notCloned, "component"))
				} else if len(probs) == 0 {
					a.printf("ok: %s, all present on the expected remotes\n", plural(len(m.Order), "component"))
				} else {
					a.printf("%s\n", plural(len(probs), "problem"))
				}
			}
			if len(probs) > 0 {
				return errCheckFailed
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&noRemote, "no-remote", false, "check the manifest and the existing checkouts only; skip components not cloned yet")
	return cmd
}

// manifestProblems prints every manifest error (text or JSON) and returns
// exit 2.
func (a *app) manifestProblems(errs []error, asJSON bool) error {
	type problem struct {
		File    string `json:"file,omitempty"`
		Line    int    `json:"line,omitempty"`
		Col     int    `json:"col,omitempty"`
		Message string `json:"message"`
		Hint    string `json:"hint,omitempty"`
	}
	var probs []problem
	for _, err := range errs {
		var ye *yamlpos.Error
		if errors.As(err, &ye) {
			probs = append(probs, problem{ye.File, ye.Line, ye.Col, ye.Msg, ye.Hint})
			continue
		}
		probs = append(probs, problem{Message: err.Error()})
	}
	if asJSON {
		if err := a.printJSON(map[string]any{"ok": false, "manifest_errors": probs, "problems": []workspace.Problem{}}); err != nil {
			return err
		}
		return &exitError{code: ExitUsage, err: errors.New("the manifest does not load")}
	}
	for _, err := range errs {
		fmt.Fprintf(a.errw(), "meta: %v\n", err)
		var ye *yamlpos.Error
		if errors.As(err, &ye) && ye.Hint != "" {
			fmt.Fprintf(a.errw(), "  hint: %s\n", ye.Hint)
		}
	}
	fmt.Fprintf(a.errw(), "%s in the manifest\n", plural(len(errs), "problem"))
	return &exitError{code: ExitUsage, err: errors.New("the manifest does not load")}
}

// checkWiring validates development wiring when the workspace uses it.
func (a *app) checkWiring(ctx context.Context, m *manifest.Manifest) []workspace.Problem {
	rec, err := wire.LoadRecord(m.Dir)
	if err != nil {
		return []workspace.Problem{{Message: err.Error()}}
	}
	if rec.Root == "" && !m.Workspace.Wire {
		return nil
	}
	var comps []wire.Component
	for _, c := range m.List() {
		if _, err := os.Stat(c.Path); err == nil {
			comps = append(comps, wire.Component{Name: c.Name, Dir: c.Path})
		}
	}
	python := ""
	for _, t := range m.Tools {
		if v, ok := strings.CutPrefix(t.Value, "python@"); ok {
			python = v
		}
	}
	var probs []workspace.Problem
	for _, p := range wire.Check(ctx, m.Workspace.Root, comps, python) {
		probs = append(probs, workspace.Problem{Message: "wiring: " + p, Hint: "run 'meta setup --wire'"})
	}
	return probs
}
