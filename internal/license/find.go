package license

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	classifier "github.com/google/licenseclassifier/v2"
	"github.com/google/licenseclassifier/v2/assets"
	"golang.org/x/mod/module"

	"github.com/metawork/meta/internal/ecosystem"
)

// Where an answer came from.
const (
	FromLockfile    = "lockfile"
	FromNodeModules = "node_modules"
	FromDistInfo    = "dist-info"
	FromCargo       = "cargo registry"
	FromGoModCache  = "go module cache"
	FromDepsDev     = "deps.dev"
)

// Answer is the license a package declares and where it was found.
type Answer struct {
	License string // as declared, normally an SPDX expression; "" when not found
	Source  string // one of the From constants, "" when not found
	Detail  string // the file it was read from, or why nothing was found
}

// Finder looks up package licenses for one component, trying in order: the
// lock file's own field, installed metadata beside the lock file, the
// Cargo registry sources, the Go module cache, and deps.dev when set.
type Finder struct {
	Dir          string   // the component's root
	SitePackages []string // extra Python site-packages directories to search
	CargoHome    string   // default $CARGO_HOME, else ~/.cargo
	GoModCache   string   // default $GOMODCACHE, else $GOPATH/pkg/mod, else ~/go/pkg/mod
	DepsDev      *DepsDev // nil: no online lookups

	mu        sync.Mutex
	siteIndex map[string]map[string]string // site-packages dir → normalised "name==version" → dist-info dir
}

// Find returns the license of p, a package of the lock file at lockPath
// (relative to Dir). Not finding one is not an error: the Answer is empty
// with Detail saying where meta looked.
func (f *Finder) Find(ctx context.Context, lockPath string, p ecosystem.Package) Answer {
	if strings.TrimSpace(p.License) != "" {
		return Answer{License: strings.TrimSpace(p.License), Source: FromLockfile, Detail: lockPath}
	}
	base := filepath.Join(f.Dir, filepath.Dir(filepath.FromSlash(lockPath)))
	// A name or version that would leave the directories searched gets no
	// local answer.
	if safeName(p.Name) && safeName(p.Version) {
		if a := f.fromInstalled(base, p); a.License != "" {
			return a
		}
	}
	if f.DepsDev != nil && p.Version != "" && p.Source != "path" && p.Source != "git" {
		lic, err := f.DepsDev.License(ctx, p.Ecosystem, p.Name, p.Version)
		if err != nil {
			return Answer{Detail: err.Error()}
		}
		if lic != "" {
			return Answer{License: lic, Source: FromDepsDev, Detail: f.DepsDev.url(p.Ecosystem, p.Name, p.Version)}
		}
		return Answer{Detail: "deps.dev has no license for it"}
	}
	return Answer{Detail: "not in the lock file or installed metadata; deps.dev not asked"}
}

// fromInstalled looks in the installed metadata of p's ecosystem.
func (f *Finder) fromInstalled(base string, p ecosystem.Package) Answer {
	switch p.Ecosystem {
	case ecosystem.Npm:
		return f.fromNodeModules(base, p)
	case ecosystem.PyPI:
		return f.fromDistInfo(base, p)
	case ecosystem.Cargo:
		return f.fromCargo(p)
	case ecosystem.Go:
		return f.fromGoModCache(p)
	}
	return Answer{}
}

// safeName reports whether a package name or version from a lock file can
// be used in a path without leaving the directory it is joined to.
func safeName(s string) bool {
	if s == "" || strings.ContainsAny(s, "\\\x00*?[") || strings.HasPrefix(s, "/") {
		return false
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == ".." || seg == "." {
			return false
		}
	}
	return true
}

