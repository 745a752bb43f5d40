#!/usr/bin/env bash
# HTTP-mode proxy benchmark: ours (bin/haproxy) and the reference side by
# side, alternating, under the same load (layout and figures: see
# bench/lib/proxybench.sh), keep-alive on both sides: small and 16 KiB
# responses, then small responses through a few ACLs and header rules.
# Usage: make build && bash bench/haproxy-http.sh [rounds] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
CPU_GOAL=1.0
. bench/lib/proxybench.sh
bench_setup "$@"

# config [RULES]: an http listen section, with extra lines in it.
config() {
  cat > "$work/haproxy.cfg" <<CFG
global
    nbthread 1
    maxconn 4000
defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen bench
    bind 127.0.0.1:$fe_port
$1
    server nginx 127.0.0.1:$be_port
CFG
}

config ""
bench_case "http mode, small responses" /
bench_case "http mode, 16 KiB responses" /16k
config "    http-request deny if { path_beg /admin }
    http-request set-header X-Bench yes
    http-request del-header X-Forwarded-For
    option forwardfor
    acl static path_end .css .js .png"
bench_case "http mode, small responses, ACLs and header rules" /
