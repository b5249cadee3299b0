package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/metawork/meta/internal/progress"
	"github.com/metawork/meta/internal/regindex"
)

func TestSessionPublishYankFetch(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	tb := makeTarball(t, comp("lib"), entry{name: "main.go", body: "package main"})

	anon := sessionFor(t, f, "", nil)
	if _, err := anon.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); err == nil || problem(t, err).Hint != "meta login --registry default" {
		t.Fatalf("Publish without a token: %v", err)
	}
	var mu sync.Mutex
	var notes []string
	events := progress.Func(func(e progress.Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Kind == progress.Noted {
			notes = append(notes, e.Status)
		}
	})
	s := sessionFor(t, f, f.alice, events)
	if _, err := s.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0"}, tb); err == nil || !strings.Contains(problem(t, err).Hint, "published versions never change") {
		t.Fatalf("second Publish: %v", err)
	}
	if _, _, err := s.Yank(ctx, "lib@1.0.0", YankOptions{Reason: "broken"}); err != nil {
		t.Fatal(err)
	}
	info, v, err := s.Version(ctx, "lib")
	if err != nil || info.Name != "lib" || v.Vers != "1.0.0" || !v.Yanked || v.YankReason != "broken" {
		t.Fatalf("Version = %+v, %+v, %v", info, v, err)
	}
	if _, _, err := s.Version(ctx, "lib@2.0.0"); err == nil || problem(t, err).Hint != "see the versions: meta info lib" {
		t.Fatalf("Version 2.0.0: %v", err)
	}
	owners, err := s.Owners(ctx, "lib", []string{"bob"}, nil)
	if err != nil || strings.Join(owners, ",") != "alice,bob" {
		t.Fatalf("Owners = %v, %v", owners, err)
	}

	dir := t.TempDir()
	got, err := s.Fetch(ctx, FetchOptions{Name: "lib", Version: "1.0.0", Dir: dir, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "lib-1.0.0.tar.gz")
	data, err := os.ReadFile(want)
	if got.Path != want || err != nil || string(data) != string(tb) || got.Signature {
		t.Fatalf("Fetch = %+v (%v); file %d bytes", got, err, len(data))
	}
	if len(notes) != 1 || notes[0] != "lib@1.0.0 is yanked" {
		t.Fatalf("notes = %q, want the yank", notes)
	}
	if _, err := s.Fetch(ctx, FetchOptions{Name: "lib", Version: "1.0.0", Dir: dir, TrustedKeys: []string{"not a key"}}); err == nil || !problem(t, err).Usage {
		t.Fatalf("Fetch with a bad trusted key: %v", err)
	}
	if _, err := s.Fetch(ctx, FetchOptions{Name: "lib", Version: "3.0.0", Dir: dir}); err == nil || !strings.Contains(err.Error(), "lib has no version 3.0.0 in registry default") {
		t.Fatalf("Fetch of a missing version: %v", err)
	}
	res, err := s.Search(ctx, "li", 10)
	if err != nil || len(res.Packages) != 1 || res.Packages[0].Name != "lib" {
		t.Fatalf("Search = %+v, %v", res, err)
	}
	sum := sha256.Sum256(tb)
	if v.Cksum != hex.EncodeToString(sum[:]) {
		t.Fatalf("cksum %s, want the tarball's SHA-256", v.Cksum)
	}
}

func TestSessionFetchChecksSignatures(t *testing.T) {
	f := newFixture(t, ServerOptions{})
	ctx := context.Background()
	keyDir := t.TempDir()
	keyFile, line, err := WriteKeyPair(keyDir, "k", false)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	tb := makeTarball(t, comp("lib"))
	sig, err := regindex.SignVersion(key, tb, "lib", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	s := sessionFor(t, f, f.alice, nil)
	if _, err := s.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.0.0", Sig: sig}, tb); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, PublishMeta{Name: "lib", Vers: "1.1.0"}, tb); err != nil {
		t.Fatal(err)
	}
	// The key may be given as the line or as the .pub file, relative to Dir.
	for _, k := range []string{line, "k.pub"} {
		got, err := s.Fetch(ctx, FetchOptions{Name: "lib", Version: "1.0.0", Dir: keyDir, Output: "out.tgz", TrustedKeys: []string{k}})
		if err != nil || !got.Signature || got.Path != filepath.Join(keyDir, "out.tgz") {
			t.Fatalf("Fetch with key %q = %+v, %v", k, got, err)
		}
	}
	_, err = s.Fetch(ctx, FetchOptions{Name: "lib", Version: "1.1.0", Dir: keyDir, TrustedKeys: []string{line}})
	if err == nil || problem(t, err).Hint != "do not use this tarball; ask the publisher" {
		t.Fatalf("Fetch of an unsigned version with a trusted key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(keyDir, "lib-1.1.0.tar.gz")); !os.IsNotExist(err) {
		t.Fatalf("a refused tarball was written: %v", err)
	}
}

func TestSessionUnknownRegistry(t *testing.T) {
	getenv, _ := userEnv(t)
	s := NewSession(t.TempDir(), "nope", getenv, nil)
	if _, err := s.Search(context.Background(), "x", 1); err == nil || !problem(t, err).Usage {
		t.Fatalf("Search on an unknown registry: %v", err)
	}
}
