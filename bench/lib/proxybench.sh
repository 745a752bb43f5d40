# Shared by the proxy benchmarks (sourced, not run): starts an nginx
# backend on CPU 1, runs ours and the reference side by side on CPU 0 (one
# thread each: nbthread 1, GOMAXPROCS=1; both up for a whole case, on two
# ports), loads them in turn with wrk on CPU 1 (each round: reference,
# ours, ours, reference, half the round's seconds each, so that a drift of
# the machine's speed weighs on both alike), and prints per round
# requests/s, the proxy's CPU seconds per 100k requests
# (utime+stime from /proc/PID/stat), p50/p99 latency at a fixed offered
# rate, RSS and the share of its CPU time spent in the kernel, then the
# ratios ours/reference with min-max over rounds. Two more columns explain
# requests/s where the load core (CPU 1) is the limit: how often the proxy
# went to sleep per request (voluntary context switches, all threads), and
# the load core's busy microseconds per request (/proc/stat): each time
# the proxy sleeps, the load core pays to wake it.
# CPU per request is the figure that counts: wrk and nginx on one core cap
# the request rate, so a throughput ratio saturates near 1.
#
# The caller sets CPU_GOAL and calls:
#   bench_setup [ROUNDS] [SECS]  (defaults, tools, $work, ports, nginx;
#                                 CONNS, RATE, OURS, FULCRUM_REF_HAPROXY
#                                 may be set in the environment)
#   bench_case NAME PATH [close] (one comparison on $work/haproxy.cfg, a
#                                 config using $fe_port and $be_port; with
#                                 "close", a new connection per request;
#                                 RATE=N before the call sets its latency
#                                 rate)

bench_setup() {
  ROUNDS=${1:-3}
  SECS=${2:-5}
  CONNS=${CONNS:-50}
  RATE=${RATE:-5000}
  OURS=${OURS:-bin/haproxy}
  REF=${FULCRUM_REF_HAPROXY:-/usr/sbin/haproxy}
  for tool in wrk nginx taskset go; do
    command -v "$tool" >/dev/null || { echo "bench: $tool missing; run 'make deps'" >&2; exit 1; }
  done
  [ -x "$OURS" ] || { echo "bench: $OURS missing; run 'make build' first" >&2; exit 1; }
  [ -x "$REF" ] || { echo "bench: reference $REF missing; run 'make deps'" >&2; exit 1; }
  [ "$(nproc)" -ge 2 ] || { echo "bench: needs 2 CPUs (proxy on CPU 0, load on CPU 1)" >&2; exit 1; }
  work=$(mktemp -d)
  chmod 755 "$work" # nginx workers run as nobody and read the 16k file
  pids=()
  trap bench_cleanup EXIT
  # Ports below the ephemeral range, so wrk's own sockets cannot take them.
  be_port=$((20000 + RANDOM % 5000))
  fe_port=$((be_port + 5000))
  hz=$(getconf CLK_TCK)
  go build -o "$work/ratelat" ./bench/ratelat
  head -c 16384 /dev/zero | tr '\0' x > "$work/16k"
  head -c 1048576 /dev/zero | tr '\0' x > "$work/1m"
  cat > "$work/nginx.conf" <<NGINX
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
    location = /16k { root $work; default_type text/plain; try_files /16k =404; }
    location = /1m { root $work; default_type text/plain; try_files /1m =404; }
  }
}
NGINX
  taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" &
  pids+=($!)
  bench_wait_port "$be_port"
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}

bench_wait_port() {
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return; fi
    sleep 0.05
  done
}

