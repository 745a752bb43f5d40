#!/usr/bin/env bash
# VRRP failover: two nodes in network namespaces on a bridge (advert_int 1,
# master priority 150, backup 100), ours and the reference Keepalived with
# the same settings. Measured inside the backup's namespace: from the
# master's last advertisement on the wire to the VIP being added, after the
# master is killed (theory: Master_Down_Interval 3609.4 ms) and after it
# stops gracefully with priority 0 (theory: Skew_Time 609.4 ms).
# ROUNDS=n sets the runs per figure (default 3). Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
rounds=${ROUNDS:-3}
if [ "$(id -u)" != 0 ]; then
  echo "vrrp-failover: SKIPPED (needs root for network namespaces)"
  exit 0
fi
out=$(go test ./vip -run '^$' -bench '^BenchmarkFailover$' -benchtime "${rounds}x" -count 1)
echo "$out" | awk -v rounds="$rounds" '
  /^BenchmarkFailover\// {
    split($1, p, "/"); impl = p[2]; how = p[3]; sub(/-[0-9]+$/, "", how)
    for (i = 2; i <= NF; i++) if ($i == "ms/takeover") ms[impl "/" how] = $(i-1)
  }
  END {
    theory["kill"] = 3609.4; theory["stop"] = 609.4
    printf "%-6s %12s %12s %12s %10s %14s\n", "case", "ours ms", "ref ms", "theory ms", "ours/ref", "ours-theory"
    split("kill stop", cases, " ")
    for (c = 1; c <= 2; c++) {
      k = cases[c]; o = ms["ours/" k]; r = ms["reference/" k]
      if (o == "" || r == "") { print "vrrp-failover: missing figures"; exit 1 }
      printf "%-6s %12.1f %12.1f %12.1f %10.3f %+14.1f\n", k, o, r, theory[k], o / r, o - theory[k]
    }
    printf "(mean of %d runs each)\n", rounds
  }'
