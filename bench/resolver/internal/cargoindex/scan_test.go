package cargoindex

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jsonHeader is what encoding/json makes of a line: the reference the
// scanner must agree with.
func jsonHeader(line []byte) (rawHeader, error) {
	var h header
	err := json.Unmarshal(line, &h)
	return rawHeader{name: []byte(h.Name), vers: []byte(h.Vers), yanked: h.Yanked}, err
}

func TestParseHeader(t *testing.T) {
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	for _, tc := range []struct {
		line    string
		want    header
		fast    bool // the scanner answers without encoding/json
		wantErr bool
	}{
		{line: `{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"^1","features":[],"target":null,"kind":"normal"}],"cksum":"ab","features":{},"yanked":false}`, want: header{"a", "1.0.0", false}, fast: true},
		{line: " \t{ \"vers\" : \"2.0.0\" , \"yanked\" : true , \"n\": -1.5e+3 }\r", want: header{"", "2.0.0", true}, fast: true},
		{line: `{}`, fast: true},
		{line: `{"yanked":true,"yanked":null}`, want: header{Yanked: true}, fast: true},
		{line: `{"vers":"1","vers":"2","x":{"a":[1,{"b":"\u00e9\n"}]}}`, want: header{Vers: "2"}, fast: true},
		{line: `{"vers":null}`, fast: true},
		{line: `{"name":"ÿ","vers":"1"}`, want: header{"ÿ", "1", false}},                    // non-ASCII: encoding/json
		{line: `{"vers":"\u0031.0.0"}`, want: header{Vers: "1.0.0"}},                        // escape: encoding/json
		{line: `{"VERS":"1.0.0","Yanked":true}`, want: header{Vers: "1.0.0", Yanked: true}}, // case-folded keys
		{line: `{"vers":"1.0.0","deps":` + deep + `}`, want: header{Vers: "1.0.0"}},         // deeper than the scanner follows
		{line: `null`},
		{line: `{not json`, wantErr: true},
		{line: `{"vers":"1.0.0"`, wantErr: true},
		{line: `{"vers":"1.0.0"} trailing`, wantErr: true},
		{line: `{"vers":1}`, wantErr: true},
		{line: `{"yanked":"yes"}`, wantErr: true},
		{line: `{"vers":"1.0.0","n":01}`, wantErr: true},
		{line: `{"vers":"1.0.0","n":-}`, wantErr: true},
		{line: `{"vers":"1.0.0","s":"\x"}`, wantErr: true},
		{line: "{\"vers\":\"1.0\t0\"}", wantErr: true},
		{line: "{\"x\":\"a\nb\"}", wantErr: true}, // a control byte in a skipped string
		{line: `{"vers":"1.0.0",}`, wantErr: true},
		{line: `{"deps":[1,]}`, wantErr: true},
		{line: `[1,2]`, wantErr: true},
		{line: `{"vers":"` + strings.Repeat("9", 1<<20) + `"}`, want: header{Vers: strings.Repeat("9", 1<<20)}, fast: true},
	} {
		name := tc.line
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			h, err := parseHeader([]byte(tc.line))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if got := (header{string(h.name), string(h.vers), h.yanked}); !tc.wantErr && got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if _, ok := scanHeader([]byte(tc.line)); ok != tc.fast {
				t.Errorf("scanner answered: %v, want %v", ok, tc.fast)
			}
		})
	}
}

