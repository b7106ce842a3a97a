#!/usr/bin/env bash
# Build and install an mbedTLS source tree (made for 3.6 LTS from
# fetch-sources.sh) as static libraries, for the host or with your own flags:
#
#   build-mbedtls.sh SRC_DIR PREFIX [EXTRA_CMAKE_ARG...]
#
#   SRC_DIR  an extracted mbedTLS tree, e.g. DEST/mbedtls-3.6 from
#            test/deps/fetch-sources.sh DEST
#   PREFIX   install prefix: PREFIX/include/{mbedtls,psa}/ and
#            PREFIX/lib/lib{mbedtls,mbedx509,mbedcrypto}.a
#            (then configure this project with -DMBEDTLS_DIR=PREFIX)
#   EXTRA_CMAKE_ARG  passed to mbedTLS's cmake after ours, so they win, e.g.
#            -DCMAKE_BUILD_TYPE=Debug  -DCMAKE_C_FLAGS=-fsanitize=address
#            -DMBEDTLS_CONFIG_FILE=/abs/my_config.h
#            -DCMAKE_TOOLCHAIN_FILE=/abs/arm.cmake
#
# Defaults: Release, ENABLE_TESTING=OFF, ENABLE_PROGRAMS=OFF, static only,
# MBEDTLS_FATAL_WARNINGS=OFF (third-party code, any compiler), Ninja if found.
# The build tree is PREFIX/.build. Idempotent: a stamp (PREFIX/.pop3-stamp)
# records the source version, the arguments, the compiler (CC) and the
# contents of any file named in an argument; if it matches and the libraries
# exist, nothing runs (~0 s). Otherwise it rebuilds (~20 s on 2 cores).
# Concurrent runs on the same PREFIX are serialised with flock.
# Prints PREFIX on stdout at the end; progress goes to stderr.
set -euo pipefail

src=${1:?usage: build-mbedtls.sh SRC_DIR PREFIX [EXTRA_CMAKE_ARG...]}
prefix=${2:?usage: build-mbedtls.sh SRC_DIR PREFIX [EXTRA_CMAKE_ARG...]}
shift 2
log() { printf 'build-mbedtls: %s\n' "$*" >&2; }

[ -f "$src/include/mbedtls/build_info.h" ] && [ -f "$src/CMakeLists.txt" ] || {
  log "$src is not an mbedTLS 3.x source tree (no include/mbedtls/build_info.h)"
  exit 1
}
src=$(cd "$src" && pwd -P)
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd -P)
version=$(sed -n 's/^#define MBEDTLS_VERSION_STRING  *"\(.*\)"/\1/p' "$src/include/mbedtls/build_info.h")

# Everything that should trigger a rebuild when it changes.
stamp_text() {
  local a f
  printf 'src=%s\nversion=%s\ncc=%s\n' "$src" "$version" "${CC:-}"
  for a in "$@"; do
    printf 'arg=%s\n' "$a"
    f=${a#*=}
    if [ "$f" != "$a" ] && [ -f "$f" ]; then
      printf 'file=%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
    fi
  done
}

exec 9>"$prefix/.lock"
flock 9

want=$(stamp_text "$@")
stamp=$prefix/.pop3-stamp
have_libs() {
  local l
  for l in mbedtls mbedx509 mbedcrypto; do
    [ -f "$prefix/lib/lib$l.a" ] || return 1
  done
  [ -f "$prefix/include/mbedtls/build_info.h" ]
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && have_libs; then
  log "mbedTLS $version up to date in $prefix"
  echo "$prefix"
  exit 0
fi

log "building mbedTLS $version from $src into $prefix"
rm -f "$stamp"
# Stale headers or libraries of another version must not survive.
rm -rf "$prefix/.build" "$prefix/include" "$prefix/lib"
gen=()
if command -v ninja >/dev/null 2>&1; then
  gen=(-G Ninja)
fi
start=$(date +%s)
cmake -S "$src" -B "$prefix/.build" "${gen[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_INSTALL_LIBDIR=lib \
  -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF \
  -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
  -DMBEDTLS_FATAL_WARNINGS=OFF \
  -DDISABLE_PACKAGE_CONFIG_AND_INSTALL=OFF \
  "$@" >"$prefix/.build.log" 2>&1 || {
  tail -n 30 "$prefix/.build.log" >&2
  log "cmake configure failed (full log: $prefix/.build.log)"
  exit 1
}
if ! cmake --build "$prefix/.build" -j "$(nproc 2>/dev/null || echo 2)" >>"$prefix/.build.log" 2>&1 ||
  ! cmake --install "$prefix/.build" >>"$prefix/.build.log" 2>&1; then
  tail -n 30 "$prefix/.build.log" >&2
  log "build failed (full log: $prefix/.build.log)"
  exit 1
fi
have_libs || { log "install incomplete in $prefix"; exit 1; }
printf '%s\n' "$want" >"$stamp"
log "mbedTLS $version installed in $prefix in $(($(date +%s) - start)) s"
echo "$prefix"
