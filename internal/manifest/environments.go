package manifest

import "slices"

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
