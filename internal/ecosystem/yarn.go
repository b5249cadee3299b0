package ecosystem

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// yarnLocalVersion is the version yarn berry writes for the project's own
// workspaces and linked directories.
const yarnLocalVersion = "0.0.0-use.local"

// yarnEntry is one resolved package of a yarn.lock, classic or berry.
type yarnEntry struct {
	descriptors []string // "name@range" as written in the key
	name        string
	version     string
	source      string
	workspace   bool // berry: a workspace of the project itself
	local       bool // first-party: a workspace, or a link:/portal: package of the project
	deps        map[string]string
	optDeps     map[string]string
	line        int
}

// parseYarn reads yarn.lock: classic (v1, its own format) or berry (v2+,
// YAML with "__metadata"). yarn.lock does not say which packages the
// project requires directly or in which scope: pj (package.json beside it,
// may be nil) says so; without it every package that no other package
// requires is a prod root. Berry's workspace entries are the project's own
// packages: not packages, but their dependencies are direct.
//
// Dependencies may name a catalog's range ("catalog:" for the default
// catalog, "catalog:NAME" for a named one); catalogs, read from
// .yarnrc.yml (see yarnCatalogs), says what each stands for.
func parseYarn(path string, data []byte, pj *packageJSON, catalogs map[string]map[string]string) (*Lockfile, error) {
	var entries []*yarnEntry
	var err error
	if isYarnBerry(data) {
		entries, err = parseYarnBerry(path, data)
	} else {
		entries, err = parseYarnClassic(path, data)
	}
	if err != nil {
		return nil, err
	}
	b := newBuilder(path, ManagerYarn, Npm)
	b.graphScope = true
	byDesc := map[string]*yarnEntry{}
	byName := map[string][]*yarnEntry{}
	ids := map[*yarnEntry]string{}
	for _, e := range entries {
		for _, d := range e.descriptors {
			byDesc[d] = e
			// berry binds link:/portal: descriptors to the workspace that
			// wrote them ("::locator=..."); dependencies name them without.
			if i := strings.Index(d, "::"); i > 0 {
				if _, taken := byDesc[d[:i]]; !taken {
					byDesc[d[:i]] = e
				}
			}
		}
		if e.workspace || e.version == yarnLocalVersion {
			// The project's own code: listed, never audited.
			e.local = true
			ids[e] = b.add(Package{Name: e.name, Source: SourceLocal})
			continue
		}
		if e.version == "" {
			return nil, posf(path, e.line, "%s: \"version\" is missing", strings.Join(e.descriptors, ", "))
		}
		ids[e] = b.add(Package{Name: e.name, Version: e.version, Source: e.source})
		byName[e.name] = append(byName[e.name], e)
	}
	lookup := func(name, rng string) *yarnEntry {
		if cat, ok := strings.CutPrefix(rng, "catalog:"); ok && catalogs[cat][name] != "" {
			rng = catalogs[cat][name]
		}
		if e, ok := byDesc[name+"@"+rng]; ok {
			return e
		}
		if e, ok := byDesc[name+"@npm:"+rng]; ok {
			return e
		}
		if len(byName[name]) == 1 {
			return byName[name][0]
		}
		return nil
	}
	required := map[*yarnEntry]bool{}
	for _, e := range entries {
		link := func(deps map[string]string, optional bool) {
			for _, name := range sortedKeys(deps) {
				t := lookup(name, deps[name])
				if t == nil {
					switch {
					case optional:
					case strings.HasPrefix(deps[name], "catalog:"):
						b.warnf("%s:%d: %s requires %s@%s, which no catalog defines (catalogs are read from .yarnrc.yml beside the lock file)", path, e.line, e.name, name, deps[name])
					default:
						b.warnf("%s:%d: %s requires %s@%s, which the lock file does not contain", path, e.line, e.name, name, deps[name])
					}
					continue
				}
				if t.local {
					if !e.local {
						b.edge(ids[e], ids[t], optional)
					}
					continue
				}
				required[t] = true
				b.edge(ids[e], ids[t], optional)
				if e.workspace {
					s := ScopeProd
					if optional {
						s = ScopeOptional
					}
					if pj != nil && pj.DevDependencies[name] != "" && pj.Dependencies[name] == "" {
						s = ScopeDev
					}
					b.root(ids[t], s)
				}
			}
		}
		link(e.deps, false)
		link(e.optDeps, true)
	}
	if len(b.roots) == 0 {
		if pj != nil {
			pj.each(func(name, spec string, s Scope) {
				if t := lookup(name, spec); t != nil && !t.local {
					b.root(ids[t], s)
				}
			})
		} else {
			for _, e := range entries {
				if !e.local && !required[e] {
					b.root(ids[e], ScopeProd)
				}
			}
		}
	}
	return b.finish(), nil
}

