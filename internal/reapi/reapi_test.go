package reapi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	repb "github.com/bazelbuild/remote-apis/build/bazel/remote/execution/v2"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Target
		err  string
	}{
		{in: "grpc://127.0.0.1:9092", want: Target{Address: "127.0.0.1:9092"}},
		{in: "grpcs://remote.buildbuddy.io:443/", want: Target{Address: "remote.buildbuddy.io:443", TLS: true}},
		{in: "grpc://sched:8982/main/linux", want: Target{Address: "sched:8982", Instance: "main/linux"}},
		{in: "grpc://host", err: "want grpc://HOST:PORT"},
		{in: "http://host:80", err: "not grpc or grpcs"},
		{in: "grpc://user:secret@host:1", err: "credentials do not belong in the URL"},
		{in: "grpc://host:1?x=y", err: "no query"},
		{in: "grpc://host:1/a/blobs/b", err: "reserved"},
		{in: "grpc://host:1/a/../b", err: "reserved"},
	} {
		got, err := ParseURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseURL(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q): error shows the password: %v", tc.in, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"grpc://h:1", "grpcs://h:1/i", "grpc://u:p@h:1", "grpc://[::1]:9/x/y", "grpc://h:1/uploads", "grpc://h:1/%2e%2e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseURL(s)
		if err != nil {
			return
		}
		if tg.Address == "" {
			t.Fatalf("%q: no address", s)
		}
		for seg := range strings.SplitSeq(tg.Instance, "/") {
			if seg == ".." || seg == "blobs" || seg == "uploads" {
				t.Fatalf("%q: reserved segment %q accepted", s, seg)
			}
		}
	})
}

func TestAuthHeaders(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "token")
	os.WriteFile(good, []byte("tok-from-file\n"), 0o600)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, []byte("tok-loose"), 0o644)
	for _, tc := range []struct {
		env  map[string]string
		want map[string]string
		err  string
	}{
		{env: map[string]string{EnvToken: "t1"}, want: map[string]string{"authorization": "Bearer t1"}},
		{env: map[string]string{EnvTokenFile: good}, want: map[string]string{"authorization": "Bearer tok-from-file"}},
		{env: map[string]string{EnvTokenFile: loose}, err: "readable by its owner only"},
		{env: map[string]string{EnvHeader: "X-BuildBuddy-API-Key: k1"}, want: map[string]string{"x-buildbuddy-api-key": "k1"}},
		{env: map[string]string{EnvHeader: "no colon here"}, err: "one \"name: value\" header"},
		{env: map[string]string{EnvHeader: "a b: c"}, err: "one \"name: value\" header"},
	} {
		got, err := authHeaders(Options{Getenv: func(k string) string { return tc.env[k] }})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err = %v, want %q", tc.env, err, tc.err)
			}
			if err != nil && (strings.Contains(err.Error(), "tok-loose") || strings.Contains(err.Error(), "k1")) {
				t.Errorf("%v: error shows a secret: %v", tc.env, err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%v: %v, %v; want %v", tc.env, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%v: %s = %q, want %q", tc.env, k, got[k], v)
			}
		}
	}
}

func TestDialRefusesCredentialsInTheClear(t *testing.T) {
	env := map[string]string{EnvToken: "s3cr3t"}
	_, err := Dial("grpc://cache.example.com:9092", Options{Getenv: func(k string) string { return env[k] }})
	if err == nil || !strings.Contains(err.Error(), "grpcs://") || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v, want a refusal that does not show the token", err)
	}
	c, err := Dial("grpc://127.0.0.1:9092", Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	c.Close()
}

func TestKeyActionIsStableAndDistinct(t *testing.T) {
	a, b := KeyAction(strings.Repeat("a", 64)), KeyAction(strings.Repeat("b", 64))
	if a.Hash == b.Hash || a.SizeBytes == 0 {
		t.Fatalf("KeyAction: %v %v", a, b)
	}
	if again := KeyAction(strings.Repeat("a", 64)); again.Hash != a.Hash {
		t.Fatalf("KeyAction not stable")
	}
}

func TestInlineContents(t *testing.T) {
	d := Digest([]byte("record"))
	if got := InlineContents(&repb.OutputFile{Digest: d, Contents: []byte("record")}); string(got) != "record" {
		t.Errorf("matching contents: %q", got)
	}
	if got := InlineContents(&repb.OutputFile{Digest: d, Contents: []byte("reXord")}); got != nil {
		t.Errorf("contents that do not match the digest were accepted: %q", got)
	}
	if got := InlineContents(&repb.OutputFile{Digest: d}); got != nil {
		t.Errorf("absent contents: %q", got)
	}
}
