package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/workspace"
)

const oneSubmodule = `[submodule "lib"]
	path = lib
	url = https://example.com/lib.git
`

func TestConvertWriteRefusesToOverwriteAndWritesGitignore(t *testing.T) {
	wd := t.TempDir()
	if err := os.WriteFile(filepath.Join(wd, ".gitmodules"), []byte(oneSubmodule), 0o644); err != nil {
		t.Fatal(err)
	}
	req := Request{Kind: "gitmodules", File: ".gitmodules", WorkDir: wd, NoRemote: true}
	out, err := Convert(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(out, req); err != nil {
		t.Fatal(err)
	}
	if s := out.Summary(); len(s.Components) != 1 || s.Components[0].Repo != "https://example.com/lib.git" || s.Warnings == nil {
		t.Errorf("summary = %+v", s)
	}
	if gi, _ := os.ReadFile(filepath.Join(wd, ".gitignore")); !strings.Contains(string(gi), ".meta/") {
		t.Errorf(".gitignore = %q", gi)
	}
	err = Write(out, req)
	var ie *Error
	var exists *workspace.ExistsError
	if !errors.As(err, &ie) || ie.BadInput || !errors.As(err, &exists) || !strings.Contains(ie.Hint, "--force") {
		t.Errorf("second write = %v, want a refusal with a --force hint", err)
	}
	req.Force = true
	if err := Write(out, req); err != nil {
		t.Errorf("--force: %v", err)
	}
}

func TestConvertBadInput(t *testing.T) {
	wd := t.TempDir()
	os.WriteFile(filepath.Join(wd, "rel.gitmodules"), []byte("[submodule \"x\"]\n\tpath = x\n\turl = ../x.git\n"), 0o644)
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Kind: "cargo", File: "x"}, `unknown manifest kind "cargo"`},
		{Request{Kind: "west", File: "missing.yml"}, "missing.yml"},
		{Request{Kind: "gitmodules", File: "rel.gitmodules", ManifestURL: "not-a-url"}, "is not an absolute URL"},
		{Request{Kind: "gitmodules", File: "rel.gitmodules"}, "../x.git"},
	} {
		tc.req.WorkDir, tc.req.NoRemote = wd, true
		_, err := Convert(context.Background(), tc.req)
		var ie *Error
		if !errors.As(err, &ie) || !ie.BadInput || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Convert(%+v) = %v, want bad input mentioning %q", tc.req, err, tc.want)
		}
	}
}

func TestWarningLines(t *testing.T) {
	ws := []Warning{{"clone-depth dropped", "a", "1"}, {"clone-depth dropped", "b", ""}, {"clone-depth dropped", "c", ""}, {"clone-depth dropped", "d", ""}, {"groups", "g", "why"}}
	lines, more := WarningLines(ws, false)
	if !more || len(lines) != 2 || lines[0] != "clone-depth dropped: 4: a, b, c, …" || lines[1] != "groups: 1: g (why)" {
		t.Errorf("lines = %q, more = %v", lines, more)
	}
	lines, more = WarningLines(ws, true)
	if more || lines[0] != "clone-depth dropped: 4: a (1), b, c, d" {
		t.Errorf("all: lines = %q, more = %v", lines, more)
	}
}
