package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/manifest"
)

func TestFindMetaRoot(t *testing.T) {
	mkMeta := func(t *testing.T, dir string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, manifest.ManifestPath), []byte("components: {}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		metas   []string // meta repositories to make under the temp dir
		wd      string   // where meta starts, under the temp dir
		want    string   // the root found, under the temp dir
		wantErr string   // else the error's text after the temp dir
		hint    string
	}{
		{name: "enclosing", metas: []string{"meta"}, wd: "meta/manifests", want: "meta"},
		{name: "the only one below", metas: []string{"meta"}, wd: ".", want: "meta"},
		{name: "none", wd: ".", wantErr: ": " + manifest.ErrNotFound.Error(),
			hint: "run 'meta init' to start a workspace here, 'meta quickstart DIR' for a sample, or use -C DIR"},
		{name: "several below", metas: []string{"a", "b"}, wd: ".", wantErr: " holds 2 meta repositories: a, b",
			hint: "pick one with -C, e.g. 'meta -C a status'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			for _, m := range tc.metas {
				mkMeta(t, filepath.Join(tmp, m))
			}
			wd := filepath.Join(tmp, tc.wd)
			got, err := FindMetaRoot(wd)
			if tc.wantErr == "" {
				if err != nil || got != filepath.Join(tmp, tc.want) {
					t.Fatalf("FindMetaRoot = %q, %v; want %q", got, err, filepath.Join(tmp, tc.want))
				}
				return
			}
			var re *RootError
			if !errors.As(err, &re) || !re.Usage() {
				t.Fatalf("FindMetaRoot error = %v, want a *RootError", err)
			}
			if msg := strings.TrimPrefix(err.Error(), wd); msg != tc.wantErr || re.Hint() != tc.hint {
				t.Errorf("got %q (hint %q), want %q (hint %q)", msg, re.Hint(), tc.wantErr, tc.hint)
			}
		})
	}
}