// fromNodeModules reads node_modules/<name>/package.json beside the lock
// file when its version is the locked one.
func (f *Finder) fromNodeModules(base string, p ecosystem.Package) Answer {
	file := filepath.Join(base, "node_modules", filepath.FromSlash(p.Name), "package.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return Answer{}
	}
	var pj struct {
		Version  string          `json:"version"`
		License  json.RawMessage `json:"license"`
		Licenses []struct {
			Type string `json:"type"`
		} `json:"licenses"`
	}
	if json.Unmarshal(data, &pj) != nil || pj.Version != p.Version {
		return Answer{}
	}
	lic := ""
	var s string
	var obj struct {
		Type string `json:"type"`
	}
	switch {
	case json.Unmarshal(pj.License, &s) == nil:
		lic = s
	case json.Unmarshal(pj.License, &obj) == nil:
		lic = obj.Type
	case len(pj.Licenses) > 0:
		var parts []string
		for _, l := range pj.Licenses {
			parts = append(parts, l.Type)
		}
		lic = strings.Join(parts, " OR ")
	}
	if strings.TrimSpace(lic) == "" {
		return Answer{}
	}
	return Answer{License: strings.TrimSpace(lic), Source: FromNodeModules, Detail: file}
}

var pySep = regexp.MustCompile(`[-_.]+`)

func pyNorm(s string) string { return pySep.ReplaceAllString(strings.ToLower(s), "-") }

// sitePackagesDirs lists the site-packages directories to search: the
// configured ones and those of .venv beside the lock file and at the root.
func (f *Finder) sitePackagesDirs(base string) []string {
	dirs := append([]string(nil), f.SitePackages...)
	for _, root := range []string{base, f.Dir} {
		for _, pat := range []string{".venv/lib/python*/site-packages", ".venv/Lib/site-packages", "venv/lib/python*/site-packages"} {
			m, _ := filepath.Glob(filepath.Join(root, pat))
			dirs = append(dirs, m...)
		}
	}
	return dirs
}

// distInfoIndex maps "name==version" (normalised) to dist-info
// directories of one site-packages directory, read once.
func (f *Finder) distInfoIndex(dir string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if idx, ok := f.siteIndex[dir]; ok {
		return idx
	}
	if f.siteIndex == nil {
		f.siteIndex = map[string]map[string]string{}
	}
	idx := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".dist-info")
		if !ok || !e.IsDir() {
			continue
		}
		// <name>-<version>.dist-info; the name has no "-" after escaping.
		i := strings.LastIndex(name, "-")
		if i <= 0 {
			continue
		}
		idx[pyNorm(name[:i])+"=="+strings.ToLower(name[i+1:])] = filepath.Join(dir, e.Name())
	}
	f.siteIndex[dir] = idx
	return idx
}

func (f *Finder) fromDistInfo(base string, p ecosystem.Package) Answer {
	key := pyNorm(p.Name) + "==" + strings.ToLower(p.Version)
	for _, dir := range f.sitePackagesDirs(base) {
		di, ok := f.distInfoIndex(dir)[key]
		if !ok {
			continue
		}
		file := filepath.Join(di, "METADATA")
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if lic := LicenseFromMetadata(data); lic != "" {
			return Answer{License: lic, Source: FromDistInfo, Detail: file}
		}
	}
	return Answer{}
}

// pythonClassifiers maps trove license classifiers (after "License :: ")
// to SPDX ids; ambiguous ones ("BSD License") are left out on purpose.
var pythonClassifiers = map[string]string{
	"OSI Approved :: MIT License":                                             "MIT",
	"OSI Approved :: MIT No Attribution License (MIT-0)":                      "MIT-0",
	"OSI Approved :: Apache Software License":                                 "Apache-2.0",
	"OSI Approved :: ISC License (ISCL)":                                      "ISC",
	"OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)":                    "MPL-2.0",
	"OSI Approved :: Python Software Foundation License":                      "PSF-2.0",
	"OSI Approved :: The Unlicense (Unlicense)":                               "Unlicense",
	"OSI Approved :: Zope Public License":                                     "ZPL-2.1",
	"OSI Approved :: GNU General Public License v2 (GPLv2)":                   "GPL-2.0-only",
	"OSI Approved :: GNU General Public License v2 or later (GPLv2+)":         "GPL-2.0-or-later",
	"OSI Approved :: GNU General Public License v3 (GPLv3)":                   "GPL-3.0-only",
	"OSI Approved :: GNU General Public License v3 or later (GPLv3+)":         "GPL-3.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)":           "LGPL-2.0-only",
	"OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
	"OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)":           "LGPL-3.0-only",
	"OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
	"OSI Approved :: GNU Affero General Public License v3":                    "AGPL-3.0-only",
	"CC0 1.0 Universal (CC0 1.0) Public Domain Dedication":                    "CC0-1.0",
}