// TestIndexVersionsErrors checks that a line that does not parse is named
// by file and line, on the lazy listing and on reading an old entry again.
func TestIndexVersionsErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "3", "a", "abc")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := func(v int) string { return fmt.Sprintf(`{"name":"abc","vers":"1.%d.0","deps":[]}`, v) }
	for _, tc := range []struct{ content, want string }{
		{good(0) + "\n\n" + `{"name":"abc","vers":` + "\n", path + ":3:"},
		{good(0) + "\n" + `{"name":"abc","vers":7}`, path + ":2:"},
		{good(0) + "\n" + `{"yanked":"no"}`, path + ":2:"},
	} {
		write(tc.content)
		_, _, err := Dir(dir).IndexVersions(context.Background(), "abc")
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("IndexVersions of %q: %v, want an error starting %q", tc.content, err, tc.want)
		}
	}

	// Entries before the last line are read again from the file: one
	// that no longer parses is named, one that is gone is reported.
	var lines []string
	for v := range 3 {
		lines = append(lines, good(v))
	}
	write(strings.Join(lines, "\n"))
	heads, full, err := Dir(dir).IndexVersions(context.Background(), "abc")
	if err != nil || heads.Len() != 3 {
		t.Fatalf("IndexVersions: %d entries, %v", heads.Len(), err)
	}
	for i := range heads.Len() {
		if e, err := full(i); err != nil || e.Vers != heads.Vers(i) {
			t.Errorf("full(%d) = %+v, %v; want version %s", i, e, err, heads.Vers(i))
		}
	}
	write(`{"name":"abc","vers":"1.0.0","deps":[{"name":5}]}` + "\n" + good(1))
	if _, err := full(0); err == nil || !strings.HasPrefix(err.Error(), path+":1:") {
		t.Errorf("full(0) of a changed line: %v, want an error naming %s:1", err, path)
	}

	// A last line that lists but does not read in full fails when its
	// entry is asked for, not before.
	write(good(0) + "\n" + `{"name":"abc","vers":"1.0.0","deps":[{"name":5}]}`)
	if _, full, err := Dir(dir).IndexVersions(context.Background(), "abc"); err != nil {
		t.Errorf("IndexVersions of a file whose last line is bad in its deps: %v", err)
	} else if _, err := full(1); err == nil || !strings.HasPrefix(err.Error(), path+":2:") {
		t.Errorf("full(1) of a bad last line: %v, want an error naming %s:2", err, path)
	}

	// The last line is read in full with the listing, and served from
	// memory the first time full asks for it; after that the file is
	// read again.
	write(strings.Join(lines, "\n"))
	_, full, err = Dir(dir).IndexVersions(context.Background(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	write(good(0))
	if _, err := full(2); err != nil {
		t.Errorf("full of a kept line read the file again: %v", err)
	}
	if _, err := full(2); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("full of a kept line read twice: %v, want the file read again and found changed", err)
	}
	if _, err := full(1); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("full(1) of a shortened file: %v, want an error saying it changed", err)
	}
}

// TestReadBound checks that a file over maxIndexFile is refused.
func TestReadBound(t *testing.T) {
	r := strings.NewReader(strings.Repeat("x", maxIndexFile+2))
	if _, err := readFrom(r, nil); err == nil {
		t.Error("a file over the bound was read")
	}
	data, err := readFrom(strings.NewReader(strings.Repeat("y", minBuf+5)), make([]byte, 0, 3))
	if err != nil || len(data) != minBuf+5 {
		t.Errorf("readFrom: %d bytes, %v; want %d", len(data), err, minBuf+5)
	}
}

// FuzzParseHeader checks the scanner against encoding/json: the same
// name, version and yanked flag, and an error exactly when it errs.
func FuzzParseHeader(f *testing.F) {
	f.Add(`{"name":"a","vers":"1.0.0","deps":[{"name":"b","req":"^1","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}],"cksum":"ab","features":{},"yanked":false}`)
	f.Add(`{"vers":"1","yanked":true,"x":[{"y":-0.5E-2},"\ud800",null,false]}`)
	f.Add(`{"Name":"a","vERS":"1"}`)
	f.Add(`{"vers":"1.0.0","n":01}`)
	f.Add(` {} `)
	f.Add(`{"vers":"a\u0000"}`)
	f.Fuzz(func(t *testing.T, line string) {
		want, wantErr := jsonHeader([]byte(line))
		got, err := parseHeader([]byte(line))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseHeader error %v, encoding/json %v", err, wantErr)
		}
		if err == nil && (string(got.name) != string(want.name) || string(got.vers) != string(want.vers) || got.yanked != want.yanked) {
			t.Fatalf("parseHeader = %q %q %v, encoding/json %q %q %v", got.name, got.vers, got.yanked, want.name, want.vers, want.yanked)
		}
		if h, ok := scanHeader([]byte(line)); ok && (wantErr != nil || string(h.name) != string(want.name) || string(h.vers) != string(want.vers) || h.yanked != want.yanked) {
			t.Fatalf("scanner answered %q %q %v; encoding/json %q %q %v, %v", h.name, h.vers, h.yanked, want.name, want.vers, want.yanked, wantErr)
		}
	})
}

// BenchmarkScanHeader scans lines shaped like those cargo_compare.sh
// writes (three dependencies each), as listing a package does.
func BenchmarkScanHeader(b *testing.B) {
	dep := `{"name":"gen-09695","req":"^1.0.0","features":[],"optional":false,"default_features":true,"target":null,"kind":"normal"}`
	line := []byte(`{"name":"gen-09681","vers":"1.0.0","deps":[` + dep + "," + dep + "," + dep + `],"cksum":"b815add1898c45ef8c38239d8c2df2a3d1dc0cf76d2cc2d7d26850ef849b5091","features":{},"yanked":false}`)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, ok := scanHeader(line); !ok {
			b.Fatal("not scanned")
		}
	}
}
