package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/metawork/meta/internal/run"
)

// EnvMode says which environment variables a build command sees.
type EnvMode string

const (
	// EnvStrict (the default) gives a build its declared variables and the
	// pass-through set only, so nothing outside the key can change it.
	EnvStrict EnvMode = "strict"
	// EnvLoose gives a build the whole environment, as meta did before
	// strict mode; every visible variable is then hashed into the key.
	EnvLoose EnvMode = "loose"
)

// ParseEnvMode reads an --env-mode value ("" is strict).
func ParseEnvMode(s string) (EnvMode, error) {
	switch EnvMode(s) {
	case "", EnvStrict:
		return EnvStrict, nil
	case EnvLoose:
		return EnvLoose, nil
	}
	return "", fmt.Errorf("env mode %q: want strict or loose", s)
}

// PassThrough are the variables a strict build sees besides its declared
// ones. PATH is keyed by its entries; the locale and TZ by their values
// (they change what sort, date and compilers print); the rest name the
// user and machine and are not keyed, so machines can share a cache.
var PassThrough = []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TERM", "TZ", "LANG", "LANGUAGE", "LC_*",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// keyedPassThrough reports whether a pass-through variable's value is in
// the key (PATH is, as a list, separately).
func keyedPassThrough(name string) bool {
	return name == "TZ" || name == "LANG" || name == "LANGUAGE" || strings.HasPrefix(name, "LC_")
}

func passedThrough(name string) bool {
	return slices.Contains(PassThrough, name) || strings.HasPrefix(name, "LC_")
}

// shellNoise are variables shells set per directory or per nesting level;
// loose mode passes them on but leaves them out of the key.
var shellNoise = []string{"PWD", "OLDPWD", "SHLVL", "_"}

