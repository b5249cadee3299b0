package store

import "sync"

// Progress receives how many bytes of file contents an operation has
// processed so far out of how many in all. phase is "hash", "copy",
// "get" or "verify". Calls are serialised but come from several
// goroutines; they should return quickly.
type Progress func(phase string, done, total int64)

// SetProgress makes the store report the progress of Add, Get and Verify
// to p (nil: no reports). Set it before using the store.
func (s *Store) SetProgress(p Progress) { s.progress = p }

// meter counts progress for one phase of one operation.
type meter struct {
	mu    sync.Mutex
	p     Progress
	phase string
	done  int64
	total int64
}

// meter starts counting a phase over the given files.
func (s *Store) meter(phase string, files []*node) *meter {
	if s.progress == nil {
		return nil
	}
	m := &meter{p: s.progress, phase: phase}
	for _, n := range files {
		m.total += n.size
	}
	m.p(phase, 0, m.total)
	return m
}

// add records n more bytes done.
func (m *meter) add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.p(m.phase, m.done, m.total)
}
