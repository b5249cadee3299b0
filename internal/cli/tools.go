package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/toolchain/declared"
	"github.com/metawork/meta/internal/toolchain/versions"
)

// toolsFlags are shared by the tools subcommands.
type toolsFlags struct {
	app     *app
	offline bool
	refresh bool
}

// newToolsCmd is the parent of the tool-version commands.
func newToolsCmd(a *app) *cobra.Command {
	f := &toolsFlags{app: a}
	cmd := &cobra.Command{
		Use:   "tools",
		Short: "Resolve, plan and install the tools components need (go@1.22, node@lts, npm:eslint)",
		Long: `Tool specs are NAME[@VERSION] for registry tools and runtimes (go@1.22 is the
newest stable Go 1.22.x, node@lts, python@3.12) and MANAGER:PACKAGE[@VERSION]
for packages installed by npm, pip, uv, cargo or go install (npm:@scope/pkg@8,
uv:ruff, go:golang.org/x/tools/gopls@latest).

Versions are resolved against the upstream release lists (go.dev, nodejs.org,
python-build-standalone, GitHub releases), cached for 24 hours in
$XDG_CACHE_HOME/meta/tools. Each source can be moved to a mirror with
tools.sources in $XDG_CONFIG_HOME/meta/config.yaml or META_SOURCE_GO,
META_SOURCE_NODE, META_SOURCE_PYTHON, META_SOURCE_GITHUB.

Without SPEC arguments, plan, dockerfile, script and install use the
workspace manifest's tools: and every component's tools:.`,
		Example: `  meta tools resolve go@1.22 node@lts
  meta tools list node
  meta tools plan --component api
  meta tools dockerfile --base debian:bookworm-slim > Dockerfile
  meta tools install go@1.22 ripgrep`,
	}
	cmd.PersistentFlags().BoolVar(&f.offline, "offline", false, "use cached upstream release lists only")
	cmd.PersistentFlags().BoolVar(&f.refresh, "refresh", false, "ignore cached upstream release lists")
	cmd.AddCommand(
		newToolsListCmd(a, f),
		newToolsSearchCmd(a),
		newToolsResolveCmd(a, f),
		newToolsPlanCmd(a, f),
		newToolsDockerfileCmd(a, f),
		newToolsScriptCmd(a, f),
		newToolsInstallCmd(a, f),
	)
	return cmd
}

func (f *toolsFlags) resolver() (*toolchain.Resolver, error) {
	if f.offline && f.refresh {
		return nil, usagef("--offline reads the cache, --refresh ignores it: pick one", "--offline and --refresh together")
	}
	opts, err := f.app.toolOptions(toolchain.Options{Offline: f.offline, Refresh: f.refresh})
	if err != nil {
		return nil, usageError(err, "fix tools.sources in the manifest")
	}
	return toolchain.NewResolver(opts)
}

// toolsErr gives toolchain errors their exit code and hint.
func toolsErr(err error) error {
	var se *toolchain.SpecError
	var ue *toolchain.UnknownToolError
	var ie *declared.InputError
	var nf *versions.NotFoundError
	var h interface{ Hint() string }
	switch {
	case errors.As(err, &se):
		return usageError(err, se.Hint)
	case errors.As(err, &ue):
		return usageError(err, ue.Hint())
	case errors.As(err, &ie):
		return usageError(err, ie.Hint)
	case errors.As(err, &h):
		return withHint(err, h.Hint())
	case errors.As(err, &nf):
		return withHint(err, "'meta tools list "+nf.Tool+"' shows every version")
	}
	return err
}

// toolNotes prints what the resolver noticed (stale or offline data).
func (a *app) toolNotes(r *toolchain.Resolver) {
	for _, n := range r.Notes() {
		a.warnf("%s", n.Msg)
	}
}

// toolSpecs returns the specs to act on: the arguments, else the manifest's
// tools and its components' (or one component's, with --component).
func (a *app) toolSpecs(args []string, component string) ([]string, error) {
	if len(args) > 0 && component != "" {
		return nil, usagef("give SPECs or --component, not both", "--component with SPEC arguments")
	} else if len(args) > 0 {
		return args, nil
	}
	m, err := a.loadManifest()
	if err != nil {
		return nil, withHint(err, "give tool specs as arguments, e.g. meta tools plan go@1.22")
	}
	specs, err := declared.Requested(m, component)
	return specs, toolsErr(err)
}

