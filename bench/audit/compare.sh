#!/usr/bin/env bash
# meta deps audit vs osv-scanner v2.5.0: both offline, as whole processes, on
# the same workspace (one component per directory of
# ../shared/fixtures/lockfiles-large) and the same OSV database (the real
# fixture records plus records generated against the real locked packages,
# zipped per ecosystem as <db>/osv-scalibr/<ecosystem>/all.zip).
#
#   bench/audit/compare.sh            # from the repository root
#   ROUNDS=9 FILLER=20000 bench/audit/compare.sh
#
# Steps: build meta, generate the data (bench/audit/gen), then
# bench/audit/race checks each tool's findings against the generator's
# expected answers and times interleaved rounds (medians of wall and CPU;
# meta cold = all its caches removed before the run, warm = kept).
#
# Needs: go, osv-scanner v2.5.0
#   (go install github.com/google/osv-scanner/v2/cmd/osv-scanner@v2.5.0).
set -euo pipefail
cd "$(dirname "$0")/../.."

OUT=${OUT:-${TMPDIR:-/tmp}/meta-audit-bench}
FIXTURES=${FIXTURES:-$(cd .. && pwd)/shared/fixtures}
FILLER=${FILLER:-6000}
ROUNDS=${ROUNDS:-7}
OSV=${OSV:-$(command -v osv-scanner || echo "$(go env GOPATH)/bin/osv-scanner")}

[ -x "$OSV" ] || { echo "compare.sh: osv-scanner is not installed" >&2; exit 1; }
"$OSV" --version 2>&1 | grep -q 'version: 2.5.0' || echo "compare.sh: warning: osv-scanner is not v2.5.0" >&2

mkdir -p "$OUT"
go build -o "$OUT/meta" ./cmd/meta
go run ./bench/audit/gen -out "$OUT/data" -filler "$FILLER" -fixtures "$FIXTURES"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
go run ./bench/audit/race -data "$OUT/data" -meta "$OUT/meta" -osv-scanner "$OSV" -rounds "$ROUNDS"
