package workspace

import (
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/wire"
)

// GraphError is a dependency graph that cannot be built from the
// components' depends_on entries (an unknown name, a bad component.yaml).
type GraphError struct{ Err error }

func (e *GraphError) Error() string { return e.Err.Error() }
func (e *GraphError) Unwrap() error { return e.Err }

// WirePlan returns comps in dependency order as wire wants them, and the
// Python version the manifest's tools pin ("" when none). A dependency
// cycle is a *CycleError; any other problem with the graph a *GraphError.
func WirePlan(m *manifest.Manifest, comps []*manifest.Component) ([]wire.Component, string, error) {
	specs, err := Specs(comps)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	g, err := DepGraph(m, specs, names)
	if err != nil {
		return nil, "", &GraphError{err}
	}
	order, err := g.Order()
	if err != nil {
		return nil, "", err
	}
	var wc []wire.Component
	for _, n := range order {
		wc = append(wc, wire.Component{Name: n, Dir: m.Components[n].Path})
	}
	python := ""
	for _, t := range m.Tools {
		if v, ok := strings.CutPrefix(t.Value, "python@"); ok {
			python = v
		}
	}
	return wc, python, nil
}
