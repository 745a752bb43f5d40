#!/usr/bin/env bash
# The main job on the bundled examples: check both configurations with our
# binaries (and with the reference ones, side by side, when installed).
# Grows into starting demo backends, the proxy and a VRRP pair as the
# engines land.
set -euo pipefail
cd "$(dirname "$0")/.."

ns="fcdemo-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT

echo "== haproxy -c -f examples/haproxy.cfg"
echo "-- ours:"
unshare -n bin/haproxy -c -f examples/haproxy.cfg
if command -v /usr/sbin/haproxy >/dev/null; then
  echo "-- reference:"
  unshare -n /usr/sbin/haproxy -c -f examples/haproxy.cfg || true
fi

# keepalived checks that the interface exists: give it an eth0 of its own.
ip netns add "$ns"
ip -n "$ns" link add eth0 type veth peer name eth1
echo "== keepalived -t -f examples/keepalived.conf (in namespace $ns)"
echo "-- ours:"
ip netns exec "$ns" bin/keepalived -t -l -f examples/keepalived.conf && echo "configuration is valid (exit 0)"
if command -v /usr/sbin/keepalived >/dev/null; then
  echo "-- reference:"
  ip netns exec "$ns" /usr/sbin/keepalived -t -l -f examples/keepalived.conf && echo "configuration is valid (exit 0)" || true
fi
