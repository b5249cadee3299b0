package store

import (
	"errors"
	"slices"
	"testing"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := HumanSize(n); got != want {
			t.Errorf("HumanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestVerifyReportLines(t *testing.T) {
	ok := VerifyReport{Verified: 3, Corrupt: []Corrupt{}}
	if got := ok.Lines(); !slices.Equal(got, []string{"ok: 3 entries verified"}) {
		t.Errorf("ok report: %q", got)
	}
	bad := VerifyReport{Verified: 2, Corrupt: []Corrupt{{Hash: "h1", Name: "site", Path: "a.txt", Reason: "content changed"}, {Hash: "h2", Reason: "metadata unreadable"}}}
	want := []string{"corrupt: h1 site: a.txt: content changed", "corrupt: h2 ?: metadata unreadable"}
	if got := bad.Lines(); !slices.Equal(got, want) {
		t.Errorf("corrupt report:\n got %q\nwant %q", got, want)
	}
}

func TestResolveArgHints(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for arg, usage := range map[string]bool{"xyz": true, "0123456789abcdef": false} {
		_, err := s.ResolveArg(arg)
		var he *HintedError
		if !errors.As(err, &he) || he.Hint() == "" || he.Usage() != usage {
			t.Errorf("ResolveArg(%q) = %v; want a hinted error with usage %v", arg, err, usage)
		}
	}
}
