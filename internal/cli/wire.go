package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/wire"
	"github.com/metawork/meta/internal/workspace"
)

// wire wires comps for development in dependency order.
func (a *app) wire(ctx context.Context, m *manifest.Manifest, comps []*manifest.Component) error {
	wc, python, err := workspace.WirePlan(m, comps)
	var ge *workspace.GraphError
	var ce *workspace.CycleError
	switch {
	case errors.As(err, &ge):
		return usageError(ge.Err, "")
	case errors.As(err, &ce):
		return usagef("break the cycle by removing one of its depends_on entries", "%v", ce)
	case err != nil:
		return err
	}
	_, err = wire.Wire(ctx, wc, wire.Options{Root: m.Workspace.Root, MetaDir: m.Dir, Python: python,
		Step: func(eco, msg string) { a.printf("wire %s: %s\n", eco, msg) }})
	if err != nil {
		return withHint(fmt.Errorf("wiring: %w", err), "fix the problem and run 'meta setup --wire' again; 'meta setup --unwire' removes what was added")
	}
	return nil
}

func (a *app) unwire(ctx context.Context, m *manifest.Manifest) error {
	return wire.Unwire(ctx, m.Dir, m.Workspace.Root, func(eco, msg string) {
		a.printf("%s\n", cond(eco == "", msg, "unwire "+eco+": "+msg))
	})
}
