package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/metawork/meta/internal/semver"
)

// LockForEdit takes an exclusive lock on the workspace manifest under
// root for a read-modify-write, so that concurrent edits (two 'meta add'
// at once) never lose one another's change. Call the returned function
// to release it.
func LockForEdit(root string) (func(), error) {
	dir := filepath.Join(root, ".meta")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "manifest.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// NewComponent is what 'meta add' writes for a new component; empty
// fields are left out.
type NewComponent struct {
	Repo, Version, Ref, Path, Type, Description string
	DependsOn, Groups                           []string
}

// Fields are c's entries in the manifest's key order.
func (c NewComponent) Fields() []Field {
	fields := []Field{{Key: "repo", Value: c.Repo}}
	for _, f := range []struct{ k, v string }{{"version", c.Version}, {"ref", c.Ref}, {"path", c.Path}, {"type", c.Type}, {"description", c.Description}} {
		if f.v != "" {
			fields = append(fields, Field{Key: f.k, Value: f.v})
		}
	}
	if len(c.DependsOn) > 0 {
		fields = append(fields, Field{Key: "depends_on", List: c.DependsOn})
	}
	if len(c.Groups) > 0 {
		fields = append(fields, Field{Key: "groups", List: c.Groups})
	}
	return fields
}

// InputError is a bad value given for a new component, with the fix.
type InputError struct {
	Err  error
	Hint string
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(hint, format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...), Hint: hint}
}

// Check validates c as the new component name, with the flag each value
// came from in the message ('meta add'): a valid name, a repo, a version
// range or a ref but not both, and NAME[:RANGE] dependencies.
func (c NewComponent) Check(name string) error {
	if err := CheckName(name); err != nil {
		return inputErr("use letters, digits, '.', '_' and '-'", "component name %q: %v", name, err)
	}
	if c.Repo == "" {
		return inputErr("add --repo git@host:org/"+name+".git", "meta add needs --repo")
	}
	if c.Version != "" && c.Ref != "" {
		return inputErr("'--version' is a semver range over tags; '--ref' tracks a branch, tag or commit", "give --version or --ref, not both")
	}
	if c.Version != "" {
		if _, err := semver.ParseConstraint(c.Version); err != nil {
			return inputErr("write a range like ^1.2.0, ~1.2 or >=1.0 <2", "--version %q: %v", c.Version, err)
		}
	}
	for _, d := range c.DependsOn {
		dn, dc, _ := strings.Cut(d, ":")
		if err := CheckName(dn); err != nil {
			return inputErr("write NAME or NAME:RANGE", "--depends-on %q: %v", d, err)
		}
		if dc != "" {
			if _, err := semver.ParseConstraint(dc); err != nil {
				return inputErr("write NAME or NAME:RANGE, e.g. auth-lib:^1.2", "--depends-on %q: %v", d, err)
			}
		}
	}
	return nil
}
