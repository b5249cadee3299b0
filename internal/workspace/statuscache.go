package workspace

import (
	"encoding/json"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/metawork/meta/internal/git"
)

// The status cache lets `meta status` skip `git status` for a repository
// that git last reported clean and in which nothing has changed since: same
// HEAD, same upstream commit, same index file, every tracked file with the
// stat data the index cached for it, and every directory holding tracked
// files with the same modification time (so no file was added or removed).
// Anything else, or anything this check cannot see, falls back to git.

// statusCacheFile is where the cache lives, relative to the meta repository.
const statusCacheFile = ".meta/cache/status.json"

// racyWindow: directories modified this close to the snapshot are not
// trusted, since a later change in the same clock tick would be invisible.
const racyWindow = 2 * time.Second

type statusCacheEntry struct {
	Path           string           `json:"path"`
	Commit         string           `json:"commit"`
	Branch         string           `json:"branch"`
	Upstream       string           `json:"upstream"`
	UpstreamCommit string           `json:"upstream_commit"`
	Ahead          int              `json:"ahead"`
	Behind         int              `json:"behind"`
	IndexSize      int64            `json:"index_size"`
	IndexMtime     int64            `json:"index_mtime"`
	Dirs           map[string]int64 `json:"dirs"`
	// Branches are the local branches' tips: a new or moved branch may
	// hold unpushed commits, which only git can tell.
	Branches map[string]string `json:"branches"`
	// GitDir and RefSeal (git.Repo.RefStamps, git.Seal) let a later run
	// see that no ref and not HEAD changed without reading them, and then
	// take refFacts from here. Absent: the refs are read and compared.
	GitDir  string       `json:"git_dir,omitempty"`
	RefSeal *git.RefSeal `json:"ref_seal,omitempty"`
	refFacts
}

type statusCache struct {
	mu      sync.Mutex
	file    string
	entries map[string]statusCacheEntry
	dirty   bool
}

func loadStatusCache(metaDir string) *statusCache {
	c := &statusCache{file: filepath.Join(metaDir, statusCacheFile), entries: map[string]statusCacheEntry{}}
	if data, err := os.ReadFile(c.file); err == nil {
		if json.Unmarshal(data, &c.entries) != nil {
			c.entries = map[string]statusCacheEntry{}
		}
	}
	return c
}

func (c *statusCache) get(name string) (statusCacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[name]
	return e, ok
}

func (c *statusCache) put(name string, e *statusCacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e == nil {
		if _, ok := c.entries[name]; ok {
			delete(c.entries, name)
			c.dirty = true
		}
		return
	}
	c.entries[name] = *e
	c.dirty = true
}

// save writes the cache atomically; failures only cost speed next time.
func (c *statusCache) save() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return
	}
	data, err := json.Marshal(c.entries)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(c.file), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.file), ".status-*.json")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.file) != nil {
		os.Remove(tmp.Name())
	}
}

// snapshot records what a clean git status can be trusted against later.
// It returns nil when the repository is not in a cacheable state.
func snapshot(repo *git.Repo, head git.Head, refs map[string]string, st git.Status) *statusCacheEntry {
	if st.Modified != 0 || st.Untracked != 0 {
		return nil
	}
	dir := repo.Dir
	entries, ist, err := repo.Index()
	if err != nil {
		return nil
	}
	now := clock()
	if now.Sub(ist.Mtime) < racyWindow {
		return nil
	}
	e := &statusCacheEntry{
		Path: dir, Commit: head.Commit, Branch: head.Branch,
		Upstream: st.Upstream, UpstreamCommit: upstreamCommit(refs, st.Upstream),
		Ahead: st.Ahead, Behind: st.Behind,
		IndexSize: ist.Size, IndexMtime: ist.Mtime.UnixNano(),
		Dirs: map[string]int64{}, Branches: localBranches(refs),
	}
	// Every directory of the work tree, so that a file created anywhere —
	// also in a directory git does not track — changes a recorded mtime.
	// Trees with very many directories (node_modules) are not cached.
	dirs, ok := allDirs(dir, maxCachedDirs)
	if !ok {
		return nil
	}
	for _, d := range dirs {
		fi, err := os.Lstat(filepath.Join(dir, d))
		if err != nil || !fi.IsDir() || now.Sub(fi.ModTime()) < racyWindow {
			return nil
		}
		e.Dirs[d] = fi.ModTime().UnixNano()
	}
	// The index entries must match the files now, or the next check would
	// never succeed anyway.
	for _, ie := range entries {
		if int64(ie.MtimeSec)*1e9+int64(ie.MtimeNsec) >= e.IndexMtime || !ie.StatMatches(filepath.Join(dir, ie.Path)) {
			return nil
		}
	}
	return e
}

