package userconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "config.yaml")
	if c, err := Load(p); err != nil || c.Jobs != 0 {
		t.Fatalf("missing file: %+v %v", c, err)
	}
	os.WriteFile(p, []byte("jobs: 12\ncolor: never\ntools:\n  sources: {go: http://x}\n"), 0o644)
	if c, err := Load(p); err != nil || c.Jobs != 12 || c.Color != "never" {
		t.Fatalf("got %+v %v", c, err)
	}
	os.WriteFile(p, []byte("jobs: lots\n"), 0o644)
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "config.yaml:1:7: jobs must be") {
		t.Fatalf("bad jobs: %v", err)
	}
}

func TestLoadCacheRemote(t *testing.T) {
	p := filepath.Join(t.TempDir(), "config.yaml")
	for _, tc := range []struct{ yaml, want, err string }{
		{"cache:\n  remote: s3://b/p?region=x\n", "s3://b/p?region=x", ""},
		{"cache:\n  max_age: 30d\n", "", ""},
		{"cache: 3\n", "", "config.yaml:1:8: cache must be a mapping"},
		{"cache:\n  remote: [a, b]\n", "", "config.yaml:2:11: cache.remote must be a URL"},
	} {
		os.WriteFile(p, []byte(tc.yaml), 0o644)
		c, err := Load(p)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.err)
			}
			continue
		}
		if err != nil || c.CacheRemote != tc.want {
			t.Errorf("%q: remote %q (%v), want %q", tc.yaml, c.CacheRemote, err, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	env := map[string]string{"HOME": "/h"}
	if got := Path(func(k string) string { return env[k] }); got != "/h/.config/meta/config.yaml" {
		t.Errorf("got %s", got)
	}
	env["XDG_CONFIG_HOME"] = "/x"
	if got := Path(func(k string) string { return env[k] }); got != "/x/meta/config.yaml" {
		t.Errorf("got %s", got)
	}
}
