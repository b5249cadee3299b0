package registry

import (
	"archive/tar"
	"bytes"
	"errors"
	"testing"
	"time"
)

const sum1 = "1111111111111111111111111111111111111111111111111111111111111111"

func TestPublishBody(t *testing.T) {
	body, err := EncodePublish(PublishMeta{Name: "lib", Vers: "1.0.0"}, []byte("tarball"))
	if err != nil {
		t.Fatal(err)
	}
	m, tb, err := DecodePublish(bytes.NewReader(body), 100)
	if err != nil || m.Name != "lib" || string(tb) != "tarball" {
		t.Fatalf("DecodePublish = %+v %q %v", m, tb, err)
	}
	if _, _, err := DecodePublish(bytes.NewReader(body), 3); !errors.As(err, new(*TooLargeError)) {
		t.Errorf("oversized tarball: %v", err)
	}
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"truncated": body[:len(body)-2],
		"trailing":  append(bytes.Clone(body), 'x'),
		"bad json":  {1, 0, 0, 0, '{', 0, 0, 0, 0},
		"unknown":   append([]byte{9, 0, 0, 0}, []byte(`{"x":"y"}`)...),
		"huge meta": {0xff, 0xff, 0xff, 0xff},
	} {
		if _, _, err := DecodePublish(bytes.NewReader(bad), 100); err == nil {
			t.Errorf("%s: DecodePublish accepted it", name)
		}
	}
}

func FuzzDecodePublish(f *testing.F) {
	body, _ := EncodePublish(PublishMeta{Name: "lib", Vers: "1.0.0", Cksum: sum1}, []byte("x"))
	f.Add(body)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, tb, err := DecodePublish(bytes.NewReader(data), 1<<16)
		if err != nil {
			return
		}
		again, err := EncodePublish(m, tb)
		if err != nil {
			t.Fatal(err)
		}
		m2, tb2, err := DecodePublish(bytes.NewReader(again), 1<<16)
		if err != nil || m2 != m || !bytes.Equal(tb, tb2) {
			t.Fatalf("re-encoded body differs: %v", err)
		}
	})
}

// entry is one tar entry for makeTarball.
type entry struct {
	name, body, link string
	typ              byte
}

// makeTarball writes entries as a well-formed gzip-compressed tarball.
func makeTarball(t testing.TB, entries ...entry) []byte {
	t.Helper()
	return gz(t, rawTar(t, true, entries...))
}

func comp(name string) entry {
	return entry{name: "component.yaml", body: "name: " + name + "\ndepends_on: [\"base:^1.0.0\"]\ntools: [go@1.22]\n"}
}

func TestInspectTarball(t *testing.T) {
	ok := map[string][]entry{
		"plain":          {comp("lib"), {name: "src/", typ: tar.TypeDir}, {name: "src/a.go", body: "package a"}},
		"inner symlink":  {comp("lib"), {name: "src/a.go", body: "x"}, {name: "link", typ: tar.TypeSymlink, link: "src/a.go"}},
		"sibling link":   {comp("lib"), {name: "d/e/f", body: "x"}, {name: "d/l", typ: tar.TypeSymlink, link: "../d/e/f"}},
		"hard link":      {comp("lib"), {name: "a", body: "x"}, {name: "b", typ: tar.TypeLink, link: "a"}},
		"dot slash root": {{name: "./", typ: tar.TypeDir}, {name: "./component.yaml", body: "name: lib\n"}},
	}
	for name, es := range ok {
		if _, err := InspectTarball(makeTarball(t, es...)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string][]entry{
		"dotdot":              {comp("lib"), {name: "../evil", body: "x"}},
		"inner dotdot":        {comp("lib"), {name: "a/../../evil", body: "x"}},
		"absolute":            {comp("lib"), {name: "/etc/passwd", body: "x"}},
		"symlink out":         {comp("lib"), {name: "l", typ: tar.TypeSymlink, link: "../../etc"}},
		"absolute symlink":    {comp("lib"), {name: "l", typ: tar.TypeSymlink, link: "/etc"}},
		"symlink chain out":   {comp("lib"), {name: "d/a", typ: tar.TypeSymlink, link: ".."}, {name: "d/b", typ: tar.TypeSymlink, link: "a/.."}},
		"entry below symlink": {comp("lib"), {name: "l", typ: tar.TypeSymlink, link: "."}, {name: "l/x", body: "x"}},
		"hard link out":       {comp("lib"), {name: "b", typ: tar.TypeLink, link: "../a"}},
		"device":              {comp("lib"), {name: "dev", typ: tar.TypeChar}},
		"no component.yaml":   {{name: "README", body: "x"}},
		"duplicate":           {comp("lib"), comp("lib")},
		"component symlink":   {{name: "x.yaml", body: "name: lib\n"}, {name: "component.yaml", typ: tar.TypeSymlink, link: "x.yaml"}},
	}
	for name, es := range bad {
		_, err := InspectTarball(makeTarball(t, es...))
		var te *TarballError
		if !errors.As(err, &te) {
			t.Errorf("%s: InspectTarball = %v, want a TarballError", name, err)
		}
	}
	if _, err := InspectTarball([]byte("not gzip")); err == nil {
		t.Error("non-gzip accepted")
	}
	good := makeTarball(t, comp("lib"))
	if _, err := InspectTarball(good[:len(good)-10]); err == nil {
		t.Error("truncated tarball accepted")
	}
}

func FuzzInspectTarball(f *testing.F) {
	f.Add(makeTarball(f, comp("lib")))
	f.Add(makeTarball(f, comp("lib"), entry{name: "l", typ: tar.TypeSymlink, link: "a/../b"}))
	f.Add(multiMember(f))
	f.Add(gz(f, rawTar(f, true, comp("lib")), []byte("after the end")))
	f.Add(gz(f, rawTar(f, true, comp("lib"), entry{name: ".git/config", body: "[core]\n"})))
	f.Add(gz(f, rawTar(f, true, comp("lib"), entry{name: "sub/up", typ: tar.TypeSymlink, link: ".."}, entry{name: "sub/u1", typ: tar.TypeSymlink, link: "up/.."})))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := InspectTarball(data)
		if err == nil && c == nil {
			t.Fatal("accepted without a component.yaml")
		}
	})
}

func TestParseComponent(t *testing.T) {
	c, err := ParseComponent("component.yaml", []byte("name: lib\ndescription: A lib\ndepends_on: [\"base:^1.0.0\", other]\ntools: [go@1.22]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "lib" || c.Description != "A lib" || len(c.Deps) != 2 || c.Deps[1].Req != "*" || c.Tools[0] != "go@1.22" {
		t.Fatalf("ParseComponent = %+v", c)
	}
	for name, bad := range map[string]string{
		"no name":   "depends_on: []\n",
		"syntax":    "name: [\n",
		"not a map": "- a\n",
		"bad dep":   "name: lib\ndepends_on: [\"../x\"]\n",
		"upper":     "name: Lib\n",
	} {
		if _, err := ParseComponent("component.yaml", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLimiter(2, 3, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("k"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait := l.allow("k")
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%v, want refused with 500ms", ok, wait)
	}
	if ok, _ := l.allow("other"); !ok {
		t.Fatal("another key shares the bucket")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.allow("k"); !ok {
		t.Fatal("refill did not happen")
	}
}
