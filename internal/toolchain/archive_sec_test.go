package toolchain

import (
	"archive/tar"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// A chain of relative symlinks, each harmless to a lexical check, that
// together climb out of the install directory (issue 15, item 9b).
func TestUnpackRefusesSymlinkChains(t *testing.T) {
	chain := []tar.Header{
		{Name: "pkg/sub/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "pkg/sub/up", Typeflag: tar.TypeSymlink, Linkname: ".."},
	}
	prev := "up"
	for i := 1; i <= 12; i++ {
		chain = append(chain, tar.Header{Name: fmt.Sprintf("pkg/sub/u%d", i), Typeflag: tar.TypeSymlink, Linkname: prev + "/.."})
		prev = fmt.Sprintf("u%d", i)
	}
	chain = append(chain, tar.Header{Name: "pkg/bin/evil", Typeflag: tar.TypeSymlink, Linkname: "../sub/u12/outside"})
	later := []tar.Header{ // the link is written before the link it climbs through
		{Name: "bin/x", Typeflag: tar.TypeSymlink, Linkname: "../d/l/.."},
		{Name: "d/l", Typeflag: tar.TypeSymlink, Linkname: ".."},
	}
	for name, entries := range map[string][]tar.Header{"chain": chain, "link defined later": later} {
		dir := t.TempDir()
		arch := filepath.Join(dir, "a.tar.gz")
		os.WriteFile(arch, tarGz(t, entries, "x"), 0o644)
		target := filepath.Join(dir, "out")
		os.Mkdir(target, 0o755)
		err := unpack(arch, KindTarGz, target, 1)
		if name == "link defined later" {
			err = unpack(arch, KindTarGz, mkTemp(t), 0)
		}
		var ue *UnsafeArchiveError
		if !errors.As(err, &ue) {
			t.Errorf("%s: unpack = %v, want an UnsafeArchiveError", name, err)
		}
	}
	// Links that stay inside still unpack.
	dir := t.TempDir()
	arch := filepath.Join(dir, "ok.tar.gz")
	os.WriteFile(arch, tarGz(t, []tar.Header{
		{Name: "lib/real", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: "lib/up", Typeflag: tar.TypeSymlink, Linkname: ".."},
		{Name: "bin/tool", Typeflag: tar.TypeSymlink, Linkname: "../lib/up/lib/real"},
	}, "x"), 0o644)
	if err := unpack(arch, KindTarGz, mkTemp(t), 0); err != nil {
		t.Fatalf("good archive refused: %v", err)
	}
}

func mkTemp(t *testing.T) string {
	d := filepath.Join(t.TempDir(), "out")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}