// LicenseFromMetadata reads a Python core-metadata file (METADATA or
// PKG-INFO): License-Expression (PEP 639) first, then a License field that
// is a valid SPDX expression, then license classifiers (joined with AND
// when several, as each applies), then the License field as written.
func LicenseFromMetadata(data []byte) string {
	var expr, free string
	var classifiers []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the body (long description) starts here
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "license-expression":
			expr = v
		case "license":
			free = v
		case "classifier":
			if c, ok := strings.CutPrefix(v, "License :: "); ok {
				if id, ok := pythonClassifiers[c]; ok {
					classifiers = append(classifiers, id)
				}
			}
		}
	}
	if expr != "" {
		return expr
	}
	if free != "" {
		if e, err := Parse(free); err == nil && len(UnknownLeaves(e)) == 0 {
			return free
		}
	}
	if len(classifiers) > 0 {
		sort.Strings(classifiers)
		classifiers = dedupe(classifiers)
		return strings.Join(classifiers, " AND ")
	}
	return free
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func (f *Finder) cargoHome() string {
	if f.CargoHome != "" {
		return f.CargoHome
	}
	if h := os.Getenv("CARGO_HOME"); h != "" {
		return h
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cargo")
}

func (f *Finder) fromCargo(p ecosystem.Package) Answer {
	dirs, _ := filepath.Glob(filepath.Join(f.cargoHome(), "registry", "src", "*", p.Name+"-"+p.Version))
	sort.Strings(dirs)
	for _, d := range dirs {
		file := filepath.Join(d, "Cargo.toml")
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if lic := LicenseFromCargoToml(data); lic != "" {
			return Answer{License: lic, Source: FromCargo, Detail: file}
		}
	}
	return Answer{}
}

// LicenseFromCargoToml returns the package.license string of a Cargo.toml
// (registry sources are normalised by cargo, so a line reader suffices).
func LicenseFromCargoToml(data []byte) string {
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[] ")
			continue
		}
		if section != "package" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) != "license" {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			return v[1 : len(v)-1]
		}
	}
	return ""
}

func (f *Finder) goModCache() string {
	if f.GoModCache != "" {
		return f.GoModCache
	}
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}

func (f *Finder) fromGoModCache(p ecosystem.Package) Answer {
	ep, err1 := module.EscapePath(p.Name)
	ev, err2 := module.EscapeVersion(p.Version)
	if err1 != nil || err2 != nil {
		return Answer{}
	}
	dir := filepath.Join(f.goModCache(), filepath.FromSlash(ep)+"@"+ev)
	matches, _ := filepath.Glob(filepath.Join(dir, "LICEN[CS]E*"))
	more, _ := filepath.Glob(filepath.Join(dir, "COPYING*"))
	matches = append(matches, more...)
	sort.Strings(matches)
	var ids []string
	var files []string
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			continue
		}
		got, err := ClassifyText(data)
		if err != nil || len(got) == 0 {
			continue
		}
		ids = append(ids, got...)
		files = append(files, path.Base(filepath.ToSlash(m)))
	}
	if len(ids) == 0 {
		return Answer{}
	}
	sort.Strings(ids)
	ids = dedupe(ids)
	return Answer{License: strings.Join(ids, " AND "), Source: FromGoModCache, Detail: dir + " (" + strings.Join(files, ", ") + ")"}
}

var loadClassifier = sync.OnceValues(func() (*classifier.Classifier, error) {
	return assets.DefaultClassifier()
})

// classifyMu serialises classification: the classifier does not document
// itself as safe for concurrent use.
var classifyMu sync.Mutex

// ClassifyText identifies the licenses in a LICENSE file's text with
// licenseclassifier/v2: the distinct license names matched with at least
// 0.9 confidence, as SPDX ids where meta knows them.
func ClassifyText(text []byte) ([]string, error) {
	c, err := loadClassifier()
	if err != nil {
		return nil, fmt.Errorf("license classifier: %w", err)
	}
	classifyMu.Lock()
	res := c.Match(text)
	classifyMu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, m := range res.Matches {
		if m.MatchType != "License" || m.Confidence < 0.9 || seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		out = append(out, m.Name)
	}
	sort.Strings(out)
	return out, nil
}
