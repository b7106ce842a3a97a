#!/usr/bin/env bash
# Adds up the faults injected by every fault executable of this run
# (summary/fault-*.part) into summary/fault.txt: "faults_injected=N".
set -euo pipefail
dir=$1
total=0
parts=0
for f in "$dir"/fault-*.part; do
  [ -f "$f" ] || continue
  n=$(sed -n 's/^faults_injected=\([0-9][0-9]*\)$/\1/p' "$f" | tail -n 1)
  [ -n "$n" ] || { echo "fault_total: $f: no faults_injected=N line" >&2; exit 1; }
  echo "fault_total: $(basename "$f" .part): $n"
  total=$((total + n))
  parts=$((parts + 1))
done
if [ "$parts" -eq 0 ]; then
  echo "fault_total: no fault test wrote a count: nothing to add up" >&2
  rm -f "$dir/fault.txt"
  exit 0
fi
echo "faults_injected=$total" >"$dir/fault.txt"
echo "fault_total: faults_injected=$total"
