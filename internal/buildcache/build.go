package buildcache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/run"
	"github.com/metawork/meta/internal/store"
	"github.com/metawork/meta/internal/workspace"
)

// Outcome is what happened to one component in a build.
type Outcome string

const (
	Hit       Outcome = "hit"        // outputs restored from the local cache (or already in place)
	RemoteHit Outcome = "remote-hit" // outputs downloaded from the remote cache
	Built     Outcome = "built"      // the build command ran and its outputs were cached
	Failed    Outcome = "failed"     // the key could not be computed, the build failed, or caching failed
	Skipped   Outcome = "skipped"    // a dependency failed
	NoBuild   Outcome = "no-build"   // the component declares no build command
)

// Result is the outcome of one component.
type Result struct {
	Name      string
	Outcome   Outcome
	Key       string
	Output    string // store hash of the outputs
	Restored  bool   // outputs were written into the working tree (false: already in place)
	Duration  time.Duration
	Log       []byte   // the build command's output, stdout and stderr together (on a hit: the cached build's)
	Replayed  bool     // Log is the cached build's, replayed on a hit
	Cutoff    []Cutoff // dependencies rebuilt with a new key but the same outputs, which kept this key (early cutoff)
	Err       error
	SkippedBy string // the failed dependency, for Skipped
}

// BuildOptions control Build.
type BuildOptions struct {
	Jobs   int                 // parallel builds; the number of CPUs when < 1
	Getenv func(string) string // values of declared env vars; the process environment when nil
	Env    []string            // extra KEY=VALUE for build commands, over Options.ExtraEnv
	// Progress receives a Planned event naming every component the build
	// covers (in manifest order), a Started event as each one starts and a
	// Finished event (Result: the component's Result) as each one ends,
	// from any goroutine. Nil drops them.
	Progress progress.Sink
}

// StatusChecking is the Started status of a component whose key is being
// computed and looked up, and which builds on a miss.
const StatusChecking = "checking cache / building"

// Build builds the named components (all when names is empty) and their
// dependencies in dependency order, independent ones in parallel. Input
// files are hashed first; each component's key is put together when its
// dependencies are done, from their output hashes (so a dependency rebuilt
// to the same outputs leaves its dependents cached: early cutoff). A hit
// restores its build.outputs from the store (local records first, then
// the remote) and replays the build's log; a miss runs its build.command
// with `sh -c` in its directory, in the build environment (strict: the
// declared variables and PassThrough), stores the outputs and the log and
// records them, locally and on the remote. A failure skips everything that
// depends on it. Results come back in manifest order.
func (c *Cache) Build(ctx context.Context, m *manifest.Manifest, names []string, opts BuildOptions) ([]Result, error) {
	p, err := NewPlan(m, names)
	if err != nil {
		return nil, err
	}
	jobs := opts.Jobs
	if jobs < 1 {
		jobs = m.Jobs(0)
	}
	progress.Plan(opts.Progress, p.Graph.Nodes)
	env := c.newEnv(p, opts.Env, opts.Getenv)
	dgs := c.digestAll(ctx, p, jobs)
	ctx = withUnits(ctx, p.Units) // remote execution needs the dependencies' outputs
	results := map[string]*Result{}
	var mu sync.Mutex
	done := func(r *Result) {
		var err error
		if r.Outcome == Failed {
			err = r.Err
		}
		progress.Finish(opts.Progress, r.Name, *r, err)
	}
	tasks, err := workspace.Schedule(ctx, p.Graph, jobs, func(ctx context.Context, name string) error {
		start := time.Now()
		progress.Start(opts.Progress, name, StatusChecking)
		u := p.Units[name]
		r := &Result{Name: name}
		deps := map[string]depOutput{}
		mu.Lock()
		results[name] = r
		for _, d := range u.Deps {
			if dr := results[d]; dr != nil {
				deps[d] = depOutput{Key: dr.Key, Output: dr.Output}
				if dr.Outcome == NoBuild {
					deps[d] = depOutput{Key: dr.Key, Output: dr.Key}
				}
			}
		}
		mu.Unlock()
		doc, cmdEnv, err := c.document(ctx, u, dgs[name], env, deps)
		if err != nil {
			r.Outcome, r.Err = Failed, err
		} else {
			c.buildOne(ctx, u, doc, dgs[name].sf, cmdEnv, r)
		}
		r.Duration = time.Since(start)
		done(r)
		if r.Outcome == Failed {
			return r.Err
		}
		return nil
	})
	if tasks == nil {
		return nil, err
	}
	out := make([]Result, 0, len(tasks))
	for _, t := range tasks {
		r := results[t.Name]
		if r == nil {
			r = &Result{Name: t.Name, Outcome: Skipped, SkippedBy: t.SkippedBy, Err: t.Err}
			if t.SkippedBy == "" {
				r.Outcome = Failed // cancelled before it started
			}
			done(r)
		}
		out = append(out, *r)
	}
	if ferr := c.Flush(); ferr != nil {
		c.warnf(fmt.Sprintf("cache stats: %v", ferr))
	}
	return out, err
}

