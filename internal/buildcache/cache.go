// Package buildcache owns meta's build cache: the cache key of a component
// (SHA-256 of a versioned canonical JSON document of everything that
// affects its build), the records mapping keys to store entries of build
// outputs, read-through to a remote backend, explanations of misses, the
// cache's gc policy, and `meta build` scheduling in dependency order.
//
// # Layout
//
// The cache lives inside the store directory it feeds (the store ignores
// it), so a store shared between workspaces shares its records too:
//
//	<store>/cache/records/<key>.json     one record: key → store hash of the outputs, with its key document
//	<store>/cache/state/<component>.json the last key computed for a component and the last key that hit
//	<store>/cache/stat/<id>.json         stat cache of one working tree (path → size, times, inode, mode, sha256)
//	<store>/cache/stats.json             hits, misses, bytes (updated under <store>/cache/.lock)
//
// Every file is written atomically (temp file, fsync, rename).
//
// # Remote
//
// Only trusted builds should write to a shared remote (Options.ReadOnly
// keeps the others to reading): a record is self-checking (its key is the
// hash of the document it carries) and its blob is checked against it, but
// a writer can still record wrong outputs for a key it computed honestly.
//
// With a remote backend, a record is the JSON object ac/<key> and the
// outputs are one archive blob cas/<sha256 of the archive>. Reads go local
// first, then remote; a blob is checked against the record (archive
// digest, then the tree hash the store computes) before it enters the
// local store. A remote that fails is reported through Options.Warn and
// then left alone for the rest of the run; it never fails a build.
package buildcache

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/backend"
	"github.com/metawork/meta/internal/store"
)

// RecordVersion is the version of the record format.
const RecordVersion = 1

// Record maps a cache key to the store entry holding the build's outputs.
type Record struct {
	Version     int       `json:"version"`
	Key         string    `json:"key"`
	Component   string    `json:"component"`
	Output      string    `json:"output"`                 // store hash of the outputs tree
	Size        int64     `json:"size"`                   // bytes of output file contents
	Archive     string    `json:"archive,omitempty"`      // sha256 of the archive blob on the remote
	ArchiveSize int64     `json:"archive_size,omitempty"` // its size
	Created     time.Time `json:"created"`
	LastHit     time.Time `json:"last_hit,omitzero"`
	Document    *Document `json:"document"`
	Log         []byte    `json:"log,omitempty"`       // the build's stdout and stderr (the end of it, when long)
	Signature   string    `json:"signature,omitempty"` // minisign signature of Signed(), by a cache signing key
}

// LastUsed is when the record was last created or hit.
func (r *Record) LastUsed() time.Time {
	if r.LastHit.After(r.Created) {
		return r.LastHit
	}
	return r.Created
}

// check validates a record read from disk or a remote against the key it
// was looked up by. The key must be the hash of the document it carries.
func (r *Record) check(key string) error {
	switch {
	case r.Version != RecordVersion:
		return fmt.Errorf("record %s: version %d, want %d", short(key), r.Version, RecordVersion)
	case r.Key != key:
		return fmt.Errorf("record %s: claims key %s", short(key), short(r.Key))
	case r.Document == nil:
		return fmt.Errorf("record %s: no key document", short(key))
	case r.Document.Key() != key:
		return fmt.Errorf("record %s: its key document hashes to %s", short(key), short(r.Document.Key()))
	case r.Document.Component != r.Component:
		return fmt.Errorf("record %s: component %q, document says %q", short(key), r.Component, r.Document.Component)
	}
	if _, err := store.ParseHash(r.Output); err != nil {
		return fmt.Errorf("record %s: output: %w", short(key), err)
	}
	return nil
}

// Stats are the cache's counters, kept across runs.
type Stats struct {
	Hits            int64 `json:"hits"`        // local hits
	RemoteHits      int64 `json:"remote_hits"` // hits served by the remote
	Misses          int64 `json:"misses"`      // builds run because nothing was cached
	BytesRestored   int64 `json:"bytes_restored"`
	BytesStored     int64 `json:"bytes_stored"`
	BytesDownloaded int64 `json:"bytes_downloaded"`
	BytesUploaded   int64 `json:"bytes_uploaded"`
	Records         int   `json:"records"`         // records now (computed, not persisted)
	RecordBytes     int64 `json:"record_bytes"`    // output bytes they reference (computed)
	RemoteErrors    int64 `json:"remote_errors"`   // remote failures turned into warnings
	RemoteRepaired  int64 `json:"remote_repaired"` // remote objects found corrupt and replaced
}

