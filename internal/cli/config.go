package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/userconfig"
	"github.com/metawork/meta/internal/yamlpos"
)

// configKey describes one setting meta config knows.
type configKey struct {
	name      string // "jobs", "cache.remote", "registries.*", "tools.sources.*"
	workspace []string
	global    []string
	check     func(string) error
	help      string
}

var configKeys = []configKey{
	{name: "jobs", workspace: []string{"workspace", "jobs"}, global: []string{"jobs"}, check: checkJobs, help: "default parallelism of git, setup and build"},
	{name: "cache.remote", workspace: []string{"cache", "remote"}, global: []string{"cache", "remote"}, check: checkRemote, help: "remote build cache: s3://bucket/prefix?endpoint=...&region=..., http(s)://host/path or grpc(s)://host:port/instance"},
	{name: "cache.max_age", workspace: []string{"cache", "max_age"}, global: []string{"cache", "max_age"}, check: checkAge, help: "age after which gc drops cache records (e.g. 30d)"},
	{name: "cache.max_size", workspace: []string{"cache", "max_size"}, global: []string{"cache", "max_size"}, check: checkSize, help: "size above which gc drops the oldest cache records (e.g. 50GB)"},
	{name: "registries.*", workspace: []string{"registries", "*"}, global: []string{"registries", "*"}, check: registry.CheckURL, help: "base URL of a component registry"},
	{name: "tools.sources.*", global: []string{"tools", "sources", "*"}, check: checkHTTP, help: "upstream version list of go, node, python or github"},
	{name: "color", global: []string{"color"}, check: checkColor, help: "auto, always or never"},
	{name: "workspace.name", workspace: []string{"workspace", "name"}, check: func(s string) error { return manifest.CheckName(s) }, help: "the workspace's name"},
}

var toolSourceNames = []string{"go", "node", "python", "github"}

func checkJobs(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1024 {
		return fmt.Errorf("%q is not a whole number from 1 to 1024", s)
	}
	return nil
}

func checkRemote(s string) error {
	if strings.HasPrefix(s, "s3://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "grpc://") || strings.HasPrefix(s, "grpcs://") || strings.HasPrefix(s, "file://") || strings.HasPrefix(s, "/") {
		return nil
	}
	return fmt.Errorf("%q is not an s3://, http(s)://, grpc(s)://, file:// URL or an absolute path", s)
}

func checkAge(s string) error  { _, err := manifest.ParseAge(s); return err }
func checkSize(s string) error { _, err := manifest.ParseSize(s); return err }
func checkHTTP(s string) error {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return nil
	}
	return fmt.Errorf("%q is not an http(s) URL", s)
}
func checkColor(s string) error {
	if s == "auto" || s == "always" || s == "never" {
		return nil
	}
	return fmt.Errorf("%q is not auto, always or never", s)
}

// lookupConfigKey resolves a user's key to its definition and file paths.
func lookupConfigKey(key string) (configKey, []string, []string, error) {
	for _, k := range configKeys {
		prefix, wild := strings.CutSuffix(k.name, "*")
		switch {
		case !wild && key == k.name:
			return k, k.workspace, k.global, nil
		case wild && strings.HasPrefix(key, prefix) && len(key) > len(prefix):
			sub := key[len(prefix):]
			if err := manifest.CheckName(sub); err != nil || strings.Contains(sub, ".") {
				return k, nil, nil, usagef("", "config key %q: %q is not a valid name", key, sub)
			}
			if k.name == "tools.sources.*" && !contains(toolSourceNames, sub) {
				return k, nil, nil, usagef("tool sources are: "+strings.Join(toolSourceNames, ", "), "config key %q: unknown tool source %q", key, sub)
			}
			return k, withSub(k.workspace, sub), withSub(k.global, sub), nil
		}
	}
	names := make([]string, len(configKeys))
	for i, k := range configKeys {
		names[i] = k.name
	}
	hint := "known keys: " + strings.Join(names, ", ")
	if s := yamlpos.Suggest(key, names); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	return configKey{}, nil, nil, usagef(hint, "unknown config key %q", key)
}

