package cli

import (
	"errors"
	"fmt"
	"github.com/metawork/meta/internal/atomicfile"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	wsresolve "github.com/metawork/meta/internal/resolve"
)

func newAddCmd(a *app) *cobra.Command {
	var (
		repo, version, ref, path, typ, desc string
		deps, groups                        []string
		noResolve                           bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --repo URL [--version RANGE | --ref REF]",
		Short: "Add a component to the manifest",
		Long: `Add a component to manifests/components.yaml, keeping the comments, key
order and formatting of everything else. Before writing, the workspace is
resolved with the new component; if that is impossible the component is
refused with the solver's explanation (exit 3), unless --no-resolve.`,
		Example: `  meta add billing --repo git@github.com:acme/billing.git --version ^1.4.0
  meta add docs --repo https://github.com/acme/docs.git --ref main --path ../docs-site
  meta add api --repo ../remotes/api --depends-on auth-lib:^1.2 --depends-on db-lib`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			nc := manifest.NewComponent{Repo: repo, Version: version, Ref: ref, Path: path, Type: typ, Description: desc, DependsOn: deps, Groups: groups}
			var ie *manifest.InputError
			if err := nc.Check(name); errors.As(err, &ie) {
				return usageError(ie.Err, ie.Hint)
			}
			err := a.editManifest(func(m *manifest.Manifest, data []byte) ([]byte, error) {
				if _, ok := m.Components[name]; ok {
					return nil, usagef("choose another name, or 'meta remove "+name+"' first", "component %q already exists (%s)", name, m.Components[name].Pos)
				}
				out, err := manifest.AddComponent(manifest.ManifestPath, data, name, nc.Fields())
				if err != nil {
					return nil, usageError(err, "")
				}
				nm, err := manifest.Parse(m.Dir, manifest.ManifestPath, out)
				if err != nil {
					return nil, usageError(err, "the manifest was not changed")
				}
				if noResolve {
					return out, nil
				}
				if _, err := a.resolveWith(cmd.Context(), nm, wsresolve.Options{}, false); err != nil {
					if errors.Is(a.resolveFailed(err), errCheckFailed) {
						fmt.Fprintf(a.errw(), "\nmeta: not adding %s: the workspace would not resolve (manifest unchanged; the lines cited are those the manifest would have had)\nhint: adjust --version or --depends-on, or pass --no-resolve to add it anyway\n", name)
						return nil, errCheckFailed
					}
					return nil, withHint(err, "the manifest was not changed; pass --no-resolve to add it without resolving")
				}
				return out, nil
			})
			if err != nil {
				return err
			}
			a.printf("added %s to %s\nnext: meta bootstrap %s\n", name, manifest.ManifestPath, name)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&repo, "repo", "", "git `URL` (https://, ssh://, file://, user@host:path) or path")
	f.StringVar(&version, "version", "", "semver `RANGE` over the repository's tags")
	f.StringVar(&ref, "ref", "", "branch, tag or commit to track")
	f.StringVar(&path, "path", "", "checkout `PATH`, relative to the meta repository")
	f.StringVar(&typ, "type", "", "free-form type hint (go, npm, python, cargo, bazel, make)")
	f.StringVar(&desc, "description", "", "one-line description")
	f.StringArrayVar(&deps, "depends-on", nil, "a dependency, `NAME[:RANGE]` (repeatable)")
	f.StringArrayVar(&groups, "group", nil, "a group the component belongs to (repeatable)")
	f.BoolVar(&noResolve, "no-resolve", false, "add without checking that the workspace still resolves")
	return cmd
}

func newRemoveCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a component from the manifest",
		Long: `Remove a component from manifests/components.yaml, keeping everything else
as written. A component that others depend on, or that environments or
overrides name, is refused with the places that name it. The checkout on
disk is left alone.`,
		Example: `  meta remove legacy-api`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, at := args[0], ""
			err := a.editManifest(func(m *manifest.Manifest, data []byte) ([]byte, error) {
				if _, ok := m.Components[name]; !ok {
					_, err := selectComponents(m, []string{name})
					return nil, err
				}
				if users := wsresolve.Dependents(m, name); len(users) > 0 {
					return nil, usagef("remove those references first", "cannot remove %s: it is named by %s", name, strings.Join(users, ", "))
				}
				out, err := manifest.RemoveComponent(manifest.ManifestPath, data, name)
				if err != nil {
					return nil, usageError(err, "")
				}
				if _, err := manifest.Parse(m.Dir, manifest.ManifestPath, out); err != nil {
					return nil, failf("the manifest was not changed", "removing %s would leave an invalid manifest: %v", name, err)
				}
				at = m.Rel(m.Components[name].Path)
				return out, nil
			})
			if err == nil {
				a.printf("removed %s from %s (its checkout at %s is untouched)\n", name, manifest.ManifestPath, at)
			}
			return err
		},
	}
	return cmd
}

// editManifest rewrites the workspace manifest with what edit makes of it
// (loaded, and as bytes), holding manifest.LockForEdit throughout.
func (a *app) editManifest(edit func(m *manifest.Manifest, data []byte) ([]byte, error)) error {
	root, err := a.metaRoot()
	if err != nil {
		return err
	}
	unlock, err := manifest.LockForEdit(root)
	if err != nil {
		return err
	}
	defer unlock()
	m, err := a.loadManifest()
	if err != nil {
		return err
	}
	data, err := os.ReadFile(m.File)
	if err != nil {
		return err
	}
	out, err := edit(m, data)
	if err != nil {
		return err
	}
	return atomicfile.Write(m.File, out, 0o644)
}
