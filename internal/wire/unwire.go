package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/run"
)

// markerFile is written at the top of a virtual environment wiring
// created; unwiring removes a venv only when it still holds the token the
// record names.
const markerFile = ".meta-wired"

// npmDescription is the description of the package.json wiring writes.
const npmDescription = "Written by 'meta setup --wire': links the workspace's npm packages. 'meta setup --unwire' removes it."

// pyName is a Python distribution name (PEP 508).
var pyName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// Unwire removes exactly what the record says wiring added in the
// workspace root. The record is a file in the meta repository, so it is
// not trusted: every path it names must be what wiring would have made
// at root (the venv holding its marker, the root's package.json, links
// under node_modules, .pth files of our name), or Unwire refuses before
// removing anything.
func Unwire(ctx context.Context, metaDir, root string, step Step) error {
	r, err := LoadRecord(metaDir)
	if err != nil {
		return err
	}
	if step == nil {
		step = func(string, string) {}
	}
	if r.Root == "" {
		step("", "nothing was wired")
		return nil
	}
	if err := checkRecord(r, root); err != nil {
		return fmt.Errorf("%s: %w; nothing was removed", RecordFile, err)
	}
	work := filepath.Join(root, "go.work")
	if r.GoWork != "" && exists(work) {
		for _, u := range r.GoUses {
			if _, err := run.Output(ctx, run.Cmd{Args: []string{"go", "work", "edit", "-dropuse=" + u}, Dir: root}); err != nil {
				return err
			}
			step("go", "go.work no longer uses "+u)
		}
		// Delete go.work only when it is ours and nothing else was added to it.
		if r.GoWork == "created" {
			if have, err := goWorkUses(ctx, root); err == nil && len(have) == 0 {
				if err := os.Remove(work); err != nil {
					return err
				}
				os.Remove(work + ".sum")
				step("go", "removed "+work)
			} else {
				step("go", "kept "+work+": it has entries meta did not add")
			}
		}
	}
	if r.Venv != "" {
		if err := os.RemoveAll(r.Venv); err != nil {
			return err
		}
		step("python", "removed "+r.Venv)
	} else if len(r.PyProjects) > 0 || len(r.PyPth) > 0 {
		for _, p := range r.PyPth {
			os.Remove(p)
			step("python", "removed "+p)
		}
		// The environment was there before: take out only our packages.
		if len(r.PyProjects) > 0 {
			py := filepath.Join(VenvDir(root), "bin", "python")
			args := append([]string{py, "-m", "pip", "uninstall", "--yes", "--quiet"}, r.PyProjects...)
			if _, err := run.Output(ctx, run.Cmd{Args: args}); err != nil {
				return err
			}
			step("python", "uninstalled "+strings.Join(r.PyProjects, ", "))
		}
	}
	if r.NpmRoot != "" {
		nm := filepath.Join(root, "node_modules")
		for _, l := range r.NpmLinks {
			if fi, err := os.Lstat(l); err == nil && fi.Mode()&os.ModeSymlink != 0 {
				os.Remove(l)
				if d := filepath.Dir(l); d != nm {
					os.Remove(d) // a scope directory, when now empty
				}
			}
		}
		os.Remove(filepath.Join(nm, ".package-lock.json"))
		msg, err := unwritePackageJSON(r)
		if err != nil {
			return err
		}
		step("npm", msg)
		if r.NpmModules {
			// Only an empty node_modules goes: anything else in it is not ours.
			if err := os.Remove(nm); err == nil {
				step("npm", "removed "+nm)
			} else {
				step("npm", "kept "+nm+": it holds files meta did not make")
			}
		}
	}
	return os.Remove(filepath.Join(metaDir, RecordFile))
}

// checkRecord refuses a record that names anything wiring at root would
// not have made.
func checkRecord(r Record, root string) error {
	root = filepath.Clean(root)
	if filepath.Clean(r.Root) != root {
		return fmt.Errorf("it was written for the workspace root %s, not %s", r.Root, root)
	}
	for _, u := range r.GoUses {
		if !strings.HasPrefix(u, "./") || !inside(root, "", filepath.Join(root, filepath.FromSlash(u))) {
			return fmt.Errorf("go.work entry %q is not a directory below %s", u, root)
		}
	}
	if r.Venv != "" {
		if filepath.Clean(r.Venv) != VenvDir(root) {
			return fmt.Errorf("venv %s is not %s", r.Venv, VenvDir(root))
		}
		if err := checkVenv(r); err != nil {
			return err
		}
	}
	for _, p := range r.PyPth {
		base := filepath.Base(p)
		if !strings.HasPrefix(base, "meta-wire-") || !strings.HasSuffix(base, ".pth") || !inside(root, ".venv", p) {
			return fmt.Errorf(".pth file %s is not one wiring writes in %s", p, VenvDir(root))
		}
		if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
			return fmt.Errorf(".pth file %s is not a regular file", p)
		}
	}
	for _, n := range r.PyProjects {
		if !pyName.MatchString(n) {
			return fmt.Errorf("%q is not a Python distribution name", n)
		}
	}
	if r.NpmRoot != "" && filepath.Clean(r.NpmRoot) != filepath.Join(root, "package.json") {
		return fmt.Errorf("package.json %s is not %s", r.NpmRoot, filepath.Join(root, "package.json"))
	}
	for _, l := range r.NpmLinks {
		if !inside(root, "node_modules", l) || filepath.Clean(l) == filepath.Join(root, "node_modules") {
			return fmt.Errorf("npm link %s is not below %s", l, filepath.Join(root, "node_modules"))
		}
	}
	return nil
}

