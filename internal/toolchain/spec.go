// Package toolchain owns tool requirements: parsing tool specs (`go@1.22`,
// `npm:@scope/pkg@8`), the embedded registry of known tools, resolving
// requested versions against upstream release lists, ordered install plans,
// Dockerfiles and install scripts generated from them, and verified installs
// into the user's data directory (see PathFor for putting them on PATH).
//
// Upstream documents are fetched and cached by the fetch sub-package and
// parsed by the versions sub-package.
package toolchain

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Package managers a spec can delegate to.
const (
	ManagerNpm   = "npm"
	ManagerPip   = "pip"
	ManagerUv    = "uv"
	ManagerCargo = "cargo"
	ManagerGo    = "go"
)

var managers = []string{ManagerNpm, ManagerPip, ManagerUv, ManagerCargo, ManagerGo}

// Spec is one parsed tool requirement: a registry tool (`go@1.22`) or a
// package delegated to a package manager (`npm:eslint@8`).
type Spec struct {
	Raw     string // as written
	Manager string // "" for registry tools; else one of npm, pip, uv, cargo, go
	Name    string // registry name, or the package name (npm scope, pip extras and Go paths included)
	Version string // "" when none was given
}

// Key identifies what a spec installs, regardless of version: "go", "npm:eslint".
func (s Spec) Key() string {
	if s.Manager == "" {
		return s.Name
	}
	return s.Manager + ":" + s.Name
}

func (s Spec) String() string {
	if s.Version == "" {
		return s.Key()
	}
	return s.Key() + "@" + s.Version
}

// Implies lists the registry tools a delegated spec needs to be installed:
// npm: needs node, pip: python, uv: python and uv, cargo: rust, go: go.
func (s Spec) Implies() []string {
	switch s.Manager {
	case ManagerNpm:
		return []string{"node"}
	case ManagerPip:
		return []string{"python"}
	case ManagerUv:
		return []string{"python", "uv"}
	case ManagerCargo:
		return []string{"rust"}
	case ManagerGo:
		return []string{"go"}
	}
	return nil
}

// SpecError says why a spec was refused, pointing at the offending character.
type SpecError struct {
	Spec string
	Pos  int // 1-based byte position in Spec of the problem; 0 when not about one character
	Msg  string
	Hint string
}

func (e *SpecError) Error() string { return fmt.Sprintf("tool spec %q: %s", e.Spec, e.Msg) }

// ParseSpec parses `NAME[@VERSION]` or `MANAGER:PACKAGE[@VERSION]`. Every
// part is checked against its grammar (registry names, npm package names,
// PEP 508 names, crate names, Go module paths, version strings), so a spec
// that parses is safe to pass as one argument to a package manager.
func ParseSpec(raw string) (Spec, error) {
	fail := func(pos int, hint, format string, args ...any) (Spec, error) {
		return Spec{}, &SpecError{Spec: raw, Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint}
	}
	if strings.TrimSpace(raw) == "" {
		return fail(0, "write a tool such as go@1.22 or npm:eslint", "empty tool spec")
	}
	if !utf8.ValidString(raw) {
		return fail(0, "", "not valid UTF-8")
	}
	sp := Spec{Raw: raw}
	body, off := raw, 0
	if i := strings.IndexByte(raw, ':'); i >= 0 && !strings.HasPrefix(raw, "@") && !strings.ContainsAny(raw[:i], "@/") {
		mgr := raw[:i]
		if !slices.Contains(managers, mgr) {
			if bad := firstBad(mgr, isNameChar); bad >= 0 {
				return badChar(raw, bad, "tool name")
			}
			return fail(1, "prefixes are npm:, pip:, uv:, cargo: and go:", "unknown package manager %q", mgr)
		}
		sp.Manager, body, off = mgr, raw[i+1:], i+1
		if body == "" {
			return fail(len(raw), "", "missing package name after %s:", mgr)
		}
	}
	// The version follows the last '@' that is not the first character of
	// the package (npm scopes start with '@').
	name, ver, verOff := body, "", -1
	if at := strings.LastIndexByte(body, '@'); at > 0 {
		name, ver, verOff = body[:at], body[at+1:], off+at+1
		if ver == "" {
			return fail(off+at+1, "write NAME@VERSION, or leave out the @", "missing version after '@'")
		}
	} else if at == 0 && sp.Manager != ManagerNpm {
		return fail(off+1, "", "missing name before '@'")
	}
	sp.Name, sp.Version = name, ver
	var err error
	switch sp.Manager {
	case "":
		err = checkRegistryName(raw, name, off)
	case ManagerNpm:
		err = checkNpmName(raw, name, off)
	case ManagerPip, ManagerUv:
		err = checkPyName(raw, name, off)
	case ManagerCargo:
		err = checkCrateName(raw, name, off)
	case ManagerGo:
		err = checkGoPath(raw, name, off)
	}
	if err != nil {
		return Spec{}, err
	}
	if ver != "" {
		if sp.Manager == ManagerGo {
			v, err := checkGoVersion(raw, ver, verOff)
			if err != nil {
				return Spec{}, err
			}
			sp.Version = v
		} else if err := checkVersion(raw, ver, verOff); err != nil {
			return Spec{}, err
		}
	}
	return sp, nil
}

