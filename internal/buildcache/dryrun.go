package buildcache

import (
	"bytes"
	"context"
	"io"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/reapi"
)

// Action is what a build would do with one component.
type Action string

const (
	WouldHit       Action = "hit"        // cached locally
	WouldRemoteHit Action = "remote-hit" // cached on the remote
	WouldBuild     Action = "build"      // not cached: the build command would run
	WouldWait      Action = "unknown"    // its key needs outputs of dependencies that build first
	NothingToBuild Action = "no-build"   // no build command
	CannotKey      Action = "failed"     // its key cannot be computed
)

// Planned is what a dry run says about one component.
type Planned struct {
	Name    string
	Key     string // provisional when Waits is not empty
	Action  Action
	Waits   []string // dependencies whose new outputs the key needs (WouldWait)
	BaseKey string   // the last different key built, compared in Diff
	Diff    *Diff    // what changed since BaseKey; nil when never built
	Cutoff  []Cutoff // dependencies with new keys but cached, unchanged outputs
	Err     error
}

// DryRun says, without building or downloading anything, what Build would
// do: per component its key, whether it is cached locally or on the
// remote (its record is read, not its outputs), and why it would build.
func (c *Cache) DryRun(ctx context.Context, m *manifest.Manifest, names []string, opts BuildOptions) ([]Planned, error) {
	p, err := NewPlan(m, names)
	if err != nil {
		return nil, err
	}
	jobs := opts.Jobs
	if jobs < 1 {
		jobs = m.Jobs(0)
	}
	docs, _, errs := c.documentsEnv(ctx, p, jobs, c.newEnv(p, opts.Env, opts.Getenv), true)
	var out []Planned
	for _, n := range p.Graph.Nodes {
		pl := Planned{Name: n}
		doc := docs[n]
		switch {
		case errs[n] != nil:
			pl.Action, pl.Err = CannotKey, errs[n]
		case p.Units[n].Command == "":
			pl.Key, pl.Action = doc.Key(), NothingToBuild
		default:
			pl.Key = doc.Key()
			if w := doc.Provisional(); len(w) > 0 {
				pl.Action, pl.Waits = WouldWait, w
			} else if rec, err := c.Lookup(pl.Key); err == nil && rec != nil && c.store.Has(rec.Output) {
				pl.Action = WouldHit
				if rec.Document != nil {
					pl.Cutoff = Cutoffs(rec.Document, doc)
				}
			} else if rec := c.peekRemote(ctx, pl.Key, n); rec != nil {
				pl.Action = WouldRemoteHit
				if rec.Document != nil {
					pl.Cutoff = Cutoffs(rec.Document, doc)
				}
			} else {
				pl.Action = WouldBuild
			}
			if pl.Action != WouldHit && pl.Action != WouldRemoteHit {
				if s := c.loadState(n); s != nil {
					for _, h := range s.History {
						if k := h.Key(); k != pl.Key {
							d := Compare(h, doc)
							pl.BaseKey, pl.Diff = k, &d
							break
						}
					}
				}
			}
		}
		out = append(out, pl)
	}
	return out, nil
}

// peekRemote reads key's record from the remote without its outputs; nil
// when absent, invalid, not trusted or when the remote fails. On the Bazel
// protocols the record is the CAS blob the ActionResult names.
func (c *Cache) peekRemote(ctx context.Context, key, name string) *Record {
	if !c.remoteOn() {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, c.remoteTimeout())
	defer cancel()
	var data []byte
	if ac, ok := c.remote.(backend.ActionCache); ok {
		ar, err := ac.GetActionResult(rctx, reapi.KeyAction(key), acRecordPath, acArchivePath)
		if err != nil {
			return nil
		}
		for _, f := range ar.GetOutputFiles() {
			if f.GetPath() != acRecordPath {
				continue
			}
			d := f.GetDigest()
			if reapi.CheckDigest(d) != nil || d.SizeBytes > maxRecordSize {
				return nil
			}
			if data = reapi.InlineContents(f); data == nil {
				var buf bytes.Buffer
				if ac.ReadBlob(rctx, d, &buf) != nil {
					return nil
				}
				data = buf.Bytes()
			}
		}
	} else {
		rc, err := c.remote.Get(rctx, acKey(key))
		if err != nil {
			return nil
		}
		data, err = io.ReadAll(io.LimitReader(rc, maxRecordSize+1))
		rc.Close()
		if err != nil {
			return nil
		}
	}
	if data == nil {
		return nil
	}
	rec, err := c.checkRemoteRecord(data, key, name)
	if err != nil {
		return nil
	}
	return rec
}
