#!/usr/bin/env bash
# Short runs of every fuzz target in the tree: FUZZTIME each (default 10s).
set -euo pipefail
fuzztime=${FUZZTIME:-10s}
status=0
while IFS= read -r file; do
  pkg="./$(dirname "$file")"
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
    echo "== fuzz $pkg $target ($fuzztime)"
    go test "$pkg" -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" || status=1
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sort)
exit $status
