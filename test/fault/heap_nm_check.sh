#!/usr/bin/env bash
# Zero-heap proof, static: no object of ours (core, TLS adapter, POSIX port, lwIP
# port) references a heap function. Allocation inside libc (getaddrinfo), lwIP's
# pools or mbedTLS (its own calloc) is theirs; a direct reference from our
# objects is ours and fails this check.
#   heap_nm_check.sh [--probe PROBE.a] ARCHIVE...
# --probe: an archive that does reference malloc; the check must flag it.
set -uo pipefail

# libc heap, functions that return heap memory, lwIP's heap, mbedTLS's allocator hook.
forbidden='malloc calloc realloc free reallocarray aligned_alloc posix_memalign memalign valloc pvalloc
strdup strndup asprintf vasprintf getline getdelim open_memstream open_wmemstream tempnam realpath
mem_malloc mem_calloc mem_trim mem_free mbedtls_calloc mbedtls_free'

# Prints "archive(member): symbol" for every forbidden undefined symbol; returns 1 if any.
check() {
  local a=$1 out bad=0 obj="" line sym
  if ! out=$(nm -A -u "$a" 2>&1); then
    echo "heap_nm_check: nm failed on $a: $out" >&2
    return 2
  fi
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    sym=${line##* }
    sym=${sym%%@*}
    for f in $forbidden; do
      if [ "$sym" = "$f" ]; then
        echo "  $(printf '%s' "$line" | sed 's/:[[:space:]]*U[[:space:]].*//'): references $sym"
        bad=1
      fi
    done
  done <<<"$out"
  return $bad
}

rc=0
if [ "${1:-}" = "--probe" ]; then
  probe=$2
  shift 2
  if check "$probe" >/dev/null; then
    echo "heap_nm_check: FAIL: the probe $probe (calls malloc) was not flagged: the check is broken" >&2
    rc=1
  else
    echo "heap_nm_check: probe flagged as expected ($(basename "$probe") references malloc)"
  fi
fi
[ $# -gt 0 ] || { echo "usage: $0 [--probe PROBE.a] ARCHIVE..." >&2; exit 2; }
for a in "$@"; do
  n=$(ar t "$a" 2>/dev/null | grep -c '\.o$' || true)
  if [ "${n:-0}" -eq 0 ]; then
    echo "heap_nm_check: FAIL: $a has no objects" >&2
    rc=1
    continue
  fi
  if report=$(check "$a"); then
    echo "heap_nm_check: ok   $(basename "$a") ($n objects): no heap references"
  else
    echo "heap_nm_check: FAIL $(basename "$a"):" >&2
    echo "$report" >&2
    rc=1
  fi
done
exit $rc
