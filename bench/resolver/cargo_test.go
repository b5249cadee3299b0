package resolver_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/pubgrub"
	"github.com/metawork/meta/internal/semver"
)

// cargoCrates writes the .crate tarballs too; resolving and writing
// Cargo.lock never reads them, and 200,000 small files take long to write.
var cargoCrates = flag.Bool("cargo-crates", false, "with -cargo-registry, also write the .crate tarballs (not needed to resolve)")

var cargoRegistry = flag.String("cargo-registry", "", "write the generated 10k registry as a Cargo local-registry (and a project using it) into this directory")

// cargoIndexPath is where Cargo's index keeps a package's file.
func cargoIndexPath(name string) string {
	name = strings.ToLower(name)
	switch len(name) {
	case 1:
		return filepath.Join("1", name)
	case 2:
		return filepath.Join("2", name)
	case 3:
		return filepath.Join("3", name[:1], name)
	}
	return filepath.Join(name[:2], name[2:4], name)
}

type cargoDep struct {
	Name            string   `json:"name"`
	Req             string   `json:"req"`
	Features        []string `json:"features"`
	Optional        bool     `json:"optional"`
	DefaultFeatures bool     `json:"default_features"`
	Target          *string  `json:"target"`
	Kind            string   `json:"kind"`
}

type cargoIndexLine struct {
	Name     string              `json:"name"`
	Vers     string              `json:"vers"`
	Deps     []cargoDep          `json:"deps"`
	Cksum    string              `json:"cksum"`
	Features map[string][]string `json:"features"`
	Yanked   bool                `json:"yanked"`
}

// emptyCrate returns a gzipped tar holding only an empty Cargo.toml,
// enough for a local registry entry that is never built.
func emptyCrate(name, version string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := fmt.Sprintf("[package]\nname = %q\nversion = %q\n", name, version)
	_ = tw.WriteHeader(&tar.Header{Name: name + "-" + version + "/Cargo.toml", Mode: 0o644, Size: int64(len(body))})
	_, _ = tw.Write([]byte(body))
	_ = tw.Close()
	_ = gz.Close()
	return buf.Bytes()
}