// clock is time.Now; tests move it to see stamps as old.
var clock = time.Now

// stampRefs stamps the refs of repo (see git.Repo.RefStamps) and says when.
func stampRefs(repo *git.Repo) (map[string]git.Stamp, time.Time, bool) {
	at := clock()
	stamps, ok := repo.RefStamps()
	return stamps, at, ok
}

// withRefs returns a copy of e that also records the refs' stamps taken at
// at and the facts read from them after, unless a stamp is so recent that a
// change in the same clock tick would not show in it.
func (e statusCacheEntry) withRefs(repo *git.Repo, stamps map[string]git.Stamp, at time.Time, facts refFacts) *statusCacheEntry {
	e.GitDir, e.RefSeal, e.refFacts = "", nil, refFacts{}
	for _, st := range stamps {
		if st.Since(at.Add(-racyWindow)) {
			return &e
		}
	}
	seal := git.Seal(stamps)
	e.GitDir, e.RefSeal, e.refFacts = repo.GitDir, &seal, facts
	return &e
}

// unchangedSince reports whether a cached clean status holds without
// reading any ref: HEAD, every ref and the tree are as they were.
func unchangedSince(repo *git.Repo, e statusCacheEntry) bool {
	return e.Path == repo.Dir && e.GitDir == repo.GitDir && e.RefSeal != nil &&
		repo.RefSealMatches(*e.RefSeal) && treeUnchanged(repo, e)
}

// stillClean reports whether a cached clean status still holds, given the
// refs as they are now.
func stillClean(repo *git.Repo, e statusCacheEntry, head git.Head, refs map[string]string) bool {
	if e.Path != repo.Dir || e.Commit != head.Commit || e.Branch != head.Branch ||
		upstreamCommit(refs, e.Upstream) != e.UpstreamCommit || !maps.Equal(e.Branches, localBranches(refs)) {
		return false
	}
	return treeUnchanged(repo, e)
}

// treeUnchanged reports whether the index and every tracked file and every
// directory of the work tree are as the snapshot recorded them.
func treeUnchanged(repo *git.Repo, e statusCacheEntry) bool {
	dir := repo.Dir
	entries, ist, err := repo.Index()
	if err != nil || ist.Size != e.IndexSize || ist.Mtime.UnixNano() != e.IndexMtime {
		return false
	}
	for _, d := range trackedDirs(entries) {
		if _, ok := e.Dirs[d]; !ok {
			return false
		}
	}
	return git.TreeMatches(dir, e.Dirs, entries, e.IndexMtime)
}

// localBranches maps refs/heads/* to their commits.
func localBranches(refs map[string]string) map[string]string {
	out := map[string]string{}
	for name, id := range refs {
		if strings.HasPrefix(name, "refs/heads/") {
			out[name] = id
		}
	}
	return out
}

func upstreamCommit(refs map[string]string, upstream string) string {
	if upstream == "" {
		return ""
	}
	return refs["refs/remotes/"+upstream]
}

// maxCachedDirs bounds the directories a cached tree may have.
const maxCachedDirs = 2000

// allDirs lists every directory under dir except .git, relative to dir;
// ok is false when there are more than max.
func allDirs(dir string, max int) ([]string, bool) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if d.Name() == ".git" && p != dir {
			return filepath.SkipDir
		}
		if p != dir && nestedCheckoutDir(p) {
			return filepath.SkipDir // a nested component: its own tree
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		if len(out) > max {
			return filepath.SkipAll
		}
		return nil
	})
	return out, err == nil && len(out) <= max
}

// trackedDirs lists "." and every directory that holds a tracked path.
func trackedDirs(entries []git.IndexEntry) []string {
	seen := map[string]bool{".": true}
	out := []string{"."}
	for _, e := range entries {
		for d := path.Dir(e.Path); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
