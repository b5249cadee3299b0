package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestListPinnedDescribeVerifyAll(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := t.TempDir(), t.TempDir()
	mktree(t, a, map[string]string{"README": "hello\n"})
	mktree(t, b, map[string]string{"ok": "fine"})
	ea, err := s.Add(ctx, "a", a, AddOptions{Pin: true})
	must(t, err)
	eb, err := s.Add(ctx, "b", b, AddOptions{})
	must(t, err)

	list, err := s.ListPinned()
	must(t, err)
	pinned := map[string]bool{}
	for _, l := range list {
		if l.Path != "" {
			t.Errorf("listing of %s has a path; only Describe sets it", l.Name)
		}
		pinned[l.Name] = l.Pinned
	}
	if len(list) != 2 || !pinned["a"] || pinned["b"] {
		t.Fatalf("ListPinned = %+v, want a pinned and b not", list)
	}
	d, err := s.Describe(eb.Hash)
	must(t, err)
	if d.Path != s.Path(eb.Hash) || d.Pinned || d.Name != "b" {
		t.Fatalf("Describe = %+v", d)
	}

	r, err := s.VerifyAll(ctx)
	must(t, err)
	if r.Verified != 2 || r.Corrupt == nil || len(r.Corrupt) != 0 {
		t.Fatalf("VerifyAll of a sound store = %+v, want 2 verified and an empty (not nil) list", r)
	}
	corruptFile(t, filepath.Join(ea.Path, "README"), "HELLO\n")
	r, err = s.VerifyAll(ctx)
	must(t, err)
	if r.Verified != 2 || len(r.Corrupt) != 1 || r.Corrupt[0].Name != "a" || r.Corrupt[0].Path != "README" {
		t.Fatalf("VerifyAll = %+v, want a's README named", r)
	}
}

func TestCheckAdd(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	must(t, os.WriteFile(file, []byte("x"), 0o644))
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(dir, link))
	for _, tc := range []struct {
		name, src string
		inputs    []string
		wantInput bool // an InputError
		wantIn    map[string]string
	}{
		{name: "ok", src: dir},
		{name: "ok", src: link, inputs: []string{"k=v", "e="}, wantIn: map[string]string{"k": "v", "e": ""}},
		{name: "", src: dir, wantInput: true},
		{name: "bad\x00name", src: dir, wantInput: true},
		{name: "ok", src: dir, inputs: []string{"novalue"}, wantInput: true},
		{name: "ok", src: dir, inputs: []string{"=v"}, wantInput: true},
		{name: "ok", src: filepath.Join(dir, "missing"), wantInput: true},
		{name: "ok", src: file, wantInput: true},
	} {
		src, in, err := CheckAdd(tc.name, tc.src, tc.inputs)
		var ie *InputError
		if got := errors.As(err, &ie); got != tc.wantInput {
			t.Errorf("CheckAdd(%q, %q, %q) = %v, want an InputError: %v", tc.name, tc.src, tc.inputs, err, tc.wantInput)
			continue
		}
		if err != nil {
			continue
		}
		if src != dir {
			t.Errorf("CheckAdd(%q) source = %q, want %q (symlinks resolved)", tc.src, src, dir)
		}
		if len(in) != len(tc.wantIn) || (tc.wantIn == nil) != (in == nil) {
			t.Errorf("CheckAdd inputs = %v, want %v", in, tc.wantIn)
		}
		for k, v := range tc.wantIn {
			if in[k] != v {
				t.Errorf("input %s = %q, want %q", k, in[k], v)
			}
		}
	}
}
