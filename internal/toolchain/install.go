package toolchain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/run"
)

// markerFile records what an install directory holds; it is written before
// the directory is renamed into place, so an install dir always has one.
const markerFile = ".meta-tool.json"

// Installed describes one tool installed under the data directory.
type Installed struct {
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Dir     string    `json:"dir"`
	BinDirs []string  `json:"bin_dirs"`
	URL     string    `json:"url"`
	SHA256  string    `json:"sha256"`
	Time    time.Time `json:"installed_at"`
	Already bool      `json:"-"` // it was there before this call
}

// ChecksumError is a download whose sha256 is not the expected one.
type ChecksumError struct {
	URL       string
	Want, Got string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s: expected sha256 %s, got %s; nothing was installed", e.URL, e.Want, e.Got)
}

// Installable reports whether meta installs x itself (runtimes and
// GitHub-released binaries); package managers install the rest.
func Installable(x Resolved) bool {
	return x.Tool != nil && (x.Type == TypeRuntime || x.Type == TypeGitHubBinary)
}

// InstallDir is where a tool version lives: DataDir/<name>/<version>.
func (r *Resolver) InstallDir(name, version string) string {
	return filepath.Join(r.opts.DataDir, name, version)
}

// Install resolves specs and installs every runtime and GitHub binary
// among them (implied ones included) for this machine's architecture:
// download to a temporary file, verify its sha256, unpack safely, then
// rename into DataDir/<name>/<version>. A failure leaves nothing behind.
// Up to four tools install at once. sink (which may be nil) is sent a
// Planned event naming the tools meta installs, then each one's progress
// and its Finished event: Status "installed VERSION", "already installed"
// or "failed", Result its Installed. Tools installed by package managers
// are returned in skipped.
func (r *Resolver) Install(ctx context.Context, specs []string, sink progress.Sink) (done []Installed, skipped []Resolved, err error) {
	res, err := r.Resolve(ctx, specs)
	if err != nil {
		return nil, nil, err
	}
	var todo []*Resolved
	var names []string
	for i := range res {
		if Installable(res[i]) {
			todo = append(todo, &res[i])
			names = append(names, res[i].Name)
		} else {
			skipped = append(skipped, res[i])
		}
	}
	progress.Plan(sink, names)
	results := make([]*Installed, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, x := range todo {
		g.Go(func() error {
			in, err := r.installOne(gctx, x, sink)
			if err != nil {
				progress.Or(sink).Event(progress.Event{Kind: progress.Finished, Item: x.Name, Status: "failed", Err: err})
				return err
			}
			status := "installed " + in.Version
			if in.Already {
				status = "already installed"
			}
			progress.Or(sink).Event(progress.Event{Kind: progress.Finished, Item: x.Name, Status: status, Result: in})
			results[i] = &in
			return nil
		})
	}
	err = g.Wait()
	for _, in := range results {
		if in != nil {
			done = append(done, *in)
		}
	}
	return done, skipped, err
}

func (r *Resolver) installOne(ctx context.Context, x *Resolved, sink progress.Sink) (Installed, error) {
	dest := r.InstallDir(x.Name, x.Version)
	if in, err := readMarker(dest); err == nil {
		in.Already, in.Dir = true, dest
		return in, nil
	}
	arch := runtime.GOARCH
	if !slices.Contains(Arches, arch) {
		return Installed{}, fmt.Errorf("%s: no downloads for %s", x.Name, arch)
	}
	ds, err := r.Downloads(ctx, x, []string{arch})
	if err != nil {
		return Installed{}, err
	}
	d := ds[0]
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Installed{}, err
	}
	work, err := os.MkdirTemp(parent, ".install-"+x.Version+"-")
	if err != nil {
		return Installed{}, err
	}
	defer os.RemoveAll(work)
	progress.Update(sink, x.Name, "downloading "+d.File)
	file := filepath.Join(work, "download")
	if err := r.fetchVerified(ctx, d, file); err != nil {
		return Installed{}, fmt.Errorf("%s %s: %w", x.Name, x.Version, err)
	}
	progress.Update(sink, x.Name, "unpacking")
	stage := filepath.Join(work, "stage")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return Installed{}, err
	}
	t := x.Tool
	switch {
	case t.Type == TypeGitHubBinary:
		bin := t.Bin
		if bin == "" {
			bin = t.Name
		}
		if err := os.Mkdir(filepath.Join(stage, "bin"), 0o755); err != nil {
			return Installed{}, err
		}
		src := file
		if d.Kind != KindRaw {
			un := filepath.Join(work, "unpacked")
			if err := os.Mkdir(un, 0o755); err != nil {
				return Installed{}, err
			}
			if err := unpack(file, d.Kind, un, 0); err != nil {
				return Installed{}, err
			}
			src = filepath.Join(un, filepath.FromSlash(d.Path))
			if st, err := os.Lstat(src); err != nil || !st.Mode().IsRegular() {
				return Installed{}, fmt.Errorf("%s %s: the archive has no program at %s", x.Name, x.Version, d.Path)
			}
		}
		if err := copyFile(src, filepath.Join(stage, "bin", bin), 0o755); err != nil {
			return Installed{}, err
		}
	case len(t.Setup) > 0:
		un := filepath.Join(work, "unpacked")
		if err := os.Mkdir(un, 0o755); err != nil {
			return Installed{}, err
		}
		if err := unpack(file, d.Kind, un, d.Strip); err != nil {
			return Installed{}, err
		}
		var argv []string
		for _, a := range t.Setup {
			argv = append(argv, strings.ReplaceAll(a, "{prefix}", stage))
		}
		progress.Update(sink, x.Name, "running "+argv[0]+" "+argv[1])
		if err := run.Run(ctx, run.Cmd{Args: argv, Dir: un}); err != nil {
			return Installed{}, fmt.Errorf("%s %s: setup: %w", x.Name, x.Version, err)
		}
	default:
		if err := unpack(file, d.Kind, stage, d.Strip); err != nil {
			return Installed{}, err
		}
	}
	binDirs := t.BinDirs
	in := Installed{Name: x.Name, Version: x.Version, BinDirs: binDirs, URL: d.URL, SHA256: d.SHA256, Time: r.now().UTC()}
	b, _ := json.MarshalIndent(in, "", "  ")
	if err := os.WriteFile(filepath.Join(stage, markerFile), append(b, '\n'), 0o644); err != nil {
		return Installed{}, err
	}
	if err := os.Rename(stage, dest); err != nil {
		if prev, merr := readMarker(dest); merr == nil { // another meta installed it meanwhile
			prev.Already, prev.Dir = true, dest
			return prev, nil
		}
		return Installed{}, fmt.Errorf("%s %s: moving into place: %w", x.Name, x.Version, err)
	}
	in.Dir = dest
	return in, nil
}

