// Package remoteexec runs one build step as a REAPI v2 Action on a remote
// executor (Buildbarn, BuildBuddy, NativeLink, EngFlow): it turns a set of
// input files into a Merkle tree of Directory messages, describes the
// Command and Action, uploads what the CAS lacks, executes, and writes the
// action's output files, directories and symlinks back into a working
// tree through os.Root, so that no output path can escape it.
package remoteexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/metawork/meta/internal/reapi"
)

// File is one input file of an action.
type File struct {
	Path       string // slash-separated, relative to the input root
	Abs        string // where its bytes are on this machine
	Digest     *repb.Digest
	Executable bool
	Symlink    string // the link target, for a symlink (Abs and Digest unused)
}

// Spec describes one action.
type Spec struct {
	Files      []File
	WorkingDir string // relative to the input root, slash-separated
	Args       []string
	Env        map[string]string
	Outputs    []string          // paths relative to WorkingDir
	Platform   map[string]string // platform properties (e.g. OSFamily, container-image)
	Timeout    time.Duration     // 0: the executor's default
}

// Prepared is an action ready to run: its digest and every blob it needs.
type Prepared struct {
	Action *repb.Digest
	blobs  []reapi.Blob
}

// Prepare builds the action's Merkle tree, Command and Action. It reads
// no file contents: the digests in spec.Files must be right (the server
// checks them on upload).
func Prepare(spec Spec) (*Prepared, error) {
	var blobs []reapi.Blob
	add := func(m proto.Message) (*repb.Digest, error) {
		data, d, err := reapi.MarshalDigest(m)
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, reapi.Blob{Digest: d, Data: data})
		return d, nil
	}
	root, fileBlobs, err := tree(spec.Files, spec.WorkingDir)
	if err != nil {
		return nil, err
	}
	blobs = append(blobs, fileBlobs...)
	rootDigest, err := root.digest(add)
	if err != nil {
		return nil, err
	}
	var platform *repb.Platform
	if len(spec.Platform) > 0 {
		platform = &repb.Platform{}
		for _, k := range sortedKeys(spec.Platform) {
			platform.Properties = append(platform.Properties, &repb.Platform_Property{Name: k, Value: spec.Platform[k]})
		}
	}
	cmd := &repb.Command{
		Arguments:        spec.Args,
		OutputPaths:      slices.Sorted(slices.Values(spec.Outputs)),
		WorkingDirectory: spec.WorkingDir,
	}
	for _, k := range sortedKeys(spec.Env) {
		cmd.EnvironmentVariables = append(cmd.EnvironmentVariables, &repb.Command_EnvironmentVariable{Name: k, Value: spec.Env[k]})
	}
	cmdDigest, err := add(cmd)
	if err != nil {
		return nil, err
	}
	action := &repb.Action{CommandDigest: cmdDigest, InputRootDigest: rootDigest, Platform: platform}
	if spec.Timeout > 0 {
		action.Timeout = durationpb.New(spec.Timeout)
	}
	actionDigest, err := add(action)
	if err != nil {
		return nil, err
	}
	return &Prepared{Action: actionDigest, blobs: blobs}, nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// dirNode is one directory of the input tree being built.
type dirNode struct {
	files    map[string]*repb.FileNode
	symlinks map[string]*repb.SymlinkNode
	dirs     map[string]*dirNode
}

func newDir() *dirNode {
	return &dirNode{files: map[string]*repb.FileNode{}, symlinks: map[string]*repb.SymlinkNode{}, dirs: map[string]*dirNode{}}
}

