package ecosystem

import (
	"cmp"
	"fmt"
	pathpkg "path"
	"strings"
)

// pnpmLock is pnpm-lock.yaml, lockfileVersion 6 to 9. Version 9 splits
// package metadata ("packages") from the dependency graph ("snapshots",
// keyed by name@version plus a peer-dependency suffix "(peer@1.0.0)").
type pnpmLock struct {
	LockfileVersion string
	Importers       map[string]pnpmImporter
	// Before version 9, a project without workspaces has its importer's
	// fields at the top level.
	Dependencies         map[string]pnpmRef
	DevDependencies      map[string]pnpmRef
	OptionalDependencies map[string]pnpmRef
	Packages             map[string]pnpmPackage
	Snapshots            map[string]pnpmSnapshot
	keyLine              map[string]int // packages key → line
}

type pnpmImporter struct {
	Dependencies         map[string]pnpmRef
	DevDependencies      map[string]pnpmRef
	OptionalDependencies map[string]pnpmRef
}

type pnpmRef struct {
	Specifier string
	Version   string
}

type pnpmPackage struct {
	Name                 string
	Version              string
	Resolution           map[string]string
	Dependencies         map[string]string
	OptionalDependencies map[string]string
}

type pnpmSnapshot struct {
	Dependencies         map[string]string
	OptionalDependencies map[string]string
}

// pnpmRefs reads an importer's dependency section: name → {specifier,
// version}, or name → version as older lock files write it.
func pnpmRefs(c *yshape, n *ynode, what string) map[string]pnpmRef {
	n = c.mapping(n, what)
	if n == nil {
		return nil
	}
	m := make(map[string]pnpmRef, len(n.keys))
	for i, k := range n.keys {
		v := n.vals[i]
		if v.kind == yScalar {
			m[k] = pnpmRef{Version: v.str}
			continue
		}
		v = c.mapping(v, what+": "+k)
		m[k] = pnpmRef{Specifier: v.get("specifier").scalar(), Version: v.get("version").scalar()}
	}
	return m
}

func pnpmImporterOf(c *yshape, n *ynode, what string) pnpmImporter {
	n = c.mapping(n, what)
	return pnpmImporter{
		Dependencies:         pnpmRefs(c, n.get("dependencies"), what+": dependencies"),
		DevDependencies:      pnpmRefs(c, n.get("devDependencies"), what+": devDependencies"),
		OptionalDependencies: pnpmRefs(c, n.get("optionalDependencies"), what+": optionalDependencies"),
	}
}

// pnpmEnvOnly reports whether doc is pnpm's environment lock, which pnpm
// 10+ writes as a first document: importers with nothing but
// configDependencies and packageManagerDependencies.
func pnpmEnvOnly(doc *ynode) bool {
	imp := doc.get("importers")
	if imp == nil || imp.kind != yMap || len(imp.keys) == 0 {
		return false
	}
	for _, v := range imp.vals {
		for _, k := range v.keys {
			if k != "configDependencies" && k != "packageManagerDependencies" {
				return false
			}
		}
	}
	return true
}

// pnpmDocument picks the document of pnpm-lock.yaml that is the lock:
// the only one, or the one that is not pnpm's environment lock. note says
// which was read when there were several.
func pnpmDocument(path string, docs []*ynode) (doc *ynode, note string, err error) {
	var locks []int
	for i, d := range docs {
		if d.kind == yMap && !pnpmEnvOnly(d) {
			locks = append(locks, i)
		}
	}
	switch {
	case len(docs) == 0:
		return nil, "", posf(path, 0, "no YAML document in the file")
	case len(docs) == 1:
		return docs[0], "", nil
	case len(locks) == 1:
		i := locks[0]
		return docs[i], fmt.Sprintf("%s: read YAML document %d of %d, the lock (the others are pnpm's environment lock: configDependencies, packageManagerDependencies)", path, i+1, len(docs)), nil
	case len(locks) == 0:
		return nil, "", posf(path, 0, "%d YAML documents, all pnpm environment locks: no dependency lock", len(docs))
	}
	return nil, "", posf(path, docs[locks[1]].line, "%d YAML documents that each look like a lock; meta reads one", len(locks))
}

