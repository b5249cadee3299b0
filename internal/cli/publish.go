package cli

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/run"
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
			r, paths, err := a.pickRegistry(regName)
			if err != nil {
				return err
			}
			if term.IsTerminal(a.errw()) {
				fmt.Fprintf(a.errw(), "paste the token for %s (%s) and press Enter:\n", r.Name, r.URL)
			}
			line, _ := bufio.NewReader(a.stdio.In).ReadString('\n')
			tok := strings.TrimSpace(line)
			if tok == "" {
				return usagef("pipe the token in: echo \"$TOKEN\" | meta login", "no token on standard input")
			}
			if strings.ContainsAny(tok, " \t") || len(tok) > 4096 {
				return usagef("paste the token exactly as 'meta registry token create' printed it", "that does not look like a token")
			}
			creds, err := registry.LoadCredentials(paths.Credentials)
			if err != nil {
				return credentialsError(err)
			}
			creds[strings.TrimSuffix(r.URL, "/")] = tok
			if err := registry.SaveCredentials(paths.Credentials, creds); err != nil {
				return err
			}
			a.printf("logged in to %s (%s)\n", r.Name, r.URL)
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	return cmd
}

func newLogoutCmd(a *app) *cobra.Command {
	var regName string
	cmd := &cobra.Command{
		Use:     "logout",
		Short:   "Forget the token stored for a registry",
		Example: "  meta logout\n  meta logout --registry local",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, paths, err := a.pickRegistry(regName)
			if err != nil {
				return err
			}
			creds, err := registry.LoadCredentials(paths.Credentials)
			if err != nil {
				return credentialsError(err)
			}
			key := strings.TrimSuffix(r.URL, "/")
			if _, ok := creds[key]; !ok {
				a.printf("not logged in to %s\n", r.Name)
				return nil
			}
			delete(creds, key)
			if err := registry.SaveCredentials(paths.Credentials, creds); err != nil {
				return err
			}
			a.printf("logged out of %s\n", r.Name)
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	return cmd
}

// publishPlan is what publish sends, and what --dry-run shows.
type publishPlan struct {
	Name    string         `json:"name"`
	Version string         `json:"version"`
	Tag     string         `json:"tag"`
	Size    int            `json:"size"`
	Cksum   string         `json:"cksum"`
	Deps    []registry.Dep `json:"deps"`
	Tools   []string       `json:"tools"`
	Signed  bool           `json:"signed"`
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
			ctx := cmd.Context()
			wd, err := a.workdir()
			if err != nil {
				return err
			}
			top, err := run.Output(ctx, run.Cmd{Args: []string{"git", "rev-parse", "--show-toplevel"}, Dir: wd})
			if err != nil {
				return usagef("run meta publish inside the component's git repository", "%s is not in a git repository", wd)
			}
			repo := strings.TrimSpace(string(top))
			tag, vers, err := semverTagAtHEAD(cmd, repo)
			if err != nil {
				return err
			}
			tarball, err := run.Output(ctx, run.Cmd{Args: []string{"git", "archive", "--format=tar.gz", "--end-of-options", tag}, Dir: repo})
			if err != nil {
				return fmt.Errorf("archive %s: %w", tag, err)
			}
			compData, err := run.Output(ctx, run.Cmd{Args: []string{"git", "show", "--end-of-options", tag + ":component.yaml"}, Dir: repo})
			if err != nil {
				return failf("commit a component.yaml at the repository root, then tag a new version", "%s has no component.yaml", tag)
			}
			// The server checks the tarball whatever the client does; a dry
			// run checks it here too so that problems show before an upload.
			if dryRun {
				if _, err := registry.InspectTarball(tarball); err != nil {
					return failf("fix the repository (links must stay inside it), commit, and tag a new version", "%s: %v", tag, err)
				}
			}
			comp, err := registry.ParseComponent(tag+":component.yaml", compData)
			if err != nil {
				return usageError(err, "fix component.yaml, commit, and tag a new version")
			}
			meta := registry.PublishMeta{Name: comp.Name, Vers: vers}
			if keyFile != "" {
				if !filepath.IsAbs(keyFile) {
					keyFile = filepath.Join(wd, keyFile)
				}
				if st, err := os.Stat(keyFile); err == nil && st.Mode().Perm()&0o077 != 0 {
					a.warnf("%s is readable by others (mode %04o); chmod 600 it", keyFile, st.Mode().Perm())
				}
				key, err := os.ReadFile(keyFile)
				if err != nil {
					return usagef("make one with: meta keygen --output KEY", "--sign: %v", err)
				}
				if meta.Sig, err = registry.SignVersion(key, tarball, comp.Name, vers); err != nil {
					return usagef("make one with: meta keygen --output KEY", "--sign %s: %v", keyFile, err)
				}
			}
			meta.Cksum = sha256Hex(tarball)
			plan := publishPlan{Name: comp.Name, Version: vers, Tag: tag, Size: len(tarball), Cksum: meta.Cksum, Deps: comp.Deps, Tools: comp.Tools, Signed: meta.Sig != ""}
			if dryRun {
				a.printPlan(plan, "would publish")
				return nil
			}
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			if c.Token == "" {
				return failf(fmt.Sprintf("meta login --registry %s", ref.Name), "not logged in to registry %s", ref.Name)
			}
			res, err := c.Publish(ctx, meta, tarball)
			if err != nil {
				return registryError(err, ref)
			}
			a.printPlan(plan, "published")
			a.printf("to %s (%s), sha256 %s\n", ref.Name, ref.URL, res.Cksum)
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "check and show what would be published, upload nothing")
	cmd.Flags().StringVar(&keyFile, "sign", "", "sign the tarball with the minisign private `KEY` file")
	return cmd
}

