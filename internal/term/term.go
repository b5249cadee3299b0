// Package term owns meta's output streams: whether they are terminals,
// whether colour is wanted (NO_COLOR, CI), and live per-task progress lines
// that degrade to plain lines in pipes and CI logs.
package term

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	xterm "golang.org/x/term"
)

// Streams are the three standard streams of a command.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return xterm.IsTerminal(int(f.Fd()))
}

// Interactive reports whether live progress should be drawn on w: a
// terminal, not CI, and TERM not "dumb".
func Interactive(w io.Writer) bool {
	if os.Getenv("CI") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// Color reports whether ANSI colour may be written to w.
func Color(w io.Writer) bool {
	if _, ok := os.LookupEnv("NO_COLOR"); ok {
		return false
	}
	return Interactive(w)
}

// Palette wraps text in ANSI colours when enabled.
type Palette struct{ On bool }

func (p Palette) wrap(code, s string) string {
	if !p.On {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p Palette) Red(s string) string    { return p.wrap("31", s) }
func (p Palette) Green(s string) string  { return p.wrap("32", s) }
func (p Palette) Yellow(s string) string { return p.wrap("33", s) }
func (p Palette) Bold(s string) string   { return p.wrap("1", s) }
func (p Palette) Dim(s string) string    { return p.wrap("2", s) }

// Lines shows one line per task. On a terminal the lines are redrawn in
// place as tasks progress; otherwise each finished task prints one plain
// line, so CI logs stay readable and never interleave.
type Lines struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	names   []string
	state   map[string]string
	drawn   int
	last    time.Time
	nameLen int
}

// NewLines returns a progress display for the given task names on w.
func NewLines(w io.Writer, names []string) *Lines {
	l := &Lines{w: w, live: Interactive(w), names: names, state: map[string]string{}}
	for _, n := range names {
		l.nameLen = max(l.nameLen, len(n))
		l.state[n] = "waiting"
	}
	return l
}

// Update sets the live status of a task (shown only on a terminal).
func (l *Lines) Update(name, status string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state[name] = status
	if l.live && time.Since(l.last) > 50*time.Millisecond {
		l.redraw()
	}
}

// Done records the final status of a task and, off a terminal, prints it.
func (l *Lines) Done(name, status string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state[name] = status
	if l.live {
		l.redraw()
		return
	}
	fmt.Fprintf(l.w, "%-*s  %s\n", l.nameLen, name, status)
}

// Close draws the final state on a terminal.
func (l *Lines) Close() {
	if l == nil || !l.live {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.redraw()
}

func (l *Lines) redraw() {
	l.last = time.Now()
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.drawn)
	}
	width := 0
	if f, ok := l.w.(*os.File); ok {
		width, _, _ = xterm.GetSize(int(f.Fd()))
	}
	for _, n := range l.names {
		line := fmt.Sprintf("%-*s  %s", l.nameLen, n, l.state[n])
		if width > 1 && len(line) >= width {
			line = line[:width-1]
		}
		b.WriteString("\x1b[2K" + line + "\n")
	}
	l.drawn = len(l.names)
	io.WriteString(l.w, b.String())
}
