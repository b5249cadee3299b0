// Command gen writes the audit benchmark's inputs: a meta workspace with
// one component per directory of the large real lock files
// (../shared/fixtures/lockfiles-large), and an offline OSV database that
// mixes the real fixture advisories with generated records aimed at the
// real locked packages, each with its expected answer.
//
//	go run ./bench/audit/gen -out DIR [-filler 6000] [-fixtures ../shared/fixtures]
//
// DIR/records/            one JSON file per record
// DIR/db/osv-scalibr/<ecosystem>/all.zip   the same records, zipped per ecosystem
// DIR/ws/                 workspace: meta/manifests/components.yaml + one component per fixture
// DIR/expected.tsv        ecosystem, package, version, record id: every finding a
//
//	correct scanner reports (Go versions without "v",
//	PyPI names normalised); nothing else is a finding
//
// DIR/shapes.tsv          per generated record: its range shape and whether it
//
//	affects the locked version
//
// A targeted record names a package that is locked at exactly one version
// in the whole workspace (so its answer does not depend on other versions)
// and has one of these shapes around that version V (V+ is a version above
// V): fixed above (introduced 0, fixed V+: affected), fixed at (fixed V:
// not), last_affected V (affected), introduced above (introduced V+: not),
// pre-release fixed (fixed V-rc.1 / Vrc1, below V: not), pre-release
// introduced (introduced V-alpha.1, fixed V+: affected), several ranges
// (one above V, one ending at last_affected V: affected), withdrawn
// (a range containing V, but withdrawn: not), an explicit versions list
// [V] (affected), a second affected entry naming another package plus a
// range containing V (affected), and for PyPI the package's name spelled
// differently (Upper_Case.dots: PEP 503 makes it the same package:
// affected). Filler records name packages nobody locks. The real fixture
// records are answered by a plain numeric comparison of their events
// with the locked versions (records or versions that are not plain
// numbers are listed as not checked).
//
// npm lock entries without "resolved" get one, because osv-scanner skips
// npm packages without it; meta does not need it.
package main

import (
	"archive/zip"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/metawork/meta/internal/ecosystem"
)

func main() {
	out := flag.String("out", "", "output directory")
	filler := flag.Int("filler", 6000, "number of records naming packages nobody locks")
	fixtures := flag.String("fixtures", "../shared/fixtures", "the shared fixtures directory")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out DIR is required")
		os.Exit(2)
	}
	if err := run(*out, *filler, *fixtures); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type pkgver struct{ eco, name, version string }

// key is how findings are compared: Go versions without "v", PyPI names
// normalised.
func key(eco, name, version, id string) string {
	if eco == ecosystem.Go {
		version = strings.TrimPrefix(version, "v")
	}
	if eco == ecosystem.PyPI {
		name = pep503(name)
	}
	return eco + "\t" + name + "\t" + version + "\t" + id
}

var pep503Sep = regexp.MustCompile(`[-_.]+`)

func pep503(n string) string { return pep503Sep.ReplaceAllString(strings.ToLower(n), "-") }