// buildOne serves one component from the cache or builds it.
func (c *Cache) buildOne(ctx context.Context, u *Unit, doc *Document, sf *statFile, env []string, r *Result) {
	key := doc.Key()
	r.Key = key
	if u.Command == "" {
		r.Outcome = NoBuild
		return
	}
	// One build per working tree at a time, across processes: a second
	// `meta build` waits, then finds the first one's outputs cached.
	unlock, err := c.lockTree(u.Dir)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		return
	}
	defer unlock()
	if sf != nil {
		// Another process may have built or restored this tree while we
		// waited: what is in place now is what its stat file says.
		sf.Outputs = loadStatFile(c.dir, u.Dir).Outputs
	}
	rec, outcome, err := c.find(ctx, key, u.Name)
	if err != nil {
		c.warnf(fmt.Sprintf("%s: %v", u.Name, err))
	}
	if rec != nil {
		restored, err := c.restore(ctx, u, rec, sf)
		if err == nil {
			r.Outcome, r.Output, r.Restored = outcome, rec.Output, restored
			r.Log, r.Replayed = rec.Log, len(rec.Log) > 0
			if rec.Document != nil {
				r.Cutoff = Cutoffs(rec.Document, doc)
			}
			c.touch(rec)
			c.rememberRun(u, sf, doc, key, true)
			return
		}
		// A corrupt entry is never served: build instead.
		c.warnf(fmt.Sprintf("%s: cached outputs unusable, rebuilding: %v", u.Name, err))
	}
	c.count(func(s *Stats) { s.Misses++ })
	var log bytes.Buffer
	err = c.runBuild(ctx, u, doc, env, &log) // here, or on the remote executor (remote_exec.go)
	r.Log = log.Bytes()
	if err != nil {
		r.Outcome = Failed
		var re *run.Error
		if errors.As(err, &re) && re.ExitCode > 0 {
			r.Err = fmt.Errorf("build command exited with status %d", re.ExitCode)
		} else {
			r.Err = fmt.Errorf("build command: %w", err)
		}
		c.rememberRun(u, sf, doc, key, false)
		return
	}
	rec, err = c.storeOutputs(ctx, u, doc, key, r.Log)
	if err != nil {
		r.Outcome, r.Err = Failed, err
		c.rememberRun(u, sf, doc, key, false)
		return
	}
	c.noteOutputs(u, rec.Output, sf)
	r.Outcome, r.Output, r.Restored = Built, rec.Output, false
	c.rememberRun(u, sf, doc, key, true)
	c.upload(ctx, rec)
}

// find looks key up locally, then on the remote. A record whose store
// entry is gone counts as absent.
func (c *Cache) find(ctx context.Context, key, name string) (*Record, Outcome, error) {
	rec, err := c.Lookup(key)
	if err == nil && rec != nil && c.store.Has(rec.Output) {
		c.count(func(s *Stats) { s.Hits++ })
		return rec, Hit, nil
	}
	rec, rerr := c.fetch(ctx, key, name)
	if rec != nil {
		c.count(func(s *Stats) { s.RemoteHits++ })
		return rec, RemoteHit, err
	}
	return nil, "", errors.Join(err, rerr)
}

// touchEvery bounds how often a hit rewrites its record: last-hit times
// only feed gc's age policy, which counts in days.
const touchEvery = time.Hour

