#!/usr/bin/env bash
# compare.sh: meta vs vcstool vs a bare "xargs -P 8 git clone" loop on the
# same 100 generated repositories (200 commits, 10 tags each), with the same
# parallelism (8). Needs hyperfine and vcstool (apt install hyperfine vcstool).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:-$(mktemp -d)}
meta=${META:-$work/meta-bin}
(cd "$here/../.." && go build -o "$meta" ./cmd/meta)
[ -d "$work/remotes" ] || "$here/gen.sh" "$work" 100 200 10
cd "$work"
ls remotes | sed 's/\.git$//' > names.txt
export GIT_TERMINAL_PROMPT=0

echo "== fresh clone of 100 repositories (-j 8)"
hyperfine --warmup 1 --runs ${RUNS:-5} --export-json fresh.json \
  --prepare 'rm -rf ws-meta ws-vcs ws-xargs; mkdir -p ws-vcs ws-xargs' \
  -n meta "$meta -C meta bootstrap -j 8" \
  -n vcstool 'vcs import --workers 8 --input ws.repos ws-vcs >/dev/null' \
  -n 'xargs git clone' "xargs -P 8 -I{} git clone -q --branch v1.9.0 file://$work/remotes/{}.git ws-xargs/{} < names.txt"

echo "== bootstrap when everything is cloned and current"
hyperfine --warmup 2 --runs ${RUNS:-10} --export-json noop.json \
  -n meta "$meta -C meta bootstrap -j 8" \
  -n vcstool 'vcs import --workers 8 --input ws.repos ws-vcs >/dev/null'

echo "== status"
hyperfine --warmup 2 --runs ${RUNS:-10} --export-json status.json \
  -n meta "$meta -C meta status -j 8 >/dev/null" \
  -n vcstool 'vcs status --workers 8 ws-vcs >/dev/null'
