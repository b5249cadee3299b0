// Package userconfig owns the user's own meta settings file,
// $XDG_CONFIG_HOME/meta/config.yaml (default jobs, colour, cache remote,
// tool sources), as opposed to the team's workspace manifest.
package userconfig

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/metawork/meta/internal/yamlpos"
)

// Path returns the config file for a getenv function ("" when neither
// XDG_CONFIG_HOME nor HOME is set).
func Path(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home := getenv("HOME"); home != "" {
			dir = filepath.Join(home, ".config")
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "meta", "config.yaml")
}

// Config is what meta itself reads from the file.
type Config struct {
	Jobs  int    // 0: not set
	Color string // "", "auto", "always" or "never"
	// CacheRemote is cache.remote: the remote build cache, which wins over
	// the workspace manifest's (META_CACHE_REMOTE and --remote-cache win
	// over it).
	CacheRemote string
}

// Load reads the file at path; a missing file is an empty Config.
func Load(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	root, err := yamlpos.Parse(path, data)
	if err != nil {
		return c, err
	}
	if root.Kind == yamlpos.Null {
		return c, nil
	}
	if root.Kind != yamlpos.Map {
		return c, yamlpos.Errorf(path, root, "expected a mapping of settings")
	}
	if v := root.Get("jobs"); v != nil {
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 1 || n > 1024 {
			return c, yamlpos.Errorf(path, v, "jobs must be a whole number from 1 to 1024, found %q", v.Value)
		}
		c.Jobs = n
	}
	if v := root.Get("color"); v != nil {
		switch v.Value {
		case "auto", "always", "never":
			c.Color = v.Value
		default:
			return c, yamlpos.Errorf(path, v, "color must be auto, always or never, found %q", v.Value)
		}
	}
	if cache := root.Get("cache"); cache != nil && cache.Kind != yamlpos.Null {
		if cache.Kind != yamlpos.Map {
			return c, yamlpos.Errorf(path, cache, "cache must be a mapping (remote, max_age, max_size)")
		}
		if v := cache.Get("remote"); v != nil && v.Kind != yamlpos.Null {
			if v.Kind != yamlpos.Scalar {
				return c, yamlpos.Errorf(path, v, "cache.remote must be a URL")
			}
			c.CacheRemote = v.Value
		}
	}
	return c, nil
}
