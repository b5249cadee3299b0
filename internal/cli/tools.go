package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/term"
	"github.com/metawork/meta/internal/toolchain"
	"github.com/metawork/meta/internal/toolchain/versions"
	"github.com/metawork/meta/internal/yamlpos"
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
	if err == nil {
		return nil
	}
	var se *toolchain.SpecError
	var ue *toolchain.UnknownToolError
	var h interface{ Hint() string }
	switch {
	case errors.As(err, &se):
		return usageError(err, se.Hint)
	case errors.As(err, &ue):
		return usageError(err, ue.Hint())
	case errors.As(err, &h):
		return withHint(err, h.Hint())
	}
	var nf *versions.NotFoundError
	if errors.As(err, &nf) {
		return withHint(err, "'meta tools list "+nf.Tool+"' shows every version")
	}
	return err
}

// notes prints what the resolver noticed (stale or offline data).
func (a *app) toolNotes(r *toolchain.Resolver) {
	for _, n := range r.Notes() {
		a.warnf("%s", n.Msg)
	}
}

// toolSpecs returns the specs to act on: the arguments, else the manifest's
// tools and its components' (or one component's, with --component).
func (a *app) toolSpecs(args []string, component string) ([]string, error) {
	if len(args) > 0 {
		if component != "" {
			return nil, usagef("give SPECs or --component, not both", "--component with SPEC arguments")
		}
		return args, nil
	}
	m, err := a.loadManifest()
	if err != nil {
		return nil, withHint(err, "give tool specs as arguments, e.g. meta tools plan go@1.22")
	}
	var items []manifest.Item
	if component != "" {
		c, ok := m.Components[component]
		if !ok {
			hint := "run 'meta status' to list the components"
			if s := yamlpos.Suggest(component, m.Order); s != "" {
				hint = fmt.Sprintf("did you mean %q?", s)
			}
			return nil, usagef(hint, "no component %q in %s", component, m.Rel(m.File))
		}
		items = append(append(items, m.Tools...), c.Tools...)
	} else {
		items = append(items, m.Tools...)
		for _, c := range m.List() {
			items = append(items, c.Tools...)
		}
	}
	var specs []string
	for _, it := range items {
		if _, err := toolchain.ParseSpec(it.Value); err != nil {
			var se *toolchain.SpecError
			errors.As(err, &se)
			return nil, usageError(fmt.Errorf("%s: %w", it.Pos, err), se.Hint)
		}
		if !slices.Contains(specs, it.Value) {
			specs = append(specs, it.Value)
		}
	}
	if len(specs) == 0 {
		return nil, usagef("add tools: [go@1.22, ...] to the manifest or give SPECs", "%s declares no tools", m.Rel(m.File))
	}
	return specs, nil
}

func newToolsListCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "list [NAME]",
		Short: "List the tool registry, or the versions of one tool",
		Example: `  meta tools list
  meta tools list go
  meta tools list node --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.resolver()
			if err != nil {
				return err
			}
			reg := r.Registry()
			if len(args) == 0 {
				return a.printTools(reg.Tools(), asJSON)
			}
			t, ok := reg.Lookup(args[0])
			if sp, err := toolchain.ParseSpec(args[0]); !ok && err == nil && sp.Manager != "" {
				return usagef("'meta tools list' lists registry tools; "+sp.Manager+" packages are resolved by "+sp.Manager+" at install time",
					"%s: meta does not list versions of %s packages", args[0], sp.Manager)
			}
			if !ok {
				_, err := r.Expand([]string{args[0]})
				if err == nil {
					err = fmt.Errorf("unknown tool %q", args[0])
				}
				return toolsErr(err)
			}
			if t.Versions == "" {
				return a.printToolInfo(t, asJSON)
			}
			rels, err := r.Releases(cmd.Context(), t)
			a.toolNotes(r)
			if err != nil {
				return toolsErr(err)
			}
			installed := r.InstalledVersions(t.Name)
			type row struct {
				Version    string `json:"version"`
				Prerelease bool   `json:"prerelease,omitempty"`
				LTS        string `json:"lts,omitempty"`
				Date       string `json:"date,omitempty"`
				Installed  bool   `json:"installed,omitempty"`
			}
			var rows []row
			for _, rel := range rels {
				if !rel.Stable && !all {
					continue
				}
				rows = append(rows, row{rel.Version.Text, !rel.Stable, rel.LTS, rel.Date, slices.Contains(installed, rel.Version.Text)})
			}
			if asJSON {
				return a.printJSON(rows)
			}
			tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			for _, r := range rows {
				var extra []string
				if r.LTS != "" {
					extra = append(extra, "lts/"+strings.ToLower(r.LTS))
				}
				if r.Prerelease {
					extra = append(extra, "pre-release")
				}
				if r.Installed {
					extra = append(extra, "installed")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Version, r.Date, strings.Join(extra, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "include pre-releases")
	return cmd
}

type toolJSON struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Versions    string   `json:"versions,omitempty"`
	Repo        string   `json:"repo,omitempty"`
	Package     string   `json:"package,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Tools       []string `json:"tools,omitempty"`
	Docs        string   `json:"docs,omitempty"`
}

func toToolJSON(t *toolchain.Tool) toolJSON {
	return toolJSON{t.Name, t.Type, t.Description, t.Versions, t.Repo, t.Package, t.Requires, t.Tools, t.Docs}
}

func (a *app) printTools(ts []*toolchain.Tool, asJSON bool) error {
	if asJSON {
		out := []toolJSON{}
		for _, t := range ts {
			out = append(out, toToolJSON(t))
		}
		return a.printJSON(out)
	}
	tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Type, t.Description)
	}
	return tw.Flush()
}

func (a *app) printToolInfo(t *toolchain.Tool, asJSON bool) error {
	if asJSON {
		return a.printJSON(toToolJSON(t))
	}
	a.printf("%s (%s): %s\n", t.Name, t.Type, t.Description)
	switch t.Type {
	case toolchain.TypeBundle:
		a.printf("tools: %s\n", strings.Join(t.Tools, ", "))
	case toolchain.TypeCustom:
		a.printf("installed by hand: %s\n", t.Docs)
	default:
		a.printf("package %s; its package manager picks the version at install time\n", t.Package)
	}
	return nil
}

func newToolsSearchCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "search QUERY",
		Short: "Search the tool registry by name, description or package",
		Example: `  meta tools search python
  meta tools search kube --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type resolvedJSON struct {
	Name       string   `json:"name"`
	Requested  string   `json:"requested"`
	Version    string   `json:"version"`
	Exact      bool     `json:"exact"`
	Type       string   `json:"type"`
	Implied    bool     `json:"implied,omitempty"`
	RequiredBy []string `json:"required_by,omitempty"`
	Bundle     string   `json:"bundle,omitempty"`
}

func newToolsResolveCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "resolve SPEC...",
		Short: "Resolve tool specs to exact versions (go@1.22 → 1.22.12)",
		Example: `  meta tools resolve go@1.22 node@lts python@3.12
  meta tools resolve npm:eslint@8 --json
  meta tools resolve go@1.22 --offline`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := f.resolver()
			if err != nil {
				return err
			}
			res, err := r.Resolve(cmd.Context(), args)
			a.toolNotes(r)
			if err != nil {
				return toolsErr(err)
			}
			if asJSON {
				out := []resolvedJSON{}
				for _, x := range res {
					out = append(out, resolvedJSON{x.Name, x.Requested, x.Version, x.Exact, x.Type, x.Implied, x.RequiredBy, x.Bundle})
				}
				return a.printJSON(out)
			}
			for _, x := range res {
				a.printf("%s\n", resolvedLine(x))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func resolvedLine(x toolchain.Resolved) string {
	left := x.Name
	if x.Requested != "" {
		left += "@" + x.Requested
	}
	right := x.Version
	switch {
	case x.Type == toolchain.TypeCustom:
		right = "installed by hand: " + x.Tool.Docs
	case !x.Exact && x.Version == "":
		right = "newest at install time (" + managerOf(x) + " decides)"
	case !x.Exact:
		right += " (" + managerOf(x) + " picks the newest match at install time)"
	}
	line := left + " → " + right
	switch {
	case x.Implied:
		line += "  (needed by " + strings.Join(x.RequiredBy, ", ") + ")"
	case x.Bundle != "":
		line += "  (from " + x.Bundle + ")"
	}
	return line
}

func managerOf(x toolchain.Resolved) string {
	switch x.Type {
	case toolchain.TypeNpm:
		return "npm"
	case toolchain.TypeUvTool:
		return "uv"
	case toolchain.TypeGoInstall:
		return "go"
	case toolchain.TypeApt:
		return "apt"
	}
	return x.Type
}

func newToolsPlanCmd(a *app, f *toolsFlags) *cobra.Command {
	var asJSON bool
	var component string
	cmd := &cobra.Command{
		Use:   "plan [SPEC...]",
		Short: "Show the ordered install plan, with implied runtimes and package managers",
		Example: `  meta tools plan
  meta tools plan --component api --json
  meta tools plan npm:eslint uv:ruff`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, r, err := a.toolPlan(cmd.Context(), f, args, component)
			if r != nil {
				a.toolNotes(r)
			}
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(p)
			}
			tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			for i, s := range p.Steps {
				v := s.Version
				switch {
				case s.Phase == toolchain.PhaseCustom || s.Phase == toolchain.PhaseApt:
					v = "-"
				case v == "":
					v = "(newest)"
				}
				why := ""
				switch {
				case s.Implied:
					why = "needed by " + strings.Join(s.RequiredBy, ", ")
				case s.Requested != "" && s.Requested != s.Version:
					why = "requested " + s.Requested
				case s.Bundle != "":
					why = "from " + s.Bundle
				}
				if s.Phase == toolchain.PhaseCustom {
					why = "install by hand: " + s.Docs
				}
				fmt.Fprintf(tw, "%d.\t%s\t%s\t%s\t%s\n", i+1, s.Phase, s.Name, v, why)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			a.printf("plan %s\n", p.Hash[:16])
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&component, "component", "", "plan for one `COMPONENT` (with the workspace's tools)")
	return cmd
}

// toolPlan builds the plan for both architectures.
func (a *app) toolPlan(ctx context.Context, f *toolsFlags, args []string, component string) (*toolchain.Plan, *toolchain.Resolver, error) {
	specs, err := a.toolSpecs(args, component)
	if err != nil {
		return nil, nil, err
	}
	r, err := f.resolver()
	if err != nil {
		return nil, nil, err
	}
	p, err := r.Plan(ctx, specs, toolchain.Arches)
	return p, r, toolsErr(err)
}

func (a *app) warnPlan(p *toolchain.Plan) {
	for _, s := range p.Manual() {
		a.warnf("%s is not installed automatically; see %s", s.Name, s.Docs)
	}
	if fl := p.Floating(); len(fl) > 0 {
		var names []string
		for _, s := range fl {
			names = append(names, s.Name)
		}
		a.warnf("%s: the package manager picks the version at build time, so the result can change; pin exact versions (NAME@X.Y.Z) to make it reproducible",
			strings.Join(names, ", "))
	}
}

func (a *app) toolsWriteOut(path, text string) error {
	if path == "" || path == "-" {
		a.printf("%s", text)
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func newToolsDockerfileCmd(a *app, f *toolsFlags) *cobra.Command {
	var base, out, component string
	cmd := &cobra.Command{
		Use:   "dockerfile [SPEC...]",
		Short: "Write a Dockerfile that installs the resolved tools, every download checked by sha256",
		Example: `  meta tools dockerfile > Dockerfile
  meta tools dockerfile --base ubuntu:24.04 -o Dockerfile.tools
  meta tools dockerfile go@1.22 ripgrep`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, r, err := a.toolPlan(cmd.Context(), f, args, component)
			if r != nil {
				a.toolNotes(r)
			}
			if err != nil {
				return err
			}
			a.warnPlan(p)
			if base == "" {
				base = toolchain.DefaultBaseImage
			}
			if err := a.toolsWriteOut(out, p.Dockerfile(base)); err != nil {
				return err
			}
			if out != "" && out != "-" {
				fmt.Fprintf(a.errw(), "wrote %s; build it with: docker build -t %s -f %s .\n", out, p.ImageTag(base), out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&base, "base", "", "base `IMAGE` (default "+toolchain.DefaultBaseImage+")")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}

func newToolsScriptCmd(a *app, f *toolsFlags) *cobra.Command {
	var out, component string
	cmd := &cobra.Command{
		Use:   "script [SPEC...]",
		Short: "Write a POSIX shell script that installs the resolved tools, every download checked by sha256",
		Example: `  meta tools script > install-tools.sh
  META_TOOLS_PREFIX=$HOME/.tools META_TOOLS_BIN=$HOME/bin sh install-tools.sh
  meta tools script --component api -o tools.sh`,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, r, err := a.toolPlan(cmd.Context(), f, args, component)
			if r != nil {
				a.toolNotes(r)
			}
			if err != nil {
				return err
			}
			a.warnPlan(p)
			return a.toolsWriteOut(out, p.Script())
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to `FILE` instead of standard output")
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}

func newToolsInstallCmd(a *app, f *toolsFlags) *cobra.Command {
	var component string
	cmd := &cobra.Command{
		Use:   "install [SPEC...]",
		Short: "Install runtimes and binaries into $XDG_DATA_HOME/meta/tools/NAME/VERSION, checksums verified",
		Long: `Install downloads each runtime and GitHub-released binary to a temporary
