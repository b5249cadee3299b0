package manifest

import (
	"errors"
	"strings"
	"testing"
)

func TestNewComponentCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    NewComponent
		want string // "" when valid
	}{
		{"api", NewComponent{Repo: "../api", Version: "~0.3.0", DependsOn: []string{"lib:^1.2", "db"}}, ""},
		{"bad name!", NewComponent{Repo: "../api"}, "component name"},
		{"api", NewComponent{}, "needs --repo"},
		{"api", NewComponent{Repo: "../api", Version: "^1", Ref: "main"}, "not both"},
		{"api", NewComponent{Repo: "../api", Version: "^^1"}, "--version"},
		{"api", NewComponent{Repo: "../api", DependsOn: []string{"lib:>>1"}}, "--depends-on"},
		{"api", NewComponent{Repo: "../api", DependsOn: []string{"bad name"}}, "--depends-on"},
	} {
		err := tc.c.Check(tc.name)
		var ie *InputError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q %+v: %v, want valid", tc.name, tc.c, err)
		case tc.want != "" && (!errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) || ie.Hint == ""):
			t.Errorf("%q %+v: %v, want an InputError with a hint about %q", tc.name, tc.c, err, tc.want)
		}
	}
}

func TestNewComponentFields(t *testing.T) {
	f := NewComponent{Repo: "../api", Ref: "main", Groups: []string{"backend"}}.Fields()
	var keys []string
	for _, x := range f {
		keys = append(keys, x.Key)
	}
	if got := strings.Join(keys, ","); got != "repo,ref,groups" {
		t.Errorf("keys = %s, want repo,ref,groups", got)
	}
}

func TestLockForEdit(t *testing.T) {
	root := t.TempDir()
	unlock, err := LockForEdit(root)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	// Released: it can be taken again.
	unlock, err = LockForEdit(root)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
}