func isYarnBerry(data []byte) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("__metadata:")) {
			return true
		}
	}
	return false
}

// yarnSplit splits a descriptor "name@range" ("@scope/name@range").
func yarnSplit(desc string) (name, rng string) {
	from := 0
	if strings.HasPrefix(desc, "@") {
		from = 1
	}
	i := strings.IndexByte(desc[from:], '@')
	if i < 0 {
		return desc, ""
	}
	return desc[:from+i], desc[from+i+1:]
}

// yarnKeyValue splits an indented classic line "key value" or "key:". A
// quoted key or value must be closed on its line: a file cut in the middle
// of one is an error, not a shorter value.
func yarnKeyValue(s string) (key, value string, err error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, `"`) {
		end := 1
		for end < len(s) && s[end] != '"' {
			if s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(s) {
			return "", "", fmt.Errorf("unclosed quote in %s (is the file cut short?)", quoteShort(s))
		}
		key, err = yarnValue(s[:end+1])
		if err != nil {
			return "", "", err
		}
		value = strings.TrimSpace(s[end+1:])
	} else if i := strings.IndexAny(s, " \t"); i >= 0 {
		key, value = s[:i], strings.TrimSpace(s[i+1:])
	} else {
		key = s
	}
	if value != "" {
		if value, err = yarnValue(value); err != nil {
			return "", "", err
		}
	}
	return key, value, nil
}

// yarnValue reads a classic value: "quoted", with JSON-style escapes, or
// plain.
func yarnValue(s string) (string, error) {
	if !strings.HasPrefix(s, `"`) {
		if strings.Contains(s, `"`) {
			return "", fmt.Errorf("stray quote in %s", quoteShort(s))
		}
		return s, nil
	}
	if len(s) < 2 || s[len(s)-1] != '"' {
		return "", fmt.Errorf("unclosed quote in %s (is the file cut short?)", quoteShort(s))
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		return "", fmt.Errorf("bad quoted value %s", quoteShort(s))
	}
	return u, nil
}

// yarnRealName is the package a classic key's first descriptor resolves
// to: the name itself, or for an alias "x@npm:real@range" the real one.
func yarnRealName(desc string) string {
	name, rng := yarnSplit(desc)
	if target, ok := strings.CutPrefix(rng, "npm:"); ok {
		if real, r := yarnSplit(target); real != "" && r != "" {
			return real
		}
	}
	return name
}

// parseYarnClassic reads yarn's v1 format: unindented "desc, desc:" keys,
// two-space "field value" lines, four-space lines under "dependencies:" and
// "optionalDependencies:". An alias key ("x@npm:real@range") is recorded
// under the real package's name. A quote left open, a key without
// entries, an entry without a version or a section without lines is an
// error: the sign of a file cut short.
func parseYarnClassic(path string, data []byte) ([]*yarnEntry, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	var section map[string]string
	sectionLine := 0
	endSection := func() error {
		if sectionLine > 0 && len(section) == 0 {
			return posf(path, sectionLine, "a section with no entries (is the file cut short?)")
		}
		sectionLine = 0
		return nil
	}
	for i, raw := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		lineNo := i + 1
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		switch {
		case indent == 0:
			if err := endSection(); err != nil {
				return nil, err
			}
			if !strings.HasSuffix(trimmed, ":") {
				return nil, posf(path, lineNo, "expected a package key ending in \":\", got %s (is the file cut short?)", quoteShort(trimmed))
			}
			cur = &yarnEntry{line: lineNo}
			keys, err := splitYarnKeys(strings.TrimSuffix(trimmed, ":"))
			if err != nil {
				return nil, posf(path, lineNo, "%v", err)
			}
			for _, d := range keys {
				if d == "" {
					return nil, posf(path, lineNo, "empty package descriptor in key")
				}
				cur.descriptors = append(cur.descriptors, d)
			}
			cur.name = yarnRealName(cur.descriptors[0])
			cur.source = "registry"
			entries = append(entries, cur)
			section = nil
		case cur == nil:
			return nil, posf(path, lineNo, "indented line before any package key")
		case indent == 2:
			if err := endSection(); err != nil {
				return nil, err
			}
			key, value, err := yarnKeyValue(trimmed)
			if err != nil {
				return nil, posf(path, lineNo, "%v", err)
			}
			section = nil
			switch {
			case strings.HasSuffix(key, ":") && value == "":
				section, sectionLine = map[string]string{}, lineNo
				switch strings.TrimSuffix(key, ":") {
				case "dependencies":
					cur.deps = section
				case "optionalDependencies":
					cur.optDeps = section
				}
			case key == "version":
				cur.version = value
			case key == "resolved":
				cur.source = npmURLSource(value)
			}
		case indent >= 4:
			if section == nil {
				return nil, posf(path, lineNo, "unexpected indentation (no section such as \"dependencies:\" above)")
			}
			key, value, err := yarnKeyValue(trimmed)
			if err != nil {
				return nil, posf(path, lineNo, "%v", err)
			}
			if value == "" {
				return nil, posf(path, lineNo, "%s has no version range (is the file cut short?)", quoteShort(key))
			}
			section[key] = value
		default:
			return nil, posf(path, lineNo, "unexpected indentation of %d spaces (want 0, 2 or 4)", indent)
		}
	}
	if err := endSection(); err != nil {
		return nil, err
	}
	return entries, nil
}