func run(out string, filler int, fixtures string) error {
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	comps, locked, err := writeWorkspace(filepath.Join(out, "ws"), filepath.Join(fixtures, "lockfiles-large"))
	if err != nil {
		return err
	}
	records := map[string][]byte{}
	expected := map[string]bool{}
	var shapes []string
	// Real advisories, answered by plain numeric comparison.
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
		notes, err := answerReal(data, locked, expected)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		shapes = append(shapes, notes...)
	}
	// Targets: packages locked at exactly one version, plain numeric.
	versions := map[[2]string][]string{}
	for _, p := range locked {
		k := [2]string{p.eco, p.name}
		if p.eco == ecosystem.PyPI {
			k[1] = pep503(p.name)
		}
		if !contains(versions[k], p.version) {
			versions[k] = append(versions[k], p.version)
		}
	}
	var targets []pkgver
	seen := map[[2]string]bool{}
	for _, p := range locked {
		k := [2]string{p.eco, p.name}
		if p.eco == ecosystem.PyPI {
			k[1] = pep503(p.name)
		}
		v := strings.TrimPrefix(p.version, "v")
		if seen[k] || len(versions[k]) != 1 || !plain.MatchString(v) {
			continue
		}
		seen[k] = true
		targets = append(targets, pkgver{p.eco, p.name, v})
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	for i, t := range targets {
		rec, shape, hit := targeted(rng, i, t)
		data, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return err
		}
		id := rec["id"].(string)
		records[id+".json"] = data
		if hit {
			expected[key(t.eco, t.name, t.version, id)] = true
		}
		shapes = append(shapes, fmt.Sprintf("%s\t%s\t%s@%s\t%s\t%v", id, t.eco, t.name, t.version, shape, hit))
	}
	for i := range filler {
		rec := fillerRecord(rng, i)
		data, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return err
		}
		records[rec["id"].(string)+".json"] = data
	}
	if err := writeRecords(out, records); err != nil {
		return err
	}
	exp := make([]string, 0, len(expected))
	for k := range expected {
		exp = append(exp, k)
	}
	sort.Strings(exp)
	sort.Strings(shapes)
	if err := os.WriteFile(filepath.Join(out, "expected.tsv"), []byte(strings.Join(exp, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "shapes.tsv"), []byte(strings.Join(shapes, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("gen: %d records (%d real, %d aimed at locked packages, %d filler), %d expected findings, %d components in %s\n",
		len(records), len(real), len(targets), filler, len(exp), comps, out)
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

var plain = regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)

// writeWorkspace copies every directory of the large fixtures into a
// component and returns the third-party packages they lock, as meta's
// parsers read them.
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
			l, err := ecosystem.ParseFile(f.Manager, f.Path, mustRead(filepath.Join(dst, f.Path)))
			if err != nil {
				return 0, nil, fmt.Errorf("%s: %w", dst, err)
			}
			for _, p := range l.Packages {
				if p.Version != "" && p.Source != ecosystem.SourceLocal {
					locked = append(locked, pkgver{p.Ecosystem, p.Name, p.Version})
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

var vectors = []string{
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
	"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
	"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N",
	"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
	"CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
}

// up returns a version above the plain version v: its last number plus one.
func up(v string) string {
	parts := strings.Split(v, ".")
	n, _ := strconv.Atoi(parts[len(parts)-1])
	parts[len(parts)-1] = strconv.Itoa(n + 1)
	return strings.Join(parts, ".")
}

// pre returns a pre-release of v, ordered just below it.
func pre(eco, v, tag string) string {
	if eco == ecosystem.PyPI {
		return v + map[string]string{"rc.1": "rc1", "alpha.1": "a1"}[tag]
	}
	if strings.Count(v, ".") < 2 {
		return ""
	}
	return v + "-" + tag
}

// pypiSpelling spells a PyPI name differently with the same PEP 503 form.
func pypiSpelling(name string) string {
	b := []byte(pep503(name))
	for i, c := range b {
		if c == '-' {
			b[i] = "_."[i%2]
		}
	}
	if len(b) > 0 && b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	return string(b)
}

func recordID(eco string, i int, rng *rand.Rand) string {
	switch eco {
	case ecosystem.Go:
		return fmt.Sprintf("GO-2099-%05d", i)
	case ecosystem.Cargo:
		if i%2 == 0 {
			return fmt.Sprintf("RUSTSEC-2099-%05d", i)
		}
	case ecosystem.PyPI:
		if i%3 == 0 {
			return fmt.Sprintf("PYSEC-2099-%05d", i)
		}
	}
	return fmt.Sprintf("GHSA-gen%d-%04x-%04x", i%10, rng.IntN(1<<16), i)
}

func rangeType(eco string) string {
	if eco == ecosystem.PyPI {
		return "ECOSYSTEM"
	}
	return "SEMVER"
}

type ev = map[string]string

// targeted makes record i for the locked package t with one of the range
// shapes, and says whether it affects t's version.
func targeted(rng *rand.Rand, i int, t pkgver) (map[string]any, string, bool) {
	v := t.version
	name := t.name
	rt := rangeType(t.eco)
	rng1 := func(events ...ev) []map[string]any { return []map[string]any{{"type": rt, "events": events}} }
	var shape string
	var hit bool
	var ranges []map[string]any
	var versions []string
	var extra []map[string]any
	withdrawn := ""
	shapes := 10
	n := i % shapes
	if n == 4 || n == 5 {
		if pre(t.eco, v, "rc.1") == "" {
			n = 0 // a two-number npm/Cargo/Go version has no semver pre-release
		}
	}
	switch n {
	case 0:
		shape, hit, ranges = "fixed above", true, rng1(ev{"introduced": "0"}, ev{"fixed": up(v)})
	case 1:
		shape, hit, ranges = "fixed at", false, rng1(ev{"introduced": "0"}, ev{"fixed": v})
	case 2:
		shape, hit, ranges = "last_affected at", true, rng1(ev{"introduced": "0"}, ev{"last_affected": v})
	case 3:
		shape, hit, ranges = "introduced above", false, rng1(ev{"introduced": up(v)}, ev{"fixed": up(up(v))})
	case 4:
		shape, hit, ranges = "pre-release fixed", false, rng1(ev{"introduced": "0"}, ev{"fixed": pre(t.eco, v, "rc.1")})
	case 5:
		shape, hit, ranges = "pre-release introduced", true, rng1(ev{"introduced": pre(t.eco, v, "alpha.1")}, ev{"fixed": up(v)})
	case 6:
		shape, hit = "several ranges", true
		ranges = append(rng1(ev{"introduced": up(v)}, ev{"fixed": up(up(v))}), rng1(ev{"introduced": "0"}, ev{"last_affected": v})...)
	case 7:
		shape, hit, withdrawn = "withdrawn", false, "2025-06-01T00:00:00Z"
		ranges = rng1(ev{"introduced": "0"}, ev{"fixed": up(v)})
	case 8:
		if t.eco == ecosystem.PyPI {
			name = pypiSpelling(t.name)
			shape, hit, ranges = "PyPI name spelled "+name, true, rng1(ev{"introduced": "0"}, ev{"fixed": up(v)})
		} else {
			shape, hit, versions = "versions list", true, []string{v}
		}
	case 9:
		shape, hit, ranges = "second affected entry", true, rng1(ev{"introduced": "0"}, ev{"fixed": up(v)})
		extra = []map[string]any{{
			"package": map[string]string{"ecosystem": t.eco, "name": randomName(rng, t.eco, i)},
			"ranges":  rng1(ev{"introduced": "0"}),
		}}
	}
	aff := map[string]any{"package": map[string]string{"ecosystem": t.eco, "name": name}}
	if ranges != nil {
		aff["ranges"] = ranges
	}
	if versions != nil {
		aff["versions"] = versions
	}
	rec := record(rng, recordID(t.eco, i, rng), i, t.eco, append(extra, aff))
	if withdrawn != "" {
		rec["withdrawn"] = withdrawn
	}
	return rec, shape, hit
}

var ecos = []string{ecosystem.Npm, ecosystem.PyPI, ecosystem.Cargo, ecosystem.Go}

// fillerRecord names a package nobody locks.
func fillerRecord(rng *rand.Rand, i int) map[string]any {
	eco := ecos[i%len(ecos)]
	j := 100000 + i
	rt := rangeType(eco)
	aff := map[string]any{
		"package": map[string]string{"ecosystem": eco, "name": randomName(rng, eco, j)},
		"ranges":  []map[string]any{{"type": rt, "events": []ev{{"introduced": "0"}, {"fixed": fmt.Sprintf("%d.%d.%d", rng.IntN(5), rng.IntN(30), rng.IntN(20))}}}},
	}
	return record(rng, recordID(eco, j, rng), j, eco, []map[string]any{aff})
}

func record(rng *rand.Rand, id string, i int, eco string, affected []map[string]any) map[string]any {
	rec := map[string]any{
		"schema_version": "1.6.0",
		"id":             id,
		"modified":       fmt.Sprintf("2025-%02d-%02dT%02d:00:00Z", 1+i%12, 1+i%28, i%24),
		"published":      fmt.Sprintf("2024-%02d-%02dT00:00:00Z", 1+i%12, 1+i%28),
		"summary":        sentence(rng, 6),
		"details":        sentence(rng, 60+rng.IntN(300)),
		"affected":       affected,
		"references":     []map[string]string{{"type": "ADVISORY", "url": "https://example.invalid/" + id}},
	}
	if eco != ecosystem.Go {
		rec["severity"] = []map[string]string{{"type": "CVSS_V3", "score": vectors[rng.IntN(len(vectors))]}}
		rec["database_specific"] = map[string]any{"severity": []string{"LOW", "MODERATE", "HIGH", "CRITICAL"}[rng.IntN(4)]}
	}
	return rec
}

// answerReal adds the findings a real record gives on the locked packages
// to expected, comparing plain numeric versions; it returns notes on what
// it could not check.
func answerReal(data []byte, locked []pkgver, expected map[string]bool) ([]string, error) {
	var r struct {
		ID        string `json:"id"`
		Withdrawn string `json:"withdrawn"`
		Affected  []struct {
			Package struct {
				Ecosystem, Name string
			} `json:"package"`
			Ranges []struct {
				Type   string
				Events []ev
			} `json:"ranges"`
			Versions []string `json:"versions"`
		} `json:"affected"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var notes []string
	if r.Withdrawn != "" {
		return nil, nil
	}
	for _, a := range r.Affected {
		for _, p := range locked {
			if p.eco != a.Package.Ecosystem || (p.name != a.Package.Name && !(p.eco == ecosystem.PyPI && pep503(p.name) == pep503(a.Package.Name))) {
				continue
			}
			v := strings.TrimPrefix(p.version, "v")
			hit, ok := contains(a.Versions, v), plain.MatchString(v)
			for _, rg := range a.Ranges {
				if rg.Type == "GIT" {
					continue
				}
				in := false
				for _, e := range rg.Events {
					for k, x := range e {
						if x != "0" && !plain.MatchString(x) {
							ok = false
						}
						switch {
						case k == "introduced" && cmpPlain(v, x) >= 0:
							in = true
						case k == "fixed" && cmpPlain(v, x) >= 0:
							in = false
						case k == "last_affected" && cmpPlain(v, x) > 0:
							in = false
						}
					}
				}
				hit = hit || in
			}
			if !ok {
				notes = append(notes, fmt.Sprintf("%s\t%s\t%s@%s\tnot checked: not plain numeric versions", r.ID, p.eco, p.name, p.version))
				continue
			}
			if hit {
				expected[key(p.eco, p.name, p.version, r.ID)] = true
			}
			notes = append(notes, fmt.Sprintf("%s\t%s\t%s@%s\treal record\t%v", r.ID, p.eco, p.name, p.version, hit))
		}
	}
	return notes, nil
}

// cmpPlain compares plain numeric versions ("0" is the lowest).
func cmpPlain(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		x, y := 0, 0
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
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
