package buildcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"

	"github.com/metawork/meta/internal/manifest"
	"github.com/metawork/meta/internal/reapi"
	"github.com/metawork/meta/internal/remoteexec"
	"github.com/metawork/meta/internal/run"
)

// RemoteExec runs build commands as REAPI Actions instead of on this
// machine. Inputs are uploaded to, and outputs read from, CAS: the
// executor's own endpoint (BuildBuddy, EngFlow, a Buildbarn frontend) or a
// separate cache its workers share (a bare Buildbarn scheduler with
// bazel-remote). The input root mirrors the workspace as a local build sees it:
// the component's declared inputs at its path, and the outputs of
// everything it depends on (transitively) at theirs. The Command is
// `/bin/sh -c COMMAND` in the component's directory with the declared
// environment (plus PATH=DefaultRemotePath unless PATH is declared) and
// the platform properties; its outputs are build.outputs. Tool versions
// meta puts on the local PATH do not apply: the worker's platform (its
// container image) provides the tools.
type RemoteExec struct {
	Client *reapi.Client // the executor
	CAS    *reapi.Client // the storage its workers read; Client when nil

	Platform map[string]string
	Timeout  time.Duration // per action; 0: the executor's default
}

// SetRemoteExec makes the cache run build commands on re (nil: locally).
// Call it before Build.
func (c *Cache) SetRemoteExec(re *RemoteExec) { c.exec = re }

// RemoteExecOn reports whether build commands run on a remote executor.
func (c *Cache) RemoteExecOn() bool { return c.exec != nil }

// DefaultRemotePath is PATH for remote build commands that declare none.
const DefaultRemotePath = "/usr/local/bin:/usr/bin:/bin"

// unitsKey carries the plan's units to the build of one component, which
// needs its dependencies' directories and outputs for the input root.
type unitsKey struct{}

func withUnits(ctx context.Context, units map[string]*Unit) context.Context {
	return context.WithValue(ctx, unitsKey{}, units)
}

// runBuild runs u's build command, here or (with remote execution) on the
// executor, its output into log.
func (c *Cache) runBuild(ctx context.Context, u *Unit, doc *Document, env []string, log *bytes.Buffer) error {
	if c.exec == nil {
		_, err := run.Output(ctx, run.Cmd{Args: []string{"sh", "-c", u.Command}, Dir: u.Dir, Environ: env, Stdout: log, Stderr: log})
		return err
	}
	units, _ := ctx.Value(unitsKey{}).(map[string]*Unit)
	spec, err := remoteSpec(u, doc, units, c.exec)
	if err != nil {
		return fmt.Errorf("remote execution: %w", err)
	}
	p, err := remoteexec.Prepare(spec)
	if err != nil {
		return fmt.Errorf("remote execution: %w", err)
	}
	cas := c.exec.CAS
	if cas == nil {
		cas = c.exec.Client
	}
	res, err := remoteexec.Run(ctx, c.exec.Client, cas, p)
	if err != nil {
		return fmt.Errorf("remote execution of action %s: %w", p.Action.Hash, err)
	}
	log.Write(res.Stdout)
	log.Write(res.Stderr)
	if res.ExitCode != 0 {
		return &RemoteExit{Code: int(res.ExitCode), Action: res.Action.Hash, Worker: res.Worker}
	}
	if err := remoteexec.Fetch(ctx, cas, res, u.Dir); err != nil {
		return fmt.Errorf("remote execution of action %s: outputs: %w", p.Action.Hash, err)
	}
	return nil
}

// RemoteExit is a remote build command that exited with a non-zero status.
type RemoteExit struct {
	Code   int
	Action string
	Worker string
}

func (e *RemoteExit) Error() string {
	s := fmt.Sprintf("remote build command exited with status %d (action %s", e.Code, e.Action)
	if e.Worker != "" {
		s += ", worker " + e.Worker
	}
	return s + ")"
}

