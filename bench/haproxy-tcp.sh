#!/usr/bin/env bash
# TCP-mode proxy benchmark: ours (bin/haproxy) and the reference side by
# side, alternating, under the same load. The proxy runs alone on CPU 0
# with one thread (nbthread 1, GOMAXPROCS=1); wrk and an nginx backend
# share CPU 1. wrk keeps its connections open (requests over persistent
# connections through the tcp proxy). For each round it prints requests/s
# and the proxy's CPU seconds per 100k requests (utime+stime from
# /proc/PID/stat), then the ratios ours/reference with min-max over the
# rounds. CPU per request is the figure that counts: wrk and nginx on one
# core cap the request rate, so a throughput ratio saturates near 1.
# Usage: make build && bash bench/haproxy-tcp.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-5}
CONNS=${CONNS:-50}
OURS=${OURS:-bin/haproxy}
REF=${FULCRUM_REF_HAPROXY:-/usr/sbin/haproxy}
for tool in wrk nginx taskset; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing; run 'make deps'" >&2; exit 1; }
done
[ -x "$OURS" ] || { echo "bench: $OURS missing; run 'make build' first" >&2; exit 1; }
[ -x "$REF" ] || { echo "bench: reference $REF missing; run 'make deps'" >&2; exit 1; }
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "bench: needs 2 CPUs (proxy on CPU 0, load on CPU 1)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Ports below the ephemeral range, so wrk's own sockets cannot take them.
be_port=$((20000 + RANDOM % 5000))
fe_port=$((be_port + 5000))

cat > "$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$be_port;
    location / { return 200 "ok\n"; }
  }
}
EOF
taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)

cat > "$work/haproxy.cfg" <<EOF
global
    nbthread 1
    maxconn 4000
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen bench
    bind 127.0.0.1:$fe_port
    server nginx 127.0.0.1:$be_port
EOF

# cpu_ticks PID: utime+stime of a process, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# run_one BIN: prints "REQS_PER_SEC CPU_SECONDS_PER_100K".
run_one() {
  local bin=$1 pid out reqs rps t0 t1
  GOMAXPROCS=1 taskset -c 0 "$bin" -db -q -f "$work/haproxy.cfg" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$fe_port") 2>/dev/null; then break; fi
    sleep 0.05
  done
  # A short warm-up, then the measured run.
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$fe_port/" >/dev/null
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$fe_port/")
  t1=$(cpu_ticks "$pid")
  kill -USR1 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  awk -v r="$reqs" -v rps="$rps" -v d=$((t1 - t0)) -v hz="$hz" \
    'BEGIN { printf "%.0f %.4f\n", rps, (d / hz) / (r / 100000) }'
}

# Wait for nginx.
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$be_port") 2>/dev/null; then break; fi
  sleep 0.05
done

echo "tcp mode, $CONNS persistent connections, ${SECS}s per run, $ROUNDS rounds"
printf "%-6s %-10s %12s %18s\n" round proxy "req/s" "CPU s/100k req"
ratios=()
for ((r = 1; r <= ROUNDS; r++)); do
  read -r ref_rps ref_cpu < <(run_one "$REF")
  printf "%-6s %-10s %12s %18s\n" "$r" reference "$ref_rps" "$ref_cpu"
  read -r our_rps our_cpu < <(run_one "$OURS")
  printf "%-6s %-10s %12s %18s\n" "$r" ours "$our_rps" "$our_cpu"
  ratios+=("$(awk -v a="$our_cpu" -v b="$ref_cpu" -v c="$our_rps" -v d="$ref_rps" 'BEGIN { printf "%.3f %.3f", a / b, c / d }')")
done
printf '%s\n' "${ratios[@]}" | awk '
  NR == 1 { cmin = cmax = $1; rmin = rmax = $2 }
  { if ($1 < cmin) cmin = $1; if ($1 > cmax) cmax = $1; if ($2 < rmin) rmin = $2; if ($2 > rmax) rmax = $2; cs += $1; rs += $2 }
  END {
    printf "CPU per request, ours/reference: mean %.3f (min %.3f, max %.3f); goal <= 0.8\n", cs / NR, cmin, cmax
    printf "requests/s, ours/reference:      mean %.3f (min %.3f, max %.3f); goal >= 1.0\n", rs / NR, rmin, rmax
  }'