// touch records a hit on rec: always the first one (so 'meta cache list'
// shows that the record was used), later ones at most every touchEvery.
func (c *Cache) touch(rec *Record) {
	now := c.now().UTC().Truncate(time.Second)
	if !rec.LastHit.IsZero() && now.Sub(rec.LastUsed()) < touchEvery {
		return
	}
	rec.LastHit = now
	if err := c.Put(rec); err != nil {
		c.warnf(fmt.Sprintf("%s: record hit: %v", rec.Component, err))
	}
}

// storeOutputs adds the component's declared outputs to the store as one
// tree (each output at its path relative to the component) and records it.
func (c *Cache) storeOutputs(ctx context.Context, u *Unit, doc *Document, key string, log []byte) (*Record, error) {
	staging, err := os.MkdirTemp(filepath.Join(c.dir, "tmp"), "outputs-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(staging)
	for _, o := range u.Outputs {
		// An output reached through a symlink (Bazel's bazel-bin, say) is
		// stored as what it points at; symlinks inside it stay symlinks.
		src, err := filepath.EvalSymlinks(filepath.Join(u.Dir, filepath.FromSlash(o)))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("build.outputs: %s was not produced by the build", o)
			}
			return nil, fmt.Errorf("build.outputs: %s: %w", o, err)
		}
		if err := copyTree(src, filepath.Join(staging, filepath.FromSlash(o))); err != nil {
			return nil, fmt.Errorf("build.outputs: %s: %w", o, err)
		}
	}
	return c.recordTree(ctx, u.Name, staging, doc, key, log)
}

// recordTree adds dir to the store as the outputs of key and records it.
func (c *Cache) recordTree(ctx context.Context, name, dir string, doc *Document, key string, log []byte) (*Record, error) {
	entry, err := c.store.Add(ctx, "build-"+name, dir, store.AddOptions{Inputs: map[string]string{"component": name, "cache-key": key}})
	if err != nil {
		return nil, fmt.Errorf("store outputs: %w", err)
	}
	rec := &Record{
		Version:   RecordVersion,
		Key:       key,
		Component: name,
		Output:    entry.Hash,
		Size:      entry.Size,
		Created:   c.now().UTC().Truncate(time.Second),
		Document:  doc,
		Log:       keptLog(log),
	}
	if err := c.sign(rec); err != nil {
		return nil, err
	}
	if err := c.Put(rec); err != nil {
		return nil, err
	}
	c.count(func(s *Stats) { s.BytesStored += entry.Size })
	return rec, nil
}

// restore writes rec's outputs into the component's working tree, unless
// they are already there unchanged.
func (c *Cache) restore(ctx context.Context, u *Unit, rec *Record, sf *statFile) (bool, error) {
	if sf != nil && sf.Outputs != nil && sf.Outputs.Hash == rec.Output {
		if cur, err := outputStats(u.Dir, u.Outputs); err == nil && maps2Equal(cur, sf.Outputs.Files) {
			return false, nil
		}
	}
	root, err := os.OpenRoot(u.Dir)
	if err != nil {
		return false, err
	}
	defer root.Close()
	tmpName := fmt.Sprintf(".meta-restore-%d", os.Getpid())
	root.RemoveAll(tmpName)
	tmp := filepath.Join(u.Dir, tmpName)
	if err := c.store.Get(ctx, rec.Output, tmp, false); err != nil {
		return false, err
	}
	defer root.RemoveAll(tmpName)
	oldName := fmt.Sprintf(".meta-replaced-%d", os.Getpid())
	root.RemoveAll(oldName)
	if err := root.Mkdir(oldName, 0o755); err != nil {
		return false, err
	}
	defer root.RemoveAll(oldName)
	for i, o := range u.Outputs {
		src := tmpName + "/" + o
		if _, err := root.Lstat(src); err != nil {
			return false, fmt.Errorf("cached outputs of %s lack %s", u.Name, o)
		}
		// Move the old output aside and the new one in, so readers see one
		// or the other for as short a time as two renames allow.
		old := fmt.Sprintf("%s/%d", oldName, i)
		if _, err := root.Lstat(o); err == nil {
			if err := root.Rename(o, old); err != nil {
				return false, fmt.Errorf("replace %s: %w", o, err)
			}
		}
		if dir := filepath.Dir(filepath.FromSlash(o)); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				return false, err
			}
		}
		if err := root.Rename(src, o); err != nil {
			return false, fmt.Errorf("restore %s: %w", o, err)
		}
	}
	c.count(func(s *Stats) { s.BytesRestored += rec.Size })
	c.noteOutputs(u, rec.Output, sf)
	return true, nil
}

