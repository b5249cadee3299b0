package cargoindex

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/metawork/meta/internal/regindex"
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
	want := []regindex.IndexEntry{
		{Name: "serde", Vers: "1.0.0", Cksum: "ab", Deps: []regindex.Dep{{Name: "derive", Req: "^1.0"}, {Name: "build-helper", Req: "~0.1"}}},
		{Name: "serde", Vers: "1.0.1", Cksum: "cd", Yanked: true, Deps: []regindex.Dep{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Index = %+v\nwant %+v", got, want)
	}
	heads, full, err := Dir(dir).IndexVersions(context.Background(), "serde")
	if err != nil {
		t.Fatal(err)
	}
	if heads.Len() != len(want) {
		t.Fatalf("IndexVersions: %d entries, want %d", heads.Len(), len(want))
	}
	for i := range want {
		if heads.Vers(i) != want[i].Vers || heads.IsYanked(i) != want[i].Yanked {
			t.Errorf("IndexVersions entry %d = %s yanked %v, want the version and yanked of %+v", i, heads.Vers(i), heads.IsYanked(i), want[i])
		}
		if e, err := full(i); err != nil || !reflect.DeepEqual(*e, want[i]) {
			t.Errorf("full(%d) = %+v, %v; want %+v", i, e, err, want[i])
		}
	}
	for _, name := range []string{"absent", "../se", ""} {
		if _, _, err := Dir(dir).IndexVersions(context.Background(), name); !errors.Is(err, regindex.ErrPackageNotFound) {
			t.Errorf("IndexVersions(%q) = %v, want ErrPackageNotFound", name, err)
		}
	}
	for _, name := range []string{"absent", "../se", ""} {
		if _, err := Dir(dir).Index(context.Background(), name); !errors.Is(err, regindex.ErrPackageNotFound) {
			t.Errorf("Index(%q) = %v, want ErrPackageNotFound", name, err)
		}
	}
	if err := os.WriteFile(path, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(dir).Index(context.Background(), "serde"); err == nil {
		t.Error("a line that is not JSON: no error")
	}
	if _, _, err := Dir(dir).IndexVersions(context.Background(), "serde"); err == nil {
		t.Error("IndexVersions, a line that is not JSON: no error")
	}
}

// FuzzIndexVersions checks that reading an index file lazily gives what
// reading it in full gives: the same versions, and each entry in full.
func FuzzIndexVersions(f *testing.F) {
	f.Add(`{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"1","optional":false,"kind":"normal"}],"cksum":"x","yanked":false}`)
	f.Add("{\"name\":\"a\",\"vers\":\"1.0.0\",\"deps\":[],\"yanked\":true}\n\n{\"name\":\"a\",\"vers\":\"2.0.0\"}\n")
	f.Add(`{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":5}]}`)
	f.Add(`{"vers":"\u0031.0.0","yanked":null}`)
	f.Add("{not json")
	f.Fuzz(func(t *testing.T, content string) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "1"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "1", "a"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		all, err := Dir(dir).Index(context.Background(), "a")
		heads, full, lerr := Dir(dir).IndexVersions(context.Background(), "a")
		if err != nil {
			return // a line the full read rejects may pass the lazy one until read in full
		}
		if lerr != nil {
			t.Fatalf("Index reads it, IndexVersions fails: %v", lerr)
		}
		if heads.Len() != len(all) {
			t.Fatalf("IndexVersions: %d entries, Index %d", heads.Len(), len(all))
		}
		for i := range all {
			if heads.Vers(i) != all[i].Vers || heads.IsYanked(i) != all[i].Yanked {
				t.Errorf("entry %d: lazy %s yanked %v, full %+v", i, heads.Vers(i), heads.IsYanked(i), all[i])
			}
			if e, err := full(i); err != nil || !reflect.DeepEqual(*e, all[i]) {
				t.Errorf("full(%d) = %+v, %v; Index has %+v", i, e, err, all[i])
			}
		}
	})
}

func FuzzReq(f *testing.F) {
	f.Add("1.2.3")
	f.Add(">=1.0, <2.0")
	f.Add(",,^1")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Req(s), reqClauses(s); got != want {
			t.Errorf("Req(%q) = %q, by clauses %q", s, got, want)
		}
	})
}
