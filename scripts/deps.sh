#!/usr/bin/env bash
# Installs what the tests, the demo and the benchmarks use. Idempotent and
# quick when everything is already there.
set -euo pipefail

packages=(haproxy keepalived iproute2 wrk socat tcpdump iputils-ping nginx-light procps util-linux chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages enable services; our tests start their own instances
# and must not find the system's haproxy or keepalived holding ports.
for svc in haproxy keepalived nginx; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
go mod download
