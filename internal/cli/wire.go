package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/wire"
	"github.com/metawork/meta/internal/workspace"
)

// wire wires comps for development in dependency order.
func (a *app) wire(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component) error {
	specs, err := workspace.Specs(comps)
	if err != nil {
		return err
	}
	names := make([]string, len(comps))
	for i, c := range comps {
		names[i] = c.Name
	}
	g, err := workspace.DepGraph(m, specs, names)
	if err != nil {
		return usageError(err, "")
	}
	order, err := g.Order()
	if err != nil {
		return usagef("break the cycle by removing one of its depends_on entries", "%v", err)
	}
	var wc []wire.Component
	for _, n := range order {
		c := m.Components[n]
		wc = append(wc, wire.Component{Name: n, Dir: c.Path})
	}
	python := ""
	for _, t := range m.Tools {
		if v, ok := strings.CutPrefix(t.Value, "python@"); ok {
			python = v
		}
	}
	_, err = wire.Wire(ctx, wc, wire.Options{
		Root: m.Workspace.Root, MetaDir: m.Dir, Python: python,
		Step: func(eco, msg string) { a.printf("wire %s: %s\n", eco, msg) },
	})
	if err != nil {
		return withHint(fmt.Errorf("wiring: %w", err), "fix the problem and run 'meta setup --wire' again; 'meta setup --unwire' removes what was added")
	}
	return nil
}

func (a *app) unwire(ctx context.Context, m *manifest.Manifest) error {
	return wire.Unwire(ctx, m.Dir, m.Workspace.Root, func(eco, msg string) {
		if eco == "" {
			a.printf("%s\n", msg)
			return
		}
		a.printf("unwire %s: %s\n", eco, msg)
	})
}
