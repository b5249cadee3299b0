package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/metawork/meta/internal/git"
	"github.com/metawork/meta/internal/manifest"
)

// Nested checkouts: a component's path may lie inside another's checkout
// (west, repo and vcstool allow it). The outer one is cloned first; its
// git info/exclude lists the inner ones, so they are neither untracked
// files in its status nor inputs of its build; every command treats them
// as separate trees, and nothing here deletes or moves an inner checkout
// through the outer one.

// CloneOrder returns the order to start the clones of comps in (every
// enclosing checkout before those inside it) and, for each, the index of
// the nearest enclosing component among comps it must wait for (-1: none).
// Waiting keeps an inner clone from making directories inside the outer
// path while the outer clone is being published there.
func CloneOrder(m *manifest.Manifest, comps []*manifest.Component) (order, after []int) {
	order = make([]int, len(comps))
	after = make([]int, len(comps))
	idx := make(map[string]int, len(comps))
	for i, c := range comps {
		order[i], after[i] = i, -1
		idx[c.Name] = i
	}
	nest := m.Nesting()
	if !nest.Any() {
		return order, after
	}
	for i, c := range comps {
		for o := nest.Outer(c.Name); o != ""; o = nest.Outer(o) {
			if j, ok := idx[o]; ok {
				after[i] = j
				break
			}
		}
	}
	key := func(i int) string { return filepath.ToSlash(comps[i].Path) + "/" }
	sort.SliceStable(order, func(a, b int) bool { return key(order[a]) < key(order[b]) })
	return order, after
}

// excludeMu serialises edits of info/exclude files: several inner
// checkouts may finish at once.
var excludeMu sync.Mutex

const (
	excludeBegin = "# meta: nested component checkouts (kept by meta; do not edit)"
	excludeEnd   = "# meta: end"
)

// ExcludeNested records in the git info/exclude of c's checkout, and of
// the checkout enclosing c, the component checkouts nested inside them.
// Checkouts that are not git repositories (yet) are skipped.
func ExcludeNested(m *manifest.Manifest, nest *manifest.Nesting, c *manifest.Component) error {
	if err := excludeInner(m, nest, c); err != nil {
		return err
	}
	if o := nest.Outer(c.Name); o != "" {
		return excludeInner(m, nest, m.Components[o])
	}
	return nil
}

func excludeInner(m *manifest.Manifest, nest *manifest.Nesting, outer *manifest.Component) error {
	inner := nest.Inner(outer.Name)
	if len(inner) == 0 {
		return nil
	}
	gd, err := git.GitDir(outer.Path)
	if err != nil {
		return nil // not cloned yet
	}
	var lines []string
	for _, n := range inner {
		rel, err := filepath.Rel(outer.Path, m.Components[n].Path)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		lines = append(lines, "/"+escapeExclude(filepath.ToSlash(rel))+"/")
	}
	excludeMu.Lock()
	defer excludeMu.Unlock()
	root, err := os.OpenRoot(gd)
	if err != nil {
		return err
	}
	defer root.Close()
	old, err := root.ReadFile("info/exclude")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	next := replaceBlock(string(old), lines)
	if next == string(old) {
		return nil
	}
	if err := root.MkdirAll("info", 0o755); err != nil {
		return err
	}
	if err := root.WriteFile("info/exclude", []byte(next), 0o644); err != nil {
		return fmt.Errorf("record nested checkouts in %s: %w", filepath.Join(gd, "info", "exclude"), err)
	}
	return nil
}

// escapeExclude escapes the characters gitignore patterns treat specially.
func escapeExclude(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`\*?[]!# `, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// replaceBlock returns text with meta's block set to lines, keeping
// everything else as it was.
func replaceBlock(text string, lines []string) string {
	var keep []string
	in := false
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case l == excludeBegin:
			in = true
		case l == excludeEnd && in:
			in = false
		case !in && (l != "" || len(keep) > 0):
			keep = append(keep, l)
		}
	}
	out := strings.Join(keep, "\n")
	if out != "" {
		out += "\n"
	}
	return out + excludeBegin + "\n" + strings.Join(lines, "\n") + "\n" + excludeEnd + "\n"
}

// onlyNested reports whether the existing directory of c holds nothing but
// (the way to) checkouts of components nested inside it: an outer
// component bootstrapped after its inner ones.
func onlyNested(m *manifest.Manifest, nest *manifest.Nesting, c *manifest.Component) bool {
	inner := nest.Inner(c.Name)
	if len(inner) == 0 {
		return false
	}
	need := map[string]bool{}
	for _, n := range inner {
		rel, err := filepath.Rel(c.Path, m.Components[n].Path)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		need[strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]] = true
	}
	entries, err := os.ReadDir(c.Path)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !need[e.Name()] || !e.IsDir() {
			return false
		}
	}
	return true
}

// moveInto moves the top-level entries of the fresh clone src into dir,
// which holds only nested checkouts; it refuses, moving nothing, when the
// clone has an entry of the same name (the outer repository tracks files
// where an inner checkout is).
func moveInto(src, dir string) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := os.Lstat(filepath.Join(dir, e.Name())); err == nil {
			return fmt.Errorf("%s is already there (a nested checkout) and the repository also has %s; not touched", filepath.Join(dir, e.Name()), e.Name())
		}
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// PublishClone moves the finished clone dest to dir: whole when dir is
// absent or empty, or entry by entry when dir holds nothing but other
// checkouts (nested components cloned before it). Anything else in dir is
// left alone and reported; rel names dir in messages.
func PublishClone(dest, dir, rel string) error {
	err := os.Remove(dir)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return os.Rename(dest, dir)
	}
	if holdsOnlyCheckouts(dir, 0) {
		return moveInto(dest, dir)
	}
	return fmt.Errorf("%s appeared while cloning; not touched: %v", rel, err)
}

// holdsOnlyCheckouts reports whether every entry below dir leads only to
// git checkouts (directories with their own .git).
func holdsOnlyCheckouts(dir string, depth int) bool {
	if depth > 16 {
		return false
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return false
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			return false
		}
		if _, err := os.Lstat(filepath.Join(p, ".git")); err == nil {
			continue
		}
		if !holdsOnlyCheckouts(p, depth+1) {
			return false
		}
	}
	return true
}

// nestedCheckoutDir reports whether p is the top of another git checkout.
func nestedCheckoutDir(p string) bool {
	_, err := os.Lstat(filepath.Join(p, ".git"))
	return err == nil
}
