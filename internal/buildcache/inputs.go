package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/run"
)

// statVersion is the version of the stat cache file format.
const statVersion = 1

// racyWindow: a file modified this close to (or after) the moment the
// stat cache was written may have changed again within the same
// timestamp tick, so its cached hash is not trusted (git's "racy clean").
const racyWindow = time.Second

// statEntry is what the stat cache remembers about one file: if all of
// size, times, inode and mode are unchanged, the contents are assumed
// unchanged and SHA is reused.
type statEntry struct {
	Size  int64  `json:"s"`
	Mtime int64  `json:"m"`
	Ctime int64  `json:"c"`
	Ino   uint64 `json:"i"`
	Mode  uint32 `json:"o"`
	SHA   string `json:"h"`
}

// outputState remembers the outputs last restored or built in a working
// tree, so a hit whose outputs are already in place restores nothing.
type outputState struct {
	Hash  string               `json:"hash"`
	Files map[string]statEntry `json:"files"` // SHA unused
}

// statFile is the on-disk stat cache of one component directory.
type statFile struct {
	Version int                  `json:"version"`
	Dir     string               `json:"dir"`
	Written int64                `json:"written"` // unix ns
	Files   map[string]statEntry `json:"files"`
	Outputs *outputState         `json:"outputs,omitempty"`
	// Index is the stat of the git index when Listed was read from it:
	// while the index is unchanged, so is the list of tracked files.
	Index  *statEntry `json:"index,omitempty"`
	Listed []string   `json:"listed,omitempty"`
	// LastHit is the key of the last successful run in this tree (built
	// or served); a repeat has nothing new to tell explain.
	LastHit string `json:"last_hit,omitempty"`
}

func statPath(cacheDir, dir string) string {
	s := sha256.Sum256([]byte(dir))
	return filepath.Join(cacheDir, "stat", hex.EncodeToString(s[:12])+".json")
}

func loadStatFile(cacheDir, dir string) *statFile {
	sf := &statFile{Version: statVersion, Dir: dir, Files: map[string]statEntry{}}
	data, err := os.ReadFile(statPath(cacheDir, dir))
	if err != nil {
		return sf
	}
	var got statFile
	if json.Unmarshal(data, &got) != nil || got.Version != statVersion || got.Dir != dir || got.Files == nil {
		return sf // unreadable or foreign: start afresh
	}
	return &got
}

func saveStatFile(cacheDir string, sf *statFile) error {
	sf.Written = time.Now().UnixNano()
	data, err := json.Marshal(sf)
	if err != nil {
		return err
	}
	return writeCacheFile(statPath(cacheDir, sf.Dir), data)
}

func statOf(fi fs.FileInfo) statEntry {
	e := statEntry{Size: fi.Size(), Mtime: fi.ModTime().UnixNano(), Mode: uint32(fi.Mode())}
	e.Ino, e.Ctime = inodeCtime(fi)
	return e
}

func (e statEntry) sameFile(o statEntry) bool {
	return e.Size == o.Size && e.Mtime == o.Mtime && e.Ctime == o.Ctime && e.Ino == o.Ino && e.Mode == o.Mode
}

// digest is the result of hashing one component's inputs.
type digest struct {
	Inputs []Input
	Hashed int  // files whose contents were read (stat cache misses)
	listed bool // the file list was read afresh from git
}

// indexStat stats the git index of the working tree at dir.
func indexStat(dir string) (statEntry, error) {
	gd, err := git.GitDir(dir)
	if err != nil {
		return statEntry{}, err
	}
	fi, err := os.Stat(filepath.Join(gd, "index"))
	if err != nil {
		return statEntry{}, err
	}
	return statOf(fi), nil
}

