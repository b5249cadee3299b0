package ecosystem

import (
	"cmp"
	"encoding/json"
	"errors"
	pathpkg "path"
	"sort"
	"strings"
)

// npmLock is package-lock.json / npm-shrinkwrap.json. lockfileVersion 2 and
// 3 carry the "packages" map (keyed by install location); version 1 only the
// nested "dependencies" tree.
type npmLock struct {
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]json.RawMessage `json:"packages"`
	Dependencies    map[string]json.RawMessage `json:"dependencies"`
}

// npmLockFast is npmLock with the package entries decoded in the same pass.
type npmLockFast struct {
	LockfileVersion int                        `json:"lockfileVersion"`
	Packages        map[string]*npmEntry       `json:"packages"`
	Dependencies    map[string]json.RawMessage `json:"dependencies"`
}

type npmEntry struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Link                 bool              `json:"link"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	DevOptional          bool              `json:"devOptional"`
	License              json.RawMessage   `json:"license"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	Workspaces           json.RawMessage   `json:"workspaces"`
}

// npmWorkspaces reads the root's "workspaces": a list of globs, or
// {"packages": [...]}.
func npmWorkspaces(raw json.RawMessage) []string {
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	_ = json.Unmarshal(raw, &obj)
	return obj.Packages
}

// jsonErr turns encoding/json errors into "path:line: ..." errors.
func jsonErr(path string, data []byte, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return posf(path, lineAt(data, se.Offset), "invalid JSON: %v", se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return posf(path, lineAt(data, te.Offset), "%q must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	return posf(path, 0, "%v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "float64":
		return "a number"
	}
	return "a " + k
}

func parseNpm(path string, data []byte, pj *packageJSON) (*Lockfile, error) {
	// One pass for the usual lockfileVersion 2/3 file; any error is
	// reported by the two-pass reading below, which says which entry.
	var fast npmLockFast
	if json.Unmarshal(data, &fast) == nil && fast.Packages != nil {
		for loc, e := range fast.Packages {
			if e == nil { // "loc": null reads as an empty entry
				fast.Packages[loc] = &npmEntry{}
			}
		}
		return npmFromEntries(path, data, fast.Packages)
	}
	var lock npmLock
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, jsonErr(path, data, err)
	}
	switch {
	case lock.Packages != nil:
		return parseNpmPackages(path, data, lock.Packages)
	case lock.LockfileVersion == 1 || lock.Dependencies != nil:
		return parseNpmV1(path, data, lock.Dependencies, pj)
	}
	return nil, posf(path, 0, `neither "packages" (lockfileVersion 2/3) nor "dependencies" (lockfileVersion 1) found; is this a package-lock.json?`)
}

// npmLicense reads "license": a string, or the legacy {"type": "MIT"}.
func npmLicense(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Type
	}
	return ""
}

// npmName is the package name at install location loc
// ("node_modules/a/node_modules/@s/b" → "@s/b").
func npmName(loc string) string {
	i := strings.LastIndex(loc, "node_modules/")
	if i < 0 {
		return ""
	}
	return loc[i+len("node_modules/"):]
}

// npmResolve finds where a package required from location from is
// installed, the way Node resolves: from/node_modules/name, then each
// enclosing node_modules up to the root.
func npmResolve(entries map[string]*npmEntry, from, name string) (string, bool) {
	dir := from
	for {
		cand := "node_modules/" + name
		if dir != "" {
			cand = dir + "/node_modules/" + name
		}
		if _, ok := entries[cand]; ok {
			return cand, true
		}
		if dir == "" {
			return "", false
		}
		i := strings.LastIndex(dir, "/node_modules/")
		if i < 0 {
			// A workspace member ("packages/a") falls back to the root.
			dir = ""
			continue
		}
		dir = dir[:i]
	}
}

func parseNpmPackages(path string, data []byte, raw map[string]json.RawMessage) (*Lockfile, error) {
	entries := make(map[string]*npmEntry, len(raw))
	for loc, r := range raw {
		var e npmEntry
		if err := json.Unmarshal(r, &e); err != nil {
			line := lineOf(data, mustJSON(loc))
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				return nil, posf(path, line, "packages[%q]: %q must be %s, not %s", loc, te.Field, jsonKind(te.Type.Kind().String()), te.Value)
			}
			return nil, posf(path, line, "packages[%q]: %v", loc, err)
		}
		entries[loc] = &e
	}
	return npmFromEntries(path, data, entries)
}