func withSub(path []string, sub string) []string {
	if path == nil {
		return nil
	}
	out := append([]string(nil), path...)
	out[len(out)-1] = sub
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// configTarget is the file one config command reads or writes.
type configTarget struct {
	file   string
	global bool
}

func (a *app) configTarget(global bool) (configTarget, error) {
	if global {
		p := userconfig.Path(os.Getenv)
		if p == "" {
			return configTarget{}, failf("set HOME or XDG_CONFIG_HOME", "no user config directory")
		}
		return configTarget{file: p, global: true}, nil
	}
	root, err := a.metaRoot()
	if err != nil {
		return configTarget{}, withHint(err, "use --global for your user settings outside a workspace")
	}
	return configTarget{file: root + "/" + manifest.ManifestPath}, nil
}

func readOrEmpty(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

func newConfigCmd(a *app) *cobra.Command {
	var global bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Get and set workspace and user settings",
		Long: `Read and change settings in the workspace manifest (the team's, committed with
the meta repository) or, with --global, in your own config file
$XDG_CONFIG_HOME/meta/config.yaml. Workspace settings win over user ones.
Edits keep the comments and layout of the file.

Keys: jobs, cache.remote, cache.max_age, cache.max_size, registries.NAME,
tools.sources.go|node|python|github (user only), color (user only),
workspace.name (workspace only).`,
		Example: `  meta config list
  meta config set jobs 16
  meta config set --global cache.remote s3://cache/acme?region=us-east-1
  meta config get registries.default
  meta config unset --global color`,
	}
	cmd.PersistentFlags().BoolVar(&global, "global", false, "use your user config file instead of the workspace manifest")

	get := &cobra.Command{
		Use:     "get KEY",
		Short:   "Print a setting's value",
		Example: "  meta config get jobs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, wpath, gpath, err := lookupConfigKey(args[0])
			if err != nil {
				return err
			}
			for _, scope := range scopesFor(k.name, a.configScopes(global)) {
				path := wpath
				if scope.global {
					path = gpath
				}
				if path == nil {
					continue
				}
				v, ok, err := a.readConfig(scope, path)
				if err != nil {
					return err
				}
				if ok {
					a.printf("%s\n", v)
					return nil
				}
			}
			return &exitError{code: ExitError, err: fmt.Errorf("%s is not set", args[0])}
		},
	}
	set := &cobra.Command{
		Use:     "set KEY VALUE",
		Short:   "Set a setting",
		Example: "  meta config set jobs 16\n  meta config set registries.default https://registry.acme.dev",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, wpath, gpath, err := lookupConfigKey(args[0])
			if err != nil {
				return err
			}
			if err := k.check(args[1]); err != nil {
				return usagef(k.help, "%s: %v", args[0], err)
			}
			t, path, err := a.configPath(global, k, wpath, gpath)
			if err != nil {
				return err
			}
			return a.writeConfig(t, path, args[1], false)
		},
	}
	unset := &cobra.Command{
		Use:     "unset KEY",
		Short:   "Remove a setting",
		Example: "  meta config unset --global color",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, wpath, gpath, err := lookupConfigKey(args[0])
			if err != nil {
				return err
			}
			t, path, err := a.configPath(global, k, wpath, gpath)
			if err != nil {
				return err
			}
			return a.writeConfig(t, path, "", true)
		},
	}
	var asJSON bool
	list := &cobra.Command{
		Use:     "list",
		Short:   "List every setting that is set, and where",
		Example: "  meta config list\n  meta config list --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			type entry struct {
				Key    string `json:"key"`
				Value  string `json:"value"`
				Source string `json:"source"`
				Active bool   `json:"active"`
			}
			var out []entry
			var userScope []bool // out[i] comes from the user's config
			seen := map[string]bool{}
			for _, scope := range a.configScopes(global) {
				data, err := readOrEmpty(scope.file)
				if err != nil {
					return err
				}
				flat, err := flattenConfig(scope, data)
				if err != nil {
					return err
				}
				keys := make([]string, 0, len(flat))
				for k := range flat {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					out = append(out, entry{k, flat[k], scope.file, !seen[k]})
					userScope = append(userScope, scope.global)
					seen[k] = true
				}
			}
			// A machine-local key set in the user config wins there.
			for i := range out {
				if machineLocal(out[i].Key) && userScope[i] {
					for j := range out {
						if out[j].Key == out[i].Key {
							out[j].Active = j == i
						}
					}
				}
			}
			if asJSON {
				if out == nil {
					out = []entry{}
				}
				return a.printJSON(out)
			}
			tw := tabwriter.NewWriter(a.out(), 0, 4, 2, ' ', 0)
			for _, e := range out {
				note := ""
				if !e.Active {
					note = " (overridden)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s%s\n", e.Key, e.Value, e.Source, note)
			}
			return tw.Flush()
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(get, set, unset, list)
	return cmd
}

// machineLocal keys describe the machine more than the team (how many
// jobs it can run): the user's setting wins over the manifest's.
func machineLocal(key string) bool { return key == "jobs" }

// scopesFor orders scopes for key: the user's config first for a
// machine-local key, else the workspace first.
func scopesFor(key string, scopes []configTarget) []configTarget {
	if !machineLocal(key) {
		return scopes
	}
	out := make([]configTarget, 0, len(scopes))
	for _, s := range scopes {
		if s.global {
			out = append(out, s)
		}
	}
	for _, s := range scopes {
		if !s.global {
			out = append(out, s)
		}
	}
	return out
}

