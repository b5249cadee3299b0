package toolchain

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/toolchain/upstreamtest"
)

func TestPlanOrderAndImplied(t *testing.T) {
	_, opts := fakeUpstream(t)
	r, err := NewResolver(opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.Plan(context.Background(), []string{"npm:eslint@8.0.0", "ripgrep", "sqlite3", "uv:ruff", "go@1.22", "gcloud", "node@20"}, Arches)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.Steps {
		got = append(got, s.Phase+":"+s.Name+"@"+s.Version)
	}
	want := "runtime:go@1.22.12 runtime:node@20.18.0 runtime:python@3.12.7 package-manager:uv@0.5.1 apt:sqlite3@ binary:ripgrep@14.1.1 package:npm:eslint@8.0.0 package:uv:ruff@ custom:gcloud@"
	if strings.Join(got, " ") != want {
		t.Errorf("plan:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	for _, s := range p.Steps {
		if s.Name == "node" && (len(s.Downloads) != 2 || s.Downloads[0].SHA256 == "" || s.Downloads[1].Arch != "arm64") {
			t.Errorf("node downloads %+v", s.Downloads)
		}
		if s.Name == "ripgrep" && s.Downloads[0].Path != "ripgrep-14.1.1-x86_64-unknown-linux-musl/rg" {
			t.Errorf("ripgrep path %q", s.Downloads[0].Path)
		}
	}
	if len(p.Manual()) != 1 || len(p.Floating()) != 1 {
		t.Errorf("manual %v floating %v", p.Manual(), p.Floating())
	}
	// Same resolution, same tag; the floating request does not enter the hash.
	p2, err := r.Plan(context.Background(), []string{"node@20.18", "go@1.22.12", "npm:eslint@8.0.0", "ripgrep@14", "sqlite3", "uv:ruff", "gcloud"}, Arches)
	if err != nil {
		t.Fatal(err)
	}
	if p.ImageTag("") != p2.ImageTag("") || p.ImageTag("") == p.ImageTag("debian:trixie-slim") {
		t.Errorf("tags %s %s", p.ImageTag(""), p2.ImageTag(""))
	}
	df := p.Dockerfile("")
	for _, want := range []string{
		"FROM debian:bookworm-slim\n",
		"# Image tag: " + p.ImageTag(DefaultBaseImage),
		"       sqlite3 \\\n",
		"# go 1.22.12 (requested 1.22)\n",
		`echo "$sha  /tmp/meta-go.download" | sha256sum -c -`,
		"tar -xzf /tmp/meta-go.download -C /opt/meta/tools/go/1.22.12 --strip-components=1 --no-same-owner",
		"ENV PATH=/opt/meta/tools/go/1.22.12/bin:$PATH\n",
		"ENV UV_TOOL_BIN_DIR=/usr/local/bin\n",
		"    uv tool install ruff\n",
		"    npm install -g eslint@8.0.0\n",
		"# gcloud: not installed automatically; see https://cloud.google.com/sdk/docs/install#deb\n",
		"# python 3.12.7 (needed by uv:ruff, uv)\n",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q:\n%s", want, df)
		}
	}
	if regexp.MustCompile(`\|\s*(sh|bash)\b`).MatchString(df) {
		t.Error("Dockerfile pipes into a shell")
	}
	if n, m := strings.Count(df, "curl -fsSL"), strings.Count(df, "sha256sum -c"); n != m || n != 5 {
		t.Errorf("%d downloads, %d checks", n, m)
	}
	if _, err := exec.LookPath("sh"); err == nil {
		for _, sc := range []string{p.Script(), dockerRuns(df)} {
			cmd := exec.Command("sh", "-n")
			cmd.Stdin = strings.NewReader(sc)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("sh -n: %v\n%s\n%s", err, out, sc)
			}
		}
	}
}

// dockerRuns turns a Dockerfile's RUN instructions into one shell script.
func dockerRuns(df string) string {
	var b strings.Builder
	for _, part := range strings.Split(strings.ReplaceAll(df, "\\\n", " "), "\n") {
		if s, ok := strings.CutPrefix(part, "RUN "); ok {
			b.WriteString("(" + s + ")\n")
		}
	}
	return b.String()
}

