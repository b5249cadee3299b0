package registry

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/metawork/meta/internal/progress"
)

// userEnv is a getenv for a fresh home with no registries.
func userEnv(t *testing.T) (func(string) string, string) {
	t.Helper()
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	return func(k string) string { return env[k] }, home
}

func problem(t *testing.T, err error) *Problem {
	t.Helper()
	var p *Problem
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not a *Problem", err, err)
	}
	return p
}

func TestConfigAddListPickRemove(t *testing.T) {
	getenv, _ := userEnv(t)
	c := NewConfig(t.TempDir(), getenv)
	if _, err := c.Pick(""); !strings.Contains(err.Error(), `no registry named "default"`) || !problem(t, err).Usage {
		t.Fatalf("Pick on an empty config: %v", err)
	}
	if old, had, err := c.Add("default", "http://127.0.0.1:7878/"); err != nil || had || old != "" {
		t.Fatalf("Add = %q, %v, %v", old, had, err)
	}
	if old, had, err := c.Add("default", "http://127.0.0.1:9999"); err != nil || !had || old != "http://127.0.0.1:7878" {
		t.Fatalf("second Add = %q, %v, %v; want the first URL, without its slash", old, had, err)
	}
	if _, _, err := c.Add("local", "ftp://x"); err == nil || !problem(t, err).Usage {
		t.Fatalf("Add with an ftp URL: %v", err)
	}
	if _, _, err := c.Add("Bad Name", "http://x"); err == nil || !problem(t, err).Usage {
		t.Fatalf("Add with a bad name: %v", err)
	}
	if _, _, err := c.Add("local", "http://127.0.0.1:1"); err != nil {
		t.Fatal(err)
	}
	list, err := c.List()
	if err != nil || len(list) != 2 || list[0].Name != "default" || list[1].Name != "local" || list[0].Source != "user config" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	r, err := c.Pick("")
	if err != nil || r.URL != "http://127.0.0.1:9999" {
		t.Fatalf("Pick default = %+v, %v", r, err)
	}
	_, err = c.Pick("nope")
	if p := problem(t, err); !strings.Contains(p.Hint, "known: default, local") {
		t.Fatalf("Pick unknown: hint %q", p.Hint)
	}
	if err := c.Remove("local"); err != nil {
		t.Fatal(err)
	}
	if err := c.Remove("local"); err == nil || !problem(t, err).Usage {
		t.Fatalf("second Remove: %v", err)
	}
}

func TestConfigWithoutHome(t *testing.T) {
	c := &Config{Getenv: func(string) string { return "" }}
	_, err := c.List()
	if p := problem(t, err); p.Hint != "set HOME or XDG_CONFIG_HOME" {
		t.Fatalf("List without HOME: %v (hint %q)", err, p.Hint)
	}
}

func TestLoginLogout(t *testing.T) {
	getenv, home := userEnv(t)
	c := NewConfig(t.TempDir(), getenv)
	r := &Named{Name: "local", URL: "http://127.0.0.1:7878/"}
	for _, bad := range []string{"", "  \n", "two words\n", strings.Repeat("x", 5000)} {
		if err := c.Login(r, bad); err == nil || !problem(t, err).Usage {
			t.Errorf("Login(%.20q) = %v, want a usage problem", bad, err)
		}
	}
	if err := c.Login(r, "tok123\n"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(home, ".config", "meta", "credentials.yaml")
	creds, err := LoadCredentials(file)
	if err != nil || creds["http://127.0.0.1:7878"] != "tok123" {
		t.Fatalf("credentials = %v, %v", creds, err)
	}
	if had, err := c.Logout(r); !had || err != nil {
		t.Fatalf("Logout = %v, %v", had, err)
	}
	if had, err := c.Logout(r); had || err != nil {
		t.Fatalf("second Logout = %v, %v", had, err)
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = c.Logout(r)
	if p := problem(t, err); p.Hint != "chmod 600 "+file {
		t.Fatalf("Logout with a readable file: %v (hint %q)", err, p.Hint)
	}
}

func TestExplain(t *testing.T) {
	r := &Named{Name: "local", URL: "http://127.0.0.1:1"}
	for _, tc := range []struct {
		err  error
		hint string
	}{
		{&APIError{Status: 401, Detail: "no token"}, "log in: meta login --registry local (get a token from the registry's operator)"},
		{&APIError{Status: 403, Detail: "not an owner"}, "ask an owner to add you: meta registry owners NAME --add USER"},
		{&APIError{Status: 409, Detail: "exists"}, "published versions never change: tag and publish a new version"},
		{&APIError{Status: 429, Detail: "slow down"}, "wait a moment and retry"},
		{ErrPackageNotFound, "search for it: meta search NAME --registry local"},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, "is the registry running? check 'meta registry list'"},
	} {
		got := r.Explain(tc.err)
		if p := problem(t, got); p.Hint != tc.hint || p.Usage {
			t.Errorf("Explain(%v) = %v, hint %q; want hint %q", tc.err, got, p.Hint, tc.hint)
		}
	}
	if got := r.Explain(&APIError{Status: 500, Detail: "boom"}); got.Error() != "registry local: boom (HTTP 500)" {
		t.Errorf("Explain(500) = %v", got)
	}
	if got := r.Explain(context.Canceled); got != context.Canceled {
		t.Errorf("Explain(Canceled) = %v, want it unchanged", got)
	}
}

func TestParseNameVersion(t *testing.T) {
	for _, tc := range []struct {
		arg         string
		need        bool
		name, vers  string
		wantProblem bool
	}{
		{"auth-lib", false, "auth-lib", "", false},
		{"auth-lib@1.2.0", true, "auth-lib", "1.2.0", false},
		{"auth-lib@v1.2.0", true, "auth-lib", "1.2.0", false},
		{"auth-lib", true, "", "", true},
		{"auth-lib@", false, "", "", true},
		{"Auth", false, "", "", true},
		{"a@1.2", true, "", "", true},
	} {
		name, vers, err := ParseNameVersion(tc.arg, tc.need)
		if tc.wantProblem {
			if err == nil || !problem(t, err).Usage {
				t.Errorf("ParseNameVersion(%q) = %v, want a usage problem", tc.arg, err)
			}
			continue
		}
		if err != nil || name != tc.name || vers != tc.vers {
			t.Errorf("ParseNameVersion(%q) = %q, %q, %v", tc.arg, name, vers, err)
		}
	}
}

// sessionFor points a fresh user config's "default" at the fixture's
// server, logged in with token when it is not empty.
func sessionFor(t *testing.T, f *fixture, token string, events progress.Sink) *Session {
	t.Helper()
	getenv, _ := userEnv(t)
	c := NewConfig(t.TempDir(), getenv)
	if _, _, err := c.Add("default", f.ts.URL); err != nil {
		t.Fatal(err)
	}
	if token != "" {
		if err := c.Login(&Named{URL: f.ts.URL}, token); err != nil {
			t.Fatal(err)
		}
	}
	return NewSession(c.Dir, "", getenv, events)
}