// toolsCmd makes a tools subcommand that resolves with f.
func toolsCmd(use, short, example string, args cobra.PositionalArgs, run func(cmd *cobra.Command, args []string) error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Example: example, Args: args, RunE: run}
}

func newToolsListCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON, all bool
	cmd := toolsCmd("list [NAME]", "List the tool registry, or the versions of one tool", `  meta tools list
  meta tools list go
  meta tools list node --json`, cobra.MaximumNArgs(1), func(cmd *cobra.Command, args []string) error {
		r, err := f.resolver()
		if err != nil {
			return err
		} else if len(args) == 0 {
			return a.printTools(r.Registry().Tools(), asJSON)
		}
		t, ok := r.Registry().Lookup(args[0])
		if sp, err := toolchain.ParseSpec(args[0]); !ok && err == nil && sp.Manager != "" {
			return usagef("'meta tools list' lists registry tools; "+sp.Manager+" packages are resolved by "+sp.Manager+" at install time",
				"%s: meta does not list versions of %s packages", args[0], sp.Manager)
		} else if !ok {
			if _, err = r.Expand([]string{args[0]}); err == nil {
				err = fmt.Errorf("unknown tool %q", args[0])
			}
			return toolsErr(err)
		} else if t.Versions == "" {
			return a.output(nil, asJSON, t.Info(), t.Describe)
		}
		rows, err := r.VersionRows(cmd.Context(), t, all)
		a.toolNotes(r)
		return a.output(toolsErr(err), asJSON, rows, func() string { return toolchain.VersionsText(rows) })
	})
	cmd.Flags().BoolVar(&all, "all", false, "include pre-releases")
	return jsonFlag(cmd, &asJSON)
}

func (a *app) printTools(ts []*toolchain.Tool, asJSON bool) error {
	return a.output(nil, asJSON, toolchain.Infos(ts), func() string { return toolchain.ToolsText(ts) })
}

func newToolsSearchCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := toolsCmd("search QUERY", "Search the tool registry by name, description or package", `  meta tools search python
  meta tools search kube --json`, cobra.ExactArgs(1), func(cmd *cobra.Command, args []string) error {
		reg, err := toolchain.DefaultRegistry()
		if err != nil {
			return err
		}
		found := reg.Search(args[0])
		if len(found) == 0 && !asJSON {
			return failf("'meta tools list' shows the whole registry; packages from npm, PyPI, crates.io or Go modules work with a prefix (npm:NAME)",
				"no registry tool matches %q", args[0])
		}
		return a.printTools(found, asJSON)
	})
	return jsonFlag(cmd, &asJSON)
}

func newToolsResolveCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON bool
	cmd := toolsCmd("resolve SPEC...", "Resolve tool specs to exact versions (go@1.22 → 1.22.12)", `  meta tools resolve go@1.22 node@lts python@3.12
  meta tools resolve npm:eslint@8 --json
  meta tools resolve go@1.22 --offline`, cobra.MinimumNArgs(1), func(cmd *cobra.Command, args []string) error {
		r, err := f.resolver()
		if err != nil {
			return err
		}
		res, err := r.Resolve(cmd.Context(), args)
		a.toolNotes(r)
		return a.output(toolsErr(err), asJSON, toolchain.ResolvedInfos(res), func() string { return toolchain.ResolvedText(res) })
	})
	return jsonFlag(cmd, &asJSON)
}

func newToolsPlanCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON bool
	var component string
	cmd := toolsCmd("plan [SPEC...]", "Show the ordered install plan, with implied runtimes and package managers", `  meta tools plan
  meta tools plan --component api --json
  meta tools plan npm:eslint uv:ruff`, nil, func(cmd *cobra.Command, args []string) error {
		p, err := a.toolPlan(cmd.Context(), f, args, component, false)
		return a.output(err, asJSON, p, func() string { return p.Text() })
	})
	cmd.Flags().StringVar(&component, "component", "", "plan for one `COMPONENT` (with the workspace's tools)")
	return jsonFlag(cmd, &asJSON)
}