// configScopes lists where to look, most specific first.
func (a *app) configScopes(global bool) []configTarget {
	var out []configTarget
	if !global {
		if t, err := a.configTarget(false); err == nil {
			out = append(out, t)
		}
	}
	if t, err := a.configTarget(true); err == nil {
		out = append(out, t)
	}
	return out
}

func (a *app) configPath(global bool, k configKey, wpath, gpath []string) (configTarget, []string, error) {
	path := wpath
	if global {
		path = gpath
	}
	if path == nil {
		where := "the workspace manifest"
		flag := "use --global"
		if global {
			where, flag = "your user config", "drop --global"
		}
		return configTarget{}, nil, usagef(flag, "%s cannot be set in %s", k.name, where)
	}
	t, err := a.configTarget(global)
	return t, path, err
}

// registriesFile: user-level registries live in the registry client's own file.
func registriesFile(t configTarget, path []string) (string, bool) {
	if !t.global || len(path) != 2 || path[0] != "registries" {
		return "", false
	}
	p, err := registry.DefaultPaths(os.Getenv)
	if err != nil {
		return "", false
	}
	return p.Registries, true
}

func (a *app) readConfig(t configTarget, path []string) (string, bool, error) {
	if f, ok := registriesFile(t, path); ok {
		regs, err := registry.LoadRegistries(f)
		if err != nil {
			return "", false, err
		}
		v, ok := regs[path[1]]
		return v, ok, nil
	}
	data, err := readOrEmpty(t.file)
	if err != nil || data == nil {
		return "", false, err
	}
	return manifest.GetScalar(t.file, data, path)
}

func (a *app) writeConfig(t configTarget, path []string, value string, unset bool) error {
	if !t.global {
		unlock, err := lockManifest(a.dirOf(t.file))
		if err != nil {
			return err
		}
		defer unlock()
	}
	if f, ok := registriesFile(t, path); ok {
		regs, err := registry.LoadRegistries(f)
		if err != nil {
			return err
		}
		if unset {
			delete(regs, path[1])
		} else {
			regs[path[1]] = value
		}
		return registry.SaveRegistries(f, regs)
	}
	data, err := readOrEmpty(t.file)
	if err != nil {
		return err
	}
	var out []byte
	if unset {
		var found bool
		out, found, err = manifest.UnsetScalar(t.file, data, path)
		if err == nil && !found {
			return nil
		}
	} else {
		out, err = manifest.SetScalar(t.file, data, path, value)
	}
	if err != nil {
		return err
	}
	// Never write a workspace manifest that no longer loads.
	if !t.global {
		if _, err := manifest.Parse(a.dirOf(t.file), manifest.ManifestPath, out); err != nil {
			return failf("the manifest was not changed", "the edit would make the manifest invalid: %v", err)
		}
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(t.file); err == nil {
		mode = st.Mode().Perm()
	}
	return writeFileAtomic(t.file, out, mode)
}

// dirOf returns the meta repository of a manifest file path.
func (a *app) dirOf(manifestFile string) string {
	return strings.TrimSuffix(manifestFile, "/"+manifest.ManifestPath)
}

// flattenConfig lists the known keys set in one file.
func flattenConfig(t configTarget, data []byte) (map[string]string, error) {
	out := map[string]string{}
	if t.global {
		if p, err := registry.DefaultPaths(os.Getenv); err == nil {
			if regs, err := registry.LoadRegistries(p.Registries); err == nil {
				for k, v := range regs {
					out["registries."+k] = v
				}
			}
		}
	}
	if data == nil {
		return out, nil
	}
	root, err := yamlpos.Parse(t.file, data)
	if err != nil || root.Kind != yamlpos.Map {
		return out, err
	}
	for _, k := range configKeys {
		path := k.workspace
		if t.global {
			path = k.global
		}
		if path == nil {
			continue
		}
		if strings.HasSuffix(k.name, "*") {
			parent := root
			for _, p := range path[:len(path)-1] {
				parent = parent.Get(p)
			}
			if parent == nil || parent.Kind != yamlpos.Map {
				continue
			}
			for i, key := range parent.Keys {
				v := parent.Values[i]
				if v.Kind == yamlpos.Map && v.Get("url") != nil {
					v = v.Get("url")
				}
				if v.Kind == yamlpos.Scalar {
					out[strings.TrimSuffix(k.name, "*")+key.Value] = v.Value
				}
			}
			continue
		}
		n := root
		for _, p := range path {
			n = n.Get(p)
		}
		if n != nil && n.Kind == yamlpos.Scalar {
			out[k.name] = n.Value
		}
	}
	return out, nil
}
