package backend

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"time"
)

// SweepTemp removes the temporary files of writes that never finished (a
// process killed mid-Put) once they are older than olderThan, and returns
// how many it removed. Younger ones may belong to a writer still at work,
// possibly another process sharing the directory.
func (l *Local) SweepTemp(olderThan time.Duration) (int, error) {
	d, err := l.root.Open(tmpDir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("%s: %w", l.dir, err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", l.dir, err)
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, e := range ents {
		st, err := e.Info()
		if err != nil || !st.Mode().IsRegular() || st.ModTime().After(cutoff) {
			continue
		}
		if l.root.Remove(path.Join(tmpDir, e.Name())) == nil {
			n++
		}
	}
	return n, nil
}
