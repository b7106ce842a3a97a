#!/usr/bin/env bash
# ctest "core_without_mbedtls": with APOP and SASL off the core builds from the C library alone.
# Runs exactly the command of issue 7,
#   cc -std=c99 -pedantic -Wall -Wextra -Werror -DPOP3_APOP_ENABLE=0 -DPOP3_SASL_ENABLE=0 -c core/src/*.c -Iconfig -Icore/include
# in a scratch copy of core/ and config/, inside a private mount namespace (unshare -rm)
# where every mbedtls/ and psa/ directory on the compiler's search path is covered by an
# empty directory: a core file that included an mbedTLS header would fail to compile.
# A control first checks that <mbedtls/md5.h> is indeed unreachable there.
# Exit: 0 ok, 1 failure, 77 (skipped) without cc or unshare.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
fail() { echo "core_without_mbedtls: FAIL: $*" >&2; exit 1; }
command -v cc >/dev/null || { echo "core_without_mbedtls: no cc: skipped"; exit 77; }

if [ "${1:-}" != --inside ]; then
  command -v unshare >/dev/null || { echo "core_without_mbedtls: no unshare: skipped"; exit 77; }
  unshare -rm true 2>/dev/null || { echo "core_without_mbedtls: unshare -rm not permitted: skipped"; exit 77; }
  exec unshare -rm bash "${BASH_SOURCE[0]}" --inside
fi

empty=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$work"; rmdir "$empty" 2>/dev/null || true' EXIT
search=$(echo | cc -E -v -x c - -o /dev/null 2>&1 | sed -n '/<\.\.\.> search starts here/,/End of search list/p' | sed '1d;$d')
for d in $search; do
  for sub in mbedtls psa; do
    if [ -d "$d/$sub" ]; then
      mount --bind "$empty" "$d/$sub"
      echo "hidden: $d/$sub"
    fi
  done
done
if printf '#include <mbedtls/md5.h>\n' | cc -E -x c - -o /dev/null 2>/dev/null; then
  fail "control: <mbedtls/md5.h> is still reachable, the check would prove nothing"
fi

mkdir -p "$work/core"
cp -r "$top/core/include" "$top/core/src" "$work/core/"
cp -r "$top/config" "$work/"
cd "$work"
cmd='cc -std=c99 -pedantic -Wall -Wextra -Werror -DPOP3_APOP_ENABLE=0 -DPOP3_SASL_ENABLE=0 -c core/src/*.c -Iconfig -Icore/include'
echo "+ $cmd"
eval "$cmd" || fail "the core does not build with the C library alone (see above)"
echo "core_without_mbedtls: ok: $(find . -maxdepth 1 -name "*.o" | wc -l) objects from core/src/*.c, no mbedTLS header reachable"
