// Package ecosystem owns the package managers of components: it finds their
// lock files (npm, pnpm, yarn, pip requirements, uv, poetry, Cargo, Go
// modules), parses them with meta's own parsers into packages and edges, and
// delegates lock generation to the real package manager.
//
// Entry points: Detect finds a component's lock files, Parse (or ParseFile
// for bytes alone) reads one into a Lockfile, Lockfile.PathTo answers "which
// dependency path brings this package in", and PlanLock/RunLock run the
// package managers. What the project requires directly are the Lockfile's
// Roots. The project's own code that a lock file lists (yarn berry
// workspaces and linked directories, npm and pnpm workspace members, a
// Cargo workspace's path crates, uv's virtual and editable roots) is a
// package with Source "local" and never a root: it is listed in
// inventories and SBOMs as first-party and never audited. The Go main
// module is not listed. Package names are as the
// ecosystem writes them, PyPI names normalised per PEP 503.
package ecosystem

// OSV ecosystem names, as used in advisories and purls.
const (
	Npm   = "npm"
	PyPI  = "PyPI"
	Cargo = "crates.io"
	Go    = "Go"
)

// Scope says whether a package is needed at run time. A package reached
// both ways gets the strongest scope: prod over optional over dev.
type Scope string

const (
	ScopeProd     Scope = "prod"
	ScopeDev      Scope = "dev"
	ScopeOptional Scope = "optional"
)

// Package is one resolved third-party package in a lock file.
type Package struct {
	Ecosystem string // one of the OSV names above
	Name      string
	Version   string
	Scope     Scope
	Direct    bool     // required by the component itself, not only transitively
	License   string   // SPDX expression when the lock file carries one, else ""
	Source    string   // "registry", "git", "path", "url", "local" (SourceLocal) or "" when unknown
	Deps      []string // IDs (see ID) of the packages this one depends on, sorted
}

// Notes on Version: it is exactly what the lock file pins. Go module
// versions keep their "v" prefix ("v1.2.3"). An empty Version means the lock
// file does not pin one (an unpinned requirements.txt line, a local path
// package); such packages cannot be matched against advisories, and the
// Lockfile's Warnings say so. Source "path" marks first-party or local code
// (a Go module replaced by a directory, a file: dependency).

// SourceLocal marks the project's own code listed in a lock file: a
// workspace member or a path-only crate. Its Version may be empty (yarn
// writes none); its Deps are what it requires.
const SourceLocal = "local"

// ID identifies a package inside one lock file: "name@version".
func (p Package) ID() string { return p.Name + "@" + p.Version }

// Lockfile is a parsed lock file of one component.
type Lockfile struct {
	Path      string    // relative to the component root
	Manager   string    // "npm", "pnpm", "yarn", "pip", "uv", "poetry", "cargo", "go"
	Ecosystem string    // OSV ecosystem name
	Packages  []Package // sorted by Name, then Version
	Roots     []string  // IDs of the packages the component requires directly, sorted
	Warnings  []string  // what could not be fully read, e.g. "edges unknown: go mod graph failed"
	Notes     []string  // how it was read, for -v: e.g. which YAML document was the lock
}
