package term

import (
	"bytes"
	"testing"
)

func TestCounter(t *testing.T) {
	for _, tc := range []struct {
		name    string
		updates [][2]int
		want    string
	}{
		{"never drawn: clear writes nothing", nil, ""},
		{"redrawn in place, then erased", [][2]int{{1, 3}, {3, 3}}, "\rread 1/3\rread 3/3\r\033[K"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			update, clear := counter(&buf, "read %d/%d")
			for _, u := range tc.updates {
				update(u[0], u[1])
			}
			clear()
			if buf.String() != tc.want {
				t.Errorf("got %q, want %q", buf.String(), tc.want)
			}
		})
	}
}

func TestCounterOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	update, clear := Counter(&buf, "read %d/%d")
	if update != nil {
		t.Error("update is not nil on a buffer")
	}
	clear()
	if buf.Len() != 0 {
		t.Errorf("wrote %q off a terminal", buf.String())
	}
}