// splitYarnKeys splits `"a@^1", a@^2` on commas outside quotes.
func splitYarnKeys(s string) ([]string, error) {
	var out []string
	start := 0
	quoted := false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] == '"' {
			quoted = !quoted
			continue
		}
		if i == len(s) || s[i] == ',' && !quoted {
			if quoted {
				return nil, fmt.Errorf("unclosed quote in the package key (is the file cut short?)")
			}
			d, err := yarnValue(strings.TrimSpace(s[start:i]))
			if err != nil {
				return nil, err
			}
			out = append(out, d)
			start = i + 1
		}
	}
	return out, nil
}

// npmURLSource classifies a resolved location of an npm-world package.
func npmURLSource(u string) string {
	switch {
	case u == "":
		return "registry"
	case strings.HasPrefix(u, "git") || strings.HasPrefix(u, "github:") || strings.Contains(u, ".git#"):
		return "git"
	case strings.HasPrefix(u, "file:") || strings.HasPrefix(u, "link:") || strings.HasPrefix(u, "portal:"):
		return "path"
	case strings.Contains(u, "/-/"):
		return "registry"
	}
	return "url"
}

// parseYarnBerry reads the YAML lock file of yarn 2 and later, in time
// linear in its size. Every entry must be complete (version, resolution
// and linkType, the last field yarn writes): a file cut short is an error,
// not a smaller lock.
func parseYarnBerry(path string, data []byte) ([]*yarnEntry, error) {
	docs, err := parseYAMLDocs(path, data)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 || docs[0].kind != yMap {
		return nil, posf(path, 0, "a yarn berry lock file is one YAML mapping of entries")
	}
	top := docs[0]
	var entries []*yarnEntry
	c := &yshape{path: path}
	for i, key := range top.keys {
		if key == "__metadata" {
			continue
		}
		n := top.vals[i]
		if n.kind != yMap {
			return nil, posf(path, top.klin[i], "%s: expected the entry's fields (version, resolution, ...)", quoteShort(key))
		}
		e := &yarnEntry{line: top.klin[i], version: n.get("version").scalar(),
			deps: c.strs(n.get("dependencies"), key+": dependencies"), optDeps: c.strs(n.get("optionalDependencies"), key+": optionalDependencies")}
		if c.err != nil {
			return nil, c.err
		}
		for _, d := range strings.Split(key, ",") {
			if d = strings.TrimSpace(d); d != "" {
				e.descriptors = append(e.descriptors, d)
			}
		}
		if len(e.descriptors) == 0 {
			return nil, posf(path, e.line, "empty package key")
		}
		for _, f := range []string{"version", "resolution", "linkType"} {
			if n.get(f).scalar() == "" {
				return nil, posf(path, e.line, "%s: %q is missing (is the file cut short?)", quoteShort(key), f)
			}
		}
		if lt := n.get("linkType").scalar(); lt != "hard" && lt != "soft" {
			return nil, posf(path, n.get("linkType").line, "%s: linkType %q is neither hard nor soft (is the file cut short?)", quoteShort(key), lt)
		}
		res := n.get("resolution").scalar()
		name, ref := yarnSplit(res)
		e.name = name
		switch {
		case strings.HasPrefix(ref, "workspace:"):
			e.workspace = true
		case strings.HasPrefix(ref, "npm:") || strings.HasPrefix(ref, "patch:"):
			e.source = "registry"
		default:
			e.source = npmURLSource(ref)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// yarnCatalogs reads the catalogs of a .yarnrc.yml (yarn 4.10+): "catalog"
// maps package names to ranges (the default catalog, named ""), and
// "catalogs" maps each named catalog to such a map. A file without
// catalogs gives an empty map.
func yarnCatalogs(path string, data []byte) (map[string]map[string]string, error) {
	docs, err := parseYAMLDocs(path, data)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, doc := range docs {
		if m := doc.get("catalog").strMap(); m != nil {
			out[""] = m
		}
		if named := doc.get("catalogs"); named != nil && named.kind == yMap {
			for i, k := range named.keys {
				if m := named.vals[i].strMap(); m != nil {
					out[k] = m
				}
			}
		}
	}
	return out, nil
}
