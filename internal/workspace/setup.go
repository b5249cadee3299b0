package workspace

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/run"
)

// Spec is what a component declares in the manifest combined with its own
// component.yaml in the working tree (when present): dependencies, setup
// commands, tools and build.
type Spec struct {
	Component *manifest.Component
	DependsOn []manifest.Dep
	Setup     []string
	Tools     []manifest.Item
	Build     *manifest.Build
	File      *manifest.ComponentFile // nil when the working tree has none
}

// ReadSpec combines c's manifest entry with the component.yaml in its
// working tree. The manifest's depends_on is added to the file's; the
// manifest's setup and build win over the file's.
func ReadSpec(c *manifest.Component) (*Spec, error) {
	s := &Spec{Component: c, DependsOn: c.DependsOn, Setup: c.Setup, Tools: c.Tools, Build: c.Build}
	file := filepath.Join(c.Path, manifest.ComponentFileName)
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	cf, err := manifest.ParseComponentFile(filepath.Join(filepath.Base(c.Path), manifest.ComponentFileName), data)
	if err != nil {
		return nil, err
	}
	s.File = cf
	seen := map[string]bool{}
	for _, d := range s.DependsOn {
		seen[d.Name] = true
	}
	for _, d := range cf.DependsOn {
		if !seen[d.Name] {
			s.DependsOn = append(s.DependsOn, d)
			seen[d.Name] = true
		}
	}
	if len(s.Setup) == 0 {
		s.Setup = cf.Setup
	}
	if s.Build == nil {
		s.Build = cf.Build
	}
	s.Tools = append(append([]manifest.Item(nil), s.Tools...), cf.Tools...)
	return s, nil
}

// Specs reads the spec of every component in comps.
func Specs(comps []*manifest.Component) (map[string]*Spec, error) {
	out := map[string]*Spec{}
	for _, c := range comps {
		s, err := ReadSpec(c)
		if err != nil {
			return nil, err
		}
		out[c.Name] = s
	}
	return out, nil
}

// DepGraph is the dependency graph of specs, limited to components in the
// workspace (a dependency on an unknown component is an error).
func DepGraph(m *manifest.Manifest, specs map[string]*Spec, names []string) (Graph, error) {
	g := Graph{Nodes: names, Deps: map[string][]string{}}
	for _, n := range names {
		for _, d := range specs[n].DependsOn {
			if _, ok := m.Components[d.Name]; !ok {
				return g, fmt.Errorf("%s: %s depends on %q, which is not a component of this workspace", d.Pos, n, d.Name)
			}
			g.Deps[n] = append(g.Deps[n], d.Name)
		}
	}
	return g, nil
}

// SetupResult is the outcome of one component's setup.
type SetupResult struct {
	Name      string
	Output    []byte
	Ran       int // commands run
	Err       error
	SkippedBy string
}

// Setup runs every component's setup commands in dependency order,
// independent components in parallel; a failure skips the components that
// depend on it. Components without setup commands succeed at once.
//
// sink receives a Started event as each component's setup begins and a
// Finished event with its SetupResult as each ends or is skipped.
func Setup(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component, jobs int, sink progress.Sink) ([]SetupResult, error) {
	specs, err := Specs(comps)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	g, err := DepGraph(m, specs, names)
	if err != nil {
		return nil, err
	}
	outputs := map[string]*SetupResult{}
	for _, n := range names {
		outputs[n] = &SetupResult{Name: n}
	}
	res, err := Schedule(ctx, g, jobs, func(ctx context.Context, name string) error {
		r := outputs[name]
		progress.Start(sink, name, "setting up")
		err := setupOne(ctx, specs[name], r)
		rr := *r
		rr.Err = err
		progress.Finish(sink, name, rr, err)
		return err
	})
	if res == nil {
		return nil, err
	}
	out := make([]SetupResult, len(res))
	for i, tr := range res {
		r := outputs[tr.Name]
		r.Err, r.SkippedBy = tr.Err, tr.SkippedBy
		if r.SkippedBy != "" {
			progress.Finish(sink, r.Name, *r, nil)
		}
		out[i] = *r
	}
	return out, err
}

func setupOne(ctx context.Context, s *Spec, r *SetupResult) error {
	if _, err := os.Stat(s.Component.Path); err != nil {
		return fmt.Errorf("not cloned; run 'meta bootstrap %s'", s.Component.Name)
	}
	var buf lockedBuffer
	defer func() { r.Output = buf.Bytes() }()
	for _, cmd := range s.Setup {
		fmt.Fprintf(&buf, "$ %s\n", cmd)
		r.Ran++
		err := run.Run(ctx, run.Cmd{Args: []string{"sh", "-c", cmd}, Dir: s.Component.Path, Stdout: &buf, Stderr: &buf})
		if err != nil {
			var re *run.Error
			if errors.As(err, &re) && re.ExitCode > 0 {
				return fmt.Errorf("%q exited with status %d", cmd, re.ExitCode)
			}
			return err
		}
	}
	return nil
}