file, verifies its sha256, unpacks it (refusing entries that would leave the
target directory) and renames it into $XDG_DATA_HOME/meta/tools/NAME/VERSION.
A checksum mismatch aborts and leaves nothing installed. meta exec and meta
build put installed versions first on PATH. Tools installed by npm, uv, pip,
cargo, go install or apt are listed, not installed: use 'meta tools script'.`,
		Example: `  meta tools install go@1.22 node@lts ripgrep
  meta tools install                     # everything the workspace declares
  meta tools install --component api`,
		RunE: func(cmd *cobra.Command, args []string) error {
			specs, err := a.toolSpecs(args, component)
			if err != nil {
				return err
			}
			r, err := f.resolver()
			if err != nil {
				return err
			}
			res, err := r.Resolve(cmd.Context(), specs)
			if err != nil {
				a.toolNotes(r)
				return toolsErr(err)
			}
			var names []string
			for _, x := range res {
				if toolchain.Installable(x) {
					names = append(names, x.Name)
				}
			}
			lines := term.NewLines(a.errw(), names)
			done, skipped, err := r.Install(cmd.Context(), specs, func(name, state string) {
				if strings.HasPrefix(state, "installed") || state == "already installed" || state == "failed" {
					lines.Done(name, state)
				} else {
					lines.Update(name, state)
				}
			})
			lines.Close()
			a.toolNotes(r)
			for _, in := range done {
				state := "installed"
				if in.Already {
					state = "already installed"
				}
				a.printf("%s %s %s in %s\n", in.Name, in.Version, state, in.Dir)
			}
			for _, x := range skipped {
				a.printf("%s: not installed by meta (%s package); 'meta tools script' writes its install command\n", x.Name, managerOf(x))
			}
			return toolsErr(err)
		},
	}
	cmd.Flags().StringVar(&component, "component", "", "one `COMPONENT`'s tools (with the workspace's)")
	return cmd
}
