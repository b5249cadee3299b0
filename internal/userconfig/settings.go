package userconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/yamlpos"
)

// Key is one setting 'meta config' knows: where it lives in the workspace
// manifest and in the user's file (nil: it cannot be set there), and how
// its value is checked.
type Key struct {
	Name      string // "jobs", "cache.remote", "registries.*", "tools.sources.*"
	Workspace []string
	Global    []string
	Check     func(string) error
	Help      string
}

// Keys are the settings 'meta config' reads and writes.
var Keys = []Key{
	{Name: "jobs", Workspace: []string{"workspace", "jobs"}, Global: []string{"jobs"}, Check: checkJobs, Help: "default parallelism of git, setup and build"},
	{Name: "cache.remote", Workspace: []string{"cache", "remote"}, Global: []string{"cache", "remote"}, Check: checkRemote, Help: "remote build cache: s3://bucket/prefix?endpoint=...&region=..., http(s)://host/path or grpc(s)://host:port/instance"},
	{Name: "cache.max_age", Workspace: []string{"cache", "max_age"}, Global: []string{"cache", "max_age"}, Check: func(s string) error { _, err := manifest.ParseAge(s); return err }, Help: "age after which gc drops cache records (e.g. 30d)"},
	{Name: "cache.max_size", Workspace: []string{"cache", "max_size"}, Global: []string{"cache", "max_size"}, Check: func(s string) error { _, err := manifest.ParseSize(s); return err }, Help: "size above which gc drops the oldest cache records (e.g. 50GB)"},
	{Name: "registries.*", Workspace: []string{"registries", "*"}, Global: []string{"registries", "*"}, Check: registry.CheckURL, Help: "base URL of a component registry"},
	{Name: "tools.sources.*", Global: []string{"tools", "sources", "*"}, Check: checkHTTP, Help: "upstream version list of go, node, python or github"},
	{Name: "color", Global: []string{"color"}, Check: checkColor, Help: "auto, always or never"},
	{Name: "workspace.name", Workspace: []string{"workspace", "name"}, Check: manifest.CheckName, Help: "the workspace's name"},
}

// ToolSourceNames are the NAMEs of tools.sources.NAME.
var ToolSourceNames = []string{"go", "node", "python", "github"}

func checkJobs(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1024 {
		return fmt.Errorf("%q is not a whole number from 1 to 1024", s)
	}
	return nil
}

func checkRemote(s string) error {
	for _, p := range []string{"s3://", "http://", "https://", "grpc://", "grpcs://", "file://", "/"} {
		if strings.HasPrefix(s, p) {
			return nil
		}
	}
	return fmt.Errorf("%q is not an s3://, http(s)://, grpc(s)://, file:// URL or an absolute path", s)
}

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

// KeyError is a config key meta does not know, or a bad NAME in one.
type KeyError struct {
	Msg  string
	Hint string
}

func (e *KeyError) Error() string { return e.Msg }

// Setting is a Key resolved for one user key: its paths in the workspace
// manifest and in the user's file, with the NAME of a wildcard filled in.
type Setting struct {
	Key
	WorkspacePath, GlobalPath []string
}

// Lookup resolves a user's key ("jobs", "registries.default") to its
// definition and paths; a *KeyError when it is not one meta knows.
func Lookup(key string) (Setting, error) {
	for _, k := range Keys {
		prefix, wild := strings.CutSuffix(k.Name, "*")
		switch {
		case !wild && key == k.Name:
			return Setting{k, k.Workspace, k.Global}, nil
		case wild && strings.HasPrefix(key, prefix) && len(key) > len(prefix):
			sub := key[len(prefix):]
			if err := manifest.CheckName(sub); err != nil || strings.Contains(sub, ".") {
				return Setting{Key: k}, &KeyError{Msg: fmt.Sprintf("config key %q: %q is not a valid name", key, sub)}
			}
			if k.Name == "tools.sources.*" && !slices.Contains(ToolSourceNames, sub) {
				return Setting{Key: k}, &KeyError{Msg: fmt.Sprintf("config key %q: unknown tool source %q", key, sub), Hint: "tool sources are: " + strings.Join(ToolSourceNames, ", ")}
			}
			return Setting{k, withSub(k.Workspace, sub), withSub(k.Global, sub)}, nil
		}
	}
	names := make([]string, len(Keys))
	for i, k := range Keys {
		names[i] = k.Name
	}
	hint := "known keys: " + strings.Join(names, ", ")
	if s := yamlpos.Suggest(key, names); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	return Setting{}, &KeyError{Msg: fmt.Sprintf("unknown config key %q", key), Hint: hint}
}