func (a *app) printPlan(p publishPlan, verb string) {
	a.printf("%s %s@%s (tag %s, %d bytes", verb, p.Name, p.Version, p.Tag, p.Size)
	if p.Signed {
		a.printf(", signed")
	}
	a.printf(")\n")
	for _, d := range p.Deps {
		a.printf("  depends on %s %s\n", d.Name, d.Req)
	}
	for _, t := range p.Tools {
		a.printf("  tool %s\n", t)
	}
}

// semverTagAtHEAD finds the one semver tag on HEAD and returns it with
// its version (without "v").
func semverTagAtHEAD(cmd *cobra.Command, repo string) (string, string, error) {
	out, err := run.Output(cmd.Context(), run.Cmd{Args: []string{"git", "tag", "--points-at", "HEAD"}, Dir: repo})
	if err != nil {
		return "", "", err
	}
	type tv struct{ tag, vers string }
	var found []tv
	for _, t := range strings.Fields(string(out)) {
		v := strings.TrimPrefix(t, "v")
		if _, err := registry.ParseVersion(v); err == nil {
			found = append(found, tv{t, v})
		}
	}
	switch len(found) {
	case 0:
		return "", "", usagef("tag the commit first, e.g. git tag v1.2.0", "HEAD of %s has no semver tag", repo)
	case 1:
		return found[0].tag, found[0].vers, nil
	}
	var tags []string
	for _, f := range found {
		tags = append(tags, f.tag)
	}
	sort.Strings(tags)
	return "", "", usagef("keep one version tag on the commit", "HEAD of %s has several semver tags: %s", repo, strings.Join(tags, ", "))
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
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			res, err := c.Search(cmd.Context(), args[0], limit)
			if err != nil {
				return registryError(err, ref)
			}
			if asJSON {
				return a.printJSON(res)
			}
			if len(res.Packages) == 0 {
				a.printf("no packages match %q in %s\n", args[0], ref.Name)
				return nil
			}
			for _, p := range res.Packages {
				line := fmt.Sprintf("%s@%s", p.Name, p.MaxVersion)
				if p.Description != "" {
					line += "  " + p.Description
				}
				a.printf("%s\n", line)
			}
			if res.Meta.Total > len(res.Packages) {
				a.printf("… and %d more (use --limit)\n", res.Meta.Total-len(res.Packages))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 20, "show at most `N` packages (1-100)")
	return cmd
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
			name, vers, err := parseNameVersion(args[0], false)
			if err != nil {
				return err
			}
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			info, err := c.Info(cmd.Context(), name)
			if err != nil {
				return registryError(err, ref)
			}
			if vers == "" {
				vers = info.MaxVersion
			}
			var sel *registry.VersionInfo
			for i := range info.Versions {
				if info.Versions[i].Vers == vers {
					sel = &info.Versions[i]
				}
			}
			if sel == nil {
				return failf(fmt.Sprintf("see the versions: meta info %s", name), "%s has no version %s", name, vers)
			}
			if asJSON {
				if strings.Contains(args[0], "@") {
					return a.printJSON(sel)
				}
				return a.printJSON(info)
			}
			a.printf("%s@%s\n", name, sel.Vers)
			if info.Description != "" {
				a.printf("  %s\n", info.Description)
			}
			a.printf("owners: %s\n", strings.Join(info.Owners, ", "))
			a.printf("sha256: %s\n", sel.Cksum)
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
				v := info.Versions[i]
				if v.Yanked {
					a.printf(" %s (yanked)", v.Vers)
				} else {
					a.printf(" %s", v.Vers)
				}
			}
			a.printf("\n")
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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
			name, vers, err := parseNameVersion(args[0], true)
			if err != nil {
				return err
			}
			if !undo && strings.TrimSpace(reason) == "" {
				return usagef("say why, so that users know what to do: --reason TEXT", "yank needs --reason")
			}
			c, ref, err := a.registryClient(regName)
			if err != nil {
				return err
			}
			if c.Token == "" {
				return failf(fmt.Sprintf("meta login --registry %s", ref.Name), "not logged in to registry %s", ref.Name)
			}
			if undo {
				_, err = c.Unyank(cmd.Context(), name, vers)
			} else {
				_, err = c.Yank(cmd.Context(), name, vers, reason)
			}
			if err != nil {
				return registryError(err, ref)
			}
			if undo {
				a.printf("unyanked %s@%s\n", name, vers)
			} else {
				a.printf("yanked %s@%s: %s\n", name, vers, reason)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&regName, "registry", "", "registry `NAME` (default: default)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the version is yanked, shown to users")
	cmd.Flags().BoolVar(&undo, "undo", false, "unyank the version")
	return cmd
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
			if !filepath.IsAbs(output) {
				output = filepath.Join(wd, output)
			}
			if !force {
				for _, f := range []string{output, output + ".pub"} {
					if _, err := os.Lstat(f); err == nil {
						return usagef("choose another --output, or --force to replace it", "%s exists", f)
					}
				}
			}
			priv, pub, line, err := registry.GenerateKey()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(output), 0o700); err != nil {
				return err
			}
			if err := writeFileAtomic(output, priv, 0o600); err != nil {
				return err
			}
			if err := writeFileAtomic(output+".pub", pub, 0o644); err != nil {
				return err
			}
			a.printf("%s\n", line)
			fmt.Fprintf(a.errw(), "meta: wrote %s (private, 0600) and %s.pub\nhint: add the public key above to the registry's trusted_keys in manifests/components.yaml\n", output, output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "private key `FILE`; the public key goes to FILE.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	return cmd
}

// sha256Hex is the hex SHA-256 of data.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
