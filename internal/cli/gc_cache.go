package cli

import (
	"context"

	"github.com/metawork/meta/internal/buildcache"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

// This file is the build cache's half of 'meta gc'.

// runCacheGC collects the build cache ('meta gc cache', first half of
// 'meta gc all'): records unused for longer than cache.max_age (default 30
// days) go, then the least recently used ones while their outputs exceed
// cache.max_size. The store entries only they referenced become garbage
// for 'meta gc store'.
func runCacheGC(ctx context.Context, a *app, st *store.Store, dryRun bool) error {
	c, m, err := buildCacheFor(a, st)
	if err != nil {
		return err
	}
	res, err := c.GC(ctx, cachePolicy(m, dryRun))
	if err != nil {
		return err
	}
	verb := "removed"
	if dryRun {
		verb = "would remove"
	}
	var freed int64
	for _, r := range res.Removed {
		freed += r.Size
		a.printf("%s record %s %s (last used %s, %s)\n", verb, r.Key[:12], r.Component, r.LastUsed().Format("2006-01-02"), humanSize(r.Size))
	}
	a.printf("gc cache: %d records %s, %d kept (%s of outputs released to 'meta gc store')\n", len(res.Removed), verb, len(res.Kept), humanSize(freed))
	return nil
}

// cacheRootSources returns the store gc roots the build cache holds: the
// outputs of the records the cache policy keeps.
func cacheRootSources(ctx context.Context, a *app, st *store.Store) ([]store.RootSource, error) {
	c, m, err := buildCacheFor(a, st)
	if err != nil {
		return nil, err
	}
	return []store.RootSource{c.PolicyRoots(cachePolicy(m, false))}, nil
}

// cachePolicy is the manifest's cache policy (defaults outside a workspace).
func cachePolicy(m *manifest.Manifest, dryRun bool) buildcache.Policy {
	p := buildcache.Policy{DryRun: dryRun}
	if m != nil {
		p.MaxAge, p.MaxSize = m.Cache.MaxAge, m.Cache.MaxSize
	}
	return p
}

// buildCacheFor opens the build cache of st, and the workspace manifest
// when meta runs inside one (for its cache settings).
func buildCacheFor(a *app, st *store.Store) (*buildcache.Cache, *manifest.Manifest, error) {
	var m *manifest.Manifest
	if _, root, err := a.storeDirFor(); err == nil && root != "" {
		if m, err = manifest.Load(root); err != nil {
			return nil, nil, usageError(err, "")
		}
	}
	c, err := buildcache.Open(st, buildcache.Options{Warn: func(s string) { a.warnf("%s", s) }})
	return c, m, err
}