func withSub(path []string, sub string) []string {
	if path == nil {
		return nil
	}
	out := slices.Clone(path)
	out[len(out)-1] = sub
	return out
}

// Scope is one file settings are read from or written to: the workspace
// manifest, or (Global) the user's config file, whose registries.NAME live
// in the registry client's own file, Registries.
type Scope struct {
	File       string
	Global     bool
	Registries string
}

// GlobalScope is the user's scope for a getenv function; ok is false when
// there is no user config directory (neither XDG_CONFIG_HOME nor HOME).
func GlobalScope(getenv func(string) string) (Scope, bool) {
	p := Path(getenv)
	if p == "" {
		return Scope{}, false
	}
	s := Scope{File: p, Global: true}
	if rp, err := registry.DefaultPaths(getenv); err == nil {
		s.Registries = rp.Registries
	}
	return s, true
}

// WorkspaceScope is the scope of the manifest of the meta repository root.
func WorkspaceScope(root string) Scope {
	return Scope{File: root + "/" + manifest.ManifestPath}
}

// Scopes lists where settings are looked up, most specific first: the
// manifest of the meta repository root (unless global is set or root is
// "") and the user's file.
func Scopes(root string, global bool, getenv func(string) string) []Scope {
	var out []Scope
	if !global && root != "" {
		out = append(out, WorkspaceScope(root))
	}
	if sc, ok := GlobalScope(getenv); ok {
		out = append(out, sc)
	}
	return out
}

// PathIn is where s lives in the user's file (global) or the workspace
// manifest; a *KeyError when it cannot be set there.
func (s Setting) PathIn(global bool) ([]string, error) {
	if p := s.Path(Scope{Global: global}); p != nil {
		return p, nil
	}
	if global {
		return nil, &KeyError{Msg: s.Name + " cannot be set in your user config", Hint: "drop --global"}
	}
	return nil, &KeyError{Msg: s.Name + " cannot be set in the workspace manifest", Hint: "use --global"}
}

// Root is the meta repository of a workspace scope.
func (s Scope) Root() string { return strings.TrimSuffix(s.File, "/"+manifest.ManifestPath) }

// MachineLocal reports whether key describes the machine more than the
// team (how many jobs it can run): the user's setting wins over the
// manifest's.
func MachineLocal(key string) bool { return key == "jobs" }

// Order orders scopes (most specific first) for key: the user's first for
// a machine-local key, else as given.
func Order(key string, scopes []Scope) []Scope {
	if !MachineLocal(key) {
		return scopes
	}
	out := make([]Scope, 0, len(scopes))
	for _, s := range scopes {
		if s.Global {
			out = append(out, s)
		}
	}
	for _, s := range scopes {
		if !s.Global {
			out = append(out, s)
		}
	}
	return out
}

// Path is where s lives in scope sc (nil: it cannot be set there).
func (s Setting) Path(sc Scope) []string {
	if sc.Global {
		return s.GlobalPath
	}
	return s.WorkspacePath
}

func (sc Scope) registriesName(path []string) (string, bool) {
	if !sc.Global || sc.Registries == "" || len(path) != 2 || path[0] != "registries" {
		return "", false
	}
	return path[1], true
}

