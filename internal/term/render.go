package term

import (
	"io"
	"sync"

	"github.com/metawork/meta/internal/progress"
)

// Renderer shows progress events as Lines: on a terminal a live region
// with the running items, elsewhere one plain line per finished item.
// Describe turns a Finished event into the line shown for it; Status
// turns Started and Updated events into the live status (nil: the
// event's own Status). Notes print above the live region.
type Renderer struct {
	w        io.Writer
	Describe func(progress.Event) string
	Status   func(progress.Event) string
	// Block: Describe returns whole lines, printed as they are instead of
	// after the item's name.
	Block bool
	mu    sync.Mutex
	lines *Lines
}

// NewRenderer returns a Renderer writing to w. With plain set, the live
// region is never drawn, even on a terminal (for -v, whose own lines
// would interleave with it). names may be nil when a Planned event will
// name the items.
func NewRenderer(w io.Writer, plain bool, names []string, describe func(progress.Event) string) *Renderer {
	if plain {
		w = plainWriter{w}
	}
	r := &Renderer{w: w, Describe: describe}
	if names != nil {
		r.lines = NewLines(w, names)
	}
	return r
}

// plainWriter hides that a writer is a terminal.
type plainWriter struct{ io.Writer }

// Event shows e.
func (r *Renderer) Event(e progress.Event) {
	r.mu.Lock()
	if r.lines == nil || e.Kind == progress.Planned {
		r.lines.Close()
		r.lines = NewLines(r.w, e.Items)
	}
	l := r.lines
	r.mu.Unlock()
	switch e.Kind {
	case progress.Started, progress.Updated:
		s := e.Status
		if r.Status != nil {
			s = r.Status(e)
		}
		l.Update(e.Item, s)
	case progress.Finished:
		text := e.Status
		if r.Describe != nil {
			text = r.Describe(e)
		}
		if r.Block {
			l.DoneText(e.Item, text, e.Err != nil)
		} else if e.Err != nil {
			l.Failed(e.Item, text)
		} else {
			l.Done(e.Item, text)
		}
	case progress.Noted:
		l.Print(e.Status)
	}
}

// Close removes the live region, leaving the finished lines.
func (r *Renderer) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines.Close()
}
