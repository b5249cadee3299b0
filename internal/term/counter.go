package term

import (
	"fmt"
	"io"
	"sync"
)

// Counter draws one status line on w when it is interactive: update
// redraws it as format applied to done and total, clear erases it. Where
// w is not interactive (pipes, CI logs) update is nil and clear does
// nothing.
func Counter(w io.Writer, format string) (update func(done, total int), clear func()) {
	if !Interactive(w) {
		return nil, func() {}
	}
	return counter(w, format)
}

func counter(w io.Writer, format string) (update func(done, total int), clear func()) {
	var mu sync.Mutex
	drawn := false
	return func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w, "\r"+format, done, total)
			drawn = true
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			if drawn {
				fmt.Fprint(w, "\r\033[K")
			}
		}
}
