package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/depscan"
)

func newDepsGraphCmd(a *app) *cobra.Command {
	var component, format, output string
	cmd := &cobra.Command{
		Use:   "graph [--component NAME] [--format dot|json|mermaid|svg] [--output FILE]",
		Short: "Draw the component graph, or one component's package graph",
		Long: `Without --component, draws the workspace's component graph: every
component and its depends_on edges (labelled with their constraints). With
--component, draws that component's third-party package graph from its lock
files: the component, its direct dependencies and everything they bring in
(dev packages dashed, optional ones dotted in dot and svg).

Formats: dot (Graphviz, the default), json, mermaid, and svg, which runs
Graphviz's dot program. Output is sorted, so it is the same on every run.`,
		Example: `  meta deps graph --format mermaid
  meta deps graph --component api --format json --output api-deps.json
  meta deps graph --format svg --output workspace.svg`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "dot", "json", "mermaid", "svg":
			default:
				return usagef("use dot, json, mermaid or svg", "--format %s: unknown format", format)
			}
			var g *depscan.Graph
			if component == "" {
				m, err := a.loadManifest()
				if err != nil {
					return err
				}
				g = depscan.ComponentGraph(m)
			} else {
				ts, err := a.depsTargets(cmd, depsTargetOpts{Components: []string{component}})
				if err != nil {
					return err
				}
				var warns []string
				g, warns, err = depscan.GraphTarget(ts[0])
				a.warnAll(warns)
				if err != nil {
					return usageError(err, depsFixHint)
				}
			}
			out, err := g.Render(cmd.Context(), format)
			if errors.Is(err, depscan.ErrNoGraphviz) {
				return failf("install Graphviz (https://graphviz.org/download/, e.g. apt-get install graphviz), or use --format dot|json|mermaid", "%v", err)
			} else if err != nil {
				return err
			}
			return a.writeOut(output, out)
		},
	}
	cmd.Flags().StringVar(&component, "component", "", "draw this component's package graph instead of the component graph")
	cmd.Flags().StringVar(&format, "format", "dot", "dot, json, mermaid or svg")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}
