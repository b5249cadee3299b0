package manifest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// BuiltinEnvironments are known in every workspace without being declared
// (the earlier meta tool's documentation runs 'meta lock --env dev' on
// manifests that declare none). Declaring one adds overrides to it.
var BuiltinEnvironments = []string{"dev", "staging", "prod"}

// HasEnvironment reports whether env is declared or built in.
func (m *Manifest) HasEnvironment(env string) bool {
	if _, ok := m.Environments[env]; ok {
		return true
	}
	return slices.Contains(BuiltinEnvironments, env)
}

// KnownEnvironments lists the built-in environments, then the declared
// ones in file order.
func (m *Manifest) KnownEnvironments() []string {
	out := slices.Clone(BuiltinEnvironments)
	for _, e := range m.EnvOrder {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// LoadAll is Load reporting every problem ParseAll finds in the manifest,
// then those of the environments and features files.
func LoadAll(dir string) (*Manifest, []error) {
	file := filepath.Join(dir, ManifestPath)
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, []error{err}
	}
	m, errs := ParseAll(dir, ManifestPath, data)
	if len(errs) > 0 {
		return nil, errs
	}
	m.File = file
	for _, f := range []struct {
		path  string
		parse func(string, []byte) error
	}{{EnvironmentsPath, m.parseEnvironmentsFile}, {FeaturesPath, m.parseFeaturesFile}} {
		data, err := os.ReadFile(filepath.Join(dir, f.path))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			err = f.parse(f.path, data)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return m, nil
}