func (s *Stats) add(o Stats) {
	s.Hits += o.Hits
	s.RemoteHits += o.RemoteHits
	s.Misses += o.Misses
	s.BytesRestored += o.BytesRestored
	s.BytesStored += o.BytesStored
	s.BytesDownloaded += o.BytesDownloaded
	s.BytesUploaded += o.BytesUploaded
	s.RemoteErrors += o.RemoteErrors
	s.RemoteRepaired += o.RemoteRepaired
}

// Options configure a Cache.
type Options struct {
	// Remote, when set, is read through after the local records and
	// written back after a miss.
	Remote backend.Backend
	// ReadOnly reads the remote but never writes to it: for builds that
	// must not be trusted to populate a cache others read (pull requests
	// from forks), so an untrusted writer cannot poison trusted builds.
	ReadOnly bool
	// Warn receives problems that do not fail the operation (a remote that
	// is down, a record that cannot be read). Nil discards them.
	Warn func(string)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// RemoteTimeout bounds connecting to the remote and its first byte
	// (DefaultRemoteTimeout when zero); RemoteFailures is how many
	// failures of a reachable remote a run tolerates (DefaultRemoteFailures
	// when zero). See remote.go.
	RemoteTimeout  time.Duration
	RemoteFailures int
	// RemoteExec, when set, runs build commands on a REAPI executor
	// (remote_exec.go).
	RemoteExec *RemoteExec
	// EnvMode is how builds see the environment; strict when empty.
	EnvMode EnvMode
	// Environ is the environment builds start from; os.Environ when nil.
	Environ func() []string
	// ExtraEnv (KEY=VALUE) is put over Environ: meta's tool directories
	// first on PATH. Keys computed by explain and dry runs see it too.
	ExtraEnv []string
	// SigningKey, a minisign private key file's contents, signs the
	// records this cache writes.
	SigningKey []byte
	// TrustedKeys, minisign public keys, are the keys remote records must
	// be signed by; with none, remote records need no signature.
	TrustedKeys []string
}

// Cache is the build cache of one store. It is safe for concurrent use.
type Cache struct {
	dir      string
	store    *store.Store
	remote   backend.Backend
	readOnly bool
	warnf    func(string)
	now      func() time.Time
	envMode  EnvMode
	environ  func() []string
	extraEnv []string
	signer   *signer
	trusted  []minisign.PublicKey

	remoteOff   atomic.Bool // set when the remote is dropped for the rest of a run
	warnOnce    sync.Once
	rs          remoteState // corrupt objects to replace, failure count (remote.go)
	timeout     time.Duration
	maxFailures int
	exec        *RemoteExec

	mu    sync.Mutex
	stats Stats // this process's counts, merged into stats.json by Flush

	hashed atomic.Int64 // files hashed, for tests: the stat cache's misses
}

