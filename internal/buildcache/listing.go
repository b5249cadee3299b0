package buildcache

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/store"
)

// Listed is a record as 'meta cache list' shows it.
type Listed struct {
	Key       string    `json:"key"`
	Component string    `json:"component"`
	Output    string    `json:"output"`
	Size      int64     `json:"size"`
	Created   time.Time `json:"created"`
	LastHit   time.Time `json:"last_hit,omitzero"`
	Present   bool      `json:"present"` // the store still has the outputs
}

// List returns the local records (of component only, unless it is ""),
// with whether the store still has their outputs. It is never nil.
func (c *Cache) List(component string) ([]Listed, error) {
	recs, err := c.Records()
	if err != nil {
		return nil, err
	}
	out := []Listed{}
	for _, r := range recs {
		if component == "" || r.Component == component {
			out = append(out, Listed{r.Key, r.Component, r.Output, r.Size, r.Created, r.LastHit, c.store.Has(r.Output)})
		}
	}
	return out, nil
}

// PolicyOf is the manifest's cache policy (the defaults when m is nil).
func PolicyOf(m *manifest.Manifest, dryRun bool) Policy {
	p := Policy{DryRun: dryRun}
	if m != nil {
		p.MaxAge, p.MaxSize = m.Cache.MaxAge, m.Cache.MaxSize
	}
	return p
}

// StoreGC collects c's store. Its roots are the pins, the hashes named in
// the lock files of the meta repository metaRoot ("" for none) and the
// outputs of the records policy p keeps.
func (c *Cache) StoreGC(ctx context.Context, metaRoot string, p Policy, opts store.GCOptions) (StoreGCReport, error) {
	if metaRoot != "" {
		opts.Sources = append(opts.Sources, LockFileRoots{Dir: metaRoot})
	}
	opts.Sources = append(opts.Sources, c.PolicyRoots(p))
	res, err := c.store.GC(ctx, opts)
	if err != nil {
		return StoreGCReport{}, err
	}
	r := StoreGCReport{DryRun: opts.DryRun, Deleted: res.Deleted, Kept: res.Kept, BytesFreed: res.BytesFreed, Leftovers: res.Leftovers}
	if r.Deleted == nil {
		r.Deleted = []store.Metadata{}
	}
	if r.Leftovers == nil {
		r.Leftovers = []string{}
	}
	return r, nil
}

// LockFileRoots finds store hashes named in the lock files
// (manifests/components.lock*.yaml) of the meta repository Dir.
type LockFileRoots struct{ Dir string }

var hashInText = regexp.MustCompile(`\b(?:sha256:)?([0-9a-f]{64})\b`)

// Roots returns every hash the lock files name.
func (l LockFileRoots) Roots(ctx context.Context) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(l.Dir, "manifests", "components.lock*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range hashInText.FindAllSubmatch(data, -1) {
			out = append(out, string(m[1]))
		}
	}
	return out, nil
}

// StoreGCReport is what StoreGC did (or, in a dry run, would do): the
// document 'meta gc store --json' prints.
type StoreGCReport struct {
	DryRun     bool             `json:"dry_run"`
	Deleted    []store.Metadata `json:"deleted"`
	Kept       int              `json:"kept"`
	BytesFreed int64            `json:"bytes_freed"`
	Leftovers  []string         `json:"leftovers"`
}
