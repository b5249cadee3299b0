package registry

import (
	"testing"
	"time"
)

func TestTexts(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	info := &PackageInfo{Description: "auth", Owners: []string{"alice", "bob"}}
	v := VersionInfo{PublishedAt: at, PublishedBy: "alice", YankReason: ""}
	v.Vers, v.Cksum, v.Yanked = "1.2.0", "abc", true
	v.Deps = []Dep{{Name: "core", Req: "^1"}}
	info.Versions = []VersionInfo{{IndexEntry: IndexEntry{Vers: "1.0.0"}}, v}
	res := &SearchResult{Packages: []SearchHit{{Name: "a", MaxVersion: "1.0.0", Description: "d"}}}
	res.Meta.Total = 3
	for _, tc := range []struct{ got, want string }{
		{ListText(nil), "no registries; add one with: meta registry add default URL\n"},
		{ListText([]*Named{{Name: "local", URL: "http://x", Source: "user", LoggedIn: true}}), "local        http://x  [user] (logged in)\n"},
		{YankText("a", "1.0.0", YankOptions{Reason: "bad"}), "yanked a@1.0.0: bad\n"},
		{YankText("a", "1.0.0", YankOptions{Undo: true}), "unyanked a@1.0.0\n"},
		{(&Fetched{Name: "a", Version: "1.0.0", Path: "a.tgz", Signature: true}).Text(), "a@1.0.0 -> a.tgz (checksum verified, signature verified)\n"},
		{InfoText("a", info, &v), "a@1.2.0\n  auth\nowners: alice, bob\nsha256: abc\npublished: 2026-01-02 by alice\nYANKED: -\ndepends on: core ^1\nversions: 1.2.0 (yanked) 1.0.0\n"},
		{SearchText(res, "a", "local"), "a@1.0.0  d\n… and 2 more (use --limit)\n"},
		{SearchText(&SearchResult{}, "zz", "local"), "no packages match \"zz\" in local\n"},
		{DepsText(nil, []string{"go"}, "d", "tool:"), "tool: go\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