// TestScriptRuns runs a generated install script against the fake upstream.
func TestScriptRuns(t *testing.T) {
	for _, tool := range []string{"sh", "curl", "sha256sum", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal(tool + " not installed; .ci/run installs it")
			}
			t.Skip(tool + " not installed")
		}
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("no downloads for " + runtime.GOARCH)
	}
	_, opts := fakeUpstream(t)
	r, _ := NewResolver(opts)
	p, err := r.Plan(context.Background(), []string{"go@1.22", "ripgrep", "jq"}, Arches)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", p.Script())
	cmd.Env = append(os.Environ(), "META_TOOLS_PREFIX="+dir+"/prefix", "META_TOOLS_BIN="+dir+"/bin")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	for _, f := range []string{"prefix/go/1.22.12/bin/go", "bin/rg", "bin/jq"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Mode()&0o111 == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A tampered download stops the script before anything is installed.
	p.Steps[0].Downloads[0].SHA256 = strings.Repeat("0", 64)
	p.Steps[0].Downloads[1].SHA256 = strings.Repeat("0", 64)
	dir2 := t.TempDir()
	cmd = exec.Command("sh", "-c", p.Script())
	cmd.Env = append(os.Environ(), "META_TOOLS_PREFIX="+dir2+"/prefix", "META_TOOLS_BIN="+dir2+"/bin")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "FAILED") {
		t.Fatalf("tampered script ran: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir2, "prefix", "go")); !errors.Is(err, os.ErrNotExist) {
		t.Error("go was unpacked despite the checksum mismatch")
	}
}

