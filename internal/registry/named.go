package registry

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/metawork/meta/internal/manifest"
)

// Named is a configured registry as commands see it.
type Named struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Source      string   `json:"source"` // "user config" or the manifest file
	TrustedKeys []string `json:"trusted_keys,omitempty"`
	LoggedIn    bool     `json:"logged_in"`
}

// Config is the registries meta knows when run in Dir: the user's
// registries.yaml over the registries of the workspace manifest around Dir
// ("": the current directory). Getenv finds the user's files (see
// DefaultPaths) and META_REGISTRY_TOKEN.
type Config struct {
	Dir    string
	Getenv func(string) string
}

// NewConfig is the Config for dir and getenv.
func NewConfig(dir string, getenv func(string) string) *Config {
	return &Config{Dir: dir, Getenv: getenv}
}

// Paths are the user's registry files.
func (c *Config) Paths() (Paths, error) {
	p, err := DefaultPaths(c.Getenv)
	if err != nil {
		return p, Failf("set HOME or XDG_CONFIG_HOME", "%v", err)
	}
	return p, nil
}

// Workspace returns the registries of the workspace manifest around Dir
// and the manifest's file, or nothing outside a workspace.
func (c *Config) Workspace() (map[string]manifest.Registry, string, error) {
	dir, err := absIn(c.Dir, ".")
	if err != nil {
		return nil, "", err
	}
	root, err := manifest.Find(dir)
	if errors.Is(err, manifest.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	m, err := manifest.Load(root)
	if err != nil {
		return nil, "", WithHint(err, "fix the manifest, or run from outside the workspace")
	}
	return m.Registries, m.File, nil
}

// All merges the user's registries.yaml with the workspace's; the user's
// file wins on a clash.
func (c *Config) All() (map[string]*Named, error) {
	p, err := c.Paths()
	if err != nil {
		return nil, err
	}
	out := map[string]*Named{}
	ws, wsFile, err := c.Workspace()
	if err != nil {
		return nil, err
	}
	for name, r := range ws {
		out[name] = &Named{Name: name, URL: r.URL, Source: wsFile, TrustedKeys: r.TrustedKeys}
	}
	user, err := LoadRegistries(p.Registries)
	if err != nil {
		return nil, WithHint(err, "fix or remove "+p.Registries)
	}
	for name, u := range user {
		n := &Named{Name: name, URL: u, Source: "user config"}
		// The workspace's trusted keys stay in force when a user points the
		// name elsewhere (a mirror serves the same signed tarballs).
		if w, ok := out[name]; ok {
			n.TrustedKeys = w.TrustedKeys
		}
		out[name] = n
	}
	return out, nil
}

// List is All sorted by name, each marked logged in when the user's
// credentials hold a token for its URL.
func (c *Config) List() ([]*Named, error) {
	regs, err := c.All()
	if err != nil {
		return nil, err
	}
	creds, err := c.credentials()
	if err != nil {
		return nil, err
	}
	list := make([]*Named, 0, len(regs))
	for _, r := range regs {
		r.LoggedIn = creds[strings.TrimSuffix(r.URL, "/")] != ""
		list = append(list, r)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list, nil
}

// Pick finds the named registry ("default" when name is empty).
func (c *Config) Pick(name string) (*Named, error) {
	regs, err := c.All()
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = "default"
	}
	r, ok := regs[name]
	if !ok {
		hint := fmt.Sprintf("add it: meta registry add %s URL", name)
		if len(regs) > 0 {
			var names []string
			for n := range regs {
				names = append(names, n)
			}
			sort.Strings(names)
			hint += " (known: " + strings.Join(names, ", ") + ")"
		}
		return nil, Usagef(hint, "no registry named %q", name)
	}
	return r, nil
}

// Client builds a client for the named registry with the user's token,
// when there is one (META_REGISTRY_TOKEN overrides the stored one). warn
// hears when a read is answered from the cache.
func (c *Config) Client(name string, warn func(string)) (*Client, *Named, error) {
	r, err := c.Pick(name)
	if err != nil {
		return nil, nil, err
	}
	tok := c.Getenv("META_REGISTRY_TOKEN")
	if tok == "" {
		creds, err := c.credentials()
		if err != nil {
			return nil, nil, err
		}
		tok = creds[strings.TrimSuffix(r.URL, "/")]
	}
	r.LoggedIn = tok != ""
	p, err := c.Paths()
	if err != nil {
		return nil, nil, err
	}
	cl := &Client{
		URL:      r.URL,
		Token:    tok,
		HTTP:     &http.Client{Timeout: 10 * time.Minute},
		CacheDir: p.CacheDirFor(r.URL),
		Warn:     warn,
	}
	return cl, r, nil
}

// Login stores token for r in the user's credentials file, after checking
// that it looks like a token.
func (c *Config) Login(r *Named, token string) error {
	tok := strings.TrimSpace(token)
	if tok == "" {
		return Usagef("pipe the token in: echo \"$TOKEN\" | meta login", "no token on standard input")
	}
	if strings.ContainsAny(tok, " \t") || len(tok) > 4096 {
		return Usagef("paste the token exactly as 'meta registry token create' printed it", "that does not look like a token")
	}
	creds, err := c.credentials()
	if err != nil {
		return err
	}
	creds[strings.TrimSuffix(r.URL, "/")] = tok
	return c.saveCredentials(creds)
}

// Logout forgets the token stored for r, reporting whether there was one.
func (c *Config) Logout(r *Named) (bool, error) {
	creds, err := c.credentials()
	if err != nil {
		return false, err
	}
	key := strings.TrimSuffix(r.URL, "/")
	if _, ok := creds[key]; !ok {
		return false, nil
	}
	delete(creds, key)
	return true, c.saveCredentials(creds)
}

// Add remembers url under name in registries.yaml and returns the URL the
// name had before, if it had one.
func (c *Config) Add(name, url string) (old string, had bool, err error) {
	url = strings.TrimSuffix(url, "/")
	if err := manifest.CheckName(name); err != nil {
		return "", false, Usagef("", "registry name %q: %v", name, err)
	}
	if err := CheckURL(url); err != nil {
		return "", false, Usagef("give the registry's base URL, e.g. https://registry.acme.dev", "%v", err)
	}
	p, err := c.Paths()
	if err != nil {
		return "", false, err
	}
	regs, err := LoadRegistries(p.Registries)
	if err != nil {
		return "", false, err
	}
	old, had = regs[name]
	regs[name] = url
	return old, had, SaveRegistries(p.Registries, regs)
}

// Remove forgets a registry added with Add. Registries of the workspace
// manifest cannot be removed this way.
func (c *Config) Remove(name string) error {
	p, err := c.Paths()
	if err != nil {
		return err
	}
	regs, err := LoadRegistries(p.Registries)
	if err != nil {
		return err
	}
	if _, ok := regs[name]; !ok {
		ws, file, _ := c.Workspace()
		if _, inWS := ws[name]; inWS {
			return Usagef("edit 'registries:' in "+file, "registry %q comes from the workspace manifest", name)
		}
		return Usagef("see 'meta registry list'", "no registry named %q in %s", name, p.Registries)
	}
	delete(regs, name)
	return SaveRegistries(p.Registries, regs)
}

// credentials loads the user's tokens, with the fix for a file others can
// read.
func (c *Config) credentials() (map[string]string, error) {
	p, err := c.Paths()
	if err != nil {
		return nil, err
	}
	creds, err := LoadCredentials(p.Credentials)
	var pe *CredentialsPermError
	if errors.As(err, &pe) {
		return nil, Failf(fmt.Sprintf("chmod 600 %s", pe.File), "%v", err)
	}
	return creds, err
}

func (c *Config) saveCredentials(creds map[string]string) error {
	p, err := c.Paths()
	if err != nil {
		return err
	}
	return SaveCredentials(p.Credentials, creds)
}

// Explain adds the next step to an error from talking to registry r.
func (r *Named) Explain(err error) error {
	var ae *APIError
	if errors.As(err, &ae) {
		msg := fmt.Errorf("registry %s: %s", r.Name, ae.Detail)
		switch ae.Status {
		case http.StatusUnauthorized:
			return Failf(fmt.Sprintf("log in: meta login --registry %s (get a token from the registry's operator)", r.Name), "%v", msg)
		case http.StatusForbidden:
			return Failf("ask an owner to add you: meta registry owners NAME --add USER", "%v", msg)
		case http.StatusConflict:
			return Failf("published versions never change: tag and publish a new version", "%v", msg)
		case http.StatusTooManyRequests:
			return Failf("wait a moment and retry", "%v", msg)
		case http.StatusRequestEntityTooLarge:
			return Failf("shrink the component (export-ignore large files in .gitattributes) or ask for a larger --max-upload", "%v", msg)
		}
		return fmt.Errorf("%v (HTTP %d)", msg, ae.Status)
	}
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return Failf("nothing was written; tell the registry's operator", "%v", err)
	}
	if errors.Is(err, ErrPackageNotFound) {
		return Failf(fmt.Sprintf("search for it: meta search NAME --registry %s", r.Name), "%v", err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return Failf("is the registry running? check 'meta registry list'", "registry %s (%s): %v", r.Name, r.URL, err)
	}
	return err
}
