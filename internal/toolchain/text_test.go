package toolchain

import (
	"slices"
	"testing"
)

func TestInstallLines(t *testing.T) {
	got := InstallLines([]Installed{{Name: "go", Version: "1.22.1", Dir: "/d", Already: true}}, []Resolved{{Name: "eslint", Type: TypeNpm}})
	want := []string{"go 1.22.1 already installed in /d", "eslint: not installed by meta (npm package); 'meta tools script' writes its install command"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDescribe(t *testing.T) {
	got := (&Tool{Name: "b", Type: TypeBundle, Description: "d", Tools: []string{"x", "y"}}).Describe()
	if want := "b (bundle): d\ntools: x, y\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