// readPnpm decodes the lock document of pnpm-lock.yaml.
func readPnpm(path string, data []byte) (*pnpmLock, string, error) {
	docs, err := parseYAMLDocs(path, data)
	if err != nil {
		return nil, "", err
	}
	doc, note, err := pnpmDocument(path, docs)
	if err != nil {
		return nil, "", err
	}
	if doc.kind != yMap {
		return nil, "", posf(path, doc.line, "expected a mapping with lockfileVersion, importers and packages")
	}
	c := &yshape{path: path}
	lock := &pnpmLock{
		LockfileVersion:      doc.get("lockfileVersion").scalar(),
		Dependencies:         pnpmRefs(c, doc.get("dependencies"), "dependencies"),
		DevDependencies:      pnpmRefs(c, doc.get("devDependencies"), "devDependencies"),
		OptionalDependencies: pnpmRefs(c, doc.get("optionalDependencies"), "optionalDependencies"),
		keyLine:              map[string]int{},
	}
	if imp := c.mapping(doc.get("importers"), "importers"); imp != nil {
		lock.Importers = make(map[string]pnpmImporter, len(imp.keys))
		for i, k := range imp.keys {
			lock.Importers[k] = pnpmImporterOf(c, imp.vals[i], "importers: "+k)
		}
	}
	if pk := c.mapping(doc.get("packages"), "packages"); pk != nil {
		lock.Packages = make(map[string]pnpmPackage, len(pk.keys))
		for i, k := range pk.keys {
			v := c.mapping(pk.vals[i], "packages: "+k)
			lock.Packages[k] = pnpmPackage{
				Name:                 v.get("name").scalar(),
				Version:              v.get("version").scalar(),
				Resolution:           c.mapping(v.get("resolution"), k+": resolution").strMap(),
				Dependencies:         c.strs(v.get("dependencies"), k+": dependencies"),
				OptionalDependencies: c.strs(v.get("optionalDependencies"), k+": optionalDependencies"),
			}
			lock.keyLine[k] = pk.klin[i]
		}
	}
	if sn := c.mapping(doc.get("snapshots"), "snapshots"); sn != nil {
		lock.Snapshots = make(map[string]pnpmSnapshot, len(sn.keys))
		for i, k := range sn.keys {
			v := c.mapping(sn.vals[i], "snapshots: "+k)
			lock.Snapshots[k] = pnpmSnapshot{Dependencies: c.strs(v.get("dependencies"), k+": dependencies"), OptionalDependencies: c.strs(v.get("optionalDependencies"), k+": optionalDependencies")}
		}
	}
	if c.err != nil {
		return nil, "", c.err
	}
	return lock, note, nil
}

// pnpmSplitKey splits a packages/snapshots key "name@ref" (the name may be
// scoped: "@babel/core@7.0.0"), dropping v6's leading "/" and any peer
// suffix "(...)".
func pnpmSplitKey(key string) (name, ref string, ok bool) {
	key = strings.TrimPrefix(key, "/")
	if i := strings.IndexByte(key, '('); i > 0 {
		key = key[:i]
	}
	from := 0
	if strings.HasPrefix(key, "@") {
		slash := strings.IndexByte(key, '/')
		if slash < 0 {
			return "", "", false
		}
		from = slash
	}
	at := strings.IndexByte(key[from:], '@')
	if at < 0 {
		return "", "", false
	}
	at += from
	if at == 0 || at == len(key)-1 {
		return "", "", false
	}
	return key[:at], key[at+1:], true
}