// secretLooking reports whether a variable's name says it holds a
// credential: loose mode leaves such values out of the key (a hash of a
// weak secret in a shared key document could be guessed) and warns.
func secretLooking(name string) bool {
	n := strings.ToUpper(name)
	for _, w := range []string{"SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE", "API_KEY", "SIGNING_KEY", "ACCESS_KEY"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// buildEnv is the environment of one build run: what the machine has and
// what meta adds (tool directories first on PATH), the mode, and the tool
// versions probed so far.
type buildEnv struct {
	mode    EnvMode
	visible map[string]string   // the process environment with the extras applied
	getenv  func(string) string // values of declared variables; nil: from visible
	dir     string              // where tool versions are probed (the meta repository)

	warn     func(string) // Options.Warn
	warnOnce sync.Once

	mu     sync.Mutex
	probes map[string]*probe // spec and environment → its version line, asked once
}

type probe struct {
	once    sync.Once
	version string
}

func newBuildEnv(mode EnvMode, environ, extra []string, getenv func(string) string, dir string) *buildEnv {
	if mode == "" {
		mode = EnvStrict
	}
	e := &buildEnv{mode: mode, visible: map[string]string{}, getenv: getenv, dir: dir, probes: map[string]*probe{}}
	for _, kv := range append(slices.Clone(environ), extra...) {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			e.visible[k] = v
		}
	}
	return e
}

// declared returns a declared variable's value and whether it is set.
func (e *buildEnv) declared(name string) (string, bool) {
	if e.getenv != nil {
		v := e.getenv(name)
		return v, v != ""
	}
	v, ok := e.visible[name]
	return v, ok
}

// forUnit returns the environment of u's build command (sorted KEY=VALUE)
// and fills the env part of its key document.
func (e *buildEnv) forUnit(u *Unit, doc *Document) []string {
	vars := map[string]string{}
	doc.EnvMode = string(e.mode)
	for k, v := range e.visible {
		if e.mode == EnvLoose || passedThrough(k) {
			vars[k] = v
		}
	}
	declared := map[string]bool{}
	for _, name := range u.Env {
		declared[name] = true
		v, ok := e.declared(name)
		doc.Env[name] = v
		if ok {
			vars[name] = v
		} else {
			delete(vars, name)
		}
	}
	var unkeyed []string
	for k, v := range vars {
		switch {
		case declared[k] || k == "PATH":
		case keyedPassThrough(k):
			doc.Env[k] = v
		case e.mode == EnvLoose && secretLooking(k):
			unkeyed = append(unkeyed, k)
		case e.mode == EnvLoose && !slices.Contains(shellNoise, k):
			if doc.LooseEnv == nil {
				doc.LooseEnv = map[string]string{}
			}
			sum := sha256.Sum256([]byte(v))
			doc.LooseEnv[k] = hex.EncodeToString(sum[:])
		}
	}
	if len(unkeyed) > 0 && e.warn != nil {
		slices.Sort(unkeyed)
		e.warnOnce.Do(func() {
			e.warn(fmt.Sprintf("--env-mode loose: builds see %s, which look like credentials and are not in the cache key; declare them in build.env to key them", strings.Join(unkeyed, ", ")))
		})
	}
	doc.Path = pathEntries(vars["PATH"])
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func pathEntries(p string) []string {
	if p == "" {
		return []string{}
	}
	return strings.Split(p, string(os.PathListSeparator))
}

// probeTimeout bounds one `TOOL version` run.
const probeTimeout = 20 * time.Second

// toolVersions asks each tool for its version, in env (the build
// command's environment), once per build and environment.
func (e *buildEnv) toolVersions(ctx context.Context, specs []string, env []string) map[string]string {
	// The same environment (PATH and declared variables such as
	// GOTOOLCHAIN) gives the same answer: ask once.
	envKey := strings.Join(env, "\x00")
	out := map[string]string{}
	for _, spec := range specs {
		memo := spec + "\x01" + envKey
		e.mu.Lock()
		p := e.probes[memo]
		if p == nil {
			p = &probe{}
			e.probes[memo] = p
		}
		e.mu.Unlock()
		p.once.Do(func() { p.version = probeTool(ctx, spec, env, e.dir) })
		out[spec] = p.version
	}
	return out
}

// probeArgs is the command that prints the version of the tool a spec
// names: go version, node --version, python3 --version, rustc --version;
// for MANAGER:PACKAGE specs and everything else, BINARY --version.
func probeArgs(spec string) []string {
	name := spec
	if mgr, pkg, ok := strings.Cut(spec, ":"); ok && mgr != "" {
		name = pkg
		if i := strings.LastIndex(name, "@"); i > 0 {
			name = name[:i]
		}
		name = path.Base(name)
	} else if i := strings.Index(name, "@"); i >= 0 {
		name = name[:i]
	}
	switch name {
	case "go":
		return []string{"go", "version"}
	case "python":
		return []string{"python3", "--version"}
	case "rust":
		return []string{"rustc", "--version"}
	}
	return []string{name, "--version"}
}

// maxVersionLine bounds the version text kept in a key document.
const maxVersionLine = 200

// probeTool runs a tool's version command and returns the first line it
// printed, or a fixed text saying why there is none (so the key still
// changes when a tool appears or disappears).
func probeTool(ctx context.Context, spec string, env []string, dir string) string {
	args := probeArgs(spec)
	if strings.ContainsAny(args[0], "/\\") || strings.HasPrefix(args[0], "-") || args[0] == "" {
		return "(no version: not a tool name)"
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var out bytes.Buffer
	_, err := run.Output(pctx, run.Cmd{Args: args, Dir: dir, Environ: env, Stdout: &out, Stderr: &out})
	if err != nil {
		if re, ok := err.(*run.Error); ok && re.ExitCode < 0 {
			return "(not found on PATH)"
		}
		return "(no version: " + args[0] + " failed)"
	}
	for line := range strings.Lines(out.String()) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > maxVersionLine {
				line = line[:maxVersionLine]
			}
			return line
		}
	}
	return "(no version printed)"
}
