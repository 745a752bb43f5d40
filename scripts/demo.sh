#!/usr/bin/env bash
# The main job on the bundled examples:
#  1. check both configurations with our binaries (and the reference ones,
#     side by side, when installed);
#  2. start two demo backends (nginx on 127.0.0.1:9001 and :9002), start our
#     haproxy on examples/haproxy.cfg and send requests through it;
#  3. start a two-node VRRP pair of our keepalived in network namespaces on
#     a bridge, show which node holds the virtual address, stop the master
#     and show the address move.
# Everything it starts it ends again, by PID; the namespaces are removed.
set -euo pipefail
cd "$(dirname "$0")/.."

tag="fcdemo$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "$tag-a" "$tag-b" "$tag-hub" "$tag-chk"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "haproxy -c -f examples/haproxy.cfg"
unshare -n bin/haproxy -c -f examples/haproxy.cfg
if [ -x /usr/sbin/haproxy ]; then
  echo "-- the reference says:"; unshare -n /usr/sbin/haproxy -c -f examples/haproxy.cfg || true
fi

# keepalived checks that the interface exists: give it an eth0 of its own.
ip netns add "$tag-chk"
ip -n "$tag-chk" link add eth0 type veth peer name eth1
step "keepalived -t -f examples/keepalived.conf"
ip netns exec "$tag-chk" bin/keepalived -t -l -f examples/keepalived.conf && echo "valid (exit 0)"
if [ -x /usr/sbin/keepalived ]; then
  echo "-- the reference says:"
  ip netns exec "$tag-chk" /usr/sbin/keepalived -t -l -f examples/keepalived.conf && echo "valid (exit 0)" || true
fi

step "demo backends: nginx on 127.0.0.1:9001 (app1) and 127.0.0.1:9002 (app2)"
mkdir -p "$work/nginx/logs"
cat > "$work/nginx/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 256; }
http {
  access_log off;
  server { listen 127.0.0.1:9001; location / { return 200 "served by app1\n"; } }
  server { listen 127.0.0.1:9002; location / { return 200 "served by app2\n"; } }
}
NGX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)

wait_port() { for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "nothing listens on port $1" >&2; return 1; }
wait_port 9001; wait_port 9002

step "our haproxy -db -f examples/haproxy.cfg, four requests to 127.0.0.1:8080"
bin/haproxy -db -f examples/haproxy.cfg > "$work/haproxy.log" 2>&1 &
hap=$!; pids+=($hap)
wait_port 8080
for i in 1 2 3 4; do curl -s --max-time 5 http://127.0.0.1:8080/; done
kill -USR1 "$hap"; wait "$hap" || true
echo "-- its log:"; cat "$work/haproxy.log"

step "VRRP pair: two of our keepalived nodes in namespaces on a bridge"
ip netns add "$tag-hub"; ip netns add "$tag-a"; ip netns add "$tag-b"
ip -n "$tag-hub" link add br0 type bridge
ip -n "$tag-hub" link set br0 type bridge forward_delay 0 stp_state 0
ip -n "$tag-hub" link set br0 up
i=0
for node in a b; do
  i=$((i + 1))
  ip -n "$tag-hub" link add "p$node" type veth peer name eth0 netns "$tag-$node"
  ip -n "$tag-hub" link set "p$node" master br0 up
  ip -n "$tag-$node" link set lo up
  ip -n "$tag-$node" addr add "192.0.2.$i/24" dev eth0
  ip -n "$tag-$node" link set eth0 up
done
ip netns exec "$tag-a" bin/keepalived -n -l -f examples/keepalived.conf -p "$work/a.pid" -r "$work/a-vrrp.pid" > "$work/ka-a.log" 2>&1 &
ka=$!; pids+=($ka)
ip netns exec "$tag-b" bin/keepalived -n -l -f examples/keepalived-backup.conf -p "$work/b.pid" -r "$work/b-vrrp.pid" > "$work/ka-b.log" 2>&1 &
kb=$!; pids+=($kb)

holder() {
  for node in a b; do
    ip -n "$tag-$node" -brief addr show dev eth0 | grep -q '192.0.2.100' && echo "node $node"
  done
}
wait_holder() { # wait up to 10 s for exactly the expected holder
  for _ in $(seq 100); do [ "$(holder)" = "$1" ] && return 0; sleep 0.1; done
  echo "expected $1 to hold 192.0.2.100, found: $(holder)" >&2; return 1
}
wait_holder "node a"
echo "192.0.2.100 is held by: $(holder) (priority 100)"
kill -TERM "$ka"; wait "$ka" || true
wait_holder "node b"
echo "after stopping node a: 192.0.2.100 is held by $(holder) (priority 90)"
echo "-- node a's log:"; cat "$work/ka-a.log"
echo "-- node b's log:"; cat "$work/ka-b.log"
step "demo done"
