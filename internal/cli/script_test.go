package cli

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/metawork/meta/internal/term"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"meta": func() {
			os.Exit(Main(context.Background(), os.Args[1:], term.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/script against the
// real binary and real git repositories created by each script.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: false,
		Setup:               scriptSetup,
		Cmds:                scriptCmds(),
		Condition:           scriptCondition,
	})
}

func scriptSetup(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	env.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	env.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	env.Setenv("GIT_AUTHOR_NAME", "Test")
	env.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
	env.Setenv("GIT_COMMITTER_NAME", "Test")
	env.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
	env.Setenv("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
	env.Setenv("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
	env.Setenv("NO_COLOR", "1")
	env.Setenv("GOFLAGS", os.Getenv("GOFLAGS"))
	env.Setenv("GOCACHE", os.Getenv("GOCACHE"))
	env.Setenv("GOMODCACHE", os.Getenv("GOMODCACHE"))
	env.Setenv("GOPATH", os.Getenv("GOPATH"))
	env.Setenv("GOPROXY", "off")
	env.Setenv("CI", os.Getenv("CI"))
	// cargo (a rustup shim) finds its toolchains in the real home, not the script's.
	if h, err := os.UserHomeDir(); err == nil {
		for k, def := range map[string]string{"RUSTUP_HOME": ".rustup", "CARGO_HOME": ".cargo"} {
			if v := os.Getenv(k); v != "" {
				env.Setenv(k, v)
			} else {
				env.Setenv(k, filepath.Join(h, def))
			}
		}
	}
	// Shared fixtures, when present beside the repository.
	if abs, err := filepath.Abs("../../../shared/fixtures"); err == nil {
		env.Setenv("FIXTURES", abs)
	}
	gitcfg := "[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n[advice]\n\tdetachedHead = false\n"
	return os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(gitcfg), 0o644)
}

// scriptCondition answers [exec-like:NAME] conditions beyond testscript's own.
func scriptCondition(cond string) (bool, error) {
	switch {
	case cond == "ci":
		return os.Getenv("CI") == "true", nil
	case strings.HasPrefix(cond, "goos-"):
		return runtime.GOOS == strings.TrimPrefix(cond, "goos-"), nil
	case cond == "fixtures": // ../shared/fixtures is beside the repository
		st, err := os.Stat("../../../shared/fixtures")
		return err == nil && st.IsDir(), nil
	}
	return false, nil
}

// scriptCmds are extra script commands; each feature's scripts may add one
// here when a plain command would not do.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		// mkrepo DIR [TAG...]: a git repository with one commit per tag, each tagged.
		"mkrepo": cmdMkrepo,
		// exits N PROG ARGS...: run PROG and require exit status N (stdout
		// and stderr are kept for the following stdout/stderr checks).
		"exits": cmdExits,
		// cacheserver s3|dav: a real remote cache on loopback (script_backend_test.go).
		"cacheserver": cmdCacheServer,
		// reapi bazel-remote|buildbarn N|stop|hang|poison-cas|poison-ac: REAPI servers (script_reapi_test.go).
		"reapi": cmdREAPI,
		// cachepoison URL VICTIM DONOR [unsigned]: rewrite a remote record (script_cache_test.go).
		"cachepoison": cmdCachePoison,
		// comptag DIR TAG [DEP...|!bad]: commit component.yaml, tag it (script_lock_test.go).
		"comptag": cmdComptag,
		// serve [-build] DIR VAR: a loopback HTTP server for DIR (script_tools_test.go).
		"serve": cmdServe,
		// capture NAME [REGEXP]: set NAME from the last command's stdout.
		"capture": cmdCapture,
		// fakeapi osv DIR | fakeapi depsdev FILE: a loopback OSV or deps.dev API (script_audit_test.go).
		"fakeapi": cmdFakeAPI,

		// registry scripts: see script_registry_test.go.
		"waitfile": cmdWaitfile,
		"tamper":   cmdTamper,
		// deepyaml FILE PREFIX brackets|dashes N: hostile nesting (script_sec_test.go).
		"deepyaml": cmdDeepYAML,
		// ptyrun ROWS COLS PROG ARGS...: run on a fixed-size pseudo-terminal (script_daily_test.go).
		"ptyrun": cmdPtyrun,
	}
}

func cmdMkrepo(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: mkrepo DIR [TAG...]")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	gitIn(ts, dir, "init", "-q", "-b", "main")
	readme := filepath.Join(dir, "README.md")
	if len(args) == 1 {
		ts.Check(os.WriteFile(readme, []byte("initial\n"), 0o644))
		gitIn(ts, dir, "add", "-A")
		gitIn(ts, dir, "commit", "-q", "-m", "initial")
	}
	for _, tag := range args[1:] {
		ts.Check(os.WriteFile(readme, []byte(tag+"\n"), 0o644))
		gitIn(ts, dir, "add", "-A")
		gitIn(ts, dir, "commit", "-q", "-m", "release "+tag)
		gitIn(ts, dir, "tag", tag)
	}
}

// gitIn runs git in dir with the script's environment.
func gitIn(ts *testscript.TestScript, dir string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var env []string
	for _, k := range []string{"HOME", "PATH", "GIT_CONFIG_NOSYSTEM", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		ts.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad status %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}
