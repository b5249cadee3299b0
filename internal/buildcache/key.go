package buildcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// Schema is the version of the key document; changing what goes into a
// key means changing it, so old records never match new keys.
//
// Version 2: content, not commits (no commit or version: an empty commit
// keeps the key); the tool versions that actually run and the PATH entries
// the build sees; the env mode and, in loose mode, a hash of every visible
// variable; dependencies by the hash of their outputs (early cutoff).
const Schema = "meta-build-key/2"

// Document is everything that determines a component's build output. Its
// canonical JSON encoding (fields in this order, map keys and slices
// sorted, no HTML escaping) is hashed with SHA-256 to give the cache key.
type Document struct {
	Schema    string            `json:"schema"`
	Component string            `json:"component"`
	Platform  string            `json:"platform"` // GOOS/GOARCH of the building machine
	Command   string            `json:"command"`
	Target    string            `json:"target,omitempty"`
	Subdir    string            `json:"subdir,omitempty"` // directory inside the repository the build runs in
	Outputs   []string          `json:"outputs"`
	Tools     map[string]string `json:"tools"` // requested spec → what `TOOL version` printed in the build's environment
	Path      []string          `json:"path"`  // the PATH entries the build sees, in order
	EnvMode   string            `json:"env_mode"`
	Env       map[string]string `json:"env"`                 // declared variables and keyed pass-through ones (locale, TZ)
	LooseEnv  map[string]string `json:"loose_env,omitempty"` // loose mode: every other visible variable → sha256 of its value
	Deps      map[string]string `json:"deps"`                // dependency name → store hash of its outputs (its key when it has no build)
	Inputs    []Input           `json:"inputs"`

	// DepKeys names the key each dependency had (dependency name → key).
	// It is not part of the key: a dependency whose key changed but whose
	// outputs did not leaves its dependents' keys alone (early cutoff),
	// and DepKeys is how explain and build show that.
	DepKeys map[string]string `json:"dep_keys,omitempty"`
}

// Input is one input file of a build.
type Input struct {
	Path   string `json:"path"`   // slash-separated, relative to the component
	SHA256 string `json:"sha256"` // of the contents, or of the link target for a symlink
	Mode   string `json:"mode"`   // git-style: 100644, 100755 or 120000
}

// Canonical returns the document's canonical JSON encoding.
func (d *Document) Canonical() []byte {
	c := *d
	c.Outputs = sortedCopy(d.Outputs)
	c.Inputs = slices.Clone(d.Inputs)
	c.DepKeys = nil // not part of the key
	slices.SortFunc(c.Inputs, func(a, b Input) int { return strings.Compare(a.Path, b.Path) })
	for _, m := range []*map[string]string{&c.Tools, &c.Env, &c.Deps} {
		if *m == nil {
			*m = map[string]string{}
		}
	}
	if len(c.LooseEnv) == 0 {
		c.LooseEnv = nil
	}
	if c.Path == nil {
		c.Path = []string{}
	}
	if c.Outputs == nil {
		c.Outputs = []string{}
	}
	if c.Inputs == nil {
		c.Inputs = []Input{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		panic(fmt.Sprintf("buildcache: encoding a key document: %v", err)) // only strings inside
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// Key returns the cache key: the hex SHA-256 of the canonical document.
func (d *Document) Key() string {
	s := sha256.Sum256(d.Canonical())
	return hex.EncodeToString(s[:])
}

func sortedCopy(s []string) []string {
	if s == nil {
		return nil
	}
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// Change is one field of the key document that differs between two runs.
type Change struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Diff says why two key documents give different keys.
type Diff struct {
	Fields  []Change `json:"fields,omitempty"`  // scalar fields, tools, env and deps
	Added   []string `json:"added,omitempty"`   // input files only in the new document
	Removed []string `json:"removed,omitempty"` // input files only in the old document
	Changed []string `json:"changed,omitempty"` // input files whose contents or mode changed
	// Cutoff lists dependencies whose key changed while their outputs did
	// not: they did not change this key (early cutoff). Not a difference.
	Cutoff []Cutoff `json:"cutoff,omitempty"`
}

// Cutoff is a dependency that was rebuilt (or would be) with a new key but
// produced the same outputs, so its dependents keep their keys.
type Cutoff struct {
	Dep    string `json:"dep"`
	OldKey string `json:"old_key"`
	NewKey string `json:"new_key"`
	Output string `json:"output"` // the unchanged store hash of its outputs
}

// Cutoffs lists the dependencies of new whose key differs from old's while
// their output hash is the same.
func Cutoffs(old, new *Document) []Cutoff {
	var out []Cutoff
	for _, d := range slices.Sorted(maps.Keys(new.Deps)) {
		ok, nk := old.DepKeys[d], new.DepKeys[d]
		if old.Deps[d] == new.Deps[d] && ok != "" && nk != "" && ok != nk {
			out = append(out, Cutoff{Dep: d, OldKey: ok, NewKey: nk, Output: new.Deps[d]})
		}
	}
	return out
}

// Empty reports whether the documents are the same.
func (d Diff) Empty() bool {
	return len(d.Fields) == 0 && len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// Compare lists what changed from old to new.
func Compare(old, new *Document) Diff {
	var d Diff
	field := func(name, a, b string) {
		if a != b {
			d.Fields = append(d.Fields, Change{Field: name, Old: a, New: b})
		}
	}
	field("schema", old.Schema, new.Schema)
	field("component", old.Component, new.Component)
	field("platform", old.Platform, new.Platform)
	field("command", old.Command, new.Command)
	field("target", old.Target, new.Target)
	field("subdir", old.Subdir, new.Subdir)
	field("outputs", strings.Join(sortedCopy(old.Outputs), ","), strings.Join(sortedCopy(new.Outputs), ","))
	field("path", strings.Join(old.Path, string(os.PathListSeparator)), strings.Join(new.Path, string(os.PathListSeparator)))
	field("env_mode", old.EnvMode, new.EnvMode)
	for _, m := range []struct {
		name     string
		old, new map[string]string
	}{{"tools", old.Tools, new.Tools}, {"env", old.Env, new.Env}, {"loose_env", old.LooseEnv, new.LooseEnv}, {"deps", old.Deps, new.Deps}} {
		keys := slices.Sorted(maps.Keys(m.old))
		for k := range m.new {
			if _, ok := m.old[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			a, inOld := m.old[k]
			b, inNew := m.new[k]
			switch {
			case !inOld:
				a = "(absent)"
			case !inNew:
				b = "(absent)"
			}
			field(m.name+"."+k, a, b)
		}
	}
	oldIn := map[string]Input{}
	for _, in := range old.Inputs {
		oldIn[in.Path] = in
	}
	seen := map[string]bool{}
	for _, in := range new.Inputs {
		seen[in.Path] = true
		o, ok := oldIn[in.Path]
		switch {
		case !ok:
			d.Added = append(d.Added, in.Path)
		case o != in:
			d.Changed = append(d.Changed, in.Path)
		}
	}
	for _, in := range old.Inputs {
		if !seen[in.Path] {
			d.Removed = append(d.Removed, in.Path)
		}
	}
	slices.Sort(d.Added)
	slices.Sort(d.Removed)
	slices.Sort(d.Changed)
	d.Cutoff = Cutoffs(old, new)
	return d
}