// toolPlan builds the plan for both architectures, printing the
// resolver's notes and, with warn, what the user should know about it.
func (a *app) toolPlan(ctx context.Context, f *toolsFlags, args []string, component string, warn bool) (*toolchain.Plan, error) {
	specs, err := a.toolSpecs(args, component)
	if err != nil {
		return nil, err
	}
	r, err := f.resolver()
	if err != nil {
		return nil, err
	}
	p, err := r.Plan(ctx, specs, toolchain.Arches)
	a.toolNotes(r)
	if warn && err == nil {
		a.warnAll(p.Warnings())
	}
	return p, toolsErr(err)
}

func newToolsDockerfileCmd(a *app, f *toolsFlags) *cobra.Command {
	var base, out, component string
	cmd := toolsCmd("dockerfile [SPEC...]", "Write a Dockerfile that installs the resolved tools, every download checked by sha256", `  meta tools dockerfile > Dockerfile
  meta tools dockerfile --base ubuntu:24.04 -o Dockerfile.tools
  meta tools dockerfile go@1.22 ripgrep`, nil, func(cmd *cobra.Command, args []string) error {
		p, err := a.toolPlan(cmd.Context(), f, args, component, true)
		base = cmp.Or(base, toolchain.DefaultBaseImage)
		if err != nil {
			return err
		} else if err := a.writeOut(out, []byte(p.Dockerfile(base))); err != nil {
			return err
		} else if out != "" && out != "-" {
			fmt.Fprintf(a.errw(), "wrote %s; build it with: docker build -t %s -f %s .\n", out, p.ImageTag(base), out)
		}
		return nil
	})
	cmd.Flags().StringVar(&base, "base", "", "base `IMAGE` (default "+toolchain.DefaultBaseImage+")")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}

func newToolsScriptCmd(a *app, f *toolsFlags) *cobra.Command {
	var out, component string
	cmd := toolsCmd("script [SPEC...]", "Write a POSIX shell script that installs the resolved tools, every download checked by sha256", `  meta tools script > install-tools.sh
  META_TOOLS_PREFIX=$HOME/.tools META_TOOLS_BIN=$HOME/bin sh install-tools.sh
  meta tools script --component api -o tools.sh`, nil, func(cmd *cobra.Command, args []string) error {
		p, err := a.toolPlan(cmd.Context(), f, args, component, true)
		if err != nil {
			return err
		}
		return a.writeOut(out, []byte(p.Script()))
	})
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}

func newToolsInstallCmd(a *app, f *toolsFlags) *cobra.Command {
	var component string
	cmd := toolsCmd("install [SPEC...]", "Install runtimes and binaries into $XDG_DATA_HOME/meta/tools/NAME/VERSION, checksums verified", `  meta tools install go@1.22 node@lts ripgrep
  meta tools install                     # everything the workspace declares
  meta tools install --component api`, nil, func(cmd *cobra.Command, args []string) error {
		specs, err := a.toolSpecs(args, component)
		if err != nil {
			return err
		}
		r, err := f.resolver()
		if err != nil {
			return err
		}
		lines := term.NewRenderer(a.errw(), false, nil, nil)
		done, skipped, err := r.Install(cmd.Context(), specs, lines)
		lines.Close()
		a.toolNotes(r)
		a.printAll(toolchain.InstallLines(done, skipped))
		return toolsErr(err)
	})
	cmd.Long = `Install downloads each runtime and GitHub-released binary to a temporary
file, verifies its sha256, unpacks it (refusing entries that would leave the
target directory) and renames it into $XDG_DATA_HOME/meta/tools/NAME/VERSION.
A checksum mismatch aborts and leaves nothing installed. meta exec and meta
build put installed versions first on PATH. Tools installed by npm, uv, pip,
cargo, go install or apt are listed, not installed: use 'meta tools script'.`
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}
