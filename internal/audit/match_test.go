package audit

import (
	"strings"
	"testing"
)

func mustVersion(t *testing.T, eco, v string) Version {
	t.Helper()
	pv, err := ParseVersion(eco, v)
	if err != nil {
		t.Fatal(err)
	}
	return pv
}

func ev(kind, v string) Event {
	switch kind {
	case "i":
		return Event{Introduced: v}
	case "f":
		return Event{Fixed: v}
	case "l":
		return Event{LastAffected: v}
	}
	return Event{Limit: v}
}

func TestAffects(t *testing.T) {
	tests := []struct {
		name     string
		eco      string
		aff      Affected
		versions map[string]bool // version → affected
	}{
		{"introduced zero, fixed", "npm", Affected{Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{ev("i", "0"), ev("f", "4.17.21")}}}},
			map[string]bool{"0.0.1": true, "4.17.20": true, "4.17.21": false, "5.0.0": false, "4.17.21-rc.1": true}},
		{"re-introduced after a fix", "Go", Affected{Ranges: []Range{{Type: "SEMVER", Events: []Event{ev("i", "0"), ev("f", "1.23.7"), ev("i", "1.24.0-0"), ev("f", "1.24.1")}}}},
			map[string]bool{"v1.22.0": true, "1.23.7": false, "1.23.9": false, "1.24.0-rc.1": true, "v1.24.0": true, "1.24.1": false}},
		{"events out of order are sorted", "crates.io", Affected{Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{ev("f", "1.13.1"), ev("i", "1.9.0")}}}},
			map[string]bool{"1.8.4": false, "1.9.0": true, "1.13.0": true, "1.13.1": false}},
		{"last_affected is inclusive", "npm", Affected{Ranges: []Range{{Type: "SEMVER", Events: []Event{ev("i", "1.0.0"), ev("l", "1.2.5")}}}},
			map[string]bool{"0.9.0": false, "1.0.0": true, "1.2.5": true, "1.2.6": false}},
		{"limit bounds the range", "npm", Affected{Ranges: []Range{{Type: "SEMVER", Events: []Event{ev("i", "0"), ev("x", "2.0.0")}}}},
			map[string]bool{"1.9.9": true, "2.0.0": false, "3.0.0": false}},
		{"explicit versions", "PyPI", Affected{Versions: []string{"2.20.0", "2.21"}},
			map[string]bool{"2.20.0": true, "2.21.0": true, "2.20.1": false}},
		{"PEP 440 ordering", "PyPI", Affected{Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{ev("i", "2.3.0"), ev("f", "2.31.0")}}}},
			map[string]bool{"2.20.0": true, "2.3": true, "2.31.0rc1": true, "2.31": false, "2.31.0.post1": false, "2.2.9": false}},
		{"GIT ranges cannot be evaluated", "npm", Affected{Ranges: []Range{{Type: "GIT", Events: []Event{ev("i", "0")}}}},
			map[string]bool{"1.0.0": false}},
		{"two ranges are ORed", "npm", Affected{Ranges: []Range{
			{Type: "SEMVER", Events: []Event{ev("i", "0"), ev("f", "0.2.4")}},
			{Type: "SEMVER", Events: []Event{ev("i", "1.0.0"), ev("f", "1.2.6")}}}},
			map[string]bool{"0.2.3": true, "0.2.4": false, "1.2.5": true, "1.2.6": false}},
	}
	for _, tt := range tests {
		for v, want := range tt.versions {
			if got := tt.aff.Affects(mustVersion(t, tt.eco, v)); got != want {
				t.Errorf("%s: %s %s affected = %v, want %v", tt.name, tt.eco, v, got, want)
			}
		}
	}
}

func TestMatchesNamesAndEntries(t *testing.T) {
	r := &Record{ID: "X-1", Affected: []Affected{
		{Package: AffectedPackage{Ecosystem: "PyPI", Name: "Zope.Interface"}, Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{ev("i", "0"), ev("f", "5.0")}}}},
		{Package: AffectedPackage{Ecosystem: "Debian:11", Name: "zope-interface"}, Versions: []string{"4.0"}},
		{Package: AffectedPackage{Ecosystem: "PyPI", Name: "zope_interface"}, Ranges: []Range{{Type: "ECOSYSTEM", Events: []Event{ev("i", "6.0"), ev("f", "6.1")}}}},
	}}
	for v, want := range map[string]bool{"4.0": true, "5.0": false, "6.0.1": true, "6.1": false} {
		got, fixed := r.Matches("PyPI", "zope-interface", mustVersion(t, "PyPI", v))
		if got != want {
			t.Errorf("zope-interface %s: %v, want %v (fixed %v)", v, got, want, fixed)
		}
	}
	_, fixed := r.Matches("PyPI", "zope.interface", mustVersion(t, "PyPI", "4.0"))
	if strings.Join(fixed, ",") != "5.0" {
		t.Errorf("fixed = %v, want [5.0]", fixed)
	}
	r.Withdrawn = "2024-01-01T00:00:00Z"
	if ok, _ := r.Matches("PyPI", "zope-interface", mustVersion(t, "PyPI", "4.0")); ok {
		t.Error("a withdrawn record matched")
	}
}

