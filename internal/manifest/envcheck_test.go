package manifest

import (
	"errors"
	"testing"
)

func TestCheckEnv(t *testing.T) {
	m, err := Parse(t.TempDir(), ManifestPath, []byte("environments:\n  qa: {}\ncomponents: {}\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env, msg, hint string
	}{
		{env: ""},
		{env: "prod"},
		{env: "qa"},
		{env: "prdo", msg: `unknown environment "prdo"`,
			hint: `did you mean "prod"? known environments: dev, staging, prod, qa; declare others under 'environments:' in ` + ManifestPath + " (or " + EnvironmentsPath + ")"},
		{env: "zzzzzz", msg: `unknown environment "zzzzzz"`,
			hint: "known environments: dev, staging, prod, qa; declare others under 'environments:' in " + ManifestPath + " (or " + EnvironmentsPath + ")"},
	} {
		err := m.CheckEnv(tc.env)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("CheckEnv(%q) = %v, want nil", tc.env, err)
			}
			continue
		}
		var ue *UnknownEnvError
		if !errors.As(err, &ue) || !ue.Usage() || err.Error() != tc.msg || ue.Hint() != tc.hint {
			t.Errorf("CheckEnv(%q) = %v (hint %q), want %q (hint %q)", tc.env, err, ue.Hint(), tc.msg, tc.hint)
		}
	}
}
