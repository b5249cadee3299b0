package workspace

import (
	"errors"
	"slices"
	"testing"

	"github.com/metawork/meta/internal/manifest"
)

func TestSelect(t *testing.T) {
	src := `components:
  api: {repo: /r/api, groups: [backend], depends_on: [lib]}
  lib: {repo: /r/lib, depends_on: [base]}
  base: {repo: /r/base}
  web: {repo: /r/web, groups: [frontend]}
`
	m, err := manifest.Parse(t.TempDir(), manifest.ManifestPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		names, groups []string
		deps          bool
		want          []string
		hint          string
	}{
		{want: []string{"api", "lib", "base", "web"}},
		{names: []string{"web,lib"}, want: []string{"lib", "web"}},
		{groups: []string{"backend"}, want: []string{"api"}},
		{groups: []string{"backend"}, deps: true, want: []string{"api", "lib", "base"}},
		{groups: []string{"-frontend"}, want: []string{"api", "lib", "base"}},
		{names: []string{"web"}, groups: []string{"backend"}, want: []string{"api", "web"}},
		{names: []string{"wbe"}, hint: `did you mean "web"?`},
		{groups: []string{"backnd"}, hint: `did you mean "backend"? known groups: backend, frontend`},
	} {
		got, err := Select(m, tc.names, tc.groups, tc.deps)
		if tc.hint != "" {
			var se *SelectionError
			if !errors.As(err, &se) || se.Hint != tc.hint {
				t.Errorf("Select(%v, %v): err %v, want hint %q", tc.names, tc.groups, err, tc.hint)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Select(%v, %v): %v", tc.names, tc.groups, err)
		}
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("Select(%v, %v, %v) = %v, want %v", tc.names, tc.groups, tc.deps, names, tc.want)
		}
	}
}