// checkVenv requires the recorded venv to be the directory wiring made:
// a real directory (not a link) holding pyvenv.cfg and our marker token.
func checkVenv(r Record) error {
	fi, err := os.Lstat(r.Venv)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // already gone
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", r.Venv)
	}
	if _, err := os.Lstat(filepath.Join(r.Venv, "pyvenv.cfg")); err != nil {
		return fmt.Errorf("%s is not a virtual environment (no pyvenv.cfg)", r.Venv)
	}
	data, err := os.ReadFile(filepath.Join(r.Venv, markerFile))
	if err != nil || r.VenvMarker == "" || strings.TrimSpace(string(data)) != r.VenvMarker {
		return fmt.Errorf("%s does not hold the marker wiring wrote in it; remove it yourself if it is yours to remove", r.Venv)
	}
	return nil
}

// inside reports whether p lies below root/sub once the symbolic links of
// p's parent directories are resolved: a link anywhere on the way that
// leads elsewhere (sub itself included) puts p outside.
func inside(root, sub, p string) bool {
	want := resolveExisting(root)
	if sub != "" {
		want = filepath.Join(want, sub)
	}
	rp := filepath.Join(resolveExisting(filepath.Dir(p)), filepath.Base(p))
	rel, err := filepath.Rel(want, rp)
	return err == nil && rel != "." && filepath.IsLocal(rel)
}

// resolveExisting resolves the links of the longest existing prefix of p.
func resolveExisting(p string) string {
	cur, rest := filepath.Clean(p), ""
	for {
		if _, err := os.Lstat(cur); err == nil {
			break
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return filepath.Clean(p)
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
	resolved, err := filepath.EvalSymlinks(cur)
	if err != nil {
		return filepath.Clean(p)
	}
	return filepath.Join(resolved, rest)
}

// unwritePackageJSON takes out of the root package.json what wiring put
// in (its name, private flag, description and workspace entries) and
// deletes the file only when nothing else is left in it.
func unwritePackageJSON(r Record) (string, error) {
	pkg := r.NpmRoot
	fi, err := os.Lstat(pkg)
	if errors.Is(err, fs.ErrNotExist) {
		return pkg + " was already gone", nil
	}
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "kept " + pkg + ": it is not a regular file", nil
	}
	data, err := os.ReadFile(pkg)
	if err != nil {
		return "", err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return "kept " + pkg + ": it is no longer JSON meta can read", nil
	}
	is := func(key string, want any) bool {
		raw, ok := doc[key]
		if !ok {
			return false
		}
		w, _ := json.Marshal(want)
		var a, b any
		return json.Unmarshal(raw, &a) == nil && json.Unmarshal(w, &b) == nil && fmt.Sprint(a) == fmt.Sprint(b)
	}
	if is("name", "meta-workspace") {
		delete(doc, "name")
	}
	if is("private", true) {
		delete(doc, "private")
	}
	if is("description", npmDescription) {
		delete(doc, "description")
	}
	if raw, ok := doc["workspaces"]; ok {
		var ws []string
		if json.Unmarshal(raw, &ws) == nil {
			ours := map[string]bool{}
			for _, w := range r.NpmWorkspaces {
				ours[w] = true
			}
			var left []string
			for _, w := range ws {
				if r.NpmWorkspaces != nil && !ours[w] {
					left = append(left, w)
				}
			}
			if len(left) == 0 {
				delete(doc, "workspaces")
			} else {
				doc["workspaces"], _ = json.Marshal(left)
			}
		}
	}
	if len(doc) == 0 {
		if err := os.Remove(pkg); err != nil {
			return "", err
		}
		return "removed " + pkg, nil
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	buf.Write(out)
	buf.WriteByte('\n')
	tmp := pkg + ".meta-tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), fi.Mode().Perm()); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, pkg); err != nil {
		return "", err
	}
	return "kept " + pkg + " without meta's entries: it has " + strings.Join(keys, ", ") + " that meta did not write", nil
}
