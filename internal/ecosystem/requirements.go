package ecosystem

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// parseRequirements reads a pip requirements file. Decisions:
//   - a line pinned with "==V" (no wildcard) or "===V" is a package at V;
//   - any other requirement ("pytest", ">=1", "~=1.1", "==2.8.*", "name @ URL")
//     is a package with an empty Version, and a warning says it is not
//     pinned and so cannot be audited — unless a -c constraints file pins it;
//   - names are normalised per PEP 503 (Flask, flask → flask); extras and
//     environment markers are read past (the package is always reported);
//   - "-r FILE" and "-c FILE" are read relative to the including file
//     through read (nil: not followed, with a warning); a file included
//     twice or in a cycle is read once;
//   - local or remote wheel files give name and version from the wheel
//     file name; other archives and directories are warned about;
//   - -e/--editable lines are the project's own code and are skipped, as
//     are index and other pip options;
//   - every package is direct; the scope is dev when the top file's name
//     mentions dev or test (requirements-dev.txt), else prod.
func parseRequirements(file string, data []byte, read func(string) ([]byte, error)) (*Lockfile, error) {
	b := newBuilder(file, ManagerPip, PyPI)
	scope := ScopeProd
	base := strings.ToLower(path.Base(file))
	if strings.Contains(base, "dev") || strings.Contains(base, "test") {
		scope = ScopeDev
	}
	r := &reqReader{b: b, read: read, seen: map[string]bool{}, constraints: map[string]string{}, scope: scope}
	if err := r.file(file, data, false); err != nil {
		return nil, err
	}
	versions := map[string][]string{}
	for _, p := range r.pkgs {
		if p.Version == "" {
			if v, ok := r.constraints[p.Name]; ok {
				p.Version = v
			} else {
				b.warnf("%s: %s is not pinned to one version (%s); it cannot be audited", p.at, p.Name, p.spec)
			}
		}
		id := b.add(Package{Name: p.Name, Version: p.Version, Scope: scope, Source: p.source})
		b.root(id, scope)
		if p.Version != "" && !contains(versions[p.Name], p.Version) {
			versions[p.Name] = append(versions[p.Name], p.Version)
		}
	}
	for _, n := range sortedKeys(versions) {
		if len(versions[n]) > 1 {
			b.warnf("%s: %s is pinned to several versions: %s", file, n, strings.Join(versions[n], ", "))
		}
	}
	return b.finish(), nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

type reqPkg struct {
	Name, Version, source, spec, at string
}

type reqReader struct {
	b           *builder
	read        func(string) ([]byte, error)
	seen        map[string]bool
	constraints map[string]string
	pkgs        []reqPkg
	scope       Scope
	depth       int
}

func (r *reqReader) file(name string, data []byte, constraint bool) error {
	r.seen[path.Clean(name)] = true
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := lines[i]
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + lines[i]
		}
		if strings.HasSuffix(line, `\`) {
			return posf(name, lineNo, "the last line ends with \\, continuing a requirement that never comes (is the file cut short?)")
		}
		line = stripReqComment(line)
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		at := fmt.Sprintf("%s:%d", name, lineNo)
		if strings.HasPrefix(line, "-") {
			if err := r.option(name, lineNo, line); err != nil {
				return err
			}
			continue
		}
		p, err := parseReqLine(line)
		if err != nil {
			return posf(name, lineNo, "%v", err)
		}
		if p.Name == "" {
			r.b.warnf("%s: %q names no package meta can identify; not audited", at, line)
			continue
		}
		p.at = at
		if constraint {
			if p.Version != "" {
				r.constraints[p.Name] = p.Version
			}
			continue
		}
		r.pkgs = append(r.pkgs, p)
	}
	return nil
}

// stripReqComment removes a "#" comment: at the start or after whitespace.
func stripReqComment(line string) string {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return line[:i]
		}
	}
	return line
}

func (r *reqReader) option(name string, lineNo int, line string) error {
	opt, arg := line, ""
	if i := strings.IndexAny(line, " \t="); i >= 0 {
		opt, arg = line[:i], strings.TrimSpace(line[i+1:])
	} else if len(line) > 2 && line[1] != '-' {
		opt, arg = line[:2], strings.TrimSpace(line[2:])
	}
	var constraint bool
	switch opt {
	case "-r", "--requirement":
	case "-c", "--constraint":
		constraint = true
	default:
		return nil // -e, -i, --index-url, --hash, ...: nothing to audit
	}
	if arg == "" {
		return posf(name, lineNo, "%s needs a file name", opt)
	}
	inc := path.Clean(path.Join(path.Dir(name), arg))
	if r.seen[inc] {
		return nil
	}
	if r.read == nil {
		r.b.warnf("%s:%d: %s %s not followed; its requirements are not included", name, lineNo, opt, arg)
		return nil
	}
	if r.depth >= 32 {
		return posf(name, lineNo, "%s %s: includes nested deeper than 32 files", opt, arg)
	}
	data, err := r.read(inc)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return posf(name, lineNo, "%s %s: %s does not exist", opt, arg, inc)
		}
		return posf(name, lineNo, "%s %s: %v", opt, arg, err)
	}
	r.depth++
	defer func() { r.depth-- }()
	return r.file(inc, data, constraint)
}

// parseReqLine reads one requirement: name[extras] specifiers ; markers,
// "name @ URL", or a wheel/archive path or URL.
func parseReqLine(line string) (reqPkg, error) {
	if i := strings.Index(line, " --"); i >= 0 { // per-requirement options: --hash=...
		line = strings.TrimSpace(line[:i])
	}
	if looksLikeLocation(line) {
		if n, v, ok := wheelNameVersion(line); ok {
			src := "url"
			if !strings.Contains(line, "://") {
				src = "path"
			}
			return reqPkg{Name: normalizePyPI(n), Version: v, source: src, spec: line}, nil
		}
		return reqPkg{}, nil
	}
	end := 0
	for end < len(line) && isReqNameByte(line[end]) {
		end++
	}
	if end == 0 {
		return reqPkg{}, errors.New("expected a requirement: a package name, an option (-r FILE) or a URL, got " + quoteShort(line))
	}
	p := reqPkg{Name: normalizePyPI(line[:end]), source: "registry"}
	rest := strings.TrimSpace(line[end:])
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return reqPkg{}, errors.New("extras opened with [ are not closed with ]")
		}
		rest = strings.TrimSpace(rest[j+1:])
	}
	if i := strings.IndexByte(rest, ';'); i >= 0 {
		if err := checkMarker(rest[i+1:]); err != nil {
			return reqPkg{}, err
		}
		rest = strings.TrimSpace(rest[:i])
	}
	if strings.HasPrefix(rest, "@") {
		url := strings.TrimSpace(rest[1:])
		if url == "" {
			return reqPkg{}, errors.New(p.Name + " @ names no URL (is the file cut short?)")
		}
		p.source, p.spec = "url", "@ "+url
		if _, v, ok := wheelNameVersion(url); ok {
			p.Version = v
		}
		if strings.HasPrefix(url, "git+") {
			p.source = "git"
		}
		return p, nil
	}
	p.spec = rest
	if rest == "" {
		p.spec = "no version given"
	}
	specs := strings.Split(rest, ",")
	for i, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" && (len(specs) > 1 || i > 0) {
			return reqPkg{}, errors.New("an empty version specifier in " + quoteShort(rest) + " (is the file cut short?)")
		}
		op := strings.TrimRight(s, " ")
		if j := strings.IndexFunc(op, func(r rune) bool { return !strings.ContainsRune("<>!~=", r) }); j >= 0 {
			op = op[:j]
		}
		if op != "" && strings.TrimSpace(s[len(op):]) == "" {
			return reqPkg{}, errors.New(p.Name + " " + op + " names no version (is the file cut short?)")
		}
		switch {
		case strings.HasPrefix(s, "==="):
			p.Version = strings.TrimSpace(s[3:])
		case strings.HasPrefix(s, "=="):
			v := strings.TrimSpace(s[2:])
			if !strings.Contains(v, "*") {
				p.Version = v
			}
		case s == "" || strings.ContainsAny(s[:1], "<>!~="):
		default:
			return reqPkg{}, errors.New("expected a version specifier (==, >=, ~=, ...) after " + p.Name + ", got " + quoteShort(s))
		}
	}
	return p, nil
}

// checkMarker checks that an environment marker's quotes are closed.
func checkMarker(m string) error {
	var open byte
	for i := 0; i < len(m); i++ {
		switch c := m[i]; {
		case open == 0 && (c == '"' || c == '\''):
			open = c
		case c == open:
			open = 0
		}
	}
	if open != 0 {
		return errors.New("unclosed quote in the environment marker " + quoteShort(strings.TrimSpace(m)) + " (is the file cut short?)")
	}
	if strings.TrimSpace(m) == "" {
		return errors.New("an empty environment marker after \";\" (is the file cut short?)")
	}
	return nil
}

func isReqNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

func looksLikeLocation(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(s, "file:") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") {
		return true
	}
	for _, ext := range []string{".whl", ".tar.gz", ".zip", ".tar.bz2"} {
		if strings.HasSuffix(s, ext) {
			return true
		}
	}
	return false
}

// wheelNameVersion reads name and version from a wheel file name
// ({name}-{version}(-{build})?-{python}-{abi}-{platform}.whl).
func wheelNameVersion(loc string) (string, string, bool) {
	base := loc[strings.LastIndexByte(loc, '/')+1:]
	if !strings.HasSuffix(base, ".whl") {
		return "", "", false
	}
	parts := strings.Split(strings.TrimSuffix(base, ".whl"), "-")
	if len(parts) < 5 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return `"` + s + `"`
}
