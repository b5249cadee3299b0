package depscan

import "testing"

func TestLockTallySummary(t *testing.T) {
	for _, c := range []struct {
		t    LockTally
		want string
	}{
		{LockTally{Locked: 2}, "2 locked"},
		{LockTally{Locked: 1, Nothing: 1, Failed: 3}, "1 locked, 1 with nothing to lock, 3 failed"},
	} {
		if got := c.t.Summary(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.t, got, c.want)
		}
	}
}

func TestLicenseTextSummary(t *testing.T) {
	r := &LicenseReport{Components: []LicenseComponent{{Name: "api"}}}
	r.Summary.Packages, r.Summary.NotChecked = 1, 2
	want := "api: 0 packages\n  no lock files found\n1 package: 0 violations, 0 unknown; 2 lock files NOT CHECKED\n"
	if got := r.Text(nil); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
