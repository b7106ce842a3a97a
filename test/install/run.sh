#!/usr/bin/env bash
# ctest "install": the library as an integrator gets it.
#   test/install/run.sh BUILD_DIR [CONFIG]
# 1. cmake --install BUILD_DIR into a scratch prefix; the expected files must be there
#    and no installed package file may point into the source or build tree (mbedTLS's
#    own recorded paths aside);
# 2. copies test/install/consumer out of the source tree, configures it with
#    find_package(pop3 CONFIG) (CMAKE_PREFIX_PATH = the prefix), builds and runs both
#    programs (pop3::core alone; pop3::posix with TLS);
# 3. builds the same consumer.c with `cc consumer.c $(pkg-config --cflags --libs pop3)`
#    (PKG_CONFIG_LIBDIR = the prefix's only) and runs it.
# Environment: CC (default: the compiler recorded in BUILD_DIR's cache), CMAKE_GENERATOR.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
src=$(cd "$here/../.." && pwd -P)
build=$(cd "${1:?usage: run.sh BUILD_DIR [CONFIG]}" && pwd -P)
config=${2:-}
fail() { echo "install: FAIL: $*" >&2; exit 1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1; }

cc=${CC:-$(cache CMAKE_C_COMPILER)}
generator=${CMAKE_GENERATOR:-$(cache CMAKE_GENERATOR)}
libdir=$(cache CMAKE_INSTALL_LIBDIR)
libdir=${libdir:-lib}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pop3-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

# ---- 1. install --------------------------------------------------------------------
cmake --install "$build" --prefix "$prefix" ${config:+--config "$config"} >"$tmp/install.log" ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
for f in "$libdir/libpop3_core.a" "$libdir/libpop3_tls.a" "$libdir/libpop3_posix.a" \
  include/pop3/pop3.h include/pop3/pop3_sasl.h include/pop3/pop3_config_defaults.h include/pop3/pop3_tls.h \
  include/pop3/pop3_posix.h \
  "$libdir/cmake/pop3/pop3Config.cmake" "$libdir/cmake/pop3/pop3ConfigVersion.cmake" \
  "$libdir/cmake/pop3/pop3Targets.cmake" "$libdir/pkgconfig/pop3.pc"; do
  [ -f "$prefix/$f" ] || fail "not installed: $f"
done
# Paths of the mbedTLS this build used are recorded on purpose; anything else pointing
# into the source or build tree would break once those are gone.
mbedtls_paths=$(cache MBEDTLS_INCLUDE_DIR
  for v in MBEDTLS_LIB MBEDX509_LIB MBEDCRYPTO_LIB MBEDTLS_EVEREST_LIB MBEDTLS_P256M_LIB; do
    l=$(cache $v)
    if [ -n "$l" ]; then printf '%s\n%s\n' "$l" "$(dirname "$l")"; fi # pop3.pc: -L<dir>
  done)
while IFS= read -r -d '' f; do
  text=$(cat "$f")
  while IFS= read -r m; do
    [ -n "$m" ] && [ "${m%-NOTFOUND}" = "$m" ] && text=${text//"$m"/}
  done <<<"$mbedtls_paths"
  for tree in "$src" "$build"; do
    case $text in *"$tree"*) fail "${f#"$prefix"/} refers to $tree";; esac
  done
done < <(find "$prefix" -type f \( -name '*.cmake' -o -name '*.pc' -o -name '*.h' \) -print0)
echo "install: $(find "$prefix" -type f | wc -l) files in $prefix"

# ---- 2. find_package(pop3 CONFIG) ------------------------------------------------------
cp -r "$here/consumer" "$tmp/consumer"
cmake -S "$tmp/consumer" -B "$tmp/consumer-build" ${generator:+-G "$generator"} \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DPOP3_EXPECT_PREFIX="$prefix" >"$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log" >&2; fail "consumer: configure with find_package(pop3 CONFIG)"; }
grep -E '^-- pop3 ' "$tmp/consumer.log" || true
cmake --build "$tmp/consumer-build" --parallel 2 >>"$tmp/consumer.log" 2>&1 ||
  { cat "$tmp/consumer.log" >&2; fail "consumer: build against pop3::core / pop3::posix"; }
for exe in consumer_core consumer_posix; do
  echo "+ find_package: $exe"
  "$tmp/consumer-build/$exe" || fail "find_package consumer $exe"
done

# ---- 3. pkg-config ---------------------------------------------------------------------
command -v pkg-config >/dev/null || fail "pkg-config not found (Debian: pkgconf)"
export PKG_CONFIG_LIBDIR=$prefix/$libdir/pkgconfig
unset PKG_CONFIG_PATH
flags=$(pkg-config --cflags --libs pop3) || fail "pkg-config --cflags --libs pop3"
echo "+ $cc consumer.c -DCONSUMER_POSIX -o consumer-pc $flags"
# shellcheck disable=SC2086 # word splitting of the pkg-config output is the point
(cd "$tmp/consumer" && "$cc" -std=c99 -Wall -Wextra -Werror consumer.c -DCONSUMER_POSIX -o "$tmp/consumer-pc" $flags) ||
  fail "build with pkg-config"
"$tmp/consumer-pc" || fail "pkg-config consumer"
echo "install: ok (find_package and pkg-config consumers built outside the tree and passed)"
