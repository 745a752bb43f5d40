#!/usr/bin/env bash
# Runs every benchmark in bench/ : each one runs ours and the reference
# side by side and prints ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
benches=(bench/*.sh)
if [ ${#benches[@]} -eq 0 ]; then
  echo "bench: no benchmarks in bench/ yet"
  exit 0
fi
for b in "${benches[@]}"; do
  echo "== $b"
  bash "$b"
done
