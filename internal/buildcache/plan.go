package buildcache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/lockfile"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

// Unit is one component as the build cache sees it: where it is, how it
// is built and what its key depends on.
type Unit struct {
	Name    string
	Dir     string // absolute working tree
	Version string // resolved version from the lock file, when it matches HEAD
	Command string // "" when the component has nothing to build
	Target  string
	Outputs []string // relative to Dir
	Inputs  []string // build.inputs patterns; empty: every tracked file
	Env     []string // names of declared environment variables
	Tools   []string // tool specs: the workspace's and the component's
	Deps    []string // names of the components it depends on
}

// Plan is the set of units of one build, closed under dependencies.
type Plan struct {
	Units map[string]*Unit
	Graph workspace.Graph
	tools map[string]lockfile.Tool // resolved tools from the lock file
}

// NewPlan reads the named components (every component when names is
// empty) and everything they depend on, transitively: a component's key
// needs its dependencies' keys.
func NewPlan(m *manifest.Manifest, names []string) (*Plan, error) {
	if len(names) == 0 {
		names = slices.Clone(m.Order)
	}
	p := &Plan{Units: map[string]*Unit{}, Graph: workspace.Graph{Deps: map[string][]string{}}}
	var lock *lockfile.File
	if f, err := lockfile.Load(m.Dir, ""); err == nil {
		lock = f
		p.tools = f.Tools
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var wsTools []string
	for _, t := range m.Tools {
		wsTools = append(wsTools, t.Value)
	}
	queue := slices.Clone(names)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if p.Units[name] != nil {
			continue
		}
		c := m.Components[name]
		if c == nil {
			return nil, fmt.Errorf("no component named %q in %s", name, manifest.ManifestPath)
		}
		spec, err := workspace.ReadSpec(c)
		if err != nil {
			return nil, err
		}
		u := &Unit{Name: name, Dir: c.Path, Target: c.BuildTarget, Tools: slices.Clone(wsTools)}
		for _, t := range spec.Tools {
			u.Tools = append(u.Tools, t.Value)
		}
		if b := spec.Build; b != nil {
			u.Command, u.Outputs, u.Inputs, u.Env = b.Command, b.Outputs, b.Inputs, b.Env
		}
		for _, o := range u.Outputs {
			if !filepath.IsLocal(filepath.FromSlash(o)) {
				return nil, fmt.Errorf("component %s: build output %q must be a path inside the component", name, o)
			}
		}
		for _, d := range spec.DependsOn {
			if m.Components[d.Name] == nil {
				return nil, fmt.Errorf("%s: %s depends on %q, which is not a component of this workspace", d.Pos, name, d.Name)
			}
			u.Deps = append(u.Deps, d.Name)
			queue = append(queue, d.Name)
		}
		if lock != nil {
			if lc := lock.Components[name]; lc != nil && lc.Version != "" {
				if head, err := git.ReadHead(u.Dir); err == nil && lockfile.SameCommit(lc.Commit, head.Commit) {
					u.Version = lc.Version
				}
			}
		}
		p.Units[name] = u
	}
	for _, n := range m.Order {
		if u := p.Units[n]; u != nil {
			p.Graph.Nodes = append(p.Graph.Nodes, n)
			p.Graph.Deps[n] = u.Deps
		}
	}
	if _, err := p.Graph.Order(); err != nil {
		return nil, err
	}
	return p, nil
}

// toolVersions maps each requested tool spec to the version the lock file
// resolved it to ("" when unknown).
func (p *Plan) toolVersions(specs []string) map[string]string {
	out := map[string]string{}
	for _, s := range specs {
		name, req, _ := strings.Cut(s, "@")
		v := ""
		if t, ok := p.tools[name]; ok && (req == "" || t.Requested == req) {
			v = t.Version
		}
		out[s] = v
	}
	return out
}

// documents computes the key document of every unit: input files are
// hashed in parallel (jobs at a time, through the stat cache), then the
// documents are put together in dependency order so each can name its
// dependencies' keys. The stat caches are saved as a side effect.
func (c *Cache) documents(ctx context.Context, p *Plan, jobs int, getenv func(string) string) (map[string]*Document, map[string]*statFile, map[string]error) {
	if jobs < 1 {
		jobs = runtime.NumCPU()
	}
	type dg struct {
		d   digest
		sf  *statFile
		err error
	}
	names := p.Graph.Nodes
	digests := make([]dg, len(names))
	var g errgroup.Group
	g.SetLimit(jobs)
	for i, n := range names {
		u := p.Units[n]
		g.Go(func() error {
			if _, err := os.Stat(u.Dir); err != nil {
				digests[i].err = fmt.Errorf("not cloned at %s (run 'meta bootstrap %s')", u.Dir, u.Name)
				return nil
			}
			d, sf, err := digestInputs(ctx, c.dir, u.Dir, u.Inputs, u.Outputs)
			digests[i] = dg{d, sf, err}
			if err == nil {
				c.hashed.Add(int64(d.Hashed))
				if d.Hashed > 0 || d.listed {
					if err := saveStatFile(c.dir, sf); err != nil {
						c.warnf(fmt.Sprintf("%s: stat cache: %v", u.Name, err))
					}
				}
			}
			return nil
		})
	}
	g.Wait()
	docs := map[string]*Document{}
	keys := map[string]string{}
	stats := map[string]*statFile{}
	errs := map[string]error{}
	byName := map[string]dg{}
	for i, n := range names {
		byName[n] = digests[i]
	}
	order, _ := p.Graph.Order()
	for _, n := range order {
		u := p.Units[n]
		dgn := byName[n]
		if dgn.err != nil {
			errs[n] = dgn.err
			continue
		}
		doc := &Document{
			Schema:    Schema,
			Component: n,
			Version:   u.Version,
			Platform:  runtime.GOOS + "/" + runtime.GOARCH,
			Command:   u.Command,
			Target:    u.Target,
			Outputs:   sortedCopy(u.Outputs),
			Tools:     p.toolVersions(u.Tools),
			Env:       map[string]string{},
			Deps:      map[string]string{},
			Inputs:    dgn.d.Inputs,
		}
		if head, err := git.ReadHead(u.Dir); err == nil {
			doc.Commit = head.Commit
		}
		for _, e := range u.Env {
			doc.Env[e] = getenv(e)
		}
		for _, d := range u.Deps {
			k, ok := keys[d]
			if !ok {
				errs[n] = fmt.Errorf("its dependency %s has no key: %w", d, errs[d])
				break
			}
			doc.Deps[d] = k
		}
		if errs[n] != nil {
			continue
		}
		docs[n] = doc
		keys[n] = doc.Key()
		stats[n] = dgn.sf
	}
	return docs, stats, errs
}
