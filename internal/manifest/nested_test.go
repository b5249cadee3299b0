package manifest

import (
	"slices"
	"testing"
)

func TestNestedComponents(t *testing.T) {
	src := `components:
  base: {repo: /r/base, path: ../tools/bsim/components}
  chan: {repo: /r/chan, path: ../tools/bsim/components/ext_chan}
  deep: {repo: /r/deep, path: ../tools/bsim/components/ext_chan/x}
  side: {repo: /r/side, path: ../tools/bsim/components-extra}
  other: {repo: /r/other, path: ../tools/bsim}
`
	m, err := Parse("/w/meta", ManifestPath, []byte(src))
	if err != nil {
		t.Fatalf("nested checkouts are allowed: %v", err)
	}
	n := m.Nesting()
	for name, want := range map[string]string{"base": "other", "chan": "base", "deep": "chan", "side": "other", "other": ""} {
		if got := n.Outer(name); got != want {
			t.Errorf("Outer(%s) = %q, want %q", name, got, want)
		}
	}
	if got := n.Inner("base"); !slices.Equal(got, []string{"chan", "deep"}) {
		t.Errorf("Inner(base) = %v", got)
	}
	if got := n.Inner("other"); !slices.Equal(got, []string{"side", "base", "chan", "deep"}) {
		t.Errorf("Inner(other) = %v", got)
	}
	if n.Inner("side") != nil || !n.Any() {
		t.Errorf("Inner(side) = %v, Any = %v", n.Inner("side"), n.Any())
	}
}

func TestDefaultSelection(t *testing.T) {
	src := `workspace:
  default_groups: [-babblesim, -testing, tee]
components:
  plain: {repo: /r/a}
  bsim: {repo: /r/b, groups: [babblesim]}
  psa: {repo: /r/c, groups: [testing, tee]}
  hal: {repo: /r/d, groups: [hal]}
`
	m, err := Parse("/w/meta", ManifestPath, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"plain": true, "bsim": false, "psa": true, "hal": true} {
		if got := m.InDefaultSelection(m.Components[name]); got != want {
			t.Errorf("%s: in default selection = %v, want %v", name, got, want)
		}
	}
	m.Workspace.DefaultGroups = nil
	if !m.InDefaultSelection(m.Components["bsim"]) {
		t.Error("without default_groups every component is selected")
	}
}
