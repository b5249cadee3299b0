#!/bin/sh
# Measures meta against vcstool (Debian's vcstool) on the workspace of
# gen.sh: 1,045 local repositories laid out like AOSP (52 nested paths,
# AOSP's groups). Commands are interleaved (A B, then B A, ...) for ROUNDS
# rounds; each line of DIR/times.txt is "label wall user sys" (user and
# sys include the git processes). Note `uptime` beside the numbers.
#
#   sh bench/workspace/run.sh DIR [full|fresh]
#
# full:  on the bootstrapped 1,045 checkouts: no-op bootstrap vs vcs import
#        --skip-existing, status (first: no status cache; warm) vs vcs
#        status, exec vs vcs custom, lock --check (when a lock exists).
# fresh: fresh bootstrap -j 16 vs vcs import -w 16 of the first FRESH_N
#        (default 100) repositories, into new directories each round.
set -eu
dir=$1
mode=${2:-full}
rounds=${ROUNDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here/../.." && go build -o "$dir/meta" ./cmd/meta)
[ -f "$dir/default.xml" ] || sh "$here/gen.sh" "$dir"
meta=$dir/meta
out=$dir/times.txt

t() { label=$1; shift; /usr/bin/time -o "$out" -a -f "$label %e %U %S" "$@" >/dev/null 2>"$dir/last.err" || { echo "$label failed:"; tail -n 5 "$dir/last.err"; }; }

ws() { # ws DIR N: a meta repository for the first N projects
	rm -rf "$1"
	mkdir -p "$1/meta/manifests"
	(cd "$1/meta" && "$meta" import repo "$2" >/dev/null 2>&1)
	sed -i '/default_groups/d' "$1/meta/manifests/components.yaml"
}

echo "# $(date -u +%FT%TZ) $mode rounds=$rounds load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
case $mode in
full)
	w=$dir/m
	[ -d "$w/meta" ] || { ws "$w" "$dir/default.xml"; "$meta" -C "$w/meta" bootstrap -j 16 >/dev/null; }
	for r in $(seq 1 "$rounds"); do
		echo "# round $r load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
		if [ $((r % 2)) = 1 ]; then
			t meta-bootstrap-noop "$meta" -C "$w/meta" bootstrap -j 16
			t vcs-import-skip-existing vcs import -w 16 --skip-existing --input "$dir/aosp.repos" "$w"
		else
			t vcs-import-skip-existing vcs import -w 16 --skip-existing --input "$dir/aosp.repos" "$w"
			t meta-bootstrap-noop "$meta" -C "$w/meta" bootstrap -j 16
		fi
		rm -f "$w/meta/.meta/cache/status.json"
		t meta-status-first "$meta" -C "$w/meta" status -j 16
		t meta-status-warm "$meta" -C "$w/meta" status -j 16
		t vcs-status vcs status -n -w 16 "$w"
		if [ $((r % 2)) = 1 ]; then
			t meta-exec "$meta" -C "$w/meta" exec -j 16 -- git rev-parse HEAD
			t vcs-custom vcs custom -n -w 16 --git "$w" --args rev-parse HEAD
		else
			t vcs-custom vcs custom -n -w 16 --git "$w" --args rev-parse HEAD
			t meta-exec "$meta" -C "$w/meta" exec -j 16 -- git rev-parse HEAD
		fi
		if [ -f "$w/meta/manifests/components.lock.yaml" ]; then
			t meta-lock-check "$meta" -C "$w/meta" lock --check
		fi
	done
	;;
fresh)
	n=${FRESH_N:-100}
	head -n $((n + 3)) "$dir/default.xml" >"$dir/fresh.xml"
	echo '</manifest>' >>"$dir/fresh.xml"
	head -n $((1 + 4 * n)) "$dir/aosp.repos" >"$dir/fresh.repos"
	for r in $(seq 1 "$rounds"); do
		echo "# round $r load: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
		ws "$dir/f-meta" "$dir/fresh.xml"
		rm -rf "$dir/f-vcs"
		mkdir -p "$dir/f-vcs"
		# ext4 skips recently freed inodes when it allocates new ones
		# (bench/store/README.md): let the deletions settle so neither
		# tool pays for the other's.
		sync
		sleep 6
		if [ $((r % 2)) = 1 ]; then
			t "meta-bootstrap-fresh-$n" "$meta" -C "$dir/f-meta/meta" bootstrap -j 16
			t "vcs-import-fresh-$n" vcs import -w 16 --input "$dir/fresh.repos" "$dir/f-vcs"
		else
			t "vcs-import-fresh-$n" vcs import -w 16 --input "$dir/fresh.repos" "$dir/f-vcs"
			t "meta-bootstrap-fresh-$n" "$meta" -C "$dir/f-meta/meta" bootstrap -j 16
		fi
	done
	;;
esac