// Open returns the cache of the store st.
func Open(st *store.Store, opts Options) (*Cache, error) {
	dir := filepath.Join(st.Dir(), "cache")
	for _, d := range []string{"records", "state", "stat", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("build cache: %w", err)
		}
	}
	c := &Cache{dir: dir, store: st, remote: opts.Remote, readOnly: opts.ReadOnly, warnf: opts.Warn, now: opts.Now,
		timeout: opts.RemoteTimeout, maxFailures: opts.RemoteFailures, exec: opts.RemoteExec,
		envMode: opts.EnvMode, environ: opts.Environ, extraEnv: opts.ExtraEnv}
	if err := c.setKeys(opts.SigningKey, opts.TrustedKeys); err != nil {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	if c.warnf == nil {
		c.warnf = func(string) {}
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Store is the store the cache's outputs live in.
func (c *Cache) Store() *store.Store { return c.store }

// Remote is the remote backend, or nil.
func (c *Cache) Remote() backend.Backend { return c.remote }

// FilesHashed counts the input files whose contents this Cache has read
// (stat cache misses).
func (c *Cache) FilesHashed() int64 { return c.hashed.Load() }

func (c *Cache) recordPath(key string) string {
	return filepath.Join(c.dir, "records", key+".json")
}

func validKey(key string) bool {
	_, err := store.ParseHash(key)
	return err == nil && key == strings.ToLower(key) && !strings.Contains(key, ":")
}

// Lookup returns the local record for key, or nil when there is none.
func (c *Cache) Lookup(key string) (*Record, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("invalid cache key %q", key)
	}
	data, err := os.ReadFile(c.recordPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("record %s: %w", c.recordPath(key), err)
	}
	if err := r.check(key); err != nil {
		return nil, err
	}
	return &r, nil
}

// Put writes a record locally (replacing any record with the same key).
func (c *Cache) Put(r *Record) error {
	if err := r.check(r.Key); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(c.recordPath(r.Key), append(data, '\n'))
}

// Records returns every readable local record, oldest first. Unreadable
// ones are reported through Warn and skipped.
func (c *Cache) Records() ([]*Record, error) {
	ents, err := os.ReadDir(filepath.Join(c.dir, "records"))
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, e := range ents {
		key, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validKey(key) {
			continue
		}
		r, err := c.Lookup(key)
		if err != nil {
			c.warnf(err.Error())
			continue
		}
		if r != nil {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *Record) int {
		if d := a.Created.Compare(b.Created); d != 0 {
			return d
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Invalidate deletes the local records of component (all records when
// component is empty) and returns how many it deleted. Remote records are
// left alone: other machines may rely on them.
func (c *Cache) Invalidate(component string) (int, error) {
	recs, err := c.Records()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		if component != "" && r.Component != component {
			continue
		}
		if err := os.Remove(c.recordPath(r.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}

// Roots returns the store hashes the records reference; with it a Cache
// is a store.RootSource.
func (c *Cache) Roots(ctx context.Context) ([]string, error) {
	recs, err := c.Records()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Output)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

var _ store.RootSource = (*Cache)(nil)

// state is what explain needs about a component's recent runs.
type state struct {
	Component string      `json:"component"`
	LastKey   string      `json:"last_key"` // the key of the last build
	Outcome   string      `json:"outcome"`  // of the last build: ok or failed
	Time      time.Time   `json:"time"`     // of the last build
	Document  *Document   `json:"document"` // of LastKey
	History   []*Document `json:"history"`  // documents of recent successful keys, newest first
}

func (c *Cache) statePath(component string) string {
	return filepath.Join(c.dir, "state", component+".json")
}

func (c *Cache) loadState(component string) *state {
	data, err := os.ReadFile(c.statePath(component))
	if err != nil {
		return nil
	}
	var s state
	if json.Unmarshal(data, &s) != nil || s.Component != component {
		return nil
	}
	return &s
}

func (c *Cache) saveState(s *state) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeCacheFile(c.statePath(s.Component), data)
}

func (c *Cache) count(f func(s *Stats)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.stats)
}

// Flush adds this process's counters to the persisted stats.
func (c *Cache) Flush() error {
	c.mu.Lock()
	delta := c.stats
	c.stats = Stats{}
	c.mu.Unlock()
	if delta == (Stats{}) {
		return nil
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	s := c.readStats()
	s.add(delta)
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(c.dir, "stats.json"), append(data, '\n'))
}

func (c *Cache) readStats() Stats {
	var s Stats
	if data, err := os.ReadFile(filepath.Join(c.dir, "stats.json")); err == nil {
		json.Unmarshal(data, &s)
	}
	s.Records, s.RecordBytes = 0, 0
	return s
}

// Stats returns the persisted counters plus the current number of records
// and the bytes they reference.
func (c *Cache) Stats() (Stats, error) {
	s := c.readStats()
	recs, err := c.Records()
	if err != nil {
		return s, err
	}
	s.Records = len(recs)
	for _, r := range recs {
		s.RecordBytes += r.Size
	}
	return s, nil
}

// lock takes the cache's inter-process lock (for stats updates).
func (c *Cache) lock() (func(), error) {
	return flock(filepath.Join(c.dir, ".lock"))
}

// lockTree takes the inter-process lock of one component working tree.
func (c *Cache) lockTree(dir string) (func(), error) {
	sum := sha256.Sum256([]byte(dir))
	return flock(filepath.Join(c.dir, "locks", hex.EncodeToString(sum[:12])))
}

// flock takes an exclusive lock on file, creating it if needed.
func flock(file string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// remoteWarn reports a remote failure once and stops using the remote.
func (c *Cache) remoteWarn(err error) {
	c.count(func(s *Stats) { s.RemoteErrors++ })
	c.remoteOff.Store(true)
	c.warnOnce.Do(func() {
		c.warnf(fmt.Sprintf("remote cache unavailable, continuing without it: %v", err))
	})
}

func (c *Cache) remoteOn() bool { return c.remote != nil && !c.remoteOff.Load() }

// writeAtomic writes data to file through a synced temporary file and a
// rename, creating the directory when needed.
func writeAtomic(file string, data []byte) error { return writeFileSync(file, data, true) }

// writeCacheFile is writeAtomic without the fsync, for files that only
// save work (stat cache, explain state): after a crash they are either
// whole or unreadable, and an unreadable one is rebuilt.
func writeCacheFile(file string, data []byte) error { return writeFileSync(file, data, false) }

func writeFileSync(file string, data []byte, sync bool) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(dir, ".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}

func short(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}