// tree arranges files into directories, with the working directory
// present even when no input lies in it.
func tree(files []File, workDir string) (*dirNode, []reapi.Blob, error) {
	root := newDir()
	var blobs []reapi.Blob
	walk := func(p string) (*dirNode, string, error) {
		if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == "." || strings.HasPrefix(p, "../") || p == ".." {
			return nil, "", fmt.Errorf("input path %q is not a clean relative path", p)
		}
		parts := strings.Split(p, "/")
		d := root
		for _, seg := range parts[:len(parts)-1] {
			if _, clash := d.files[seg]; clash {
				return nil, "", fmt.Errorf("input %q: %s is a file", p, seg)
			}
			next := d.dirs[seg]
			if next == nil {
				next = newDir()
				d.dirs[seg] = next
			}
			d = next
		}
		return d, parts[len(parts)-1], nil
	}
	for _, f := range files {
		d, name, err := walk(f.Path)
		if err != nil {
			return nil, nil, err
		}
		if _, clash := d.dirs[name]; clash {
			return nil, nil, fmt.Errorf("input %q is also a directory", f.Path)
		}
		if f.Symlink != "" {
			d.symlinks[name] = &repb.SymlinkNode{Name: name, Target: f.Symlink}
			continue
		}
		if err := reapi.CheckDigest(f.Digest); err != nil {
			return nil, nil, fmt.Errorf("input %q: %w", f.Path, err)
		}
		d.files[name] = &repb.FileNode{Name: name, Digest: f.Digest, IsExecutable: f.Executable}
		abs := f.Abs
		blobs = append(blobs, reapi.Blob{Digest: f.Digest, Open: func() (io.ReadCloser, error) { return os.Open(abs) }})
	}
	if workDir != "" {
		if _, _, err := walk(workDir + "/x"); err != nil {
			return nil, nil, fmt.Errorf("working directory: %w", err)
		}
	}
	return root, blobs, nil
}

// digest serializes d and its subdirectories, bottom up.
func (d *dirNode) digest(add func(proto.Message) (*repb.Digest, error)) (*repb.Digest, error) {
	msg := &repb.Directory{}
	for _, name := range slices.Sorted(mapKeys(d.files)) {
		msg.Files = append(msg.Files, d.files[name])
	}
	for _, name := range slices.Sorted(mapKeys(d.dirs)) {
		sub, err := d.dirs[name].digest(add)
		if err != nil {
			return nil, err
		}
		msg.Directories = append(msg.Directories, &repb.DirectoryNode{Name: name, Digest: sub})
	}
	for _, name := range slices.Sorted(mapKeys(d.symlinks)) {
		msg.Symlinks = append(msg.Symlinks, d.symlinks[name])
	}
	return add(msg)
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Result is what one execution produced.
type Result struct {
	Action   *repb.Digest
	ExitCode int32
	Stdout   []byte
	Stderr   []byte
	Cached   bool   // served from the executor's action cache
	Worker   string // the worker that ran it, when the server says
	result   *repb.ActionResult
}

// Run uploads what the CAS lacks and executes the prepared action on
// exec. cas is the storage the executor's workers read (often the same
// endpoint; with Buildbarn's scheduler, the cache it is configured with).
// A non-zero exit is not an error; Result.ExitCode says.
func Run(ctx context.Context, exec, cas *reapi.Client, p *Prepared) (*Result, error) {
	c := cas
	if err := c.Upload(ctx, p.blobs, false); err != nil {
		return nil, err
	}
	resp, err := exec.Execute(ctx, p.Action, false)
	if err != nil {
		return nil, err
	}
	ar := resp.GetResult()
	r := &Result{Action: p.Action, ExitCode: ar.GetExitCode(), Cached: resp.GetCachedResult(), result: ar}
	r.Worker = ar.GetExecutionMetadata().GetWorker()
	if r.Stdout, err = stream(ctx, c, ar.GetStdoutRaw(), ar.GetStdoutDigest()); err != nil {
		return nil, fmt.Errorf("stdout: %w", err)
	}
	if r.Stderr, err = stream(ctx, c, ar.GetStderrRaw(), ar.GetStderrDigest()); err != nil {
		return nil, fmt.Errorf("stderr: %w", err)
	}
	return r, nil
}

// maxLog bounds the stdout or stderr read back.
const maxLog = 16 << 20

func stream(ctx context.Context, c *reapi.Client, raw []byte, d *repb.Digest) ([]byte, error) {
	if len(raw) > 0 || d == nil || d.GetSizeBytes() == 0 {
		return raw, nil
	}
	if d.GetSizeBytes() > maxLog {
		return nil, fmt.Errorf("larger than %d bytes", maxLog)
	}
	return c.Read(ctx, d)
}

// Outputs lists the outputs of a result: files, directories and symlinks,
// relative to the working directory.
func (r *Result) Outputs() []string {
	var out []string
	for _, f := range r.result.GetOutputFiles() {
		out = append(out, f.GetPath())
	}
	for _, d := range r.result.GetOutputDirectories() {
		out = append(out, d.GetPath())
	}
	for _, s := range r.result.GetOutputSymlinks() {
		out = append(out, s.GetPath())
	}
	return out
}

// maxTreeEntries bounds the files and directories one output tree may
// create.
const maxTreeEntries = 1 << 20

// Fetch writes the result's outputs into dir (the working directory), each
// output path replaced whole. Every blob is checked against its digest;
// paths are created through os.Root, so none can leave dir.
func Fetch(ctx context.Context, c *reapi.Client, r *Result, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	ar := r.result
	for _, p := range r.Outputs() {
		if err := checkRel(p); err != nil {
			return err
		}
		if err := root.RemoveAll(p); err != nil {
			return err
		}
	}
	for _, f := range ar.GetOutputFiles() {
		if err := writeFile(ctx, c, root, f.GetPath(), f.GetDigest(), f.GetIsExecutable(), f.GetContents()); err != nil {
			return err
		}
	}
	for _, s := range ar.GetOutputSymlinks() {
		if err := mkParent(root, s.GetPath()); err != nil {
			return err
		}
		if err := root.Symlink(s.GetTarget(), s.GetPath()); err != nil {
			return err
		}
	}
	n := 0
	for _, od := range ar.GetOutputDirectories() {
		data, err := c.Read(ctx, od.GetTreeDigest())
		if err != nil {
			return fmt.Errorf("output directory %s: %w", od.GetPath(), err)
		}
		t := &repb.Tree{}
		if err := proto.Unmarshal(data, t); err != nil {
			return fmt.Errorf("output directory %s: not a Tree: %w", od.GetPath(), err)
		}
		children := map[string]*repb.Directory{}
		for _, ch := range t.GetChildren() {
			_, d, err := reapi.MarshalDigest(ch)
			if err != nil {
				return err
			}
			children[d.Hash] = ch
		}
		if err := mkParent(root, od.GetPath()); err != nil {
			return err
		}
		if err := writeDir(ctx, c, root, od.GetPath(), t.GetRoot(), children, &n, 0); err != nil {
			return fmt.Errorf("output directory %s: %w", od.GetPath(), err)
		}
	}
	return nil
}

func checkRel(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("output path %q is not a clean relative path", p)
	}
	return nil
}