// remoteSpec describes u's build as an action.
func remoteSpec(u *Unit, doc *Document, units map[string]*Unit, re *RemoteExec) (remoteexec.Spec, error) {
	deps := closure(u, units)
	dirs := []string{u.Dir}
	for _, d := range deps {
		dirs = append(dirs, d.Dir)
	}
	root := commonDir(dirs)
	rel := func(dir string) (string, error) {
		r, err := filepath.Rel(root, dir)
		if err != nil {
			return "", err
		}
		if r == "." {
			return "", nil
		}
		return filepath.ToSlash(r), nil
	}
	work, err := rel(u.Dir)
	if err != nil {
		return remoteexec.Spec{}, err
	}
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "/" + b
	}
	var files []remoteexec.File
	seen := map[string]bool{}
	for _, in := range doc.Inputs {
		abs := filepath.Join(u.Dir, filepath.FromSlash(in.Path))
		f := remoteexec.File{Path: join(work, in.Path), Abs: abs}
		switch in.Mode {
		case "120000":
			t, err := os.Readlink(abs)
			if err != nil {
				return remoteexec.Spec{}, err
			}
			f.Symlink = t
		default:
			fi, err := os.Stat(abs)
			if err != nil {
				return remoteexec.Spec{}, err
			}
			f.Digest = &repb.Digest{Hash: in.SHA256, SizeBytes: fi.Size()}
			f.Executable = in.Mode == "100755"
		}
		seen[f.Path] = true
		files = append(files, f)
	}
	for _, d := range deps {
		base, err := rel(d.Dir)
		if err != nil {
			return remoteexec.Spec{}, err
		}
		for _, o := range d.Outputs {
			got, err := treeFiles(filepath.Join(d.Dir, filepath.FromSlash(o)), join(base, o))
			if err != nil {
				return remoteexec.Spec{}, fmt.Errorf("outputs of %s: %w", d.Name, err)
			}
			for _, f := range got {
				if !seen[f.Path] {
					seen[f.Path] = true
					files = append(files, f)
				}
			}
		}
	}
	env := map[string]string{}
	for k, v := range doc.Env {
		env[k] = v
	}
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = DefaultRemotePath
	}
	return remoteexec.Spec{
		Files:      files,
		WorkingDir: work,
		Args:       []string{"/bin/sh", "-c", u.Command},
		Env:        env,
		Outputs:    slices.Clone(u.Outputs),
		Platform:   re.Platform,
		Timeout:    re.Timeout,
	}, nil
}

// closure is every unit u depends on, transitively, in name order.
func closure(u *Unit, units map[string]*Unit) []*Unit {
	seen := map[string]bool{}
	var out []*Unit
	var visit func(*Unit)
	visit = func(x *Unit) {
		for _, n := range x.Deps {
			if seen[n] || units[n] == nil {
				continue
			}
			seen[n] = true
			out = append(out, units[n])
			visit(units[n])
		}
	}
	visit(u)
	slices.SortFunc(out, func(a, b *Unit) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// commonDir is the deepest directory containing every one of dirs.
func commonDir(dirs []string) string {
	common := filepath.Clean(dirs[0])
	for _, d := range dirs[1:] {
		d = filepath.Clean(d)
		for common != d && !strings.HasPrefix(d, common+string(filepath.Separator)) {
			parent := filepath.Dir(common)
			if parent == common {
				break
			}
			common = parent
		}
	}
	return common
}

// treeFiles lists and hashes the files below abs (a file, symlink or
// directory), named under prefix.
func treeFiles(abs, prefix string) ([]remoteexec.File, error) {
	var out []remoteexec.File
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(abs, p)
		name := prefix
		if r != "." {
			name = prefix + "/" + filepath.ToSlash(r)
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, remoteexec.File{Path: name, Symlink: t})
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			h := sha256.New()
			n, err := io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			out = append(out, remoteexec.File{Path: name, Abs: p, Digest: &repb.Digest{Hash: hex.EncodeToString(h.Sum(nil)), SizeBytes: n}, Executable: fi.Mode()&0o100 != 0})
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s was not produced", prefix)
	}
	return out, err
}

// ActionDigest is the REAPI Action digest ("hash/size") under which the
// component's build would run on the remote executor now, with its
// dependencies' outputs as they are in the working trees.
func (c *Cache) ActionDigest(ctx context.Context, m *manifest.Manifest, name string) (string, error) {
	if c.exec == nil {
		return "", errors.New("remote execution is not configured")
	}
	p, err := NewPlan(m, []string{name})
	if err != nil {
		return "", err
	}
	docs, err := c.Keys(ctx, m, []string{name}, nil)
	if err != nil {
		return "", err
	}
	spec, err := remoteSpec(p.Units[name], docs[name], p.Units, c.exec)
	if err != nil {
		return "", err
	}
	prep, err := remoteexec.Prepare(spec)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d", prep.Action.Hash, prep.Action.SizeBytes), nil
}