// npmFromEntries builds the lock file of decoded "packages" entries.
func npmFromEntries(path string, data []byte, entries map[string]*npmEntry) (*Lockfile, error) {
	locs := make([]string, 0, len(entries))
	for loc := range entries {
		locs = append(locs, loc)
	}
	sort.Strings(locs)
	b := newBuilder(path, ManagerNpm, Npm)
	// target follows links: a link entry points at the location of the
	// linked directory (its "resolved", relative to the lock file).
	target := func(loc string) string {
		for range 8 {
			e := entries[loc]
			if e == nil || !e.Link {
				return loc
			}
			loc = e.Resolved
		}
		return loc
	}
	// The project itself is the root entry and its workspace members
	// (matching the root's "workspaces" globs). Other directories outside
	// node_modules are local file: packages, reported with Source "path".
	var globs []string
	linkName := map[string]string{} // link target → the name it is linked as
	if r := entries[""]; r != nil {
		globs = npmWorkspaces(r.Workspaces)
	}
	for _, loc := range locs {
		if e := entries[loc]; e.Link && strings.Contains(loc, "node_modules/") {
			if _, ok := linkName[e.Resolved]; !ok {
				linkName[e.Resolved] = npmName(loc)
			}
		}
	}
	isFirstParty := func(loc string) bool {
		if loc == "" {
			return true
		}
		if strings.Contains(loc, "node_modules/") {
			return false
		}
		for _, g := range globs {
			g = strings.TrimSuffix(strings.TrimPrefix(g, "./"), "/")
			if ok, _ := pathpkg.Match(g, loc); ok || g == loc {
				return true
			}
		}
		return false
	}
	ids := map[string]string{}  // location → package ID
	member := map[string]bool{} // IDs of workspace members
	for _, loc := range locs {
		e := entries[loc]
		if loc != "" && isFirstParty(loc) && !e.Link {
			// A workspace member: the project's own code, listed, never
			// audited or a root.
			name := cmp.Or(e.Name, linkName[loc], pathpkg.Base(loc))
			ids[loc] = b.add(Package{Name: name, Version: e.Version, Source: SourceLocal})
			member[ids[loc]] = true
			continue
		}
		if isFirstParty(loc) || e.Link {
			continue
		}
		local := !strings.Contains(loc, "node_modules/")
		if e.Version == "" && !local {
			return nil, posf(path, lineOf(data, mustJSON(loc)), "packages[%q]: \"version\" must be a non-empty string", loc)
		}
		name := e.Name
		if name == "" {
			name = npmName(loc)
		}
		if local && linkName[loc] != "" {
			name = linkName[loc]
		}
		if name == "" {
			name = pathpkg.Base(loc)
		}
		scope := ScopeProd
		switch {
		case e.Dev:
			scope = ScopeDev
		case e.DevOptional:
			// Needed only by dev dependencies, or optionally by prod ones:
			// `npm install --omit=dev` may leave it out, so not prod.
			scope = ScopeDev
		case e.Optional:
			scope = ScopeOptional
		}
		src := "registry"
		switch {
		case strings.HasPrefix(e.Resolved, "git+") || strings.HasPrefix(e.Resolved, "git:") || strings.HasPrefix(e.Resolved, "github:"):
			src = "git"
		case strings.HasPrefix(e.Resolved, "file:") || local:
			src = "path"
		}
		ids[loc] = b.add(Package{Name: name, Version: e.Version, Scope: scope, License: npmLicense(e.License), Source: src})
	}
	for _, loc := range locs {
		e := entries[loc]
		if e.Link {
			continue
		}
		from, first := ids[loc], isFirstParty(loc)
		if !first && from == "" {
			continue
		}
		add := func(deps map[string]string, scope Scope, optional, quiet bool) {
			for _, name := range sortedKeys(deps) {
				at, ok := npmResolve(entries, loc, name)
				if !ok {
					if !optional && !quiet {
						b.warnf("%s: %s requires %s, which the lock file does not contain", path, displayLoc(loc), name)
					}
					continue
				}
				to := ids[target(at)]
				if to == "" || first && member[to] {
					continue // the project's own code depending on itself
				}
				if first {
					b.root(to, scope)
					if from != "" { // a workspace member
						b.edge(from, to, optional)
					}
				} else {
					b.edge(from, to, optional)
				}
			}
		}
		add(e.Dependencies, ScopeProd, false, false)
		add(e.OptionalDependencies, ScopeOptional, true, false)
		add(e.PeerDependencies, ScopeProd, true, true)
		if first {
			add(e.DevDependencies, ScopeDev, false, false)
		}
	}
	return b.finish(), nil
}

