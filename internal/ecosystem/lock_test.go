package ecosystem

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/metawork/meta/internal/run"
)

// fakeTools puts executables with the given shell bodies on an empty PATH.
func fakeTools(t *testing.T, tools map[string]string) {
	t.Helper()
	bin := t.TempDir()
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
}

func TestPlanLock(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"package.json":          "{}",
		"localdep/package.json": "{}", // handled by the root's npm
		"Cargo.toml":            "",
		"tools/go.mod":          "module t\n",
		"py/requirements.in":    "requests\n",
		"svc/pyproject.toml":    "",
		"svc/poetry.lock":       "",
		"web/package.json":      "{}",
		"node_modules/x/go.mod": "module x\n",
		"plain/pnpm-lock.yaml":  "",
	})
	fakeTools(t, map[string]string{"npm": "", "cargo": "", "go": "", "pip-compile": ""})
	steps, err := PlanLock(dir, LockOptions{Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Dir, Cmd, Writes string
		Missing          bool
	}
	var got []row
	for _, s := range steps {
		got = append(got, row{s.Dir, strings.Join(s.Args, " "), s.Writes, s.Missing})
	}
	want := []row{
		{"", "npm install --package-lock-only --ignore-scripts --no-audit --no-fund --offline", "package-lock.json", false},
		{"", "cargo generate-lockfile --offline", "Cargo.lock", false},
		{"py", "pip-compile --quiet --output-file requirements.txt requirements.in", "py/requirements.txt", false},
		{"svc", "poetry lock", "svc/poetry.lock", true},
		{"tools", "go mod tidy", "tools/go.sum", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if steps[4].Env == nil || steps[4].Env[0] != "GOPROXY=off" {
		t.Errorf("offline go env %v", steps[4].Env)
	}

	err = RunLock(context.Background(), dir, steps[3])
	var mt *MissingToolError
	if !errors.As(err, &mt) || mt.Tool != "poetry" || !strings.Contains(mt.Install, "python-poetry.org") {
		t.Errorf("missing poetry: %v", err)
	}
}

func TestPlanLockPrefersUV(t *testing.T) {
	dir := writeTree(t, map[string]string{"requirements.in": "", "sub/pyproject.toml": ""})
	fakeTools(t, map[string]string{"uv": "", "pip-compile": ""})
	steps, err := PlanLock(dir, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 1 || strings.Join(steps[0].Args, " ") != "uv pip compile requirements.in -o requirements.txt --quiet" {
		t.Errorf("steps %+v", steps)
	}
	fakeTools(t, nil)
	steps, _ = PlanLock(dir, LockOptions{})
	if len(steps) != 1 || !steps[0].Missing || !strings.Contains(steps[0].Install, "pip-tools") {
		t.Errorf("without uv and pip-compile: %+v", steps)
	}
}

func TestRunLockShowsToolOutput(t *testing.T) {
	dir := writeTree(t, map[string]string{"Cargo.toml": ""})
	fakeTools(t, map[string]string{"cargo": "echo 'error: no matching package named `nope`'; exit 101"})
	steps, err := PlanLock(dir, LockOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = RunLock(context.Background(), dir, steps[0])
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode != 101 || !strings.Contains(re.Stderr, "no matching package named `nope`") {
		t.Errorf("error %v", err)
	}
}
