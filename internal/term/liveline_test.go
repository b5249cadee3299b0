package term

import (
	"bytes"
	"testing"
)

func TestLiveLineOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	update, done := LiveLine(&buf, "store add")
	if update != nil {
		t.Error("update is not nil on a buffer")
	}
	done()
	if buf.Len() != 0 {
		t.Errorf("wrote %q off a terminal", buf.String())
	}
}
