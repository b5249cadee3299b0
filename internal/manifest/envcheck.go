package manifest

import (
	"fmt"
	"strings"

	"github.com/metawork/meta/internal/yamlpos"
)

// UnknownEnvError is an environment name the manifest does not know: a
// mistake in how meta was called (Usage), with the known ones in its hint.
type UnknownEnvError struct {
	Env   string
	Known []string
}

func (e *UnknownEnvError) Error() string { return fmt.Sprintf("unknown environment %q", e.Env) }
func (e *UnknownEnvError) Usage() bool   { return true }

// Hint lists the known environments, after the closest one.
func (e *UnknownEnvError) Hint() string {
	hint := "known environments: " + strings.Join(e.Known, ", ") + "; declare others under 'environments:' in " + ManifestPath + " (or " + EnvironmentsPath + ")"
	if s := yamlpos.Suggest(e.Env, e.Known); s != "" {
		hint = fmt.Sprintf("did you mean %q? %s", s, hint)
	}
	return hint
}

// CheckEnv is nil when env is "" (no environment) or one of m's
// environments, else an *UnknownEnvError.
func (m *Manifest) CheckEnv(env string) error {
	if env == "" || m.HasEnvironment(env) {
		return nil
	}
	return &UnknownEnvError{Env: env, Known: m.KnownEnvironments()}
}
