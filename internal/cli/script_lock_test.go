package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdComptag is the lock scripts' repository builder:
//
//	comptag DIR TAG [DEP...]
//
// commits a component.yaml to the existing repository DIR whose depends_on
// lists DEP ("name" or "name:range") and tags the commit TAG ("-": no tag).
// A single DEP "!bad" writes a component.yaml that does not parse; no DEP
// removes component.yaml.
func cmdComptag(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: comptag DIR TAG [DEP...|!bad]")
	}
	dir := ts.MkAbs(args[0])
	tag, deps := args[1], args[2:]
	file := filepath.Join(dir, "component.yaml")
	switch {
	case len(deps) == 1 && deps[0] == "!bad":
		ts.Check(os.WriteFile(file, []byte("depends_on: [\n"), 0o644))
	case len(deps) == 0:
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			ts.Fatalf("%v", err)
		}
	default:
		var b strings.Builder
		b.WriteString("depends_on:\n")
		for _, d := range deps {
			b.WriteString("  - \"" + d + "\"\n")
		}
		ts.Check(os.WriteFile(file, []byte(b.String()), 0o644))
	}
	// Each commit differs, so every tag is its own commit.
	ts.Check(os.WriteFile(filepath.Join(dir, "README.md"), []byte("release "+tag+"\n"), 0o644))
	gitIn(ts, dir, "add", "-A")
	gitIn(ts, dir, "commit", "-q", "-m", "release "+tag)
	if tag != "-" {
		gitIn(ts, dir, "tag", tag)
	}
}
