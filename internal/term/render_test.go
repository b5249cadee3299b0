package term

import (
	"bytes"
	"errors"
	"testing"

	"github.com/metawork/meta/internal/progress"
)

func TestRendererPrintsOneLinePerFinishedItem(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, nil, func(e progress.Event) string {
		if e.Err != nil {
			return "failed: " + e.Err.Error()
		}
		return "ok " + e.Result.(string)
	})
	progress.Plan(r, []string{"alpha", "b"})
	progress.Start(r, "alpha", "cloning")
	progress.Note(r, "", "meta: warning: slow")
	progress.Finish(r, "alpha", "v1", nil)
	progress.Finish(r, "b", nil, errors.New("boom"))
	r.Close()
	want := "meta: warning: slow\nalpha  ok v1\nb      failed: boom\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}

func TestRendererBlockPrintsDescribeAsItIs(t *testing.T) {
	var buf bytes.Buffer
	r := NewRenderer(&buf, false, nil, func(e progress.Event) string {
		return "== " + e.Item + "\n" + e.Result.(string)
	})
	r.Block = true
	progress.Plan(r, []string{"a", "bb"})
	progress.Start(r, "a", "running")
	progress.Finish(r, "a", "out a\n", nil)
	progress.Finish(r, "bb", "out b\n", errors.New("exit status 1"))
	r.Close()
	want := "== a\nout a\n== bb\nout b\n"
	if buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
}
