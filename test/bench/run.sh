#!/usr/bin/env bash
# Benchmark suite (issue 11): pop3-cli against curl, a bare recv loop and
# Python's poplib, on servers started here on 127.0.0.1 only. Prints tables;
# asserts only that every client's output equals the server's bytes.
#
#   bash test/bench/run.sh [--quick] [--smoke] [--no-dovecot] [--cli PATH] [--work DIR]
#
#   (default)     the full run: 100 MiB RETR (best of 5, callgrind on 100 MiB),
#                 POP3S against Dovecot (20 MiB), 100,000-entry listings (best
#                 of 7), latency at RTT 0/10/50/200 ms. Several minutes.
#   --quick       1 rep (listings 3), callgrind on a 5 MiB message, no 200 ms
#                 RTT. About a minute.
#   --smoke       small sizes, no callgrind, no Dovecot: checks that the suite
#                 works and the bytes are right (the ctest "bench_suite").
#   --no-dovecot  skip the POP3S section (it needs root: Dovecot's master).
#   --cli PATH    measure this pop3-cli instead of building one. Without it a
#                 Release build (no sanitizers, no tests) goes to build-bench/,
#                 against the system mbedTLS (Debian 12: 2.28), and a second one
#                 against mbedTLS 3.6 to build-bench-mbedtls3/ when MBEDTLS3 is
#                 there (the POP3S table then has a row for each).
#   --mbedtls3 DIR  that mbedTLS 3.x install prefix (default .deps/mbedtls-3.6-install,
#                 made by test/deps/build-mbedtls.sh; "none": no second build).
#   --work DIR    scratch files and the helper binaries (default build-bench/work).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd -P)
TOP=$(cd "$HERE/../.." && pwd -P)
CLI=
CLI3=
WORK=
MBEDTLS3=$TOP/.deps/mbedtls-3.6-install
ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick|--smoke|--no-dovecot) ARGS+=("$1") ;;
    --cli) CLI=$2; shift ;;
    --work) WORK=$2; shift ;;
    --mbedtls3) MBEDTLS3=$2; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for t in cc curl; do # exit 77: ctest's "skipped"
  command -v "$t" >/dev/null || { echo "run.sh: $t not found (bash test/install-deps.sh)" >&2; exit 77; }
done
PYTHON=/usr/bin/python3 # Debian's (test/install-deps.sh); its poplib is measured
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)

# release_build DIR [CMAKE_ARG...]: a Release pop3-cli (no sanitizers, no tests) in DIR.
release_build() {
  local dir=$1; shift
  mkdir -p "$dir"
  cmake -S "$TOP" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPOP3_SANITIZE=OFF \
    -DPOP3_BUILD_TESTS=OFF "$@" >"$dir/bench-cmake.log" 2>&1 ||
    { cat "$dir/bench-cmake.log" >&2; exit 1; }
  cmake --build "$dir" -j2 --target pop3-cli >"$dir/bench-build.log" 2>&1 ||
    { cat "$dir/bench-build.log" >&2; exit 1; }
}

# "mbedTLS 3.6.6", as the configure step found it
mbedtls_of() { sed -n 's/^-- \(mbedTLS [0-9.]*\) (.*/\1/p' "$1/bench-cmake.log" | head -n1; }

if [ -z "$CLI" ]; then
  release_build "$TOP/build-bench" -DMBEDTLS_DIR=
  CLI=$TOP/build-bench/examples/pop3-cli/pop3-cli
  BUILD_KIND="Release build in build-bench/, $(mbedtls_of "$TOP/build-bench")"
  if [ "$MBEDTLS3" != none ] && [ -d "$MBEDTLS3" ]; then
    release_build "$TOP/build-bench-mbedtls3" -DMBEDTLS_DIR="$MBEDTLS3"
    CLI3=$TOP/build-bench-mbedtls3/examples/pop3-cli/pop3-cli
    ARGS+=(--cli3-build "Release build in build-bench-mbedtls3/, $(mbedtls_of "$TOP/build-bench-mbedtls3")")
  fi
else
  BUILD_KIND="given with --cli"
fi
[ -x "$CLI" ] || { echo "run.sh: no pop3-cli at $CLI" >&2; exit 1; }
CLI=$(cd "$(dirname "$CLI")" && pwd -P)/$(basename "$CLI")
WORK=${WORK:-$TOP/build-bench/work}
mkdir -p "$WORK/tools"
WORK=$(cd "$WORK" && pwd -P)

# The helpers are built here, optimised, whatever build the CLI comes from.
for t in fastpop bareloop measure; do
  cc -std=c99 -O2 -Wall -Wextra -Werror -o "$WORK/tools/$t" "$HERE/$t.c"
done

[ -z "$CLI3" ] || ARGS+=(--cli3 "$CLI3")
exec "$PYTHON" "$HERE/bench.py" --cli "$CLI" --cli-build "$BUILD_KIND" --tools "$WORK/tools" \
  --work "$WORK" "${ARGS[@]}"
