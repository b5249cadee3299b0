package term

import "io"

// LiveLine is one task's live line on w, named label, when w is
// interactive (never in pipes or CI): update sets its status, done
// prints it finished. Elsewhere update is nil and done does nothing.
func LiveLine(w io.Writer, label string) (update func(status string), done func()) {
	if !Interactive(w) {
		return nil, func() {}
	}
	l := NewLines(w, []string{label})
	return func(s string) { l.Update(label, s) }, func() { l.Done(label, "done") }
}
