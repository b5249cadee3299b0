package git

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func newRepo(t *testing.T) string {
	dir := t.TempDir()
	gitT(t, dir, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o644)
	gitT(t, dir, "add", "a")
	gitT(t, dir, "commit", "-qm", "one")
	gitT(t, dir, "tag", "v1.0.0")
	gitT(t, dir, "tag", "-a", "-m", "annotated", "v1.1.0")
	return dir
}

func TestReadHeadAndRefs(t *testing.T) {
	dir := newRepo(t)
	head := gitT(t, dir, "rev-parse", "HEAD")
	for _, packed := range []bool{false, true} {
		if packed {
			gitT(t, dir, "pack-refs", "--all")
		}
		h, err := ReadHead(dir)
		if err != nil || h.Branch != "main" || h.Commit != head {
			t.Errorf("packed=%v ReadHead = %+v, %v (want main %s)", packed, h, err, head)
		}
		refs, err := ReadRefs(dir)
		if err != nil {
			t.Fatal(err)
		}
		if refs["refs/tags/v1.0.0"] != head {
			t.Errorf("packed=%v v1.0.0 = %q", packed, refs["refs/tags/v1.0.0"])
		}
		if packed && refs["refs/tags/v1.1.0"] != head {
			t.Errorf("packed annotated tag not peeled: %q", refs["refs/tags/v1.1.0"])
		}
	}
	gitT(t, dir, "checkout", "-q", "--detach")
	if h, _ := ReadHead(dir); h.Branch != "" || h.Commit != head {
		t.Errorf("detached ReadHead = %+v", h)
	}
}

