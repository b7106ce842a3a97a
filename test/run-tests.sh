#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 clone: installs the Debian
# packages it needs, builds with ASan+UBSan and runs every test (unit, state
# machine, Dovecot integration), then builds without sanitizers and runs the
# integration sessions again under valgrind.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)

bash "$top/test/install-deps.sh"

echo "== sanitizer build (ASan + UBSan): all tests"
cmake -S "$top" -B "$top/build-asan" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPOP3_SANITIZE=ON >/dev/null
cmake --build "$top/build-asan" -j "$jobs"
ctest --test-dir "$top/build-asan" --output-on-failure -j "$jobs" -LE valgrind

echo "== plain build: integration under valgrind"
cmake -S "$top" -B "$top/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j "$jobs"
ctest --test-dir "$top/build" --output-on-failure -j "$jobs" -L valgrind
