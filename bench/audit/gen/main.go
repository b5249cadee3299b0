// Command gen writes the audit benchmark's inputs: an offline OSV database
// of generated records (the OSV schema as GitHub and the Go vulndb write it:
// ECOSYSTEM/SEMVER ranges with introduced/fixed/last_affected events,
// re-introductions, explicit version lists, aliases, CVSS v3 vectors,
// database severities, details text), plus the real fixture records, and a
// meta workspace holding a copy of every fixture lock file.
//
//	go run ./bench/audit/gen -out DIR [-n 12000] [-fixtures ../shared/fixtures]
//
// DIR/records/            one JSON file per record
// DIR/db/osv-scalibr/<ecosystem>/all.zip   the same records, zipped per ecosystem
// DIR/ws/                 workspace: meta/manifests/components.yaml + one component per fixture
//
// npm lock files get "resolved" URLs where they lack them, because
// osv-scanner skips npm packages without one (its SOURCES.md caveat);
// meta does not need them. Files a requirements file includes but the
// fixture lacks are created empty (see touchIncludes).
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/metawork/meta/internal/ecosystem"
)

func main() {
	out := flag.String("out", "", "output directory")
	n := flag.Int("n", 12000, "number of generated records")
	fixtures := flag.String("fixtures", "../shared/fixtures", "the shared fixtures directory")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out DIR is required")
		os.Exit(2)
	}
	if err := run(*out, *n, *fixtures); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type pkgver struct{ eco, name, version string }

func run(out string, n int, fixtures string) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	comps, locked, err := writeWorkspace(filepath.Join(out, "ws"), filepath.Join(fixtures, "lockfiles"))
	if err != nil {
		return err
	}
	records := map[string][]byte{}
	real, err := filepath.Glob(filepath.Join(fixtures, "osv", "*.json"))
	if err != nil {
		return err
	}
	for _, f := range real {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		records[filepath.Base(f)] = data
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	for i := range n {
		rec := generate(rng, i, locked)
		data, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return err
		}
		records[rec["id"].(string)+".json"] = data
	}
	if err := writeRecords(out, records); err != nil {
		return err
	}
	fmt.Printf("gen: %d records (%d real), %d components in %s\n", len(records), len(real), comps, out)
	return nil
}

// writeWorkspace copies every fixture lock file directory into a component
// and returns the packages they lock (so records can target them).
func writeWorkspace(ws, lockfiles string) (int, []pkgver, error) {
	dirs, err := os.ReadDir(lockfiles)
	if err != nil {
		return 0, nil, err
	}
	var names []string
	var locked []pkgver
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		names = append(names, d.Name())
		src := filepath.Join(lockfiles, d.Name())
		dst := filepath.Join(ws, d.Name())
		files, err := os.ReadDir(src)
		if err != nil {
			return 0, nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(src, f.Name()))
			if err != nil {
				return 0, nil, err
			}
			if strings.HasPrefix(f.Name(), "requirements") {
				if err := touchIncludes(dst, data); err != nil {
					return 0, nil, err
				}
			}
			if f.Name() == "package-lock.json" {
				if data, err = addResolved(data); err != nil {
					return 0, nil, fmt.Errorf("%s: %w", src, err)
				}
			}
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return 0, nil, err
			}
			if err := os.WriteFile(filepath.Join(dst, f.Name()), data, 0o644); err != nil {
				return 0, nil, err
			}
		}
		found, err := ecosystem.Detect(dst)
		if err != nil {
			return 0, nil, err
		}
		for _, f := range found {
			if l, err := ecosystem.ParseFile(f.Manager, f.Path, mustRead(filepath.Join(dst, f.Path))); err == nil {
				for _, p := range l.Packages {
					if p.Version != "" {
						locked = append(locked, pkgver{p.Ecosystem, p.Name, p.Version})
					}
				}
			}
		}
	}
	sort.Slice(locked, func(i, j int) bool {
		a, b := locked[i], locked[j]
		return a.eco+a.name+a.version < b.eco+b.name+b.version
	})
	var m strings.Builder
	m.WriteString("workspace:\n  root: ..\ncomponents:\n")
	for _, n := range names {
		fmt.Fprintf(&m, "  %s:\n    repo: https://example.invalid/%s.git\n", n, n)
	}
	mf := filepath.Join(ws, "meta", "manifests", "components.yaml")
	if err := os.MkdirAll(filepath.Dir(mf), 0o755); err != nil {
		return 0, nil, err
	}
	return len(names), locked, os.WriteFile(mf, []byte(m.String()), 0o644)
}

