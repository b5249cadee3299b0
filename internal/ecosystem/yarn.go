package ecosystem

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/metawork/meta/internal/yamlpos"
)

// yarnEntry is one resolved package of a yarn.lock, classic or berry.
type yarnEntry struct {
	descriptors []string // "name@range" as written in the key
	name        string
	version     string
	source      string
	workspace   bool // berry: a workspace of the project itself
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
func parseYarn(path string, data []byte, pj *packageJSON) (*Lockfile, error) {
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
		}
		if e.workspace {
			continue
		}
		if e.version == "" {
			return nil, posf(path, e.line, "%s: \"version\" is missing", strings.Join(e.descriptors, ", "))
		}
		ids[e] = b.add(Package{Name: e.name, Version: e.version, Source: e.source})
		byName[e.name] = append(byName[e.name], e)
	}
	lookup := func(name, rng string) *yarnEntry {
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
					if !optional {
						b.warnf("%s:%d: %s requires %s@%s, which the lock file does not contain", path, e.line, e.name, name, deps[name])
					}
					continue
				}
				if t.workspace {
					continue
				}
				required[t] = true
				if e.workspace {
					s := ScopeProd
					if optional {
						s = ScopeOptional
					}
					if pj != nil && pj.DevDependencies[name] != "" && pj.Dependencies[name] == "" {
						s = ScopeDev
					}
					b.root(ids[t], s)
				} else {
					b.edge(ids[e], ids[t], optional)
				}
			}
		}
		link(e.deps, false)
		link(e.optDeps, true)
	}
	if len(b.roots) == 0 {
		if pj != nil {
			pj.each(func(name, spec string, s Scope) {
				if t := lookup(name, spec); t != nil && !t.workspace {
					b.root(ids[t], s)
				}
			})
		} else {
			for _, e := range entries {
				if !e.workspace && !required[e] {
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

// yarnUnquote removes surrounding double quotes, with JSON-style escapes.
func yarnUnquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// yarnKeyValue splits an indented classic line "key value" or "key:".
func yarnKeyValue(s string) (key, value string) {
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
			return yarnUnquote(s), ""
		}
		return yarnUnquote(s[:end+1]), strings.TrimSpace(s[end+1:])
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.TrimSpace(s[i+1:])
	}
	return s, ""
}

// parseYarnClassic reads yarn's v1 format: unindented "desc, desc:" keys,
// two-space "field value" lines, four-space lines under "dependencies:" and
// "optionalDependencies:".
func parseYarnClassic(path string, data []byte) ([]*yarnEntry, error) {
	var entries []*yarnEntry
	var cur *yarnEntry
	var section map[string]string
	for i, raw := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		lineNo := i + 1
		trimmed := strings.TrimSpace(raw)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		switch {
		case indent == 0:
			if !strings.HasSuffix(trimmed, ":") {
				return nil, posf(path, lineNo, "expected a package key ending in \":\", got %s", quoteShort(trimmed))
			}
			cur = &yarnEntry{line: lineNo}
			for _, d := range splitYarnKeys(strings.TrimSuffix(trimmed, ":")) {
				if d == "" {
					return nil, posf(path, lineNo, "empty package descriptor in key")
				}
				cur.descriptors = append(cur.descriptors, d)
			}
			cur.name, _ = yarnSplit(cur.descriptors[0])
			cur.source = "registry"
			entries = append(entries, cur)
			section = nil
		case cur == nil:
			return nil, posf(path, lineNo, "indented line before any package key")
		case indent == 2:
			key, value := yarnKeyValue(trimmed)
			section = nil
			switch {
			case strings.HasSuffix(key, ":") && value == "":
				switch strings.TrimSuffix(key, ":") {
				case "dependencies":
					cur.deps = map[string]string{}
					section = cur.deps
				case "optionalDependencies":
					cur.optDeps = map[string]string{}
					section = cur.optDeps
				default:
					section = map[string]string{} // read past
				}
			case key == "version":
				cur.version = yarnUnquote(value)
			case key == "resolved":
				cur.source = npmURLSource(yarnUnquote(value))
			}
		case indent >= 4:
			if section == nil {
				return nil, posf(path, lineNo, "unexpected indentation (no section such as \"dependencies:\" above)")
			}
			key, value := yarnKeyValue(trimmed)
			section[key] = yarnUnquote(value)
		default:
			return nil, posf(path, lineNo, "unexpected indentation of %d spaces (want 0, 2 or 4)", indent)
		}
	}
	return entries, nil
}

// splitYarnKeys splits `"a@^1", a@^2` on commas outside quotes.
func splitYarnKeys(s string) []string {
	var out []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case c == ',' && !quoted:
			out = append(out, yarnUnquote(b.String()))
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return append(out, yarnUnquote(b.String()))
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

type yarnBerryEntry struct {
	Version              string            `yaml:"version"`
	Resolution           string            `yaml:"resolution"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// parseYarnBerry reads the YAML lock file of yarn 2 and later.
func parseYarnBerry(path string, data []byte) ([]*yarnEntry, error) {
	if err := yamlpos.CheckDepth(path, data); err != nil {
		return nil, err
	}
	var raw map[string]yaml.RawMessage
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, yamlErr(path, err)
	}
	var entries []*yarnEntry
	for _, key := range sortedKeys(raw) {
		if key == "__metadata" {
			continue
		}
		var be yarnBerryEntry
		if err := yaml.Unmarshal(raw[key], &be); err != nil {
			return nil, posf(path, lineOf(data, key), "%s: %v", quoteShort(key), yamlErr("", err))
		}
		e := &yarnEntry{line: lineOf(data, key), version: be.Version, deps: be.Dependencies, optDeps: be.OptionalDependencies}
		for _, d := range strings.Split(key, ",") {
			if d = strings.TrimSpace(d); d != "" {
				e.descriptors = append(e.descriptors, d)
			}
		}
		if len(e.descriptors) == 0 {
			return nil, posf(path, e.line, "empty package key")
		}
		res := be.Resolution
		if res == "" {
			res = e.descriptors[0]
		}
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
