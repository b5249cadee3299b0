package cli

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/registry/publish"
	"github.com/metawork/meta/internal/term"
)

func newLoginCmd(a *app) *cobra.Command {
	var regName string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Store a registry token, read from standard input",
		Long: `Read a token (from 'meta registry token create') on standard input and
store it in $XDG_CONFIG_HOME/meta/credentials.yaml, readable by you only
(0600). The token is never printed or logged. In CI, META_REGISTRY_TOKEN
can stand in for the file.`,
		Example: `  meta login                                   # paste the token, then Enter
  echo "$TOKEN" | meta login --registry local`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, r, err := a.pickRegistry(regName)
			if err != nil {
				return err
			}
			if term.IsTerminal(a.errw()) {
				fmt.Fprintf(a.errw(), "paste the token for %s (%s) and press Enter:\n", r.Name, r.URL)
			}
			line, _ := bufio.NewReader(a.stdio.In).ReadString('\n')
			if err := cfg.Login(r, line); err != nil {
				return err
			}
			a.printf("logged in to %s (%s)\n", r.Name, r.URL)
			return nil
		},
	}
	registryFlag(cmd, &regName)
	return registryErrors(cmd)
}

func newLogoutCmd(a *app) *cobra.Command {
	var regName string
	cmd := &cobra.Command{
		Use:     "logout",
		Short:   "Forget the token stored for a registry",
		Example: "  meta logout\n  meta logout --registry local",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, r, err := a.pickRegistry(regName)
			if err != nil {
				return err
			}
			if had, err := cfg.Logout(r); err != nil || !had {
				if err == nil {
					a.printf("not logged in to %s\n", r.Name)
				}
				return err
			}
			a.printf("logged out of %s\n", r.Name)
			return nil
		},
	}
	registryFlag(cmd, &regName)
	return registryErrors(cmd)
}

func newPublishCmd(a *app) *cobra.Command {
	var regName, keyFile string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "publish",
		Short: "Publish the component version tagged at HEAD to a registry",
		Long: `Run inside a component repository whose HEAD carries a semver tag
(v1.2.3 or 1.2.3). meta archives that tag with 'git archive', reads its
component.yaml (name, depends_on, tools), computes the SHA-256, optionally
signs the tarball with a minisign key from 'meta keygen', and uploads it.
Published versions never change: fix a mistake with a new version and
'meta yank' the bad one.`,
		Example: `  git tag v1.2.0 && meta publish
  meta publish --dry-run
  meta publish --registry local --sign ~/.config/meta/publish.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			plan, err := publish.Prepare(cmd.Context(), publish.Options{Dir: wd, KeyFile: keyFile, Check: dryRun, Events: a.warnings()})
			if err != nil {
				return err
			}
			if dryRun {
				a.printPlan(plan, "would publish")
				return nil
			}
			s, err := a.registrySession(regName)
			if err != nil {
				return err
			}
			res, err := s.Publish(cmd.Context(), plan.Meta, plan.Tarball)
			if err != nil {
				return err
			}
			a.printPlan(plan, "published")
			a.printf("to %s (%s), sha256 %s\n", s.Registry.Name, s.Registry.URL, res.Cksum)
			return nil
		},
	}
	registryFlag(cmd, &regName)
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and show what would be published, upload nothing")
	cmd.Flags().StringVar(&keyFile, "sign", "", "sign the tarball with the minisign private `KEY` file")
	return registryErrors(cmd)
}

func (a *app) printPlan(p *publish.Plan, verb string) {
	signed := ""
	if p.Signed {
		signed = ", signed"
	}
	a.printf("%s %s@%s (tag %s, %d bytes%s)\n", verb, p.Name, p.Version, p.Tag, p.Size, signed)
	for _, d := range p.Deps {
		a.printf("  depends on %s %s\n", d.Name, d.Req)
	}
	for _, t := range p.Tools {
		a.printf("  tool %s\n", t)
	}
}

func newSearchCmd(a *app) *cobra.Command {
	var regName string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:     "search QUERY",
		Short:   "Find packages in a registry by name or description",
		Example: "  meta search auth\n  meta search '' --registry local --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.registrySession(regName)
			if err != nil {
				return err
			}
			res, err := s.Search(cmd.Context(), args[0], limit)
			if err != nil || asJSON {
				return a.jsonOr(err, res)
			}
			if len(res.Packages) == 0 {
				a.printf("no packages match %q in %s\n", args[0], s.Registry.Name)
			}
			for _, p := range res.Packages {
				a.printf("%s@%s%s\n", p.Name, p.MaxVersion, ifSet("  %s", p.Description))
			}
			if res.Meta.Total > len(res.Packages) {
				a.printf("… and %d more (use --limit)\n", res.Meta.Total-len(res.Packages))
			}
			return nil
		},
	}
	registryFlag(cmd, &regName)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` packages (1-100)")
	return registryErrors(cmd)
}

