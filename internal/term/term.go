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

// Lines shows the progress of many tasks. On a terminal it keeps a live
// region at the bottom — one summary line plus the running tasks, never
// taller than the terminal — and prints each finished task once above it,
// so the scrollback holds one line per task, not redraws. Off a terminal
// each finished task prints one plain line, so CI logs stay readable and
// never interleave.
type Lines struct {
	mu      sync.Mutex
	w       io.Writer
	live    bool
	names   []string
	state   map[string]string
	done    map[string]bool
	failed  int
	drawn   int // lines of the live region on screen now
	last    time.Time
	nameLen int
	// size reports the terminal's width and height (0 when unknown).
	size func() (int, int)
}

// NewLines returns a progress display for the given task names on w.
func NewLines(w io.Writer, names []string) *Lines {
	l := &Lines{w: w, live: Interactive(w), names: names, state: map[string]string{}, done: map[string]bool{}}
	for _, n := range names {
		l.nameLen = max(l.nameLen, len(n))
		l.state[n] = "waiting"
	}
	l.size = func() (int, int) {
		if f, ok := w.(*os.File); ok {
			if wd, ht, err := xterm.GetSize(int(f.Fd())); err == nil {
				return wd, ht
			}
		}
		return 0, 0
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
		l.redraw("")
	}
}

// Done records the final status of a task and prints its line, once.
func (l *Lines) Done(name, status string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.finish(name, status)
	line := fmt.Sprintf("%-*s  %s\n", l.nameLen, name, status)
	if l.live {
		l.redraw(l.clip(line))
		return
	}
	io.WriteString(l.w, line)
}

// Failed is Done for a task that failed (counted in the summary line).
func (l *Lines) Failed(name, status string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.failed++
	l.mu.Unlock()
	l.Done(name, status)
}

// DoneText records that a task finished (failed or not) and prints text,
// whole lines as they are, above the live region: for tasks whose result
// is a block of output rather than a status after the name.
func (l *Lines) DoneText(name, text string, failed bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if failed {
		l.failed++
	}
	l.finish(name, "")
	if l.live {
		l.redraw(text)
		return
	}
	io.WriteString(l.w, text)
}

// Print writes text (whole lines) above the live region, once.
func (l *Lines) Print(text string) {
	if l == nil || text == "" {
		return
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live {
		l.redraw(text)
		return
	}
	io.WriteString(l.w, text)
}

func (l *Lines) finish(name, status string) {
	if !l.done[name] {
		l.done[name] = true
	}
	l.state[name] = status
}

// Close removes the live region, leaving the finished lines.
func (l *Lines) Close() {
	if l == nil || !l.live {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.erase()
}

// clip cuts each line of text to the terminal's width.
func (l *Lines) clip(text string) string {
	width, _ := l.size()
	if width <= 1 {
		return text
	}
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		if visibleLen(body) >= width {
			body = cut(body, width-1)
		}
		b.WriteString(body)
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// erase moves to the top of the live region and clears it.
func (l *Lines) erase() {
	if l.drawn > 0 {
		fmt.Fprintf(l.w, "\x1b[%dA\r\x1b[J", l.drawn)
	}
	l.drawn = 0
}

// redraw prints above (finished lines) and then the live region: a
// summary line and as many running tasks as fit below the terminal's
// height.
func (l *Lines) redraw(above string) {
	l.last = time.Now()
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[J", l.drawn)
	}
	b.WriteString(above)
	var running []string
	for _, n := range l.names {
		if !l.done[n] && l.state[n] != "waiting" {
			running = append(running, n)
		}
	}
	finished := len(l.done)
	if finished == len(l.names) {
		l.drawn = 0
		io.WriteString(l.w, b.String())
		return
	}
	_, height := l.size()
	room := len(running)
	if height > 0 {
		room = min(room, max(height-2, 0)) // the summary line, and the cursor's line
	}
	summary := fmt.Sprintf("%d/%d done, %d running", finished, len(l.names), len(running))
	if l.failed > 0 {
		summary += fmt.Sprintf(", %d failed", l.failed)
	}
	if hidden := len(running) - room; hidden > 0 {
		if room > 0 {
			room-- // a line to say how many are not shown
		}
		summary += fmt.Sprintf(" (%d not shown)", len(running)-room)
	}
	lines := []string{summary}
	for _, n := range running[:room] {
		lines = append(lines, fmt.Sprintf("%-*s  %s", l.nameLen, n, l.state[n]))
	}
	b.WriteString(l.clip(strings.Join(lines, "\n") + "\n"))
	l.drawn = len(lines)
	io.WriteString(l.w, b.String())
}

// visibleLen is the length of s without ANSI colour sequences.
func visibleLen(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
		case r == '\x1b':
			esc = true
		default:
			n++
		}
	}
	return n
}

// cut shortens s to n visible characters, keeping colour sequences and
// resetting colour at the end.
func cut(s string, n int) string {
	var b strings.Builder
	seen, esc := 0, false
	for _, r := range s {
		switch {
		case esc:
			esc = r != 'm'
			b.WriteRune(r)
			continue
		case r == '\x1b':
			esc = true
			b.WriteRune(r)
			continue
		}
		if seen == n {
			continue
		}
		b.WriteRune(r)
		seen++
	}
	if strings.Contains(s, "\x1b[") {
		b.WriteString("\x1b[0m")
	}
	return b.String()
}