func readOrEmpty(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// Get returns the value of s in the first of scopes that sets it.
func Get(s Setting, scopes []Scope) (string, bool, error) {
	for _, sc := range Order(s.Name, scopes) {
		path := s.Path(sc)
		if path == nil {
			continue
		}
		v, ok, err := read(sc, path)
		if err != nil || ok {
			return v, ok, err
		}
	}
	return "", false, nil
}

func read(sc Scope, path []string) (string, bool, error) {
	if name, ok := sc.registriesName(path); ok {
		regs, err := registry.LoadRegistries(sc.Registries)
		if err != nil {
			return "", false, err
		}
		v, ok := regs[name]
		return v, ok, nil
	}
	data, err := readOrEmpty(sc.File)
	if err != nil || data == nil {
		return "", false, err
	}
	return manifest.GetScalar(sc.File, data, path)
}

// InvalidEditError is an edit that would leave the workspace manifest
// unable to load; the file is left as it was.
type InvalidEditError struct{ Err error }

func (e *InvalidEditError) Error() string {
	return fmt.Sprintf("the edit would make the manifest invalid: %v", e.Err)
}
func (e *InvalidEditError) Unwrap() error { return e.Err }

// Set writes value at path in scope sc, keeping the file's comments and
// layout; with unset it removes the setting instead (a missing one is no
// change). A workspace manifest that would no longer load is not written
// (*InvalidEditError). Callers serialise edits of a workspace manifest.
func Set(sc Scope, path []string, value string, unset bool) error {
	if name, ok := sc.registriesName(path); ok {
		regs, err := registry.LoadRegistries(sc.Registries)
		if err != nil {
			return err
		}
		if unset {
			delete(regs, name)
		} else {
			regs[name] = value
		}
		return registry.SaveRegistries(sc.Registries, regs)
	}
	data, err := readOrEmpty(sc.File)
	if err != nil {
		return err
	}
	var out []byte
	if unset {
		var found bool
		out, found, err = manifest.UnsetScalar(sc.File, data, path)
		if err == nil && !found {
			return nil
		}
	} else {
		out, err = manifest.SetScalar(sc.File, data, path, value)
	}
	if err != nil {
		return err
	}
	if !sc.Global {
		if _, err := manifest.Parse(sc.Root(), manifest.ManifestPath, out); err != nil {
			return &InvalidEditError{err}
		}
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(sc.File); err == nil {
		mode = st.Mode().Perm()
	}
	return atomicfile.Write(sc.File, out, mode)
}

// Entry is one setting found by List.
type Entry struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
	Active bool   `json:"active"` // false: another scope's value wins
}

// List returns every known setting set in scopes (most specific first),
// each scope's keys sorted, marking which value is in effect.
func List(scopes []Scope) ([]Entry, error) {
	out := []Entry{}
	var global []bool // out[i] comes from the user's config
	seen := map[string]bool{}
	for _, sc := range scopes {
		flat, err := flatten(sc)
		if err != nil {
			return nil, err
		}
		keys := make([]string, 0, len(flat))
		for k := range flat {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, Entry{k, flat[k], sc.File, !seen[k]})
			global = append(global, sc.Global)
			seen[k] = true
		}
	}
	for i := range out {
		if MachineLocal(out[i].Key) && global[i] {
			for j := range out {
				if out[j].Key == out[i].Key {
					out[j].Active = j == i
				}
			}
		}
	}
	return out, nil
}

// flatten lists the known keys set in one scope.
func flatten(sc Scope) (map[string]string, error) {
	out := map[string]string{}
	if sc.Global && sc.Registries != "" {
		if regs, err := registry.LoadRegistries(sc.Registries); err == nil {
			for k, v := range regs {
				out["registries."+k] = v
			}
		}
	}
	data, err := readOrEmpty(sc.File)
	if err != nil || data == nil {
		return out, err
	}
	root, err := yamlpos.Parse(sc.File, data)
	if err != nil || root.Kind != yamlpos.Map {
		return out, err
	}
	for _, k := range Keys {
		path := k.Workspace
		if sc.Global {
			path = k.Global
		}
		if path == nil {
			continue
		}
		if strings.HasSuffix(k.Name, "*") {
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
					out[strings.TrimSuffix(k.Name, "*")+key.Value] = v.Value
				}
			}
			continue
		}
		n := root
		for _, p := range path {
			n = n.Get(p)
		}
		if n != nil && n.Kind == yamlpos.Scalar {
			out[k.Name] = n.Value
		}
	}
	return out, nil
}