func TestRemoteURLAndStatus(t *testing.T) {
	src := newRepo(t)
	dst := filepath.Join(t.TempDir(), "clone")
	ctx := context.Background()
	if err := Clone(ctx, src, dst, CloneOptions{}); err != nil {
		t.Fatal(err)
	}
	if u, err := RemoteURL(dst, "origin"); err != nil || u != src {
		t.Errorf("RemoteURL = %q, %v", u, err)
	}
	if u, _ := RemoteURL(dst, "nope"); u != "" {
		t.Errorf("RemoteURL(nope) = %q", u)
	}
	os.WriteFile(filepath.Join(dst, "a"), []byte("changed"), 0o644)
	os.WriteFile(filepath.Join(dst, "new"), []byte("x"), 0o644)
	st, err := GetStatus(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if st.Branch != "main" || st.Upstream != "origin/main" || st.Modified != 1 || st.Untracked != 1 || len(st.Commit) != 40 {
		t.Errorf("status = %+v", st)
	}
	gitT(t, dst, "commit", "-qam", "local")
	st, _ = GetStatus(ctx, dst)
	if st.Ahead != 1 || st.Behind != 0 || st.Dirty() {
		t.Errorf("after commit status = %+v", st)
	}
	if HasStash(dst) {
		t.Error("stash reported in a repo without one")
	}
	os.WriteFile(filepath.Join(dst, "a"), []byte("stash me"), 0o644)
	gitT(t, dst, "stash")
	if !HasStash(dst) {
		t.Error("stash not seen")
	}
	refs, err := LsRemote(ctx, "", src)
	if err != nil {
		t.Fatal(err)
	}
	tags := Tags(refs)
	if tags["v1.1.0"] != tags["v1.0.0"] || tags["v1.0.0"] == "" {
		t.Errorf("ls-remote tags not peeled: %v", tags)
	}
}

func TestCloneErrorKeepsStderr(t *testing.T) {
	err := Clone(context.Background(), "/does/not/exist", filepath.Join(t.TempDir(), "x"), CloneOptions{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("err = %v", err)
	}
}

func TestConfigValue(t *testing.T) {
	cfg := "[core]\n\tbare = false\n[remote \"origin\"]\n\turl = git@h:o/r.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[remote \"up\"]\n\turl = \"https://h/x\"\n"
	for _, tc := range []struct{ sec, key, want string }{
		{`remote "origin"`, "url", "git@h:o/r.git"},
		{`remote "up"`, "url", "https://h/x"},
		{`remote "none"`, "url", ""},
		{"core", "bare", "false"},
	} {
		if got := configValue(cfg, tc.sec, tc.key); got != tc.want {
			t.Errorf("configValue(%s, %s) = %q, want %q", tc.sec, tc.key, got, tc.want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	out := "# branch.oid abc\x00# branch.head (detached)\x001 .M N... 100644 100644 100644 a a a\x002 R. N... 100644 100644 100644 a a R100 new\x00old\x00? u\x00? v\x00"
	s := parseStatus([]byte(out))
	if s.Branch != "" || s.Commit != "abc" || s.Modified != 2 || s.Untracked != 2 {
		t.Errorf("got %+v", s)
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte("# branch.ab +1 -2\x00? x\x00"))
	f.Fuzz(func(t *testing.T, b []byte) { parseStatus(b) })
}

func FuzzConfigValue(f *testing.F) {
	f.Add("[remote \"origin\"]\n\turl = x\n")
	f.Fuzz(func(t *testing.T, s string) { configValue(s, `remote "origin"`, "url") })
}

func TestReadIndex(t *testing.T) {
	dir := newRepo(t)
	entries, _, err := ReadIndex(dir)
	if err != nil || len(entries) != 1 || entries[0].Path != "a" || entries[0].Mode != 0o100644 {
		t.Fatalf("ReadIndex = %+v, %v", entries, err)
	}
	if !entries[0].StatMatches(filepath.Join(dir, "a")) {
		t.Error("fresh file does not match its index entry")
	}
	os.WriteFile(filepath.Join(dir, "a"), []byte("22"), 0o644)
	if entries[0].StatMatches(filepath.Join(dir, "a")) {
		t.Error("changed file still matches")
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("DIRC\x00\x00\x00\x02\x00\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) { parseIndex(b) })
}

func TestCheckRefName(t *testing.T) {
	for _, ok := range []string{"main", "v1.2.0", "release/1.x", "feature/a-b_c", "1111111111111111111111111111111111111111", "v1.0.0+build"} {
		if err := CheckRefName(ok); err != nil {
			t.Errorf("CheckRefName(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "--upload-pack=touch PWNED #", "a..b", "a b", "a~1", "a^", "a:b", "a?", "a*", "a[", `a\b`,
		"/a", "a/", "a//b", "a.", ".a", "a/.b", "a.lock", "a/b.lock/c", "@", "a@{1}", "a\x00b", "a\tb", "a\x7fb", strings.Repeat("a", MaxRefNameLen+1)} {
		if err := CheckRefName(bad); err == nil {
			t.Errorf("CheckRefName(%q) = nil, want an error", bad)
		}
	}
}

func TestCheckCommit(t *testing.T) {
	for _, ok := range []string{strings.Repeat("a", 40), strings.Repeat("0", 64)} {
		if err := CheckCommit(ok); err != nil {
			t.Errorf("CheckCommit(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "abc1234", strings.Repeat("A", 40), "-" + strings.Repeat("a", 39), strings.Repeat("g", 40)} {
		if CheckCommit(bad) == nil {
			t.Errorf("CheckCommit(%q) = nil, want an error", bad)
		}
	}
}

// FuzzCheckRefName: whatever CheckRefName accepts can never be read as an
// option and agrees with git's own rules on the characters it refuses.
func FuzzCheckRefName(f *testing.F) {
	for _, s := range []string{"main", "v1.2.0", "--upload-pack=touch PWNED #", "-x", "a..b", "a/.b", "x.lock", "@", "a@{u}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckRefName(s) != nil {
			return
		}
		if s == "" || s[0] == '-' || strings.Contains(s, "..") || strings.ContainsAny(s, " ~^:?*[\\\x00") {
			t.Fatalf("CheckRefName(%q) accepted a name git refuses", s)
		}
	})
}

func TestReadHeadReadsOnlyItsBranch(t *testing.T) {
	dir := newRepo(t)
	head := gitT(t, dir, "rev-parse", "HEAD")
	refs, _ := ReadRefs(dir)
	if h, err := HeadFromRefs(dir, refs); err != nil || h.Branch != "main" || h.Commit != head {
		t.Errorf("HeadFromRefs = %+v, %v", h, err)
	}
	// A symbolic branch is followed.
	gitT(t, dir, "symbolic-ref", "refs/heads/alias", "refs/heads/main")
	gitT(t, dir, "symbolic-ref", "HEAD", "refs/heads/alias")
	if h, err := ReadHead(dir); err != nil || h.Branch != "alias" || h.Commit != head {
		t.Errorf("symbolic: ReadHead = %+v, %v", h, err)
	}
	// An unborn branch has no commit and is no error.
	gitT(t, dir, "symbolic-ref", "HEAD", "refs/heads/unborn")
	if h, err := ReadHead(dir); err != nil || h.Branch != "unborn" || h.Commit != "" {
		t.Errorf("unborn: ReadHead = %+v, %v", h, err)
	}
	// A hostile HEAD never reads a file outside refs/.
	os.WriteFile(filepath.Join(dir, ".git", "HEAD"), []byte("ref: refs/../../a\n"), 0o644)
	if h, err := ReadHead(dir); err == nil || h.Commit != "" {
		t.Errorf("hostile HEAD: ReadHead = %+v, %v", h, err)
	}
}