// fetchVerified downloads d to file, hashing as it goes; a wrong digest
// removes the file and is a *ChecksumError.
func (r *Resolver) fetchVerified(ctx context.Context, d Download, file string) error {
	if r.opts.Offline {
		return fmt.Errorf("downloading %s: --offline forbids the network", d.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
	if err != nil {
		return err
	}
	client := r.opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("downloading %s: %w", d.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("downloading %s: server answered %s", d.URL, resp.Status)
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(f, h), resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(file)
		return fmt.Errorf("downloading %s: %w", d.URL, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.SHA256 {
		os.Remove(file)
		return &ChecksumError{URL: d.URL, Want: d.SHA256, Got: got}
	}
	return nil
}

func copyFile(src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func readMarker(dir string) (Installed, error) {
	var in Installed
	b, err := os.ReadFile(filepath.Join(dir, markerFile))
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("%s: %w", filepath.Join(dir, markerFile), err)
	}
	return in, nil
}

// InstalledVersions lists the installed versions of name, sorted.
func (r *Resolver) InstalledVersions(name string) []string {
	ents, _ := os.ReadDir(filepath.Join(r.opts.DataDir, name))
	var out []string
	for _, e := range ents {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			if _, err := readMarker(filepath.Join(r.opts.DataDir, name, e.Name())); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

// NotInstalledError is a resolved tool version missing from the data directory.
type NotInstalledError struct {
	Name, Version string
	Spec          string
	Installed     []string // other versions that are installed
}

func (e *NotInstalledError) Error() string {
	msg := fmt.Sprintf("%s %s is not installed", e.Name, e.Version)
	if len(e.Installed) > 0 {
		msg += " (installed: " + strings.Join(e.Installed, ", ") + ")"
	}
	return msg
}

// Hint says how to install it.
func (e *NotInstalledError) Hint() string { return "run: meta tools install " + e.Spec }

// PathFor resolves specs and returns the bin directories of their installed
// versions (implied runtimes included), in spec order, for callers to put
// first on PATH. `meta exec` and `meta build` do
//
//	dirs, err := toolchain.PathFor(ctx, specs)
//	env = append(env, "PATH="+strings.Join(append(dirs, os.Getenv("PATH")), string(os.PathListSeparator)))
//
// It uses the process environment (XDG directories, META_SOURCE_*) and the
// cached upstream lists (revalidated after 24 h, stale copies used when the
// network fails); NewResolver(opts).PathFor takes other options. A runtime
// or binary that is not installed is a *NotInstalledError whose Hint names
// the install command; tools installed by package managers add no directory.
// Specs with exact versions (as a lock file records them) never need the
// network once the lists are cached.
func PathFor(ctx context.Context, specs []string) ([]string, error) {
	r, err := NewResolver(Options{})
	if err != nil {
		return nil, err
	}
	return r.PathFor(ctx, specs)
}

// PathFor is the package-level PathFor on this resolver.
func (r *Resolver) PathFor(ctx context.Context, specs []string) ([]string, error) {
	res, err := r.Resolve(ctx, specs)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, x := range res {
		if !Installable(x) {
			continue
		}
		dir := r.InstallDir(x.Name, x.Version)
		in, err := readMarker(dir)
		if err != nil {
			return nil, &NotInstalledError{Name: x.Name, Version: x.Version, Spec: x.Name + "@" + x.Version, Installed: r.InstalledVersions(x.Name)}
		}
		for _, b := range in.BinDirs {
			p := filepath.Join(dir, filepath.FromSlash(path.Clean(b)))
			if !slices.Contains(dirs, p) {
				dirs = append(dirs, p)
			}
		}
	}
	return dirs, nil
}

// Problem is a difference between a lock's tools and what is installed.
type Problem struct {
	Name      string   `json:"name"`
	Locked    string   `json:"locked"`
	Installed []string `json:"installed,omitempty"`
	Msg       string   `json:"message"`
}

// CheckInstalled compares a lock's resolved tool versions (name → version,
// as `meta lock` records them) with the data directory, for `meta
// validate`. Tools meta does not install itself (package-manager tools,
// apt, custom) are not checked. The result is sorted by name.
func CheckInstalled(locked map[string]string, opts Options) ([]Problem, error) {
	r, err := NewResolver(opts)
	if err != nil {
		return nil, err
	}
	var out []Problem
	for _, name := range sortedKeys(locked) {
		v := locked[name]
		t, ok := r.reg.Lookup(name)
		if !ok {
			if strings.Contains(name, ":") {
				continue
			}
			out = append(out, Problem{Name: name, Locked: v, Msg: fmt.Sprintf("%s is not in the tool registry", name)})
			continue
		}
		if t.Type != TypeRuntime && t.Type != TypeGitHubBinary {
			continue
		}
		if _, err := readMarker(r.InstallDir(name, v)); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			out = append(out, Problem{Name: name, Locked: v, Msg: err.Error()})
			continue
		}
		have := r.InstalledVersions(name)
		msg := fmt.Sprintf("%s %s is locked but not installed", name, v)
		if len(have) > 0 {
			msg += " (installed: " + strings.Join(have, ", ") + ")"
		}
		out = append(out, Problem{Name: name, Locked: v, Installed: have, Msg: msg})
	}
	return out, nil
}
