#!/usr/bin/env bash
# meta deps audit vs osv-scanner v2.5.0, both offline, on the same lock files
# (a copy of every fixture in ../shared/fixtures/lockfiles) and the same
# OSV records (>= 10,000 generated from the schema + the 9 real fixture
# records, zipped per ecosystem as <db>/osv-scalibr/<ecosystem>/all.zip,
# where osv-scanner 2.5's --local-db-path expects them).
#
#   bench/audit/compare.sh            # from the repository root
#   N=20000 RUNS=20 bench/audit/compare.sh
#
# Steps: build meta, generate the data (bench/audit/gen), compare the
# findings as sets of (ecosystem, package, version, advisory id) and fail
# when they differ, then time both with hyperfine and print the ratio.
#
# Needs: go, osv-scanner v2.5.0
#   (go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0),
#   hyperfine, jq.
#
# Documented differences, applied before comparing:
#   - osv-scanner audits Go's stdlib at the go.mod "go" line; meta does not
#     (a minimum language version is not the toolchain that builds): its
#     stdlib findings are left out.
#   - meta runs `go mod graph` for Go edges; here with GOPROXY=off, so it
#     fails fast and meta falls back to go.mod's list (same packages).
#   - The generator adds npm "resolved" URLs (osv-scanner skips npm packages
#     without one) and creates requirements includes the fixture lacks.
#   - Findings are compared on the packages osv-scanner scans; meta also
#     audits local wheels and URL requirements with a version, which
#     osv-scanner drops: those extra findings are listed, not compared.
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-${TMPDIR:-/tmp}/meta-audit-bench}
FIXTURES=${FIXTURES:-$(cd .. && pwd)/shared/fixtures}
N=${N:-12000}
RUNS=${RUNS:-10}
export GOPROXY=off GOFLAGS=-mod=mod

for tool in go osv-scanner hyperfine jq; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is not installed" >&2; exit 1; }
done
osv_version=$(osv-scanner --version 2>&1 || true)
grep -q 'version: 2.5.0' <<<"$osv_version" || echo "compare.sh: warning: osv-scanner is not v2.5.0" >&2

mkdir -p "$OUT"
GOPROXY=${REAL_GOPROXY:-https://proxy.golang.org,direct} go build -o "$OUT/meta" ./cmd/meta
go run ./bench/audit/gen -out "$OUT/data" -n "$N" -fixtures "$FIXTURES"
WS=$OUT/data/ws
DB=$OUT/data/db
CACHE=$OUT/cache

META=("$OUT/meta" -C "$WS/meta" deps audit --all --offline-db "$DB" --fail-on none)
OSV=(osv-scanner scan source --offline --local-db-path "$DB" --all-vulns
     --no-call-analysis=go --no-call-analysis=rust -r "$WS")

# --- findings -------------------------------------------------------------
XDG_CACHE_HOME=$CACHE "${META[@]}" --json >"$OUT/meta.json"
"${OSV[@]}" --format json --all-packages >"$OUT/osv.json" 2>"$OUT/osv.log" || [ $? -eq 1 ]

# normalise: Go versions without "v", PyPI names PEP 503-normalised
norm='{ if ($1 == "Go") sub(/^v/, "", $3); if ($1 == "PyPI") { $2 = tolower($2); gsub(/[-_.]+/, "-", $2) } print }'
jq -r '.components[].findings[] | . as $f | .records[] | [$f.ecosystem, $f.package, $f.version, .] | @tsv' "$OUT/meta.json" |
  awk -F'\t' -v OFS='\t' "$norm" | sort -u >"$OUT/meta.all"
jq -r '.results[]?.packages[] | . as $p | (.vulnerabilities // [])[] | [$p.package.ecosystem, $p.package.name, $p.package.version, .id] | @tsv' "$OUT/osv.json" |
  awk -F'\t' -v OFS='\t' "$norm" | awk -F'\t' '!($1 == "Go" && $2 == "stdlib")' | sort -u >"$OUT/osv.set"
# the packages osv-scanner scanned at all (it drops local files and URLs)
jq -r '.results[]?.packages[] | [.package.ecosystem, .package.name, .package.version] | @tsv' "$OUT/osv.json" |
  awk -F'\t' -v OFS='\t' "$norm" | sort -u >"$OUT/osv.packages"
awk -F'\t' -v OFS='\t' 'NR == FNR { scanned[$1 FS $2 FS $3] = 1; next } ($1 FS $2 FS $3) in scanned' \
  "$OUT/osv.packages" "$OUT/meta.all" >"$OUT/meta.set"
awk -F'\t' -v OFS='\t' 'NR == FNR { scanned[$1 FS $2 FS $3] = 1; next } !(($1 FS $2 FS $3) in scanned)' \
  "$OUT/osv.packages" "$OUT/meta.all" >"$OUT/meta.extra"

echo "findings: meta $(wc -l <"$OUT/meta.set"), osv-scanner $(wc -l <"$OUT/osv.set") (ecosystem, package, version, id) on the packages both scan"
if ! diff -u "$OUT/osv.set" "$OUT/meta.set" >"$OUT/findings.diff"; then
  echo "compare.sh: FINDINGS DIFFER (- osv-scanner only, + meta only):" >&2
  cat "$OUT/findings.diff" >&2
  exit 1
fi
echo "findings: identical"
if [ -s "$OUT/meta.extra" ]; then
  echo "meta also audits packages osv-scanner drops as local/unscannable ($(wc -l <"$OUT/meta.extra") findings):"
  cut -f1-3 "$OUT/meta.extra" | sort -u | sed 's/^/  /'
fi
jq -r '"not audited by meta: \(.summary.lockfiles_not_audited) lock files"' "$OUT/meta.json"

# --- time -------------------------------------------------------------------
# meta keeps an index of each all.zip in its cache: "cold" clears it before
# every run (first run on a new database), "warm" keeps it.
hyperfine --warmup 2 --runs "$RUNS" -N -i --export-json "$OUT/times.json" \
  --command-name "meta (cold index)" --prepare "rm -rf $CACHE" "env XDG_CACHE_HOME=$CACHE ${META[*]}" \
  --command-name "meta (warm index)" --prepare "true" "env XDG_CACHE_HOME=$CACHE ${META[*]}" \
  --command-name "osv-scanner 2.5.0" --prepare "true" "${OSV[*]}"

jq -r '.results as $r | ($r[] | select(.command | startswith("osv-scanner")) | .mean) as $osv |
  $r[] | select(.command | startswith("meta")) |
  "\(.command): \(.mean * 1000 | floor) ms mean; osv-scanner \($osv * 1000 | floor) ms: \($osv / .mean * 100 | floor / 100)x faster"' \
  "$OUT/times.json"
