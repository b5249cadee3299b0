package git

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// Clobbered returns the paths, sorted, that a checkout from commit from to
// commit to would overwrite although the index does not track them: files
// that to tracks and from does not, or the parent of such a file, present
// in the working tree at dir. git checkout refuses to overwrite untracked
// files, but overwrites ignored ones without a word: callers treat every
// path returned as local work.
func Clobbered(ctx context.Context, dir, from, to string) ([]string, error) {
	if from == "" {
		return nil, nil
	}
	out, err := Cmd(ctx, dir, "diff", "--name-only", "-z", "--no-renames", "--diff-filter=A", "--end-of-options", from, to, "--")
	if err != nil {
		return nil, err
	}
	found := map[string]bool{}
	for _, p := range strings.Split(out, "\x00") {
		if p == "" {
			continue
		}
		if st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
			if !st.IsDir() || st.Mode()&fs.ModeSymlink != 0 {
				found[p] = true
			} else {
				found[p+"/"] = true // a directory where to has a file
			}
			continue
		}
		// A file (or a link) where to has a directory.
		for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
			st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(d)))
			if err == nil && !st.IsDir() {
				found[d] = true
				break
			}
			if err == nil {
				break
			}
		}
	}
	paths := make([]string, 0, len(found))
	for p := range found {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths, nil
}

// SaveFiles records the working-tree files paths of dir (ignored ones
// included) in a new commit whose parent is base, and points ref at it;
// ref must not exist yet. The repository's index and working tree are
// left as they are.
func SaveFiles(ctx context.Context, dir, ref, base, message string, paths []string) error {
	if len(paths) == 0 {
		return errors.New("no files to save")
	}
	tmp, err := os.MkdirTemp("", "meta-save-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	e := append(sshBatch(env), "GIT_INDEX_FILE="+filepath.Join(tmp, "index"))
	git := func(args ...string) (string, error) {
		out, err := run.Output(ctx, run.Cmd{Args: append([]string{"git", "-c", "user.name=meta", "-c", "user.email=meta@localhost"}, args...), Dir: dir, Env: e})
		return strings.TrimSpace(string(out)), err
	}
	if _, err := git("read-tree", "--end-of-options", base); err != nil {
		return err
	}
	clean := make([]string, len(paths))
	for i, p := range paths {
		clean[i] = strings.TrimSuffix(p, "/")
	}
	if _, err := git(append([]string{"add", "--force", "--"}, clean...)...); err != nil {
		return err
	}
	tree, err := git("write-tree")
	if err != nil {
		return err
	}
	commit, err := git("commit-tree", "-p", base, "-m", message, "--end-of-options", tree)
	if err != nil {
		return err
	}
	_, err = git("update-ref", "-m", message, "--end-of-options", ref, commit, "")
	return err
}
