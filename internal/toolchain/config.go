package toolchain

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// Sources are the base URLs of the upstream version lists. Each can be set
// in the user config (`tools: {sources: {go: URL, ...}}` in
// $XDG_CONFIG_HOME/meta/config.yaml) and overridden by an environment
// variable, so a company mirror or a test server can stand in.
type Sources struct {
	Go     string // directory of go.dev/dl: the list is Go + "?mode=json&include=all", files are Go + NAME
	Node   string // nodejs.org/dist: the list is Node + "index.json"
	Python string // URL of a python-build-standalone catalogue (uv's download-metadata.json)
	GitHub string // GitHub API base: releases are GitHub + "/repos/OWNER/NAME/releases"
}

// DefaultSources are the public upstreams.
func DefaultSources() Sources {
	return Sources{
		Go:     "https://go.dev/dl/",
		Node:   "https://nodejs.org/dist/",
		Python: "https://raw.githubusercontent.com/astral-sh/uv/main/crates/uv-python/download-metadata.json",
		GitHub: "https://api.github.com",
	}
}

// SourceEnv maps each source to its environment variable.
var SourceEnv = map[string]string{
	SourceGo:     "META_SOURCE_GO",
	SourceNode:   "META_SOURCE_NODE",
	SourcePython: "META_SOURCE_PYTHON",
	SourceGitHub: "META_SOURCE_GITHUB",
}

func (s *Sources) field(name string) *string {
	switch name {
	case SourceGo:
		return &s.Go
	case SourceNode:
		return &s.Node
	case SourcePython:
		return &s.Python
	case SourceGitHub:
		return &s.GitHub
	}
	return nil
}

// UserConfigPath is meta's user config file for a getenv function.
func UserConfigPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "meta", "config.yaml")
}

// LoadSources returns the sources: defaults, then the user config's
// tools.sources, then META_SOURCE_* variables.
func LoadSources(getenv func(string) string) (Sources, error) {
	return LoadSourcesWith(getenv, nil)
}

// LoadSourcesWith is LoadSources with a workspace's own settings (the
// manifest's tools.sources, name → URL) applied between the defaults and
// the user config: a team's mirror for everyone, a user's own override, and
// META_SOURCE_* above both.
func LoadSourcesWith(getenv func(string) string, workspace map[string]string) (Sources, error) {
	s := DefaultSources()
	for name, v := range workspace {
		f := s.field(name)
		if f == nil {
			return s, fmt.Errorf("unknown tool source %q (expected go, node, python or github)", name)
		}
		if err := checkSourceURL(v); err != nil {
			return s, fmt.Errorf("tools.sources.%s: %v", name, err)
		}
		*f = v
	}
	if p := UserConfigPath(getenv); p != "" {
		data, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return s, fmt.Errorf("reading user config: %w", err)
		default:
			if err := applyConfigSources(p, data, &s); err != nil {
				return s, err
			}
		}
	}
	for name, env := range SourceEnv {
		if v := getenv(env); v != "" {
			if err := checkSourceURL(v); err != nil {
				return s, fmt.Errorf("%s=%s: %v", env, v, err)
			}
			*s.field(name) = v
		}
	}
	return s, nil
}

// applyConfigSources reads tools.sources from a user config document.
func applyConfigSources(file string, data []byte, s *Sources) error {
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return err
	}
	if root.Kind == yamlpos.Null {
		return nil
	}
	if root.Kind != yamlpos.Map {
		return yamlpos.Errorf(file, root, "the config must be a mapping, not %s", root.Kind)
	}
	tools := root.Get("tools")
	if tools == nil {
		return nil
	}
	if tools.Kind != yamlpos.Map {
		return yamlpos.Errorf(file, tools, "tools must be a mapping, not %s", tools.Kind)
	}
	src := tools.Get("sources")
	if src == nil {
		return nil
	}
	if src.Kind != yamlpos.Map {
		return yamlpos.Errorf(file, src, "tools.sources must map go, node, python, github to URLs")
	}
	names := []string{SourceGo, SourceNode, SourcePython, SourceGitHub}
	for i, k := range src.Keys {
		f := s.field(k.Value)
		if f == nil {
			e := yamlpos.Errorf(file, k, "unknown tool source %q (expected go, node, python or github)", k.Value)
			if sug := yamlSuggest(k.Value, names); sug != "" {
				e.WithHint("did you mean %q?", sug)
			}
			return e
		}
		v := src.Values[i]
		if v.Kind != yamlpos.Scalar {
			return yamlpos.Errorf(file, v, "tools.sources.%s must be a URL", k.Value)
		}
		if err := checkSourceURL(v.Value); err != nil {
			return yamlpos.Errorf(file, v, "tools.sources.%s: %v", k.Value, err)
		}
		*f = v.Value
	}
	return nil
}

func checkSourceURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("expected an http or https URL")
	}
	return nil
}

func (s Sources) nodeList() string { return dirURL(s.Node) + "index.json" }
func (s Sources) githubList(repo string) string {
	return strings.TrimSuffix(s.GitHub, "/") + "/repos/" + repo + "/releases?per_page=100"
}

func dirURL(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}