# cpu_ticks PID: "USER SYSTEM" clock ticks so far.
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
# sleeps PID: voluntary context switches so far, over all its threads.
sleeps() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'; }
# load_busy: busy clock ticks of the load core (CPU 1) so far.
load_busy() { awk '$1 == "cpu1" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# bench_start BIN CONFIG PORT: starts a proxy on CPU 0 and prints its PID.
bench_start() {
  GOMAXPROCS=1 taskset -c 0 "$1" -db -q -f "$2" >/dev/null &
  echo $!
}

# bench_slice PID PORT PATH SECS: one wrk run against the proxy on PORT;
# prints "REQS CPU_TICKS KERNEL_TICKS SLEEPS LOAD_TICKS" spent in it.
bench_slice() {
  local pid=$1 port=$2 path=$3 secs=$4 out u0 s0 u1 s1 v0 v1 l0 l1
  read -r u0 s0 < <(cpu_ticks "$pid")
  v0=$(sleeps "$pid") l0=$(load_busy)
  out=$(taskset -c 1 wrk -t1 -c"$CONNS" -d"${secs}s" "${wrkopt[@]}" "http://127.0.0.1:$port$path")
  read -r u1 s1 < <(cpu_ticks "$pid")
  v1=$(sleeps "$pid") l1=$(load_busy)
  echo "$(awk '/requests in/ { print $1 }' <<<"$out") $((u1 - u0 + s1 - s0)) $((s1 - s0)) $((v1 - v0)) $((l1 - l0))"
}

# bench_round PATH: one round with both proxies up (ref_pid on fe_port,
# our_pid on our_port): four slices in the order reference, ours, ours,
# reference, so that a drift of the machine's speed during the round
# weighs on both alike; then each one's latency at a fixed rate. Prints
# per proxy (reference, then ours) "REQS_PER_SEC CPU_S_PER_100K P50_MS
# P99_MS RSS_MIB KERNEL_SHARE SLEEPS_PER_REQ LOAD_US_PER_REQ".
bench_round() {
  local path=$1 half=$(((SECS + 1) / 2)) ra=(0 0 0 0 0) ob=(0 0 0 0 0) x i lat_a lat_b
  for who in ref ours ours ref; do
    if [ "$who" = ref ]; then
      read -ra x <<<"$(bench_slice "$ref_pid" "$fe_port" "$path" "$half")"
      for i in 0 1 2 3 4; do ra[i]=$((ra[i] + x[i])); done
    else
      read -ra x <<<"$(bench_slice "$our_pid" "$our_port" "$path" "$half")"
      for i in 0 1 2 3 4; do ob[i]=$((ob[i] + x[i])); done
    fi
  done
  lat_a=$(taskset -c 1 "$work/ratelat" -addr "127.0.0.1:$fe_port" -path "$path" -rate "$RATE" -conns 10 -dur "${SECS}s" "${latopt[@]}")
  lat_b=$(taskset -c 1 "$work/ratelat" -addr "127.0.0.1:$our_port" -path "$path" -rate "$RATE" -conns 10 -dur "${SECS}s" "${latopt[@]}")
  bench_figures "${ra[*]}" "$lat_a" "$(rss_kib "$ref_pid")" $((half * 2))
  bench_figures "${ob[*]}" "$lat_b" "$(rss_kib "$our_pid")" $((half * 2))
}

# bench_figures "REQS CPU KERNEL SLEEPS LOAD" LATENCY RSS_KIB SECS: one
# proxy's line of bench_round.
bench_figures() {
  local t
  read -ra t <<<"$1"
  awk -v r="${t[0]}" -v c="${t[1]}" -v k="${t[2]}" -v v="${t[3]}" -v l="${t[4]}" -v hz="$hz" -v lat="$2" -v rss="$3" -v secs="$4" \
    'BEGIN { printf "%.0f %.4f %s %.1f %.3f %.3f %.2f\n", r / secs, (c / hz) / (r / 100000), lat, rss / 1024, (c > 0 ? k / c : 0), v / r, l / hz * 1e6 / r }'
}

# bench_case NAME PATH [close]: runs the rounds of one case on $work/haproxy.cfg.
bench_case() {
  local name=$1 path=$2 mode=${3:-} r res=() ratios=() p
  echo "== $name: $CONNS connections, ${SECS}s per run, $ROUNDS rounds, latency at $RATE req/s"
  printf "%-6s %-10s %10s %15s %9s %9s %8s %7s %10s %11s\n" round proxy "req/s" "CPU s/100k" "p50 ms" "p99 ms" "RSS MiB" "kernel" "sleeps/req" "load us/req"
  wrkopt=() latopt=()
  if [ "$mode" = close ]; then
    wrkopt=(-H "Connection: close")
    latopt=(-close)
  fi
  # Ours runs the same configuration on the next port, beside the
  # reference: both stay up for the whole case.
  our_port=$((fe_port + 1))
  sed "s/:$fe_port\b/:$our_port/g" "$work/haproxy.cfg" > "$work/ours.cfg"
  ref_pid=$(bench_start "$REF" "$work/haproxy.cfg")
  our_pid=$(bench_start "$OURS" "$work/ours.cfg")
  pids+=("$ref_pid" "$our_pid")
  bench_wait_port "$fe_port"
  bench_wait_port "$our_port"
  for p in "$ref_pid" "$our_pid"; do
    if ! kill -0 "$p" 2>/dev/null; then
      echo "bench: a proxy did not start on this configuration" >&2
      return 0
    fi
  done
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s "${wrkopt[@]}" "http://127.0.0.1:$fe_port$path" >/dev/null
  taskset -c 1 wrk -t1 -c"$CONNS" -d1s "${wrkopt[@]}" "http://127.0.0.1:$our_port$path" >/dev/null
  for ((r = 1; r <= ROUNDS; r++)); do
    mapfile -t res < <(bench_round "$path")
    read -r a_rps a_cpu a_p50 a_p99 a_rss a_kern a_sleep a_load <<<"${res[0]}"
    printf "%-6s %-10s %10s %15s %9s %9s %8s %7s %10s %11s\n" "$r" reference "$a_rps" "$a_cpu" "$a_p50" "$a_p99" "$a_rss" "$a_kern" "$a_sleep" "$a_load"
    read -r b_rps b_cpu b_p50 b_p99 b_rss b_kern b_sleep b_load <<<"${res[1]}"
    printf "%-6s %-10s %10s %15s %9s %9s %8s %7s %10s %11s\n" "$r" ours "$b_rps" "$b_cpu" "$b_p50" "$b_p99" "$b_rss" "$b_kern" "$b_sleep" "$b_load"
    ratios+=("$(awk -v a="$b_cpu" -v b="$a_cpu" -v c="$b_rps" -v d="$a_rps" -v e="$b_p99" -v f="$a_p99" -v g="$b_rss" -v h="$a_rss" -v k="$a_kern" \
      -v la="$a_load" -v lb="$b_load" -v sa="$a_sleep" -v sb="$b_sleep" \
      'BEGIN { printf "%.3f %.3f %.3f %.3f %.3f %.3f %.3f %.3f", a / b, c / d, (f > 0 ? e / f : 0), g / h, k, (la > 0 ? lb / la : 0), sa, sb }')")
  done
  for p in "$ref_pid" "$our_pid"; do
    kill -USR1 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  printf '%s\n' "${ratios[@]}" | awk -v goal="$CPU_GOAL" '
    NR == 1 { for (i = 1; i <= 8; i++) { mn[i] = mx[i] = $i } }
    { for (i = 1; i <= 8; i++) { if ($i < mn[i]) mn[i] = $i; if ($i > mx[i]) mx[i] = $i; s[i] += $i } }
    END {
      printf "  CPU per request, ours/reference: mean %.3f (min %.3f, max %.3f); goal <= %s\n", s[1] / NR, mn[1], mx[1], goal
      printf "  requests/s, ours/reference:      mean %.3f (min %.3f, max %.3f); goal >= 1.0\n", s[2] / NR, mn[2], mx[2]
      printf "  p99 latency, ours/reference:     mean %.3f (min %.3f, max %.3f)\n", s[3] / NR, mn[3], mx[3]
      printf "  RSS, ours/reference:             mean %.3f (min %.3f, max %.3f)\n", s[4] / NR, mn[4], mx[4]
      # The kernel does the same work for any proxy that makes the same
      # receives and sends: that share of the reference CPU is a floor
      # no user-space work can go below.
      printf "  reference CPU in the kernel:     mean %.3f (min %.3f, max %.3f): the lowest CPU ratio a proxy making its system calls can reach\n", s[5] / NR, mn[5], mx[5]
      # Where the load core is the limit, its cost per request sets
      # requests/s; a proxy that sleeps more often costs it more wake-ups.
      printf "  load core CPU per request, ours/reference: mean %.3f (min %.3f, max %.3f); proxy sleeps per request: ours %.3f, reference %.3f\n", s[6] / NR, mn[6], mx[6], s[8] / NR, s[7] / NR
    }'
}
