#!/usr/bin/env bash
# Makes cmd/haproxy/default.pgo, the CPU profile `go build` optimises the
# haproxy binary with (profile-guided optimisation: hot calls inlined,
# hot interface calls made direct). The profile is our daemon's own,
# taken while the benchmarks' loads run through it: tcp and http mode,
# kept-alive and a new connection per request, small and 16 KiB
# responses, a few rules. Rerun it after the data path changed much.
# Usage: bash scripts/pgo.sh [seconds per load]
set -euo pipefail
cd "$(dirname "$0")/.."
CPU_GOAL=1.0
. bench/lib/proxybench.sh
bench_setup 1 "${1:-15}"
go build -pgo=off -o "$work/haproxy" ./cmd/haproxy

# profile NAME MODE PATH [close] [RULES]: one load, one profile.
profile() {
  local name=$1 mode=$2 path=$3 close=${4:-} rules=${5:-}
  cat > "$work/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 4000
defaults
    mode $mode
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen bench
    bind 127.0.0.1:$fe_port
$rules
    server nginx 127.0.0.1:$be_port
CFG
  FULCRUM_CPUPROFILE="$work/$name.pprof" GOMAXPROCS=1 taskset -c 0 \
    "$work/haproxy" -db -q -f "$work/haproxy.cfg" &
  local pid=$!
  bench_wait_port "$fe_port"
  local hdr=()
  [ -n "$close" ] && hdr=(-H "Connection: close")
  taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" "${hdr[@]}" "http://127.0.0.1:$fe_port$path" >/dev/null
  kill -USR1 "$pid" # a soft stop: the daemon returns and writes the profile
  wait "$pid"
}

profile tcp-kept tcp /
profile tcp-new tcp / close
profile http-small http /
profile http-16k http /16k
profile http-rules http / "" "    http-request deny if { path_beg /admin }
    http-request set-header X-Bench yes
    option forwardfor"
profile http-new http / close
go tool pprof -proto "$work"/*.pprof > cmd/haproxy/default.pgo 2>/dev/null
echo "wrote cmd/haproxy/default.pgo ($(wc -c < cmd/haproxy/default.pgo) bytes)"
