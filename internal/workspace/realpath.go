package workspace

import (
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// realPaths resolves symbolic links as filepath.EvalSymlinks does, but
// remembers the directories it resolved: a workspace's components share
// their parents (/ws, /ws/device, /ws/device/google), so checking a
// thousand components costs about one lstat each instead of one per path
// element. It is meant for one command's run; a nil *realPaths does not
// remember anything.
type realPaths struct {
	mu   sync.Mutex
	dirs map[string]string
}

func newRealPaths() *realPaths { return &realPaths{dirs: map[string]string{}} }

// eval returns p with every symbolic link resolved.
func (r *realPaths) eval(p string) (string, error) {
	if r == nil || !filepath.IsAbs(p) || filepath.Clean(p) != p {
		// Relative, or with ".." that must apply after links resolve.
		return filepath.EvalSymlinks(p)
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p, nil // the file system root
	}
	rp, err := r.evalDir(parent)
	if err != nil {
		return "", err
	}
	full := filepath.Join(rp, filepath.Base(p))
	fi, err := os.Lstat(full)
	if err != nil {
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return filepath.EvalSymlinks(full)
	}
	return full, nil
}

func (r *realPaths) evalDir(p string) (string, error) {
	if r == nil {
		return filepath.EvalSymlinks(p)
	}
	r.mu.Lock()
	rp, ok := r.dirs[p]
	r.mu.Unlock()
	if ok {
		return rp, nil
	}
	rp, err := r.eval(p)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	r.dirs[p] = rp
	r.mu.Unlock()
	return rp, nil
}