// ParseSpecs parses each spec, stopping at the first error.
func ParseSpecs(raws []string) ([]Spec, error) {
	out := make([]Spec, 0, len(raws))
	for _, r := range raws {
		s, err := ParseSpec(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func badChar(raw string, pos int, what string) (Spec, error) {
	r, _ := utf8.DecodeRuneInString(raw[pos:])
	hint := "a spec is one word: NAME[@VERSION] or MANAGER:PACKAGE[@VERSION]"
	return Spec{}, &SpecError{Spec: raw, Pos: pos + 1, Hint: hint,
		Msg: fmt.Sprintf("invalid character %q at position %d in %s", r, pos+1, what)}
}

func specErr(raw string, pos int, format string, args ...any) error {
	return &SpecError{Spec: raw, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// firstBad returns the byte index of the first rune of s that ok refuses, or -1.
func firstBad(s string, ok func(i int, r rune) bool) int {
	for i, r := range s {
		if !ok(i, r) {
			return i
		}
	}
	return -1
}

func isLower(r rune) bool { return r >= 'a' && r <= 'z' }
func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func isNameChar(i int, r rune) bool {
	return isLower(r) || r >= '0' && r <= '9' || (i > 0 && (r == '-' || r == '_' || r == '.'))
}

func checkRegistryName(raw, name string, off int) error {
	if bad := firstBad(name, isNameChar); bad >= 0 {
		_, err := badChar(raw, off+bad, "tool name")
		return err
	}
	return nil
}

// checkNpmName enforces npm's package-name rules (validate-npm-package-name
// for new packages): at most 214 characters, lowercase URL-safe characters,
// not starting with '.' or '_', and `@scope/name` for scoped packages.
func checkNpmName(raw, name string, off int) error {
	if len(name) > 214 {
		return specErr(raw, off+1, "npm package name longer than 214 characters")
	}
	part := func(s string, at int) error {
		if s == "" {
			return specErr(raw, at+1, "invalid scoped npm package %q: expected @scope/name", name)
		}
		ok := func(i int, r rune) bool {
			if i == 0 && (r == '.' || r == '_') {
				return false
			}
			return isLower(r) || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~'
		}
		if bad := firstBad(s, ok); bad >= 0 {
			_, err := badChar(raw, at+bad, "npm package name")
			return err
		}
		return nil
	}
	if rest, ok := strings.CutPrefix(name, "@"); ok {
		scope, pkg, found := strings.Cut(rest, "/")
		if !found || scope == "" {
			return specErr(raw, off+1, "invalid scoped npm package %q: expected @scope/name", name)
		}
		if err := part(scope, off+1); err != nil {
			return err
		}
		return part(pkg, off+1+len(scope)+1)
	}
	return part(name, off)
}

// checkPyName enforces PEP 508 names (letters, digits, '.', '_', '-';
// starting and ending with a letter or digit) with optional [extras].
func checkPyName(raw, name string, off int) error {
	base, extras := name, ""
	if i := strings.IndexByte(name, '['); i >= 0 {
		if !strings.HasSuffix(name, "]") {
			return specErr(raw, off+len(name), "unclosed '[' in Python package extras")
		}
		base, extras = name[:i], name[i+1:len(name)-1]
	}
	one := func(s string, at int, what string) error {
		if s == "" {
			return specErr(raw, at+1, "empty %s", what)
		}
		ok := func(i int, r rune) bool {
			if isAlnum(r) {
				return true
			}
			return i > 0 && i < len(s)-1 && (r == '.' || r == '_' || r == '-')
		}
		if bad := firstBad(s, ok); bad >= 0 {
			_, err := badChar(raw, at+bad, what)
			return err
		}
		return nil
	}
	if err := one(base, off, "Python package name"); err != nil {
		return err
	}
	if extras != "" || strings.Contains(name, "[") {
		at := off + len(base) + 1
		for _, e := range strings.Split(extras, ",") {
			if err := one(e, at, "Python package extra"); err != nil {
				return err
			}
			at += len(e) + 1
		}
	}
	return nil
}

// checkCrateName enforces crates.io names: ASCII letters, digits, '-' and
// '_', starting with a letter, at most 64 characters.
func checkCrateName(raw, name string, off int) error {
	if len(name) > 64 {
		return specErr(raw, off+1, "crate name longer than 64 characters")
	}
	ok := func(i int, r rune) bool {
		if i == 0 {
			return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		}
		return isAlnum(r) || r == '-' || r == '_'
	}
	if bad := firstBad(name, ok); bad >= 0 {
		_, err := badChar(raw, off+bad, "crate name")
		return err
	}
	return nil
}

// checkGoPath accepts a Go package path that golang.org/x/mod/module
// accepts as a module path: a domain first, no standard-library packages.
func checkGoPath(raw, p string, off int) error {
	ok := func(i int, r rune) bool {
		return isAlnum(r) || strings.ContainsRune("-._~/+", r)
	}
	if bad := firstBad(p, ok); bad >= 0 {
		_, err := badChar(raw, off+bad, "Go package path")
		return err
	}
	if err := module.CheckPath(p); err != nil {
		msg := err.Error()
		if !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			msg = "must be a full module path (e.g., github.com/user/repo), not a standard library package"
		} else if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return specErr(raw, off+1, "invalid Go package path %q: %s", p, msg)
	}
	return nil
}

// checkGoVersion accepts "latest" or a semantic version, with or without
// its leading "v" (returned with it, as `go install` needs).
func checkGoVersion(raw, v string, off int) (string, error) {
	if v == "latest" {
		return v, nil
	}
	if err := checkVersion(raw, v, off); err != nil {
		return "", err
	}
	if !strings.HasPrefix(v, "v") {
		v = "v" + v
	}
	if !semver.IsValid(v) || semver.Canonical(v) != v && semver.Canonical(v)+semver.Build(v) != v {
		return "", specErr(raw, off+1, "invalid Go module version %q: expected latest or vMAJOR.MINOR.PATCH", strings.TrimPrefix(v, "v"))
	}
	return v, nil
}

// checkVersion allows letters, digits, '.', '-', '_' and '+', and a '/'
// only in "lts/<codename>".
func checkVersion(raw, v string, off int) error {
	lts := strings.HasPrefix(strings.ToLower(v), "lts/")
	ok := func(i int, r rune) bool {
		return isAlnum(r) || r == '.' || r == '-' || r == '_' || r == '+' || (lts && i == 3 && r == '/')
	}
	if bad := firstBad(v, ok); bad >= 0 {
		_, err := badChar(raw, off+bad, "version")
		return err
	}
	if len(v) > 64 {
		return specErr(raw, off+1, "version longer than 64 characters")
	}
	return nil
}
