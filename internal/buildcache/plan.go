package buildcache

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/workspace"
)

// Unit is one component as the build cache sees it: where it is, how it
// is built and what its key depends on.
type Unit struct {
	Name    string
	Dir     string // absolute working tree
	Subdir  string // the component's directory inside its repository ("" for the root)
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
	dir   string // the meta repository, where tool versions are probed
}

// NewPlan reads the named components (every component when names is
// empty) and everything they depend on, transitively: a component's key
// needs its dependencies' keys.
func NewPlan(m *manifest.Manifest, names []string) (*Plan, error) {
	if len(names) == 0 {
		names = slices.Clone(m.Order)
	}
	p := &Plan{Units: map[string]*Unit{}, Graph: workspace.Graph{Deps: map[string][]string{}}, dir: m.Dir}
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
		if c.Subdir != "" {
			// A package of a repository other components share: it is
			// built, keyed and cached in its own directory, and its
			// component.yaml (if any) is the one there.
			sub := *c
			sub.Path = filepath.Join(c.Path, filepath.FromSlash(c.Subdir))
			c = &sub
		}
		spec, err := workspace.ReadSpec(c)
		if err != nil {
			return nil, err
		}
		u := &Unit{Name: name, Dir: c.Path, Subdir: c.Subdir, Target: c.BuildTarget, Tools: slices.Clone(wsTools)}
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

// digested is the hashed inputs of one unit.
type digested struct {
	d   digest
	sf  *statFile
	err error
}

// digestAll hashes the input files of every unit in parallel, jobs at a
// time, through the stat cache (saved as a side effect).
func (c *Cache) digestAll(ctx context.Context, p *Plan, jobs int) map[string]digested {
	if jobs < 1 {
		jobs = runtime.NumCPU()
	}
	names := p.Graph.Nodes
	digests := make([]digested, len(names))
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
			digests[i] = digested{d, sf, err}
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
	out := make(map[string]digested, len(names))
	for i, n := range names {
		out[n] = digests[i]
	}
	return out
}

// depOutput is what a dependent's key needs of a dependency.
type depOutput struct {
	Key    string
	Output string // store hash of its outputs; its key when it has no build; "" when unknown
}

// unbuiltPrefix marks, in a key document computed without building, a
// dependency whose outputs for its current key are not known yet: the
// dependent's real key is known only after that dependency builds.
const unbuiltPrefix = "unbuilt:"

// document puts together the key document of u from its hashed inputs,
// the environment and its dependencies' outputs, and returns the
// environment its build command runs with.
func (c *Cache) document(ctx context.Context, u *Unit, dg digested, env *buildEnv, deps map[string]depOutput) (*Document, []string, error) {
	if dg.err != nil {
		return nil, nil, dg.err
	}
	doc := &Document{
		Schema:    Schema,
		Component: u.Name,
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Command:   u.Command,
		Target:    u.Target,
		Subdir:    u.Subdir,
		Outputs:   sortedCopy(u.Outputs),
		Env:       map[string]string{},
		Deps:      map[string]string{},
		DepKeys:   map[string]string{},
		Inputs:    dg.d.Inputs,
	}
	cmdEnv := env.forUnit(u, doc)
	doc.Tools = env.toolVersions(ctx, u.Tools, cmdEnv)
	for _, d := range u.Deps {
		o, ok := deps[d]
		if !ok || o.Key == "" {
			return nil, nil, fmt.Errorf("its dependency %s has no key", d)
		}
		out := o.Output
		if out == "" {
			out = unbuiltPrefix + o.Key
		}
		doc.Deps[d], doc.DepKeys[d] = out, o.Key
	}
	return doc, cmdEnv, nil
}

// Provisional lists the dependencies whose outputs were not known when doc
// was computed without building: its key is not final until they build.
func (d *Document) Provisional() []string {
	var out []string
	for _, n := range slices.Sorted(maps.Keys(d.Deps)) {
		if strings.HasPrefix(d.Deps[n], unbuiltPrefix) {
			out = append(out, n)
		}
	}
	return out
}

// documents computes the key document of every unit without building:
// a dependency's outputs are those its local record (or, with lookRemote,
// the remote's record) has for its current key; unknown outputs leave the
// dependents' keys provisional (see Provisional).
func (c *Cache) documents(ctx context.Context, p *Plan, jobs int, getenv func(string) string) (map[string]*Document, map[string]*statFile, map[string]error) {
	return c.documentsEnv(ctx, p, jobs, c.newEnv(p, nil, getenv), false)
}

func (c *Cache) documentsEnv(ctx context.Context, p *Plan, jobs int, env *buildEnv, lookRemote bool) (map[string]*Document, map[string]*statFile, map[string]error) {
	dgs := c.digestAll(ctx, p, jobs)
	docs := map[string]*Document{}
	stats := map[string]*statFile{}
	errs := map[string]error{}
	outs := map[string]depOutput{}
	order, _ := p.Graph.Order()
	for _, n := range order {
		u := p.Units[n]
		for _, d := range u.Deps {
			if errs[d] != nil {
				errs[n] = fmt.Errorf("its dependency %s has no key: %w", d, errs[d])
				break
			}
		}
		if errs[n] != nil {
			continue
		}
		doc, _, err := c.document(ctx, u, dgs[n], env, outs)
		if err != nil {
			errs[n] = err
			continue
		}
		docs[n], stats[n] = doc, dgs[n].sf
		key := doc.Key()
		o := depOutput{Key: key}
		switch {
		case u.Command == "":
			o.Output = key
		case len(doc.Provisional()) > 0:
		default:
			if rec, err := c.Lookup(key); err == nil && rec != nil {
				o.Output = rec.Output
			} else if lookRemote {
				if rec := c.peekRemote(ctx, key, n); rec != nil {
					o.Output = rec.Output
				}
			}
		}
		outs[n] = o
	}
	return docs, stats, errs
}

// newEnv is the environment of one run: the process environment, the
// cache's extra variables (tool directories on PATH) and extra.
func (c *Cache) newEnv(p *Plan, extra []string, getenv func(string) string) *buildEnv {
	environ := os.Environ()
	if c.environ != nil {
		environ = c.environ()
	}
	e := newBuildEnv(c.envMode, environ, append(slices.Clone(c.extraEnv), extra...), getenv, p.dir)
	e.warn = c.warnf
	return e
}
