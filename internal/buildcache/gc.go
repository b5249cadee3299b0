package buildcache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/metawork/meta/internal/store"
)

// DefaultMaxAge is how long an unused record is kept when the manifest's
// cache.max_age is not set.
const DefaultMaxAge = 30 * 24 * time.Hour

// Policy says which records gc keeps.
type Policy struct {
	MaxAge  time.Duration // records unused for longer are removed; DefaultMaxAge when 0
	MaxSize int64         // when > 0, least recently used records go until their outputs fit
	DryRun  bool          // report, delete nothing
}

// GCResult lists the records gc removed (or would remove) and those kept.
type GCResult struct {
	Removed []*Record
	Kept    []*Record
}

// GC removes local records that are older than the policy allows (by last
// use: creation or last hit), then the least recently used ones while the
// outputs they reference exceed MaxSize. The store entries of removed
// records become garbage for the store's gc; the kept records are its
// roots (see Roots).
func (c *Cache) GC(ctx context.Context, p Policy) (GCResult, error) {
	maxAge := p.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	recs, err := c.Records()
	if err != nil {
		return GCResult{}, err
	}
	now := c.now()
	var res GCResult
	var kept []*Record
	for _, r := range recs {
		if now.Sub(r.LastUsed()) > maxAge {
			res.Removed = append(res.Removed, r)
		} else {
			kept = append(kept, r)
		}
	}
	if p.MaxSize > 0 {
		// Newest first; keep while the total fits.
		slices.SortStableFunc(kept, func(a, b *Record) int { return b.LastUsed().Compare(a.LastUsed()) })
		var total int64
		var fit []*Record
		for _, r := range kept {
			if total+r.Size > p.MaxSize {
				res.Removed = append(res.Removed, r)
				continue
			}
			total += r.Size
			fit = append(fit, r)
		}
		kept = fit
	}
	res.Kept = kept
	if p.DryRun {
		return res, nil
	}
	c.cleanTmp(now)
	for _, r := range res.Removed {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if err := os.Remove(c.recordPath(r.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, err
		}
	}
	return res, nil
}

// PolicyRoots is a store.RootSource giving the outputs of the records that
// policy p keeps: what a store gc must not delete. Records the policy would
// drop do not protect their outputs (a later lookup of such a record finds
// its entry gone and rebuilds).
func (c *Cache) PolicyRoots(p Policy) store.RootSource { return policyRoots{c, p} }

type policyRoots struct {
	c *Cache
	p Policy
}

func (r policyRoots) Roots(ctx context.Context) ([]string, error) {
	p := r.p
	p.DryRun = true
	res, err := r.c.GC(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rec := range res.Kept {
		out = append(out, rec.Output)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// tmpMaxAge is how old work files of an interrupted run must be before gc
// removes them (a running build's are younger).
const tmpMaxAge = 24 * time.Hour

// cleanTmp removes what killed processes left in the cache's tmp/.
func (c *Cache) cleanTmp(now time.Time) {
	ents, err := os.ReadDir(filepath.Join(c.dir, "tmp"))
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > tmpMaxAge {
			os.RemoveAll(filepath.Join(c.dir, "tmp", e.Name()))
		}
	}
}
