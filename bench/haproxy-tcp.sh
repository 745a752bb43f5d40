#!/usr/bin/env bash
# TCP-mode proxy benchmark: ours (bin/haproxy) and the reference side by
# side, alternating, under the same load (layout and figures: see
# bench/lib/proxybench.sh). wrk keeps its connections open: requests over
# persistent connections through the tcp proxy.
# Usage: make build && bash bench/haproxy-tcp.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
CPU_GOAL=0.8
. bench/lib/proxybench.sh
bench_setup "$@"

cat > "$work/haproxy.cfg" <<CFG
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
CFG
bench_case "tcp mode, small responses over persistent connections" /
bench_case "tcp mode, a new connection per request" / close
RATE=200 bench_case "tcp mode, bulk: 1 MiB responses (requests/s x 1 MiB = throughput)" /1m
