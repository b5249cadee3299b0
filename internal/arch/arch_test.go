package arch

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// packages returns every package directory under the module's cmd and
// internal trees, with its non-test Go files parsed.
func packages(t *testing.T) map[string][]*ast.File {
	t.Helper()
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{}
	for _, top := range []string{"cmd", "internal"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(p))
			pkgs[filepath.ToSlash(rel)] = append(pkgs[filepath.ToSlash(rel)], f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return pkgs
}

func TestEveryPackageHasADocComment(t *testing.T) {
	for dir, files := range packages(t) {
		documented := false
		for _, f := range files {
			if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
				documented = true
			}
		}
		if !documented {
			t.Errorf("%s: no package doc comment (say what the package owns)", dir)
		}
	}
}

// wiring reports whether a package may use cobra and print: the CLI and
// the command.
func wiring(dir string) bool {
	return dir == "internal/cli" || strings.HasPrefix(dir, "cmd/")
}

func TestOnlyCLIImportsCobraOrPrints(t *testing.T) {
	for dir, files := range packages(t) {
		if wiring(dir) {
			continue
		}
		for _, f := range files {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, "github.com/spf13/cobra") || strings.HasPrefix(path, "github.com/spf13/pflag") {
					t.Errorf("%s imports %s: only internal/cli and cmd may", dir, path)
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.SelectorExpr:
					id, ok := x.X.(*ast.Ident)
					if !ok {
						return true
					}
					name := id.Name + "." + x.Sel.Name
					switch {
					case name == "os.Stdout" || name == "os.Stderr",
						id.Name == "fmt" && strings.HasPrefix(x.Sel.Name, "Print"),
						id.Name == "log" && (strings.HasPrefix(x.Sel.Name, "Print") || strings.HasPrefix(x.Sel.Name, "Fatal")):
						t.Errorf("%s (%s): uses %s: only internal/cli prints", dir, f.Name.Name, name)
					}
				case *ast.CallExpr:
					if id, ok := x.Fun.(*ast.Ident); ok && (id.Name == "println" || id.Name == "print") {
						t.Errorf("%s: calls %s: only internal/cli prints", dir, id.Name)
					}
				}
				return true
			})
		}
	}
}

// TestCLIOnlyWires keeps internal/cli a thin layer over the packages that
// do the work (issue 13): it never runs git or processes itself, and no
// file grows into a second home for logic.
func TestCLIOnlyWires(t *testing.T) {
	forbidden := map[string]bool{
		"github.com/metawork/meta/internal/git": true,
		"github.com/metawork/meta/internal/run": true,
	}
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("..", "cli", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range files {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] {
				t.Errorf("%s imports %s: internal/cli wires commands; the work belongs one package down", filepath.Base(p), path)
			}
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), "\n"); n > 400 {
			t.Errorf("%s has %d lines: a cli file over 400 lines holds logic that belongs in a domain package", filepath.Base(p), n)
		}
	}
}