// TestWriteCargoRegistry writes the generated registry for
// cargo_compare.sh; it does nothing unless -cargo-registry is given.
func TestWriteCargoRegistry(t *testing.T) {
	dir := *cargoRegistry
	if dir == "" {
		t.Skip("run by cargo_compare.sh with -cargo-registry DIR")
	}
	g := generate(10_000, 20)
	reg := filepath.Join(dir, "registry")
	if err := os.MkdirAll(reg, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, name := range g.names {
		var lines bytes.Buffer
		for j, v := range g.versions {
			// Without tarballs the checksum is of the name and version: it
			// is only checked when a tarball is read.
			crate := []byte(name + "-" + v.String())
			if *cargoCrates {
				crate = emptyCrate(name, v.String())
				if err := os.WriteFile(filepath.Join(reg, name+"-"+v.String()+".crate"), crate, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			sum := sha256.Sum256(crate)
			line := cargoIndexLine{Name: name, Vers: v.String(), Cksum: hex.EncodeToString(sum[:]), Features: map[string][]string{}, Deps: []cargoDep{}}
			for _, d := range g.deps[i][j] {
				line.Deps = append(line.Deps, cargoDep{Name: g.names[d.pkg], Req: d.req, Features: []string{}, DefaultFeatures: true, Kind: "normal"})
			}
			data, err := json.Marshal(line)
			if err != nil {
				t.Fatal(err)
			}
			lines.Write(data)
			lines.WriteByte('\n')
		}
		path := filepath.Join(reg, "index", cargoIndexPath(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, lines.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proj := filepath.Join(dir, "project")
	if err := os.MkdirAll(filepath.Join(proj, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(proj, ".cargo"), 0o755); err != nil {
		t.Fatal(err)
	}
	var toml strings.Builder
	toml.WriteString("[package]\nname = \"bench-root\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n")
	for _, d := range g.root {
		fmt.Fprintf(&toml, "%s = %q\n", g.names[d.pkg], d.req)
	}
	config := fmt.Sprintf("[source.crates-io]\nreplace-with = \"bench-local\"\n\n[source.bench-local]\nlocal-registry = %q\n", reg)
	for path, body := range map[string]string{
		filepath.Join(proj, "Cargo.toml"):            toml.String(),
		filepath.Join(proj, "src", "lib.rs"):         "",
		filepath.Join(proj, ".cargo", "config.toml"): config,
	} {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// meta's answer, for the script to compare with Cargo.lock.
	m, req := g.memory()
	sol := solveOK(t, m, req)
	var out strings.Builder
	for _, n := range sol.Names {
		fmt.Fprintf(&out, "%s %s\n", n, sol.Versions[n])
	}
	if err := os.WriteFile(filepath.Join(dir, "meta-solution.txt"), []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// indexProvider reads a Cargo index directory on demand, as Cargo does:
// a package's file when the solver first asks about the package, and a
// version's line fully only when its dependencies are asked for. It
// measures meta reading the same files Cargo reads.
type indexProvider struct {
	dir  string
	mu   sync.Mutex
	pkgs map[string]*indexPackage
	reqs map[string]semver.Set // parsed requirements, shared
}

type indexPackage struct {
	versions []semver.Version
	lines    map[semver.Version][]byte
	deps     map[semver.Version][]pubgrub.Dependency
}

func newIndexProvider(dir string) *indexProvider {
	return &indexProvider{dir: dir, pkgs: map[string]*indexPackage{}, reqs: map[string]semver.Set{}}
}

var versKey = []byte(`"vers":"`)

func (p *indexProvider) load(name string) (*indexPackage, error) {
	if pk, ok := p.pkgs[name]; ok {
		return pk, nil
	}
	data, err := os.ReadFile(filepath.Join(p.dir, cargoIndexPath(name)))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%s: %w", name, pubgrub.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	pk := &indexPackage{lines: map[semver.Version][]byte{}, deps: map[semver.Version][]pubgrub.Dependency{}}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		i := bytes.Index(line, versKey)
		if i < 0 {
			return nil, fmt.Errorf("%s: index line without \"vers\"", name)
		}
		rest := line[i+len(versKey):]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return nil, fmt.Errorf("%s: unterminated \"vers\"", name)
		}
		v, err := semver.ParseVersion(string(rest[:end]))
		if err != nil {
			return nil, err
		}
		pk.versions = append(pk.versions, v)
		pk.lines[v] = line
	}
	p.pkgs[name] = pk
	return pk, nil
}

func (p *indexProvider) Versions(ctx context.Context, name string) ([]semver.Version, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pk, err := p.load(name)
	if err != nil {
		return nil, err
	}
	return pk.versions, nil
}

func (p *indexProvider) Dependencies(ctx context.Context, name string, v semver.Version) ([]pubgrub.Dependency, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pk, err := p.load(name)
	if err != nil {
		return nil, err
	}
	if deps, ok := pk.deps[v]; ok {
		return deps, nil
	}
	var line cargoIndexLine
	if err := json.Unmarshal(pk.lines[v], &line); err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, v, err)
	}
	deps := make([]pubgrub.Dependency, 0, len(line.Deps))
	for _, d := range line.Deps {
		c, ok := p.reqs[d.Req]
		if !ok {
			if c, err = semver.ParseConstraint(d.Req); err != nil {
				return nil, err
			}
			p.reqs[d.Req] = c
		}
		deps = append(deps, pubgrub.Dependency{Name: d.Name, Constraint: c})
	}
	pk.deps[v] = deps
	return deps, nil
}

// BenchmarkCargoIndex10k reads the generated registry from the Cargo index
// files cargo_compare.sh wrote (META_CARGO_REGISTRY) and resolves it: the
// same work Cargo does, minus writing the lock file.
func BenchmarkCargoIndex10k(b *testing.B) {
	dir := os.Getenv("META_CARGO_REGISTRY")
	if dir == "" {
		b.Skip("set META_CARGO_REGISTRY (cargo_compare.sh does)")
	}
	g := generate(10_000, 20)
	_, req := g.memory()
	var chosen int
	for b.Loop() {
		p := newIndexProvider(filepath.Join(dir, "registry", "index"))
		chosen = len(solveOK(b, p, req).Names)
	}
	b.ReportMetric(float64(chosen), "packages")
}
