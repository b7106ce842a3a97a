#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 clone: installs the Debian
# packages it needs, builds with ASan+UBSan and runs every test (unit, state
# machine, Dovecot integration), builds mbedTLS 3.6 LTS from Debian's source
# and runs the same tests against it (ASan+UBSan again), then builds without
# sanitizers and runs the integration sessions again under valgrind (system
# mbedTLS 2.28).
#   stages: deps, asan (2.28), mbedtls-3.6 (fetch, build, tests), valgrind (2.28)
# A failure names its stage on the last line. Third-party sources and the
# mbedTLS 3.6 install live in .deps/ (gitignored; reused by later runs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

stage=setup
t0=$(date +%s)
ts=$t0
timings=()
begin() { # name
  stage=$1
  ts=$(date +%s)
  echo "== $stage"
}
done_stage() {
  timings+=("$stage: $(($(date +%s) - ts)) s")
}
finish() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "run-tests: FAILED in stage '$stage' (exit $rc) after $(($(date +%s) - t0)) s" >&2
  fi
}
trap finish EXIT

configure() { # build-dir cmake-args...: quiet, but say which mbedTLS was found
  local dir=$1
  shift
  mkdir -p "$dir"
  if ! cmake -S "$top" -B "$dir" -G Ninja "$@" >"$dir/configure.log" 2>&1; then
    cat "$dir/configure.log" >&2
    return 1
  fi
  grep -E '^-- mbedTLS' "$dir/configure.log" || true
}

begin "deps: Debian packages"
bash "$top/test/install-deps.sh"
done_stage

begin "sanitizer build (ASan + UBSan), mbedTLS 2.28: all tests"
configure "$top/build-asan" -DCMAKE_BUILD_TYPE=Debug -DPOP3_SANITIZE=ON -DMBEDTLS_DIR=
cmake --build "$top/build-asan" -j "$jobs"
ctest --test-dir "$top/build-asan" --output-on-failure -j "$jobs" -LE valgrind
robustness=$(bash "$top/test/fault/summary.sh" "$top/build-asan/summary")
echo "$robustness"
# Reports the tests write but ctest shows only on failure.
if [ -f "$top/build-asan/summary/fuzz.txt" ]; then
  echo "fuzzing (executions, coverage): $(tr '\n' ' ' <"$top/build-asan/summary/fuzz.txt")"
fi
if [ -f "$top/build-asan/examples/lwip-baremetal/size-table.md" ]; then
  cat "$top/build-asan/examples/lwip-baremetal/size-table.md"
fi
if [ -f "$top/build-asan/test/qemu/qemu-table.md" ]; then
  cat "$top/build-asan/test/qemu/qemu-table.md"
fi
done_stage

begin "mbedTLS 3.6: fetch sources"
deps=$top/.deps
mkdir -p "$deps"
# One fetch at a time into .deps (another run or a developer may be at it).
if ! flock "$deps/.fetch.lock" bash "$top/test/deps/fetch-sources.sh" "$deps"; then
  # A fetch interrupted mid "apt-get update" leaves a private list state that
  # later runs trust; it is only a cache: drop it and try once more.
  echo "run-tests: fetch failed; retrying with fresh private apt lists" >&2
  flock "$deps/.fetch.lock" rm -rf "$deps/apt"
  flock "$deps/.fetch.lock" bash "$top/test/deps/fetch-sources.sh" "$deps"
fi
done_stage

begin "mbedTLS 3.6: build library"
mbedtls36=$deps/mbedtls-3.6-install
bash "$top/test/deps/build-mbedtls.sh" "$deps/mbedtls-3.6" "$mbedtls36" >/dev/null
done_stage

begin "sanitizer build (ASan + UBSan), mbedTLS 3.6: all tests"
configure "$top/build-mbedtls36" -DCMAKE_BUILD_TYPE=Debug -DPOP3_SANITIZE=ON -DMBEDTLS_DIR="$mbedtls36"
cmake --build "$top/build-mbedtls36" -j "$jobs"
# lint.sh (the lint test) checks the sources against these headers too.
MBEDTLS_INCLUDE_DIR=$mbedtls36/include \
  ctest --test-dir "$top/build-mbedtls36" --output-on-failure -j "$jobs" -LE 'valgrind|fuzz|qemu' # fuzzing covers the core once; the QEMU firmware run does not use the host's mbedTLS
done_stage

# Dovecot negotiates TLS 1.3 with 3.6 above; its TLS 1.2 code differs from 2.28's.
begin "mbedTLS 3.6 capped at TLS 1.2 (POP3_TLS13_ENABLE=0): TLS integration tests"
configure "$top/build-mbedtls36-tls12" -DCMAKE_BUILD_TYPE=Debug -DMBEDTLS_DIR="$mbedtls36" \
  -DCMAKE_C_FLAGS=-DPOP3_TLS13_ENABLE=0
cmake --build "$top/build-mbedtls36-tls12" -j "$jobs" --target pop3-cli
ctest --test-dir "$top/build-mbedtls36-tls12" --output-on-failure -j "$jobs" \
  -R '^integration\.(commands_(stls|tls|starttls_ip|tls_ip)|big_(stls|tls)|wrong_(ca|host))$'
done_stage

begin "plain build, mbedTLS 2.28: integration under valgrind"
configure "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMBEDTLS_DIR=
cmake --build "$top/build" -j "$jobs"
ctest --test-dir "$top/build" --output-on-failure -j "$jobs" -L valgrind
done_stage

stage=done
printf '%s\n' "${timings[@]}"
echo "$robustness"
echo "run-tests: all stages passed in $(($(date +%s) - t0)) s"