// noteOutputs remembers the stat of the outputs now in the working tree,
// so that the next hit on the same entry restores nothing.
func (c *Cache) noteOutputs(u *Unit, hash string, sf *statFile) {
	if sf == nil {
		return
	}
	files, err := outputStats(u.Dir, u.Outputs)
	if err != nil {
		return
	}
	sf.Outputs = &outputState{Hash: hash, Files: files}
	c.saveStat(u.Name, sf)
}

func (c *Cache) saveStat(name string, sf *statFile) {
	if err := saveStatFile(c.dir, sf); err != nil {
		c.warnf(fmt.Sprintf("%s: stat cache: %v", name, err))
	}
}

// outputStats stats every file below the output paths.
func outputStats(dir string, outputs []string) (map[string]statEntry, error) {
	out := map[string]statEntry{}
	for _, o := range outputs {
		base := filepath.Join(dir, filepath.FromSlash(o))
		err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = statOf(fi)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func maps2Equal(a, b map[string]statEntry) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !v.sameFile(w) {
			return false
		}
	}
	return true
}

// copyTree copies src (a file, symlink or directory) to dst, hard-linking
// regular files when it can (the store copies them again) and keeping
// symlinks as symlinks.
func copyTree(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			if os.Link(p, target) == nil {
				return nil
			}
			return copyFile(p, target)
		}
		return fmt.Errorf("%s: not a regular file, directory or symlink", p)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// historyLen is how many successful keys explain remembers per component.
const historyLen = 4

// rememberRun records a run for explain, skipping the work when it repeats
// the last successful run of the same key (the common all-hits case): the
// stat file, already loaded, says which key that was.
func (c *Cache) rememberRun(u *Unit, sf *statFile, doc *Document, key string, ok bool) {
	if ok && sf != nil && sf.LastHit == key {
		return
	}
	c.remember(u.Name, doc, key, ok)
	if sf != nil {
		sf.LastHit = ""
		if ok {
			sf.LastHit = key
		}
		c.saveStat(u.Name, sf)
	}
}

// remember records the outcome of a component's key for explain.
func (c *Cache) remember(name string, doc *Document, key string, ok bool) {
	s := c.loadState(name)
	if s == nil {
		s = &state{Component: name}
	}
	outcome := "failed"
	if ok {
		outcome = "ok"
	}
	if s.LastKey == key && s.Outcome == outcome && (!ok || len(s.History) > 0 && s.History[0].Key() == key) {
		return // a repeat of the last run: nothing new to remember
	}
	s.LastKey, s.Time, s.Document, s.Outcome = key, c.now().UTC(), doc, outcome
	if ok {
		s.History = slices.DeleteFunc(s.History, func(h *Document) bool { return h.Key() == key })
		s.History = append([]*Document{doc}, s.History...)
		if len(s.History) > historyLen {
			s.History = s.History[:historyLen]
		}
	}
	if err := c.saveState(s); err != nil {
		c.warnf(fmt.Sprintf("%s: %v", name, err))
	}
}

// Explanation says what a component's key is made of, whether it is
// cached, and what changed since the last successful build of another key.
type Explanation struct {
	Component string    `json:"component"`
	Key       string    `json:"key"`
	Cached    bool      `json:"cached"`
	Record    *Record   `json:"record,omitempty"`
	Document  *Document `json:"document"`
	LastBuild string    `json:"last_build,omitempty"` // outcome of the last build: ok or failed
	BaseKey   string    `json:"base_key,omitempty"`   // the earlier key compared with
	Diff      *Diff     `json:"diff,omitempty"`
	// Cutoff lists dependencies whose key changed since this key was
	// cached but whose outputs did not, so this key stayed the same.
	Cutoff []Cutoff `json:"cutoff,omitempty"`
	// Provisional lists dependencies not built for their current keys:
	// this key is what it will be if they produce no new outputs.
	Provisional []string `json:"provisional,omitempty"`
	// Action is the REAPI Action digest of the build when it would run on
	// a remote executor (set by ExplainAction).
	Action string `json:"action,omitempty"`
}