func TestInstallAndPathFor(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("no downloads for " + runtime.GOARCH)
	}
	srv, opts := fakeUpstream(t)
	ctx := context.Background()
	r, _ := NewResolver(opts)
	_, err := r.PathFor(ctx, []string{"go@1.22"})
	var ni *NotInstalledError
	if !errors.As(err, &ni) || ni.Hint() != "run: meta tools install go@1.22.12" {
		t.Fatalf("before install: %v", err)
	}
	var mu sync.Mutex
	var states []string
	var planned []string
	done, skipped, err := r.Install(ctx, []string{"go@1.22", "ripgrep", "jq", "python@3.12", "node@20", "npm:prettier"}, progress.Func(func(e progress.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == progress.Planned {
			planned = e.Items
		}
		states = append(states, e.Item+": "+e.Status)
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 5 || len(skipped) != 1 || skipped[0].Name != "npm:prettier" {
		t.Fatalf("done %v skipped %v", done, skipped)
	}
	if !slices.Contains(states, "go: installed 1.22.12") || !slices.Contains(states, "go: downloading go1.22.12.linux-"+runtime.GOARCH+".tar.gz") {
		t.Errorf("progress: %v", states)
	}
	if want := []string{"go", "ripgrep", "jq", "python", "node"}; !slices.Equal(planned, want) {
		t.Errorf("planned %v, want %v", planned, want)
	}
	for _, f := range []string{"go/1.22.12/bin/go", "go/1.22.12/VERSION", "ripgrep/14.1.1/bin/rg", "jq/1.7.1/bin/jq", "python/3.12.7/bin/python3", "node/20.18.0/bin/node"} {
		if st, err := os.Stat(filepath.Join(opts.DataDir, f)); err != nil || (strings.Contains(f, "bin/") && st.Mode()&0o111 == 0) {
			t.Errorf("%s: %v", f, err)
		}
	}
	dirs, err := mustResolver(t, opts).PathFor(ctx, []string{"node@20", "go@1.22", "npm:prettier", "ripgrep"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"node/20.18.0/bin", "go/1.22.12/bin", "ripgrep/14.1.1/bin"}
	if len(dirs) != len(want) {
		t.Fatalf("dirs %v", dirs)
	}
	for i, w := range want {
		if dirs[i] != filepath.Join(opts.DataDir, w) {
			t.Errorf("dir %d = %s, want %s", i, dirs[i], w)
		}
	}
	// Installing again downloads nothing.
	before := srv.Requests("")
	done, _, err = r.Install(ctx, []string{"go@1.22"}, nil)
	if err != nil || !done[0].Already || srv.Requests("") != before {
		t.Errorf("reinstall: %v %v", done, err)
	}
	// CheckInstalled against a lock.
	probs, err := CheckInstalled(map[string]string{"go": "1.22.12", "node": "20.17.0", "npm:prettier": "", "jq": "1.7.1", "nope": "1"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 2 || probs[0].Msg != "node 20.17.0 is locked but not installed (installed: 20.18.0)" || probs[1].Name != "nope" {
		t.Errorf("problems %+v", probs)
	}
}

func TestInstallChecksumMismatch(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("no downloads for " + runtime.GOARCH)
	}
	srv, opts := fakeUpstream(t)
	_ = srv
	// Corrupt the go archive after the list was written.
	r, _ := NewResolver(opts)
	if _, err := r.Resolve(context.Background(), []string{"go@1.22"}); err != nil {
		t.Fatal(err)
	}
	root := serveRoot(t, srv)
	name := "go1.22.12.linux-" + runtime.GOARCH + ".tar.gz"
	os.WriteFile(filepath.Join(root, "go", name), upstreamtest.TarGz(map[string]string{"go/bin/go": "#!/bin/sh\necho evil\n"}), 0o644)
	_, _, err := r.Install(context.Background(), []string{"go@1.22"}, nil)
	var ce *ChecksumError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "nothing was installed") {
		t.Fatalf("got %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(opts.DataDir, "go"))
	if len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// serveRoot finds the directory a fakeUpstream server serves.
func serveRoot(t *testing.T, srv *upstreamtest.Server) string {
	t.Helper()
	d := srv.Dir()
	if d == "" {
		t.Fatal("no dir")
	}
	return d
}

func tarGz(t *testing.T, entries []tar.Header, body string) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(body))
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestUnpackRefusesEscapes(t *testing.T) {
	cases := []struct {
		name    string
		entries []tar.Header
		want    string
	}{
		{"dotdot", []tar.Header{{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644}}, `entry "../evil" leaves the target directory`},
		{"nested dotdot", []tar.Header{{Name: "a/../../evil", Typeflag: tar.TypeReg, Mode: 0o644}}, "leaves the target directory"},
		{"absolute", []tar.Header{{Name: "/etc/evil", Typeflag: tar.TypeReg, Mode: 0o644}}, "absolute path"},
		{"symlink out", []tar.Header{{Name: "a/link", Typeflag: tar.TypeSymlink, Linkname: "../../x"}}, "outside the target directory"},
		{"symlink abs", []tar.Header{{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}, "absolute path"},
		{"symlink then write", []tar.Header{{Name: "d", Typeflag: tar.TypeSymlink, Linkname: "."}, {Name: "d/../../x", Typeflag: tar.TypeReg}}, "leaves the target"},
		{"device", []tar.Header{{Name: "dev", Typeflag: tar.TypeChar}}, "unsupported type"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		arch := filepath.Join(dir, "a.tar.gz")
		os.WriteFile(arch, tarGz(t, c.entries, "x"), 0o644)
		target := filepath.Join(dir, "out")
		os.Mkdir(target, 0o755)
		err := unpack(arch, KindTarGz, target, 0)
		var ue *UnsafeArchiveError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
			t.Errorf("%s: wrote outside", c.name)
		}
	}
	// A zip with ../ is refused too; a good zip unpacks with strip.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.zip"), upstreamtest.Zip(map[string]string{"../evil": "x"}), 0o644)
	os.Mkdir(filepath.Join(dir, "o1"), 0o755)
	if err := unpack(filepath.Join(dir, "bad.zip"), KindZip, filepath.Join(dir, "o1"), 0); err == nil || !strings.Contains(err.Error(), "leaves the target") {
		t.Errorf("zip: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "good.zip"), upstreamtest.Zip(map[string]string{"top/bin/tool": "#!/bin/sh\n", "top/README": "r"}), 0o644)
	os.Mkdir(filepath.Join(dir, "o2"), 0o755)
	if err := unpack(filepath.Join(dir, "good.zip"), KindZip, filepath.Join(dir, "o2"), 1); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "o2", "bin", "tool")); err != nil || st.Mode()&0o100 == 0 {
		t.Errorf("zip unpack: %v", err)
	}
}

func TestInstallRefusesEscapingArchive(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("no downloads for " + runtime.GOARCH)
	}
	dir := t.TempDir()
	evil := tarGz(t, []tar.Header{{Name: "go/bin/go", Typeflag: tar.TypeReg, Mode: 0o755}, {Name: "go/../../../escaped", Typeflag: tar.TypeReg, Mode: 0o644}}, "x")
	name := "go1.22.12.linux-" + runtime.GOARCH + ".tar.gz"
	os.MkdirAll(filepath.Join(dir, "go"), 0o755)
	os.WriteFile(filepath.Join(dir, "go", name), evil, 0o644)
	os.WriteFile(filepath.Join(dir, "go", "index.json"), []byte(`[{"version":"go1.22.12","stable":true,"files":[{"filename":"`+name+`","os":"linux","arch":"`+runtime.GOARCH+`","sha256":"`+upstreamtest.SHA256(evil)+`","kind":"archive"}]}]`), 0o644)
	srv := upstreamtest.Serve(dir)
	defer srv.Close()
	opts := testOptions(t, srv.URL)
	r, _ := NewResolver(opts)
	_, _, err := r.Install(context.Background(), []string{"go"}, nil)
	var ue *UnsafeArchiveError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(opts.DataDir, "go")); len(ents) != 0 {
		t.Errorf("left behind %v", ents)
	}
	if _, err := os.Stat(filepath.Join(opts.DataDir, "escaped")); err == nil {
		t.Error("escaped")
	}
}

func FuzzEntryPath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "/abs", "a/../../b", "./a", "a\\..\\b"} {
		f.Add(s, 1)
	}
	f.Fuzz(func(t *testing.T, name string, strip int) {
		if strip < 0 || strip > 3 {
			return
		}
		p, err := entryPath("a", name, strip)
		if err != nil || p == "" {
			return
		}
		if strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
			t.Fatalf("%q -> %q escapes", name, p)
		}
	})
}

// TestInstallRuntimeWithSetup installs a runtime whose archive carries its
// own installer (as Rust's does), run with --prefix set to the staging dir.
func TestInstallRuntimeWithSetup(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skip("no downloads for " + runtime.GOARCH)
	}
	dir := t.TempDir()
	archive := upstreamtest.TarGz(map[string]string{
		"rt-1.2.0/install.sh":  "#!/bin/sh\nset -e\nprefix=${1#--prefix=}\nmkdir -p \"$prefix/bin\"\ncp payload/rtc \"$prefix/bin/rtc\"\n",
		"rt-1.2.0/payload/rtc": "#!/bin/sh\necho rtc 1.2.0\n",
	})
	name := "rt-1.2.0-" + runtime.GOARCH + ".tar.gz"
	os.MkdirAll(filepath.Join(dir, "repos", "o", "rt"), 0o755)
	os.MkdirAll(filepath.Join(dir, "dl"), 0o755)
	os.WriteFile(filepath.Join(dir, "dl", name), archive, 0o644)
	os.WriteFile(filepath.Join(dir, "dl", name+".sha256"), []byte(upstreamtest.SHA256(archive)+"  "+name+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "repos", "o", "rt", "releases"), []byte(`[{"tag_name":"v1.2.0","assets":[
		{"name":"`+name+`","browser_download_url":"{{BASE}}/dl/`+name+`"},
		{"name":"`+name+`.sha256","browser_download_url":"{{BASE}}/dl/`+name+`.sha256"}]}]`), 0o644)
	srv := upstreamtest.Serve(dir)
	defer srv.Close()
	reg, err := LoadRegistry("r.yaml", []byte(`rt:
  description: a runtime with an installer
  type: runtime
  versions: github
  repo: o/rt
  assets:
    amd64: {file: "rt-{version}-amd64.tar.gz"}
    arm64: {file: "rt-{version}-arm64.tar.gz"}
  checksum: {file: "{asset}.sha256"}
  strip: 1
  setup: [sh, install.sh, "--prefix={prefix}"]
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t, srv.URL)
	opts.Registry = reg
	r, _ := NewResolver(opts)
	done, _, err := r.Install(context.Background(), []string{"rt@1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(done[0].Dir, "bin", "rtc")).Output()
	if err != nil || string(out) != "rtc 1.2.0\n" {
		t.Fatalf("rtc: %q %v", out, err)
	}
	dirs, err := r.PathFor(context.Background(), []string{"rt@1.2"})
	if err != nil || len(dirs) != 1 || dirs[0] != filepath.Join(opts.DataDir, "rt", "1.2.0", "bin") {
		t.Errorf("PathFor: %v %v", dirs, err)
	}
}

func mustResolver(t *testing.T, opts Options) *Resolver {
	t.Helper()
	r, err := NewResolver(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
