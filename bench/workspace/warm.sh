#!/bin/sh
# Warm-path timings on the workspace of gen.sh/run.sh (DIR/m, 1,045
# checkouts, already bootstrapped, status cache written): `meta status -j 16`
# and a no-op `meta bootstrap -j 16`, for one or more meta binaries run
# interleaved (A B A B ...) ROUNDS times (default 5). Each line of
# DIR/warm.txt is "label wall user sys"; the load average is written
# before every round. Medians: sh bench/workspace/summary.sh DIR (it reads
# times.txt, so pass WARM_OUT=times.txt or copy the file).
#
#   sh bench/workspace/warm.sh DIR BINARY [BINARY...]
set -eu
dir=$1
shift
rounds=${ROUNDS:-5}
out=$dir/${WARM_OUT:-warm.txt}
w=$dir/m/meta
for b in "$@"; do "$b" -C "$w" status -j 16 >/dev/null; done # warm the status cache
echo "# $(date -u +%FT%TZ) warm rounds=$rounds load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
for r in $(seq 1 "$rounds"); do
	echo "# round $r load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
	for b in "$@"; do
		l=$(basename "$b")
		/usr/bin/time -o "$out" -a -f "$l-status-warm %e %U %S" "$b" -C "$w" status -j 16 >/dev/null
		/usr/bin/time -o "$out" -a -f "$l-bootstrap-noop %e %U %S" "$b" -C "$w" bootstrap -j 16 >/dev/null
	done
done