// touchIncludes creates the files a requirements file includes with -r or
// -c when the fixture lacks them, empty: osv-scanner skips a missing
// include and reads the rest, meta refuses the whole file (and reports it
// NOT AUDITED), so the benchmark gives both the same input.
func touchIncludes(dir string, data []byte) error {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && (f[0] == "-r" || f[0] == "-c") {
			p := filepath.Join(dir, f[1])
			if _, err := os.Stat(p); os.IsNotExist(err) {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func mustRead(p string) []byte {
	data, _ := os.ReadFile(p)
	return data
}

// addResolved gives every npm v2/v3 package entry a registry "resolved" URL
// when it has none.
func addResolved(data []byte) ([]byte, error) {
	var lock map[string]any
	if err := json.Unmarshal(data, &lock); err != nil {
		return nil, err
	}
	pkgs, _ := lock["packages"].(map[string]any)
	changed := false
	for loc, v := range pkgs {
		e, _ := v.(map[string]any)
		if loc == "" || e == nil || e["resolved"] != nil || e["link"] == true {
			continue
		}
		i := strings.LastIndex(loc, "node_modules/")
		name := loc[i+len("node_modules/"):]
		ver, _ := e["version"].(string)
		base := name[strings.LastIndex(name, "/")+1:]
		e["resolved"] = fmt.Sprintf("https://registry.npmjs.org/%s/-/%s-%s.tgz", name, base, ver)
		changed = true
	}
	if !changed {
		return data, nil
	}
	return json.MarshalIndent(lock, "", "  ")
}

var ecos = []string{ecosystem.Npm, ecosystem.PyPI, ecosystem.Cargo, ecosystem.Go}

var words = strings.Fields(`parse request header buffer overflow injection prototype pollution
denial service regular expression path traversal cross site scripting redirect cookie token
memory race condition integer signature verification certificate validation deserialization
template sandbox escape command shell archive extraction symlink proxy authorization leak`)

func sentence(rng *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(ws, " ")
}

func randomName(rng *rand.Rand, eco string, i int) string {
	w := words[rng.IntN(len(words))] + "-" + words[rng.IntN(len(words))]
	switch eco {
	case ecosystem.Go:
		return fmt.Sprintf("github.com/gen%d/%s", i%500, w)
	case ecosystem.Npm:
		if i%5 == 0 {
			return fmt.Sprintf("@gen%d/%s", i%97, w)
		}
	}
	return fmt.Sprintf("%s-%d", w, i)
}

func ver(rng *rand.Rand, eco string) string {
	v := fmt.Sprintf("%d.%d.%d", rng.IntN(5), rng.IntN(30), rng.IntN(20))
	if eco == ecosystem.PyPI && rng.IntN(4) == 0 {
		v = fmt.Sprintf("%d.%d", rng.IntN(5), rng.IntN(30))
	}
	return v
}

// bump returns a version above v.
func bump(v string, rng *rand.Rand) string {
	parts := strings.Split(v, ".")
	for len(parts) < 3 {
		parts = append(parts, "0")
	}
	var a, b, c int
	fmt.Sscanf(strings.Join(parts[:3], " "), "%d %d %d", &a, &b, &c)
	switch rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%d.%d.%d", a, b, c+1+rng.IntN(3))
	case 1:
		return fmt.Sprintf("%d.%d.0", a, b+1)
	}
	return fmt.Sprintf("%d.0.0", a+1)
}

var vectors = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
	"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
}

// generate makes record number i. About one record in 30 targets a
// package locked by a fixture, half of those with a range that includes
// the locked version.
func generate(rng *rand.Rand, i int, locked []pkgver) map[string]any {
	eco := ecos[i%len(ecos)]
	name := randomName(rng, eco, i)
	base := ver(rng, eco)
	target := ""
	if len(locked) > 0 && i%30 == 7 {
		p := locked[rng.IntN(len(locked))]
		eco, name = p.eco, p.name
		base = strings.TrimPrefix(p.version, "v")
		if rng.IntN(2) == 0 {
			target = base // affected: introduced at 0, fixed above
		}
	}
	var id string
	switch eco {
	case ecosystem.Go:
		id = fmt.Sprintf("GO-2099-%05d", i)
	case ecosystem.Cargo:
		if i%2 == 0 {
			id = fmt.Sprintf("RUSTSEC-2099-%05d", i)
		}
	case ecosystem.PyPI:
		if i%3 == 0 {
			id = fmt.Sprintf("PYSEC-2099-%05d", i)
		}
	}
	if id == "" {
		id = fmt.Sprintf("GHSA-gen%d-%04x-%04x", i%10, rng.IntN(1<<16), i)
	}
	rtype := "ECOSYSTEM"
	if eco == ecosystem.Go {
		rtype = "SEMVER"
	}
	var events []map[string]string
	var versions []string
	switch {
	case target != "":
		events = []map[string]string{{"introduced": "0"}, {"fixed": bump(target, rng)}}
	default:
		switch rng.IntN(5) {
		case 0, 1:
			events = []map[string]string{{"introduced": "0"}, {"fixed": base}}
		case 2:
			fix := bump(base, rng)
			events = []map[string]string{{"introduced": base}, {"fixed": fix}, {"introduced": bump(fix, rng) + "-0"}, {"fixed": bump(bump(fix, rng), rng)}}
		case 3:
			events = []map[string]string{{"introduced": base}, {"last_affected": bump(base, rng)}}
		default:
			events = []map[string]string{{"introduced": "0"}, {"fixed": base}}
			versions = []string{base, bump(base, rng)}
		}
	}
	affected := []map[string]any{{
		"package": map[string]string{"ecosystem": eco, "name": name},
		"ranges":  []map[string]any{{"type": rtype, "events": events}},
	}}
	if versions != nil {
		affected[0]["versions"] = versions
	}
	if eco == ecosystem.Go {
		affected[0]["ecosystem_specific"] = map[string]any{"imports": []map[string]any{{"path": name, "symbols": []string{"Parse", "Do"}}}}
	}
	if rng.IntN(6) == 0 { // a second, disjoint affected entry for the same package
		hi := bump(bump(base, rng), rng)
		affected = append(affected, map[string]any{
			"package": map[string]string{"ecosystem": eco, "name": name},
			"ranges":  []map[string]any{{"type": rtype, "events": []map[string]string{{"introduced": hi}, {"fixed": bump(hi, rng)}}}},
		})
	}
	rec := map[string]any{
		"schema_version": "1.4.0",
		"id":             id,
		"modified":       fmt.Sprintf("2025-%02d-%02dT%02d:00:00Z", 1+i%12, 1+i%28, i%24),
		"published":      fmt.Sprintf("2024-%02d-%02dT00:00:00Z", 1+i%12, 1+i%28),
		"aliases":        []string{fmt.Sprintf("CVE-2099-%d", 10000+i)},
		"summary":        sentence(rng, 6),
		"details":        sentence(rng, 60+rng.IntN(300)),
		"affected":       affected,
		"references": []map[string]string{
			{"type": "ADVISORY", "url": "https://nvd.nist.gov/vuln/detail/CVE-2099-" + fmt.Sprint(10000+i)},
			{"type": "PACKAGE", "url": "https://example.invalid/" + name},
		},
	}
	if eco != ecosystem.Go {
		rec["severity"] = []map[string]string{{"type": "CVSS_V3", "score": vectors[rng.IntN(len(vectors))]}}
		rec["database_specific"] = map[string]any{"severity": []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}[rng.IntN(4)], "cwe_ids": []string{"CWE-79"}, "github_reviewed": true}
	}
	return rec
}

