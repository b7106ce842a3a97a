#!/usr/bin/env bash
# Static analysis of the library (core/ and port/): cppcheck and clang-tidy.
# Fails on any finding; both tools come from test/install-deps.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
inc=(-I core/include -I config -I core/src -I port/mbedtls -I port/posix)
srcs=(core/src/*.c port/mbedtls/*.c port/posix/*.c)

# Which mbedTLS to check against: MBEDTLS_INCLUDE_DIR (e.g. PREFIX/include of
# test/deps/build-mbedtls.sh, for 3.6), else the system's (2.28).
# cppcheck does not read system headers: tell it the version the build uses;
# clang-tidy reads them: put that include dir ahead of /usr/include.
mbedtls_inc=${MBEDTLS_INCLUDE_DIR:-/usr/include}
tidy_inc=()
if [ "$mbedtls_inc" != /usr/include ]; then
  [ -f "$mbedtls_inc/mbedtls/ssl.h" ] || { echo "lint: no mbedtls/ssl.h in $mbedtls_inc" >&2; exit 1; }
  tidy_inc=(-isystem "$mbedtls_inc")
fi
mbedtls_ver=$(sed -n 's/^#define MBEDTLS_VERSION_NUMBER *\(0x[0-9A-Fa-f]*\).*/\1/p' \
  "$mbedtls_inc/mbedtls/build_info.h" "$mbedtls_inc/mbedtls/version.h" 2>/dev/null | head -n1 || true)

cppcheck --error-exitcode=1 -DMBEDTLS_VERSION_NUMBER="${mbedtls_ver:-0x021C0300}" -DMBEDTLS_MD5_C --enable=warning,style,performance,portability --std=c99 --quiet \
  --inline-suppr -UPOP3_CONFIG_FILE -D__GNUC__ "${inc[@]}" --suppress=missingIncludeSystem \
  core/src port/mbedtls port/posix

out=$(clang-tidy "${srcs[@]}" --quiet \
  -checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling' \
  -- -std=c99 -D_POSIX_C_SOURCE=200809L "${inc[@]}" "${tidy_inc[@]}" 2>/dev/null | grep -E 'warning:|error:' || true)
if [ -n "$out" ]; then
  echo "$out"
  exit 1
fi

# port/lwip needs lwIP's headers: checked when the sources were fetched (.deps).
lwip_src=$top/.deps/lwip-2.2.1/src
lwip_note="port/lwip skipped (no .deps/lwip-2.2.1)"
if [ -f "$lwip_src/include/lwip/altcp.h" ]; then
  lwip_inc=(-I port/lwip -I test/lwip/port -I "$lwip_src/include")
  cppcheck --error-exitcode=1 -DMBEDTLS_VERSION_NUMBER="${mbedtls_ver:-0x021C0300}" --enable=warning,style,performance,portability \
    --std=c99 --quiet --inline-suppr -UPOP3_CONFIG_FILE -D__GNUC__ "${inc[@]}" "${lwip_inc[@]}" \
    --suppress=missingIncludeSystem --suppress=missingInclude port/lwip
  out=$(clang-tidy port/lwip/*.c --quiet \
    -checks='-*,clang-analyzer-*,bugprone-*,-bugprone-easily-swappable-parameters,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling' \
    -- -std=c99 "${inc[@]}" "${tidy_inc[@]}" -isystem "$lwip_src/include" -I port/lwip -I test/lwip/port 2>/dev/null | grep -E 'warning:|error:' || true)
  if [ -n "$out" ]; then
    echo "$out"
    exit 1
  fi
  lwip_note="port/lwip against lwIP 2.2.1"
fi
echo "lint: cppcheck and clang-tidy clean (mbedTLS ${mbedtls_ver:-?} from $mbedtls_inc; $lwip_note)"