func TestParseVersionUnsupported(t *testing.T) {
	if _, err := ParseVersion("Hackage", "1.0"); err == nil || !strings.Contains(err.Error(), "unsupported") {
		t.Errorf("err = %v, want unsupported ecosystem", err)
	}
	if _, err := ParseVersion("npm", ""); err == nil {
		t.Error("empty version parsed")
	}
}

func TestCVSS3BaseScore(t *testing.T) {
	tests := []struct {
		vector string
		score  float64
		sev    Severity
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, SeverityHigh},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N", 6.1, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N", 5.9, SeverityMedium},
		{"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", 5.6, SeverityMedium},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, SeverityMedium},
		{"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 3.3, SeverityLow},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10, SeverityCritical},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0, SeverityNone},
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O", 9.8, SeverityCritical},
	}
	for _, tt := range tests {
		got, err := CVSS3BaseScore(tt.vector)
		if err != nil || got != tt.score || ratingOf(got) != tt.sev {
			t.Errorf("%s = %v (%v), %v; want %v (%v)", tt.vector, got, ratingOf(got), err, tt.score, tt.sev)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:N/AC:L", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AVN"} {
		if _, err := CVSS3BaseScore(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		json string
		want Severity
		from string
	}{
		{`{"id":"A","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"database_specific":{"severity":"LOW"}}`, SeverityCritical, "CVSS_V3"},
		{`{"id":"A","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],"database_specific":{"severity":"MODERATE"}}`, SeverityMedium, "database"},
		{`{"id":"A","severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N"}]}`, SeverityUnknown, ""},
		{`{"id":"A","affected":[{"package":{"ecosystem":"npm","name":"x"},"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N"}]}]}`, SeverityLow, "CVSS_V3"},
		{`{"id":"A","database_specific":{"severity":["odd"]}}`, SeverityUnknown, ""},
	}
	for _, tt := range tests {
		r, err := ParseRecord([]byte(tt.json))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Rate(); got.Severity != tt.want || got.From != tt.from {
			t.Errorf("%s: %+v, want %v from %q", tt.json, got, tt.want, tt.from)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]Severity{"LOW": SeverityLow, "moderate": SeverityMedium, "Medium": SeverityMedium, "high": SeverityHigh, "CRITICAL": SeverityCritical, "none": SeverityNone} {
		if got, err := ParseSeverity(in); err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("no error for severe")
	}
}

func TestParseRecordErrors(t *testing.T) {
	for _, bad := range []string{``, `[]`, `{"id":""}`, `{"id":"X","affected":[{}]}`, `{"id":"X","affected":"no"}`} {
		if _, err := ParseRecord([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	r, err := ParseRecord([]byte(`{"id":"X","future_field":{"a":1},"affected":[{"package":{"ecosystem":"SwiftURL","name":"p"},"new":1}]}`))
	if err != nil || r.ID != "X" {
		t.Fatalf("unknown fields: %v", err)
	}
}

// FuzzParseRecord checks that any input either fails to parse or yields a
// record that can be matched and rated without panicking.
func FuzzParseRecord(f *testing.F) {
	f.Add([]byte(`{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.2.3"},{"introduced":"1.3.0-0"},{"last_affected":"1.4.0"},{"limit":"2"}]}],"versions":["1.0.0"]}],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}`))
	f.Add([]byte(`{"id":"PYSEC-1","affected":[{"package":{"ecosystem":"PyPI","name":"Req_uests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1!2.0.post1"},{"fixed":"2.31rc1"}]}]}]}`))
	f.Add([]byte(`{"id":"A","affected":[{"package":{"ecosystem":"crates.io","name":"t"},"ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"x"},{"introduced":"y"}]}]}],"database_specific":{"severity":"HIGH"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseRecord(data)
		if err != nil {
			return
		}
		r.Rate()
		for _, a := range r.Affected {
			eco := baseEcosystem(a.Package.Ecosystem)
			if !Supported(eco) {
				continue
			}
			for _, v := range []string{"0.0.1", "1.2.3", "v1.3.0", "2.31.0", "1.0.0-rc.1"} {
				if pv, err := ParseVersion(eco, v); err == nil {
					r.Matches(eco, a.Package.Name, pv)
				}
			}
		}
	})
}
