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
	cmd := a.sessionCommand("login", "Store a registry token, read from standard input", cobra.NoArgs, func(cmd *cobra.Command, args []string, s *registry.Session) error {
		r, err := s.Config.Pick(s.Name)
		if err != nil {
			return err
		}
		if term.IsTerminal(a.errw()) {
			fmt.Fprintf(a.errw(), "paste the token for %s (%s) and press Enter:\n", r.Name, r.URL)
		}
		line, _ := bufio.NewReader(a.stdio.In).ReadString('\n')
		return then(s.Config.Login(r, line), func() { a.printf("logged in to %s (%s)\n", r.Name, r.URL) })
	})
	cmd.Long = `Read a token (from 'meta registry token create') on standard input and
store it in $XDG_CONFIG_HOME/meta/credentials.yaml, readable by you only
(0600). The token is never printed or logged. In CI, META_REGISTRY_TOKEN
can stand in for the file.`
	cmd.Example = `  meta login                                   # paste the token, then Enter
  echo "$TOKEN" | meta login --registry local`
	return cmd
}

func newLogoutCmd(a *app) *cobra.Command {
	cmd := a.sessionCommand("logout", "Forget the token stored for a registry", cobra.NoArgs, func(cmd *cobra.Command, args []string, s *registry.Session) error {
		r, had, err := s.Logout()
		return then(err, func() {
			a.printf("%s %s\n", map[bool]string{false: "not logged in to", true: "logged out of"}[had], r.Name)
		})
	})
	cmd.Example = "  meta logout\n  meta logout --registry local"
	return cmd
}

func newPublishCmd(a *app) *cobra.Command {
	o := publish.Options{Events: a.warnings()}
	cmd := a.sessionCommand("publish", "Publish the component version tagged at HEAD to a registry", cobra.NoArgs, func(cmd *cobra.Command, args []string, s *registry.Session) error {
		o.Dir = a.dir
		plan, err := publish.Prepare(cmd.Context(), o)
		if err != nil || o.Check {
			return then(err, func() { a.printf("%s", plan.Text("would publish")) })
		}
		res, err := s.Publish(cmd.Context(), plan.Meta, plan.Tarball)
		return then(err, func() {
			a.printf("%sto %s (%s), sha256 %s\n", plan.Text("published"), s.Registry.Name, s.Registry.URL, res.Cksum)
		})
	})
	cmd.Long = `Run inside a component repository whose HEAD carries a semver tag
(v1.2.3 or 1.2.3). meta archives that tag with 'git archive', reads its
component.yaml (name, depends_on, tools), computes the SHA-256, optionally
signs the tarball with a minisign key from 'meta keygen', and uploads it.
Published versions never change: fix a mistake with a new version and
'meta yank' the bad one.`
	cmd.Example = `  git tag v1.2.0 && meta publish
  meta publish --dry-run
  meta publish --registry local --sign ~/.config/meta/publish.key`
	cmd.Flags().BoolVar(&o.Check, "dry-run", false, "check and show what would be published, upload nothing")
	cmd.Flags().StringVar(&o.KeyFile, "sign", "", "sign the tarball with the minisign private `KEY` file")
	return cmd
}

func newSearchCmd(a *app) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := a.sessionCommand("search QUERY", "Find packages in a registry by name or description", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string, s *registry.Session) error {
		res, err := s.Search(cmd.Context(), args[0], limit)
		return a.output(err, asJSON, res, func() string { return registry.SearchText(res, args[0], s.Registry.Name) })
	})
	cmd.Example = "  meta search auth\n  meta search '' --registry local --json"
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` packages (1-100)")
	return jsonFlag(cmd, &asJSON)
}

func newInfoCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := a.sessionCommand("info NAME[@VERSION]", "Show a package's versions, owners, and one version's dependencies", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string, s *registry.Session) error {
		info, v, err := s.Version(cmd.Context(), args[0])
		name, _, isVersion := strings.Cut(args[0], "@") // NAME@VERSION shows the version, NAME the package
		return a.output(err, asJSON, map[bool]any{false: info, true: v}[isVersion], func() string { return registry.InfoText(name, info, v) })
	})
	cmd.Example = `  meta info auth-lib
  meta info auth-lib@1.2.0 --json`
	return jsonFlag(cmd, &asJSON)
}

func newYankCmd(a *app) *cobra.Command {
	var o registry.YankOptions
	cmd := a.sessionCommand("yank NAME@VERSION", "Stop new resolutions from choosing a version (or --undo that)", cobra.ExactArgs(1), func(cmd *cobra.Command, args []string, s *registry.Session) error {
		name, vers, err := s.Yank(cmd.Context(), args[0], o)
		return then(err, func() { a.printf("%s", registry.YankText(name, vers, o)) })
	})
	cmd.Long = `A yanked version stays downloadable, so lock files that already name it
still apply (with a warning), but no new resolution chooses it. Only the
package's owners can yank.`
	cmd.Example = `  meta yank auth-lib@1.2.0 --reason "CVE-2026-1234, use 1.2.1"
  meta yank auth-lib@1.2.0 --undo`
	cmd.Flags().StringVar(&o.Reason, "reason", "", "why the version is yanked, shown to users")
	cmd.Flags().BoolVar(&o.Undo, "undo", false, "unyank the version")
	return cmd
}

func newKeygenCmd(a *app) *cobra.Command {
	var output string
	var force bool
	cmd := command("keygen --output KEY", "Make an Ed25519 signing key pair in minisign format", cobra.NoArgs, func(cmd *cobra.Command, args []string) error {
		out, line, err := registry.WriteKeyPair(a.dir, output, force)
		return then(err, func() {
			a.printf("%s\n", line)
			fmt.Fprintf(a.errw(), "meta: wrote %s (private, 0600) and %s.pub\nhint: add the public key above to the registry's trusted_keys in manifests/components.yaml\n", out, out)
		})
	})
	cmd.Long = `Write a minisign private key to KEY (mode 0600, unencrypted: protect the
file) and the public key to KEY.pub, and print the public key. Sign with
'meta publish --sign KEY'; consumers list the public key under the
registry's trusted_keys in the workspace manifest.`
	cmd.Example = `  meta keygen --output ~/.config/meta/publish.key`
	cmd.Flags().StringVarP(&output, "output", "o", "", "private key `FILE`; the public key goes to FILE.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return cmd
}
