package cli

import (
	"context"

	"github.com/metawork/meta/internal/store"
)

// This file is the build cache's half of 'meta gc'; the build-cache
// command group replaces it.

// runCacheGC collects the build cache ('meta gc cache', first half of
// 'meta gc all').
func runCacheGC(ctx context.Context, a *app, st *store.Store, dryRun bool) error {
	return usagef("build something with 'meta build' first", "meta gc cache: no build cache in this workspace yet")
}

// cacheRootSources returns the store gc roots the build cache holds (the
// outputs its live records point at).
func cacheRootSources(ctx context.Context, a *app, st *store.Store) ([]store.RootSource, error) {
	return nil, nil
}