func newInfoCmd(a *app) *cobra.Command {
	var regName string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info NAME[@VERSION]",
		Short: "Show a package's versions, owners, and one version's dependencies",
		Example: `  meta info auth-lib
  meta info auth-lib@1.2.0 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, vers, err := registry.ParseNameVersion(args[0], false)
			if err != nil {
				return err
			}
			s, err := a.registrySession(regName)
			if err != nil {
				return err
			}
			info, sel, err := s.Version(cmd.Context(), name, vers)
			switch {
			case err != nil:
				return err
			case asJSON && vers != "":
				return a.printJSON(sel)
			case asJSON:
				return a.printJSON(info)
			}
			a.printf("%s@%s\n%sowners: %s\nsha256: %s\n", name, sel.Vers, ifSet("  %s\n", info.Description), strings.Join(info.Owners, ", "), sel.Cksum)
			if sel.Sig != "" {
				a.printf("signed: yes\n")
			}
			a.printf("published: %s by %s\n", sel.PublishedAt.Format("2006-01-02"), sel.PublishedBy)
			if sel.Yanked {
				a.printf("YANKED: %s\n", orDash(sel.YankReason))
			}
			for _, d := range sel.Deps {
				a.printf("depends on: %s %s\n", d.Name, d.Req)
			}
			for _, t := range sel.Tools {
				a.printf("tool: %s\n", t)
			}
			a.printf("versions:")
			for i := len(info.Versions) - 1; i >= 0; i-- {
				a.printf(" %s%s", info.Versions[i].Vers, map[bool]string{true: " (yanked)"}[info.Versions[i].Yanked])
			}
			a.printf("\n")
			return nil
		},
	}
	registryFlag(cmd, &regName)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return registryErrors(cmd)
}

func newYankCmd(a *app) *cobra.Command {
	var regName, reason string
	var undo bool
	cmd := &cobra.Command{
		Use:   "yank NAME@VERSION",
		Short: "Stop new resolutions from choosing a version (or --undo that)",
		Long: `A yanked version stays downloadable, so lock files that already name it
still apply (with a warning), but no new resolution chooses it. Only the
package's owners can yank.`,
		Example: `  meta yank auth-lib@1.2.0 --reason "CVE-2026-1234, use 1.2.1"
  meta yank auth-lib@1.2.0 --undo`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, vers, err := registry.ParseNameVersion(args[0], true)
			if err != nil {
				return err
			}
			if !undo && strings.TrimSpace(reason) == "" {
				return usagef("say why, so that users know what to do: --reason TEXT", "yank needs --reason")
			}
			s, err := a.registrySession(regName)
			if err != nil {
				return err
			}
			if err := s.Yank(cmd.Context(), name, vers, reason, undo); err != nil {
				return err
			}
			if undo {
				a.printf("unyanked %s@%s\n", name, vers)
			} else {
				a.printf("yanked %s@%s: %s\n", name, vers, reason)
			}
			return nil
		},
	}
	registryFlag(cmd, &regName)
	cmd.Flags().StringVar(&reason, "reason", "", "why the version is yanked, shown to users")
	cmd.Flags().BoolVar(&undo, "undo", false, "unyank the version")
	return registryErrors(cmd)
}

func newKeygenCmd(a *app) *cobra.Command {
	var output string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen --output KEY",
		Short: "Make an Ed25519 signing key pair in minisign format",
		Long: `Write a minisign private key to KEY (mode 0600, unencrypted: protect the
file) and the public key to KEY.pub, and print the public key. Sign with
'meta publish --sign KEY'; consumers list the public key under the
registry's trusted_keys in the workspace manifest.`,
		Example: `  meta keygen --output ~/.config/meta/publish.key`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return usagef("e.g. meta keygen --output ~/.config/meta/publish.key", "--output is required")
			}
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			out, line, err := registry.WriteKeyPair(wd, output, force)
			if err != nil {
				return err
			}
			a.printf("%s\n", line)
			fmt.Fprintf(a.errw(), "meta: wrote %s (private, 0600) and %s.pub\nhint: add the public key above to the registry's trusted_keys in manifests/components.yaml\n", out, out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "private key `FILE`; the public key goes to FILE.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return registryErrors(cmd)
}
