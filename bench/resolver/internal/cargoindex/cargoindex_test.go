package cargoindex

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/metawork/meta/internal/registry"
)

func TestReq(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3":       "^1.2.3",
		"^1.2":        "^1.2",
		"~0.3":        "~0.3",
		"*":           "*",
		">=1.0, <2.0": ">=1.0, <2.0",
		"1.0, <1.5":   "^1.0, <1.5",
		"=1.0.0":      "=1.0.0",
		"":            "",
	} {
		if got := Req(in); got != want {
			t.Errorf("Req(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndex(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "se", "rd", "serde")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	lines := `{"name":"serde","vers":"1.0.0","deps":[{"name":"derive","req":"1.0","optional":false,"kind":"normal"},{"name":"x","req":"^2","optional":true,"kind":"normal"},{"name":"t","req":"*","optional":false,"kind":"dev"},{"name":"b","package":"build-helper","req":"~0.1","optional":false,"kind":"build"}],"cksum":"ab","yanked":false}

{"name":"serde","vers":"1.0.1","deps":[],"cksum":"cd","yanked":true}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Dir(dir).Index(context.Background(), "Serde")
	if err != nil {
		t.Fatal(err)
	}
	want := []registry.IndexEntry{
		{Name: "serde", Vers: "1.0.0", Cksum: "ab", Deps: []registry.Dep{{Name: "derive", Req: "^1.0"}, {Name: "build-helper", Req: "~0.1"}}},
		{Name: "serde", Vers: "1.0.1", Cksum: "cd", Yanked: true, Deps: []registry.Dep{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Index = %+v\nwant %+v", got, want)
	}
	for _, name := range []string{"absent", "../se", ""} {
		if _, err := Dir(dir).Index(context.Background(), name); !errors.Is(err, registry.ErrPackageNotFound) {
			t.Errorf("Index(%q) = %v, want ErrPackageNotFound", name, err)
		}
	}
	if err := os.WriteFile(path, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(dir).Index(context.Background(), "serde"); err == nil {
		t.Error("a line that is not JSON: no error")
	}
}

func FuzzReq(f *testing.F) {
	f.Add("1.2.3")
	f.Add(">=1.0, <2.0")
	f.Add(",,^1")
	f.Fuzz(func(t *testing.T, s string) {
		_ = Req(s) // must not panic
	})
}
