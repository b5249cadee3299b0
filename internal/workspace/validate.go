package workspace

import (
	"context"
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/run"
)

// Problem is one thing validate found wrong.
type Problem struct {
	Component string `json:"component,omitempty"`
	Message   string `json:"message"`
	Hint      string `json:"hint,omitempty"`
}

// Validate checks every component is present and on its expected remote,
// that component.yaml files parse and their dependencies exist, and that
// required tools are on PATH (by name).
func Validate(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, jobs int) []Problem {
	var probs []Problem
	for _, s := range Status(ctx, m, comps, jobs, false, nil) {
		switch s.State {
		case StateMissing:
			probs = append(probs, Problem{s.Name, "not cloned at " + s.Path, "run 'meta bootstrap " + s.Name + "'"})
		case StateNotGit:
			probs = append(probs, Problem{s.Name, s.Path + " exists but is not a git repository", "move it away and run 'meta bootstrap " + s.Name + "'"})
		case StateWrongRemote:
			probs = append(probs, Problem{s.Name, fmt.Sprintf("origin is %s, the manifest says %s", s.Remote, s.WantRemote), "fix 'repo' in the manifest or the clone's origin (git remote set-url origin ...)"})
		case StateError:
			probs = append(probs, Problem{s.Name, s.Error, ""})
		}
	}
	specs := map[string]*Spec{}
	for _, c := range comps {
		s, err := ReadSpec(c)
		if err != nil {
			probs = append(probs, Problem{c.Name, err.Error(), "fix " + manifest.ComponentFileName + " in " + c.Name})
			continue
		}
		specs[c.Name] = s
	}
	names := make([]string, 0, len(specs))
	for _, c := range comps {
		if specs[c.Name] != nil {
			names = append(names, c.Name)
		}
	}
	if g, err := DepGraph(m, specs, names); err != nil {
		probs = append(probs, Problem{"", err.Error(), "add the component to the manifest or remove the dependency"})
	} else if _, err := g.Order(); err != nil {
		probs = append(probs, Problem{"", err.Error(), "break the cycle by removing one of its dependencies"})
	}
	seen := map[string]bool{}
	check := func(comp string, spec manifest.Item) {
		bin := ToolBinary(spec.Value)
		if bin == "" || seen[comp+"\x00"+bin] {
			return
		}
		seen[comp+"\x00"+bin] = true
		if _, ok := run.LookPath(bin); !ok {
			where := spec.Pos.String()
			probs = append(probs, Problem{comp, fmt.Sprintf("tool %s (%s) not found on PATH (required at %s)", spec.Value, bin, where), "install it, or run 'meta tools install'"})
		}
	}
	for _, t := range m.Tools {
		check("", t)
	}
	for _, n := range names {
		for _, t := range specs[n].Tools {
			check(n, t)
		}
	}
	return probs
}

// ToolBinary maps a tool spec to the program that shows it is installed:
// "go@1.22" → "go", "python@3.11" → "python3", "npm:eslint" → "npm",
// "uv:ruff" → "uv", "cargo:ripgrep" → "cargo".
func ToolBinary(spec string) string {
	if mgr, _, ok := strings.Cut(spec, ":"); ok {
		switch mgr {
		case "pip":
			return "pip3"
		case "go":
			return "go"
		}
		return mgr
	}
	name, _, _ := strings.Cut(spec, "@")
	switch name {
	case "python":
		return "python3"
	case "rust":
		return "cargo"
	case "node":
		return "node"
	}
	return name
}