// writeRecords writes every record as DIR/records/<id>.json and into
// DIR/db/osv-scalibr/<ecosystem>/all.zip for each ecosystem it names.
func writeRecords(out string, records map[string][]byte) error {
	names := make([]string, 0, len(records))
	for n := range records {
		names = append(names, n)
	}
	sort.Strings(names)
	recDir := filepath.Join(out, "records")
	if err := os.MkdirAll(recDir, 0o755); err != nil {
		return err
	}
	byEco := map[string][]string{}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(recDir, n), records[n], 0o644); err != nil {
			return err
		}
		var head struct {
			Affected []struct {
				Package struct{ Ecosystem string } `json:"package"`
			} `json:"affected"`
		}
		if err := json.Unmarshal(records[n], &head); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		seen := map[string]bool{}
		for _, a := range head.Affected {
			if e := a.Package.Ecosystem; !seen[e] {
				seen[e] = true
				byEco[e] = append(byEco[e], n)
			}
		}
	}
	for eco, files := range byEco {
		dir := filepath.Join(out, "db", "osv-scalibr", eco)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, "all.zip"))
		if err != nil {
			return err
		}
		zw := zip.NewWriter(f)
		for _, n := range files {
			w, err := zw.Create(n)
			if err != nil {
				return err
			}
			if _, err := w.Write(records[n]); err != nil {
				return err
			}
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