// Explain computes the key of component name now and compares it with the
// most recent different key that was built or served successfully.
func (c *Cache) Explain(ctx context.Context, m *manifest.Manifest, name string, getenv func(string) string) (*Explanation, error) {
	p, err := NewPlan(m, []string{name})
	if err != nil {
		return nil, err
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	docs, _, errs := c.documents(ctx, p, m.Jobs(0), getenv)
	if err := errs[name]; err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	doc := docs[name]
	e := &Explanation{Component: name, Key: doc.Key(), Document: doc, Provisional: doc.Provisional()}
	if rec, err := c.Lookup(e.Key); err == nil && rec != nil && c.store.Has(rec.Output) {
		e.Cached, e.Record = true, rec
		if rec.Document != nil {
			e.Cutoff = Cutoffs(rec.Document, doc)
		}
	}
	if s := c.loadState(name); s != nil {
		e.LastBuild = s.Outcome
		for _, h := range s.History {
			if k := h.Key(); k != e.Key {
				d := Compare(h, doc)
				e.BaseKey, e.Diff = k, &d
				break
			}
		}
	}
	return e, nil
}

// Keys computes the current key document of each named component.
func (c *Cache) Keys(ctx context.Context, m *manifest.Manifest, names []string, getenv func(string) string) (map[string]*Document, error) {
	p, err := NewPlan(m, names)
	if err != nil {
		return nil, err
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	docs, _, errs := c.documents(ctx, p, m.Jobs(0), getenv)
	for _, n := range names {
		if err := errs[n]; err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if pr := docs[n].Provisional(); len(pr) > 0 {
			return nil, fmt.Errorf("%s: its key depends on the outputs of %s, which are not cached for their current key (run 'meta build %s' first)", n, strings.Join(pr, ", "), n)
		}
	}
	return docs, nil
}

// StoreDir records the directory src as the outputs of component name
// under its current key (the manual form of a build).
func (c *Cache) StoreDir(ctx context.Context, m *manifest.Manifest, name, src string) (*Record, error) {
	st, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", src)
	}
	docs, err := c.Keys(ctx, m, []string{name}, nil)
	if err != nil {
		return nil, err
	}
	doc := docs[name]
	key := doc.Key()
	rec, err := c.recordTree(ctx, name, src, doc, key, nil)
	if err != nil {
		return nil, err
	}
	c.remember(name, doc, key, true)
	c.upload(ctx, rec)
	if err := c.Flush(); err != nil {
		c.warnf(fmt.Sprintf("cache stats: %v", err))
	}
	return rec, nil
}

// ErrMiss is returned by GetDir when nothing is cached for the current key.
var ErrMiss = errors.New("not in the cache")

// GetDir copies the cached outputs of component name under its current
// key into target (which must not exist or be empty).
func (c *Cache) GetDir(ctx context.Context, m *manifest.Manifest, name, target string) (*Record, error) {
	docs, err := c.Keys(ctx, m, []string{name}, nil)
	if err != nil {
		return nil, err
	}
	key := docs[name].Key()
	rec, _, err := c.find(ctx, key, name)
	if rec == nil {
		if err != nil {
			return nil, fmt.Errorf("%s (key %s): %w (%v)", name, short(key), ErrMiss, err)
		}
		return nil, fmt.Errorf("%s (key %s): %w", name, short(key), ErrMiss)
	}
	if err := c.store.Get(ctx, rec.Output, target, false); err != nil {
		return nil, err
	}
	c.touch(rec)
	c.count(func(s *Stats) { s.BytesRestored += rec.Size })
	if err := c.Flush(); err != nil {
		c.warnf(fmt.Sprintf("cache stats: %v", err))
	}
	return rec, nil
}

// String describes the result in one line, for messages and tests.
func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Name, r.Outcome)
	if r.Err != nil {
		fmt.Fprintf(&b, ": %v", r.Err)
	}
	return b.String()
}
