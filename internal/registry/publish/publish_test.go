package publish

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aead.dev/minisign"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
	"github.com/metawork/meta/internal/registry"
	"github.com/metawork/meta/internal/testgit"
)

// repo is a component repository with one commit holding files, tagged
// with tags.
func repo(t *testing.T, files map[string]string, tags ...string) string {
	t.Helper()
	dir := t.TempDir()
	testgit.Init(t, dir)
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testgit.CommitAll(t, dir, "c")
	for _, tag := range tags {
		testgit.Run(t, dir, "tag", tag)
	}
	return dir
}

func problem(t *testing.T, err error) *registry.Problem {
	t.Helper()
	var p *registry.Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not a *registry.Problem", err, err)
	}
	return p
}

func TestPrepare(t *testing.T) {
	dir := repo(t, map[string]string{"component.yaml": "name: lib\ndepends_on: [\"base:^1.0.0\"]\ntools: [go@1.22]\n", "main.go": "package main\n"}, "v1.2.0", "not-a-version")
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	plan, err := Prepare(context.Background(), Options{Dir: sub, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(plan.Tarball)
	if plan.Name != "lib" || plan.Version != "1.2.0" || plan.Tag != "v1.2.0" || plan.Size != len(plan.Tarball) || plan.Signed ||
		plan.Cksum != hex.EncodeToString(sum[:]) || plan.Meta.Cksum != plan.Cksum || plan.Meta.Name != "lib" || plan.Meta.Vers != "1.2.0" {
		t.Fatalf("plan = %+v", plan)
	}
	if len(plan.Deps) != 1 || plan.Deps[0] != (registry.Dep{Name: "base", Req: "^1.0.0"}) || len(plan.Tools) != 1 || plan.Tools[0] != "go@1.22" {
		t.Fatalf("deps %v, tools %v", plan.Deps, plan.Tools)
	}
	if yaml, err := registry.InspectTarball(plan.Tarball); err != nil || !strings.Contains(string(yaml), "name: lib") {
		t.Fatalf("tarball: %v", err)
	}
}

func TestPrepareSigns(t *testing.T) {
	dir := repo(t, map[string]string{"component.yaml": "name: lib\n"}, "1.0.0")
	keyFile, line, err := registry.WriteKeyPair(dir, "k", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	var notes []string
	events := progress.Func(func(e progress.Event) { notes = append(notes, e.Status) })
	plan, err := Prepare(context.Background(), Options{Dir: dir, KeyFile: "k", Events: events})
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Signed || plan.Version != "1.0.0" || plan.Tag != "1.0.0" {
		t.Fatalf("plan = %+v", plan)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "is readable by others (mode 0644); chmod 600 it") {
		t.Fatalf("notes = %q", notes)
	}
	pk, err := regindex.ParsePublicKey(line)
	if err != nil {
		t.Fatal(err)
	}
	e := registry.IndexEntry{Name: "lib", Vers: "1.0.0", Cksum: plan.Cksum, Sig: plan.Meta.Sig}
	if err := regindex.VerifySignature(e, plan.Tarball, []minisign.PublicKey{pk}); err != nil {
		t.Fatalf("signature does not verify: %v", err)
	}
	if _, err := Prepare(context.Background(), Options{Dir: dir, KeyFile: "missing"}); err == nil || problem(t, err).Hint != "make one with: meta keygen --output KEY" {
		t.Fatalf("missing key: %v", err)
	}
}

func TestPrepareRefuses(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		dir   func() string
		want  string
		usage bool
	}{
		{"not a repository", func() string { return t.TempDir() }, "is not in a git repository", true},
		{"no tag", func() string { return repo(t, map[string]string{"component.yaml": "name: lib\n"}) }, "has no semver tag", true},
		{"two tags", func() string { return repo(t, map[string]string{"component.yaml": "name: lib\n"}, "v2.0.0", "v1.0.0") }, "several semver tags: v1.0.0, v2.0.0", true},
		{"no component.yaml", func() string { return repo(t, map[string]string{"x": "y"}, "v1.0.0") }, "v1.0.0 has no component.yaml", false},
		{"bad component.yaml", func() string { return repo(t, map[string]string{"component.yaml": "tools: [x]\n"}, "v1.0.0") }, "name is missing", true},
	} {
		_, err := Prepare(ctx, Options{Dir: tc.dir()})
		if err == nil || !strings.Contains(err.Error(), tc.want) || problem(t, err).Usage != tc.usage {
			t.Errorf("%s: Prepare = %v, want %q (usage %v)", tc.name, err, tc.want, tc.usage)
		}
	}
}
