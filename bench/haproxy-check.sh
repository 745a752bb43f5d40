#!/usr/bin/env bash
# Check time of a generated 20,000-line haproxy.cfg (many backends,
# servers, ACLs and rules; all addresses 127.0.0.1 so nothing is
# resolved): ours (bin/haproxy) and the reference, rounds alternating,
# both under `unshare -n` when available. Prints the median times and the
# ratio reference/ours (above 1 means ours is faster).
# Usage: make build && bash bench/haproxy-check.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-7}
OURS=${OURS:-bin/haproxy}
REF=${FULCRUM_REF_HAPROXY:-/usr/sbin/haproxy}
[ -x "$OURS" ] || { echo "bench: $OURS missing; run 'make build' first" >&2; exit 1; }
[ -x "$REF" ] || { echo "bench: reference $REF missing; run 'make deps'" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cfg="$work/bench.cfg"

# 1 frontend with ACLs and rules routing to N backends of S servers each.
backends=1000
servers=12
{
  echo "global"
  echo "    maxconn 50000"
  echo "defaults"
  echo "    mode http"
  echo "    timeout client 30s"
  echo "    timeout connect 5s"
  echo "    timeout server 30s"
  echo "    option httplog"
  echo "frontend fe"
  echo "    bind 127.0.0.1:18080"
  for ((b = 0; b < backends; b++)); do
    echo "    acl host_$b hdr(host) -i app$b.example.com"
    echo "    acl path_$b path_beg /svc$b/"
    echo "    http-request set-header X-Backend be_$b if host_$b"
    echo "    use_backend be_$b if host_$b || path_$b"
  done
  echo "    default_backend be_0"
  for ((b = 0; b < backends; b++)); do
    echo "backend be_$b"
    echo "    balance roundrobin"
    echo "    option httpchk GET /health"
    echo "    http-request deny if { src 10.0.0.0/8 } METH_DELETE"
    for ((s = 0; s < servers; s++)); do
      echo "    server s$s 127.0.0.1:$((20000 + s)) check inter 2s rise 2 fall 3 weight $((s + 1))"
    done
  done
} > "$cfg"
lines=$(wc -l < "$cfg")

isolate=()
if unshare -n true 2>/dev/null; then isolate=(unshare -n); fi

# time_one BIN: seconds (float) of one `BIN -c -q -f cfg`, which must succeed.
time_one() {
  local start end
  start=$(date +%s.%N)
  "${isolate[@]}" "$1" -c -q -f "$cfg" || { echo "bench: $1 rejected the generated configuration" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours_t=() ref_t=()
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then
    ours_t+=("$(time_one "$OURS")"); ref_t+=("$(time_one "$REF")")
  else
    ref_t+=("$(time_one "$REF")"); ours_t+=("$(time_one "$OURS")")
  fi
done
om=$(printf '%s\n' "${ours_t[@]}" | median)
rm_=$(printf '%s\n' "${ref_t[@]}" | median)
printf 'haproxy -c on %d lines, %d rounds (median): reference %.3fs, ours %.3fs, ratio reference/ours %.2fx\n' \
  "$lines" "$ROUNDS" "$rm_" "$om" "$(echo "$rm_ / $om" | bc -l)"