// pnpmTarget turns a dependency "name: version" into the packages key it
// names, or "" for links to workspace members. The version may carry a
// peer suffix, or be an alias "other@1.0.0".
func pnpmTarget(name, ver string) string {
	if strings.HasPrefix(ver, "link:") {
		return ""
	}
	if i := strings.IndexByte(ver, '('); i > 0 {
		ver = ver[:i]
	}
	ver = strings.TrimPrefix(ver, "/")
	if !strings.Contains(ver, ":") && strings.Contains(ver, "@") {
		if n, r, ok := pnpmSplitKey(ver); ok {
			return n + "@" + r
		}
	}
	return name + "@" + ver
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parsePnpm reads pnpm-lock.yaml. Every importer (the root "." and each
// workspace member) contributes roots; scopes follow from the graph.
// Packages not from the registry are marked by Source: "git" (resolution
// with a commit or type git), "url" (a tarball URL), "path" (file:).
func parsePnpm(path string, data []byte) (*Lockfile, error) {
	lock, note, err := readPnpm(path, data)
	if err != nil {
		return nil, err
	}
	v := lock.LockfileVersion
	if v == "" || (!strings.HasPrefix(v, "6") && !strings.HasPrefix(v, "7") && !strings.HasPrefix(v, "8") && !strings.HasPrefix(v, "9")) {
		return nil, posf(path, lineOf(data, "lockfileVersion"), "lockfileVersion %q: meta reads pnpm lock files version 6 to 9", v)
	}
	b := newBuilder(path, ManagerPnpm, Npm)
	b.graphScope = true
	if note != "" {
		b.l.Notes = append(b.l.Notes, note)
	}
	ids := map[string]string{} // packages key (no peer suffix) → ID
	for _, key := range sortedKeys(lock.Packages) {
		info := lock.Packages[key]
		name, ref, ok := pnpmSplitKey(key)
		if !ok {
			return nil, posf(path, lock.keyLine[key], "packages: key %q is not name@version", key)
		}
		if info.Name != "" {
			name = info.Name
		}
		version, src := info.Version, "registry"
		if version == "" && ref != "" && isDigit(ref[0]) {
			version = ref
		}
		res := info.Resolution
		switch {
		case res["type"] == "git" || res["commit"] != "" || strings.HasPrefix(ref, "git"):
			src = "git"
		case strings.HasPrefix(ref, "file:") || res["type"] == "directory" || res["directory"] != "":
			src = "path"
		case strings.Contains(ref, "://") || res["tarball"] != "" && !isDigit(ref[0]):
			src = "url"
		}
		if version == "" && src != "path" {
			b.warnf("%s: %s has no version; it cannot be audited", path, key)
		}
		ids[pnpmTarget(name, ref)] = b.add(Package{Name: name, Version: version, Source: src})
	}
	resolve := func(name, ver string) string { return ids[pnpmTarget(name, ver)] }
	if len(lock.Importers) == 0 {
		lock.Importers = map[string]pnpmImporter{".": {lock.Dependencies, lock.DevDependencies, lock.OptionalDependencies}}
	}
	members := pnpmMembers(lock.Importers)
	for _, imp := range sortedKeys(lock.Importers) {
		if name, ok := members[imp]; ok {
			b.add(Package{Name: name, Source: SourceLocal})
		}
	}
	for _, imp := range sortedKeys(lock.Importers) {
		im := lock.Importers[imp]
		member, isMember := members[imp]
		for _, sec := range []struct {
			deps  map[string]pnpmRef
			scope Scope
		}{{im.Dependencies, ScopeProd}, {im.OptionalDependencies, ScopeOptional}, {im.DevDependencies, ScopeDev}} {
			for _, name := range sortedKeys(sec.deps) {
				ref := sec.deps[name]
				if strings.HasPrefix(ref.Version, "link:") {
					continue
				}
				id := resolve(name, ref.Version)
				if id == "" {
					b.warnf("%s: importer %q requires %s %s, which the lock file does not contain", path, imp, name, ref.Version)
					continue
				}
				b.root(id, sec.scope)
				if isMember {
					b.edge(member+"@", id, sec.scope == ScopeOptional)
				}
			}
		}
	}
	graph := func(key string, deps, opt map[string]string) {
		n, r, ok := pnpmSplitKey(key)
		if !ok {
			return
		}
		from := ids[pnpmTarget(n, r)]
		if from == "" {
			return
		}
		for _, name := range sortedKeys(deps) {
			if to := resolve(name, deps[name]); to != "" {
				b.edge(from, to, false)
			}
		}
		for _, name := range sortedKeys(opt) {
			if to := resolve(name, opt[name]); to != "" {
				b.edge(from, to, true)
			}
		}
	}
	if lock.Snapshots != nil {
		for _, key := range sortedKeys(lock.Snapshots) {
			s := lock.Snapshots[key]
			graph(key, s.Dependencies, s.OptionalDependencies)
		}
	} else {
		for _, key := range sortedKeys(lock.Packages) {
			p := lock.Packages[key]
			graph(key, p.Dependencies, p.OptionalDependencies)
		}
	}
	return b.finish(), nil
}

// pnpmMembers names the workspace members: every importer but the root
// ("."), the project's own code, listed but never audited or a root. Each
// is named as the first importer (in sorted order) links to it
// ("link:../dir"), else by its directory's name.
func pnpmMembers(importers map[string]pnpmImporter) map[string]string {
	linked := map[string]string{}
	for _, imp := range sortedKeys(importers) {
		im := importers[imp]
		for _, deps := range []map[string]pnpmRef{im.Dependencies, im.DevDependencies, im.OptionalDependencies} {
			for _, name := range sortedKeys(deps) {
				if rel, ok := strings.CutPrefix(deps[name].Version, "link:"); ok {
					to := pathpkg.Join(imp, rel)
					if _, seen := linked[to]; !seen {
						linked[to] = name
					}
				}
			}
		}
	}
	out := map[string]string{}
	for imp := range importers {
		if imp != "." {
			out[imp] = cmp.Or(linked[imp], pathpkg.Base(imp))
		}
	}
	return out
}
