package regindex

import (
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"a", true}, {"auth-lib", true}, {"auth_lib2", true},
		{"", false}, {"Auth", false}, {"1abc", false}, {"-a", false}, {"a/b", false},
		{"../x", false}, {"a.b", false}, {"a b", false}, {strings.Repeat("a", 65), false},
	} {
		if err := ValidateName(tc.name); (err == nil) != tc.ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"1.2.3", true}, {"0.0.0", true}, {"1.2.3-rc.1", true}, {"1.2.3+build.5", true}, {"1.2.3-alpha-1+x", true},
		{"v1.2.3", false}, {"1.2", false}, {"01.2.3", false}, {"1.2.3-", false}, {"1.2.3-01", false},
		{"1.2.3+", false}, {"1.2.x", false}, {"", false}, {"1.2.3.4", false}, {"99999999999999999999.0.0", false},
	} {
		v, err := ParseVersion(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseVersion(%q) = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if err == nil && v.String() != tc.in {
			t.Errorf("ParseVersion(%q).String() = %q", tc.in, v.String())
		}
	}
	order := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"}
	for i := 0; i+1 < len(order); i++ {
		if c := CompareVersions(order[i], order[i+1]); c >= 0 {
			t.Errorf("CompareVersions(%s, %s) = %d, want < 0", order[i], order[i+1], c)
		}
		if c := CompareVersions(order[i+1], order[i]); c <= 0 {
			t.Errorf("CompareVersions(%s, %s) = %d, want > 0", order[i+1], order[i], c)
		}
	}
}

func TestIndexPath(t *testing.T) {
	for in, want := range map[string]string{"a": "1/a", "ab": "2/ab", "abc": "3/a/abc", "abcd": "ab/cd/abcd", "auth-lib": "au/th/auth-lib"} {
		if got := IndexPath(in); got != want {
			t.Errorf("IndexPath(%q) = %q, want %q", in, got, want)
		}
	}
}

const sum1 = "1111111111111111111111111111111111111111111111111111111111111111"

func TestParseIndex(t *testing.T) {
	good := `{"name":"lib","vers":"1.1.0","deps":[{"name":"base","req":"^1"}],"tools":["go@1.22"],"cksum":"` + sum1 + `","yanked":false,"v":1}
` + "\n" + `{"name":"lib","vers":"1.0.0","deps":[],"tools":[],"cksum":"` + sum1 + `","yanked":true,"v":1}
{"name":"lib","vers":"9.0.0","cksum":"zz","v":2}
`
	es, err := ParseIndex("lib", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Vers != "1.0.0" || !es[0].Yanked || es[1].Deps[0].Req != "^1" {
		t.Fatalf("ParseIndex = %+v", es)
	}
	// A yank covers every version equal in precedence (build metadata).
	meta := `{"name":"lib","vers":"1.0.0+a","cksum":"` + sum1 + `","yanked":true}
{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `"}
{"name":"lib","vers":"1.0.0+b","cksum":"` + sum1 + `"}
{"name":"lib","vers":"1.0.1+a","cksum":"` + sum1 + `"}
`
	ms, err := ParseIndex("lib", []byte(meta))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ms {
		if e.Yanked != strings.HasPrefix(e.Vers, "1.0.0") {
			t.Errorf("%s: yanked = %v", e.Vers, e.Yanked)
		}
	}
	// Round trip.
	again, err := ParseIndex("lib", FormatIndex(es))
	if err != nil || len(again) != 2 || again[1].Tools[0] != "go@1.22" {
		t.Fatalf("round trip: %v %+v", err, again)
	}
	for name, bad := range map[string]string{
		"not json":      "{",
		"other package": `{"name":"other","vers":"1.0.0","cksum":"` + sum1 + `"}`,
		"bad version":   `{"name":"lib","vers":"1.0","cksum":"` + sum1 + `"}`,
		"bad checksum":  `{"name":"lib","vers":"1.0.0","cksum":"abc"}`,
		"duplicate":     `{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `"}` + "\n" + `{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `"}`,
		"bad dep":       `{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `","deps":[{"name":"../x","req":"*"}]}`,
		"two values":    `{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `"} {}`,
	} {
		if _, err := ParseIndex("lib", []byte(bad)); err == nil {
			t.Errorf("%s: ParseIndex accepted %q", name, bad)
		}
	}
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(`{"name":"lib","vers":"1.0.0","deps":[],"tools":[],"cksum":"` + sum1 + `","yanked":false,"v":1}` + "\n"))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"name":"lib","vers":"1.0.0","cksum":"` + sum1 + `","yanked":true}` + "\n" + `{"name":"lib","vers":"1.0.0+evil","cksum":"` + sum1 + `"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := ParseIndex("lib", data)
		if err != nil {
			return
		}
		again, err := ParseIndex("lib", FormatIndex(es))
		if err != nil || len(again) != len(es) {
			t.Fatalf("formatted index does not parse back: %v", err)
		}
	})
}