// digestInputs lists and hashes the input files of the component at dir.
// Without patterns the inputs are the files git tracks; with patterns,
// tracked and untracked-but-not-ignored files that match them. Files under
// an output path are never inputs. Unchanged files are not re-read: the
// stat cache under cacheDir remembers their hashes.
func digestInputs(ctx context.Context, cacheDir, dir string, patterns, outputs []string) (digest, *statFile, error) {
	var d digest
	var globs *Globs
	if len(patterns) > 0 {
		var err error
		if globs, err = ParseGlobs(patterns); err != nil {
			return digest{}, nil, err
		}
	}
	sf := loadStatFile(cacheDir, dir)
	var files []string
	index, indexErr := indexStat(dir)
	if globs == nil && indexErr == nil && sf.Index != nil && sf.Index.sameFile(index) && index.Mtime < sf.Written-int64(racyWindow) {
		files = sf.Listed
	} else {
		var err error
		if files, err = listFiles(ctx, dir, globs != nil); err != nil {
			return digest{}, nil, err
		}
		sf.Index, sf.Listed = nil, nil
		if globs == nil && indexErr == nil {
			sf.Index, sf.Listed = &index, files
			d.listed = true
		}
	}
	trustBefore := sf.Written - int64(racyWindow)
	next := make(map[string]statEntry, len(files))
	for _, rel := range files {
		if err := ctx.Err(); err != nil {
			return digest{}, nil, err
		}
		if underAny(rel, outputs) || (globs != nil && !globs.Match(rel)) {
			continue
		}
		abs := filepath.Join(dir, filepath.FromSlash(rel))
		fi, err := os.Lstat(abs)
		if errors.Is(err, fs.ErrNotExist) {
			continue // tracked but deleted in the working tree
		}
		if err != nil {
			return digest{}, nil, err
		}
		var mode string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			mode = "120000"
		case fi.Mode().IsRegular() && fi.Mode()&0o100 != 0:
			mode = "100755"
		case fi.Mode().IsRegular():
			mode = "100644"
		default:
			continue // a directory (submodule) or special file
		}
		st := statOf(fi)
		sum := ""
		if old, ok := sf.Files[rel]; ok && old.sameFile(st) && old.Mtime < trustBefore {
			sum = old.SHA
		} else {
			if sum, err = hashFile(abs, fi); err != nil {
				return digest{}, nil, err
			}
			d.Hashed++
		}
		st.SHA = sum
		next[rel] = st
		d.Inputs = append(d.Inputs, Input{Path: rel, SHA256: sum, Mode: mode})
	}
	sf.Files = next
	return d, sf, nil
}

// underAny reports whether rel is one of the paths in outs or below one.
func underAny(rel string, outs []string) bool {
	for _, o := range outs {
		o = strings.TrimSuffix(filepath.ToSlash(filepath.Clean(o)), "/")
		if rel == o || strings.HasPrefix(rel, o+"/") {
			return true
		}
	}
	return false
}

func hashFile(abs string, fi fs.FileInfo) (string, error) {
	h := sha256.New()
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(abs)
		if err != nil {
			return "", err
		}
		h.Write([]byte(target))
	} else {
		f, err := os.Open(abs)
		if err != nil {
			return "", err
		}
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", abs, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// listFiles returns the candidate input files of dir, slash-separated and
// sorted: git's tracked files (plus untracked, non-ignored ones when
// withUntracked), or, outside a git repository, every file below dir.
func listFiles(ctx context.Context, dir string, withUntracked bool) ([]string, error) {
	if _, err := git.GitDir(dir); err == nil {
		args := []string{"git", "-c", "core.quotepath=off", "ls-files", "-z", "--cached"}
		if withUntracked {
			args = append(args, "--others", "--exclude-standard")
		}
		out, err := run.Output(ctx, run.Cmd{Args: args, Dir: dir})
		if err != nil {
			return nil, fmt.Errorf("list the files of %s: %w", dir, err)
		}
		var files []string
		for f := range bytes.SplitSeq(out, []byte{0}) {
			if len(f) > 0 {
				files = append(files, string(f))
			}
		}
		slices.Sort(files)
		return slices.Compact(files), nil
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || p != dir && nestedCheckout(p)) {
			return fs.SkipDir
		}
		if !d.IsDir() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the files of %s: %w", dir, err)
	}
	slices.Sort(files)
	return files, nil
}

// nestedCheckout reports whether p is the top of another git checkout (a
// nested component): its files belong to that component, not the outer one.
func nestedCheckout(p string) bool {
	_, err := os.Lstat(filepath.Join(p, ".git"))
	return err == nil
}
