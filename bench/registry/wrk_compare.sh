#!/usr/bin/env bash
# Index reads on loopback: requests per second for one warm sparse-index
# file served by 'meta registry serve', side by side with nginx serving the
# same bytes as a static file. Everything listens on 127.0.0.1 only and
# every run is bounded (DURATION seconds each).
#
# usage: [ROUNDS=5] [VERSIONS=20] bench/registry/wrk_compare.sh [DURATION] [CONNECTIONS]
# needs: go, git, wrk, nginx (apt install wrk nginx-light), curl
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-10}
CONNS=${2:-64}
VERSIONS=${VERSIONS:-20}
ROUNDS=${ROUNDS:-5}

for tool in wrk nginx curl git go; do
  command -v "$tool" >/dev/null || { echo "wrk_compare: $tool is not installed (apt install wrk nginx-light curl)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Keep Go's caches where they are before moving HOME into the sandbox.
export GOPATH=$(go env GOPATH) GOCACHE=$(go env GOCACHE) GOMODCACHE=$(go env GOMODCACHE)
export HOME=$work/home XDG_CONFIG_HOME=$work/home/.config XDG_CACHE_HOME=$work/home/.cache
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -p "$HOME"

# META_BIN names a meta binary to use instead of building one.
meta=${META_BIN:-$work/meta}
[ -n "${META_BIN:-}" ] || go build -o "$meta" ./cmd/meta

# A registry holding one package with $VERSIONS versions.
"$meta" registry token create --storage "$work/data" --owner bench 2>/dev/null > "$work/token"
"$meta" registry serve --addr 127.0.0.1:0 --storage "$work/data" --addr-file "$work/addr" --quiet 2>"$work/serve.log" &
pids+=($!)
meta_pid=$!
for _ in $(seq 1 300); do [ -s "$work/addr" ] && break; sleep 0.02; done
reg=$(cat "$work/addr")
"$meta" registry add default "$reg" >/dev/null
"$meta" login < "$work/token" >/dev/null

repo=$work/bench-lib
mkdir -p "$repo"
git -C "$repo" init -q -b main
printf 'name: bench-lib\ndescription: benchmark component\ndepends_on: ["base:^1.0.0", "util:~2.3"]\ntools: [go@1.22, "npm:eslint@8"]\n' > "$repo/component.yaml"
for i in $(seq 1 "$VERSIONS"); do
  echo "$i" > "$repo/VERSION"
  git -C "$repo" add -A
  git -C "$repo" commit -q -m "release $i"
  git -C "$repo" tag "v1.$i.0"
  (cd "$repo" && "$meta" publish >/dev/null)
done

path=index/be/nc/bench-lib
mkdir -p "$work/static/$(dirname "$path")"
curl -fsS "$reg/$path" -o "$work/static/$path"
size=$(wc -c < "$work/static/$path")
chmod 755 "$work"   # nginx's workers drop root
chmod -R a+rX "$work/static"

# nginx with the same file, access log off like 'serve --quiet'.
nport=$(( 20000 + RANDOM % 20000 ))
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  etag on;
  client_body_temp_path $work/nginx-tmp;
  proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp;
  uwsgi_temp_path $work/nginx-tmp;
  scgi_temp_path $work/nginx-tmp;
  server {
    listen 127.0.0.1:$nport;
    root $work/static;
  }
}
CONF
mkdir -p "$work/nginx-tmp"
nginx -e "$work/nginx-error.log" -c "$work/nginx.conf" -p "$work" 2>>"$work/nginx-error.log" &
pids+=($!)
nginx_pid=$!
for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$nport/$path" 2>/dev/null && break; sleep 0.02; done
cmp <(curl -fsS "http://127.0.0.1:$nport/$path") "$work/static/$path"

# The server's CPU time (user+sys, clock ticks) over all its processes.
cpu_ticks() { # PID...
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$(( t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12+$13}') ))
  done
  echo "$t"
}
tck=$(getconf CLK_TCK)
run_wrk() { # URL SERVER-PID... → requests/s, server CPU µs per request
  local url=$1; shift
  local t0; t0=$(cpu_ticks "$@")
  wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$url" > "$work/wrk.out"
  local t1; t1=$(cpu_ticks "$@")
  grep -E 'Requests/sec|99%' "$work/wrk.out" | sed 's/^/    /' >&2
  awk -v t="$((t1 - t0))" -v hz="$tck" '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %.1f\n", r, t * 1e6 / hz / n}' "$work/wrk.out"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Rounds alternate between the two servers (A B A B ...) and the median of
# each is kept, so that other load on a shared machine hurts both alike.
echo "index file: /$path, $size bytes, $VERSIONS versions; wrk -t2 -c$CONNS -d${DURATION}s x $ROUNDS rounds; $(nproc) cores shared by server and wrk; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
meta_all="" nginx_all="" meta_cpu="" nginx_cpu=""
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round: meta registry serve (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  read -r rps cpu < <(run_wrk "$reg/$path" "$meta_pid")
  meta_all="$meta_all $rps" meta_cpu="$meta_cpu $cpu"
  echo "round $round: nginx $(nginx -v 2>&1 | sed 's/.*\///') static" >&2
  read -r rps cpu < <(run_wrk "http://127.0.0.1:$nport/$path" "$nginx_pid" $(pgrep -P "$nginx_pid"))
  nginx_all="$nginx_all $rps" nginx_cpu="$nginx_cpu $cpu"
done
meta_rps=$(echo "$meta_all" | median) nginx_rps=$(echo "$nginx_all" | median)
ratio=$(awk -v a="$meta_rps" -v b="$nginx_rps" 'BEGIN { printf "%.2f", a / b }')
printf 'meta %s req/s, nginx %s req/s (medians of %s interleaved rounds: meta%s, nginx%s), ratio %s (goal >= 0.80); load at end %s\n' "$meta_rps" "$nginx_rps" "$ROUNDS" "$meta_all" "$nginx_all" "$ratio" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'server CPU (user+sys) per request: meta %s us, nginx %s us (medians: meta%s, nginx%s)\n' "$(echo "$meta_cpu" | median)" "$(echo "$nginx_cpu" | median)" "$meta_cpu" "$nginx_cpu"
