package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/atomicfile"
	"github.com/metawork/meta/internal/yamlpos"
)

// Paths are where the client keeps its configuration, credentials and cache.
type Paths struct {
	Registries  string // registries.yaml: name → URL
	Credentials string // credentials.yaml: URL → token, 0600
	Cache       string // directory for index caches
}

// DefaultPaths follows the XDG base directories: $XDG_CONFIG_HOME/meta and
// $XDG_CACHE_HOME/meta/registry, falling back to ~/.config and ~/.cache.
func DefaultPaths(getenv func(string) string) (Paths, error) {
	home := getenv("HOME")
	cfg := getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if home == "" {
			return Paths{}, errors.New("neither XDG_CONFIG_HOME nor HOME is set")
		}
		cfg = filepath.Join(home, ".config")
	}
	cache := getenv("XDG_CACHE_HOME")
	if cache == "" {
		if home == "" {
			return Paths{}, errors.New("neither XDG_CACHE_HOME nor HOME is set")
		}
		cache = filepath.Join(home, ".cache")
	}
	return Paths{
		Registries:  filepath.Join(cfg, "meta", "registries.yaml"),
		Credentials: filepath.Join(cfg, "meta", "credentials.yaml"),
		Cache:       filepath.Join(cache, "meta", "registry"),
	}, nil
}

// CacheDirFor is the index cache directory for one registry URL.
func (p Paths) CacheDirFor(registryURL string) string {
	u := strings.TrimSuffix(registryURL, "/")
	return filepath.Join(p.Cache, hashToken(u)[:16])
}

// CheckURL accepts an http(s) registry base URL without credentials.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("registry URL %q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("registry URL %q is not an http(s) URL with a host", raw)
	}
	if u.User != nil {
		return fmt.Errorf("registry URL %q carries credentials; use 'meta login' instead", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("registry URL %q must not have a query or fragment", raw)
	}
	return nil
}

// LoadRegistries reads registries.yaml; a missing file is an empty map.
func LoadRegistries(file string) (map[string]string, error) {
	return loadStringMap(file, "registries", false)
}

// SaveRegistries writes registries.yaml atomically.
func SaveRegistries(file string, regs map[string]string) error {
	return saveStringMap(file, "# meta's registries: meta registry add|remove edit this file.\n", "registries", regs, 0o644)
}

// CredentialsPermError is a credentials file others can read.
type CredentialsPermError struct {
	File string
	Mode fs.FileMode
}

func (e *CredentialsPermError) Error() string {
	return fmt.Sprintf("%s has permissions %04o; a credentials file must be readable by its owner only", e.File, e.Mode.Perm())
}

// LoadCredentials reads credentials.yaml (registry URL → token). A missing
// file is an empty map; a file with group or other permissions is refused
// with a *CredentialsPermError.
func LoadCredentials(file string) (map[string]string, error) {
	return loadStringMap(file, "tokens", true)
}

// SaveCredentials writes credentials.yaml atomically with mode 0600.
func SaveCredentials(file string, creds map[string]string) error {
	return saveStringMap(file, "# meta registry tokens: keep this file private (0600).\n", "tokens", creds, 0o600)
}

func loadStringMap(file, key string, private bool) (map[string]string, error) {
	out := map[string]string{}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if private && st.Mode().Perm()&0o077 != 0 {
		return nil, &CredentialsPermError{File: file, Mode: st.Mode()}
	}
	data := make([]byte, 0, st.Size())
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			break
		}
		if len(data) > 4<<20 {
			return nil, fmt.Errorf("%s is larger than 4 MiB", file)
		}
	}
	root, err := yamlpos.Parse(file, data)
	if err != nil {
		return nil, err
	}
	if root.Kind == yamlpos.Null {
		return out, nil
	}
	if root.Kind != yamlpos.Map {
		return nil, yamlpos.Errorf(file, root, "expected a mapping with %q, found %s", key, root.Kind)
	}
	m := root.Get(key)
	if m == nil || m.Kind == yamlpos.Null {
		return out, nil
	}
	if m.Kind != yamlpos.Map {
		return nil, yamlpos.Errorf(file, m, "%s: expected a mapping, found %s", key, m.Kind)
	}
	for i, k := range m.Keys {
		v := m.Values[i]
		if v.Kind != yamlpos.Scalar {
			return nil, yamlpos.Errorf(file, v, "%s.%s: expected a string, found %s", key, k.Value, v.Kind)
		}
		out[k.Value] = v.Value
	}
	return out, nil
}

func saveStringMap(file, header, key string, m map[string]string, perm os.FileMode) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(header)
	b.WriteString(key + ":")
	if len(keys) == 0 {
		b.WriteString(" {}")
	}
	b.WriteString("\n")
	for _, k := range keys {
		// JSON strings are valid YAML double-quoted scalars.
		kq, _ := json.Marshal(k)
		vq, _ := json.Marshal(m[k])
		fmt.Fprintf(&b, "  %s: %s\n", kq, vq)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(file, []byte(b.String()), perm)
}