func checkName(n string) error {
	if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
		return fmt.Errorf("bad name %q in an output tree", n)
	}
	return nil
}

func mkParent(root *os.Root, p string) error {
	if dir := path.Dir(p); dir != "." {
		return root.MkdirAll(dir, 0o755)
	}
	return nil
}

func writeFile(ctx context.Context, c *reapi.Client, root *os.Root, p string, d *repb.Digest, exec bool, inline []byte) error {
	if err := mkParent(root, p); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if exec {
		mode = 0o755
	}
	f, err := root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if len(inline) > 0 && reapi.Digest(inline).Hash == d.GetHash() {
		_, err = f.Write(inline)
	} else {
		err = c.ReadTo(ctx, d, f)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(p)
		return fmt.Errorf("output %s: %w", p, err)
	}
	return nil
}

func writeDir(ctx context.Context, c *reapi.Client, root *os.Root, p string, d *repb.Directory, children map[string]*repb.Directory, n *int, depth int) error {
	if depth > 256 {
		return errors.New("output tree deeper than 256 levels")
	}
	if err := root.Mkdir(p, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	for _, f := range d.GetFiles() {
		if *n++; *n > maxTreeEntries {
			return fmt.Errorf("more than %d entries", maxTreeEntries)
		}
		if err := checkName(f.GetName()); err != nil {
			return err
		}
		if err := writeFile(ctx, c, root, p+"/"+f.GetName(), f.GetDigest(), f.GetIsExecutable(), nil); err != nil {
			return err
		}
	}
	for _, s := range d.GetSymlinks() {
		if err := checkName(s.GetName()); err != nil {
			return err
		}
		if err := root.Symlink(s.GetTarget(), p+"/"+s.GetName()); err != nil {
			return err
		}
	}
	for _, sub := range d.GetDirectories() {
		if *n++; *n > maxTreeEntries {
			return fmt.Errorf("more than %d entries", maxTreeEntries)
		}
		if err := checkName(sub.GetName()); err != nil {
			return err
		}
		ch, ok := children[sub.GetDigest().GetHash()]
		if !ok {
			return fmt.Errorf("directory %s/%s: not in the tree", p, sub.GetName())
		}
		if err := writeDir(ctx, c, root, p+"/"+sub.GetName(), ch, children, n, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// Describe says in one line how the action ended, for messages.
func (r *Result) Describe() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "action %s/%d exited with status %d", r.Action.GetHash(), r.Action.GetSizeBytes(), r.ExitCode)
	if r.Worker != "" {
		fmt.Fprintf(&b, " on %s", r.Worker)
	}
	return b.String()
}