func displayLoc(loc string) string {
	if loc == "" {
		return "the root package"
	}
	return loc
}

// npmV1Entry is one node of lockfileVersion 1's nested "dependencies" tree.
type npmV1Entry struct {
	Version      string                     `json:"version"`
	Resolved     string                     `json:"resolved"`
	Dev          bool                       `json:"dev"`
	Optional     bool                       `json:"optional"`
	Requires     map[string]string          `json:"requires"`
	Dependencies map[string]json.RawMessage `json:"dependencies"`
}

// parseNpmV1 reads lockfileVersion 1. It does not say which packages the
// project requires directly: they come from package.json when pj is given;
// otherwise every top-level entry that no other package requires is taken
// as a root, and scopes are the lock file's dev/optional flags.
func parseNpmV1(path string, data []byte, top map[string]json.RawMessage, pj *packageJSON) (*Lockfile, error) {
	b := newBuilder(path, ManagerNpm, Npm)
	type node struct {
		entry  *npmV1Entry
		id     string
		parent *node
		kids   map[string]*node
	}
	var walk func(raw map[string]json.RawMessage, parent *node, depth int) (map[string]*node, error)
	walk = func(raw map[string]json.RawMessage, parent *node, depth int) (map[string]*node, error) {
		if depth > 200 {
			return nil, posf(path, 0, "dependencies nested too deeply")
		}
		kids := map[string]*node{}
		for _, name := range sortedKeys(raw) {
			var e npmV1Entry
			if err := json.Unmarshal(raw[name], &e); err != nil {
				return nil, posf(path, lineOf(data, mustJSON(name)), "dependencies[%q]: %v", name, err)
			}
			if e.Version == "" {
				return nil, posf(path, lineOf(data, mustJSON(name)), "dependencies[%q]: \"version\" must be a non-empty string", name)
			}
			scope := ScopeProd
			if e.Dev {
				scope = ScopeDev
			} else if e.Optional {
				scope = ScopeOptional
			}
			src := "registry"
			if strings.HasPrefix(e.Version, "file:") {
				src = "path"
			} else if strings.HasPrefix(e.Version, "git") || strings.HasPrefix(e.Version, "github:") {
				src = "git"
			}
			n := &node{entry: &e, parent: parent}
			n.id = b.add(Package{Name: name, Version: e.Version, Scope: scope, Source: src})
			k, err := walk(e.Dependencies, n, depth+1)
			if err != nil {
				return nil, err
			}
			n.kids = k
			kids[name] = n
		}
		return kids, nil
	}
	rootNode := &node{}
	kids, err := walk(top, rootNode, 0)
	if err != nil {
		return nil, err
	}
	rootNode.kids = kids
	required := map[string]bool{}
	var link func(n *node)
	link = func(n *node) {
		for _, name := range sortedKeys(n.kids) {
			k := n.kids[name]
			for _, req := range sortedKeys(k.entry.Requires) {
				for up := k; up != nil; up = up.parent {
					if t, ok := up.kids[req]; ok {
						b.edge(k.id, t.id, false)
						required[t.id] = true
						break
					}
				}
			}
			link(k)
		}
	}
	link(rootNode)
	if pj != nil {
		pj.each(func(name, _ string, s Scope) {
			if n, ok := kids[name]; ok {
				b.root(n.id, s)
			}
		})
		return b.finish(), nil
	}
	for _, name := range sortedKeys(kids) {
		n := kids[name]
		if !required[n.id] {
			b.root(n.id, ScopeProd)
		}
	}
	return b.finish(), nil
}

func mustJSON(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// packageJSON is the part of package.json that says what the project
// requires directly; yarn.lock and npm lockfileVersion 1 do not record it.
type packageJSON struct {
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// readPackageJSON parses package.json; nil data or invalid JSON gives nil.
func readPackageJSON(data []byte) *packageJSON {
	if data == nil {
		return nil
	}
	var pj packageJSON
	if json.Unmarshal(data, &pj) != nil {
		return nil
	}
	return &pj
}

// each calls f for every direct dependency with its scope, sorted by name
// within each scope.
func (pj *packageJSON) each(f func(name, spec string, s Scope)) {
	for _, name := range sortedKeys(pj.Dependencies) {
		f(name, pj.Dependencies[name], ScopeProd)
	}
	for _, name := range sortedKeys(pj.OptionalDependencies) {
		f(name, pj.OptionalDependencies[name], ScopeOptional)
	}
	for _, name := range sortedKeys(pj.DevDependencies) {
		f(name, pj.DevDependencies[name], ScopeDev)
	}
}
