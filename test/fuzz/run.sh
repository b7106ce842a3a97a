#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (own build dir, independent of the
# main build's compiler), replays test/fuzz/regressions/<target>/*, then fuzzs
# each target for a bounded time from a scratch copy of its seed corpus.
#
#   bash test/fuzz/run.sh [--seconds N] [--build-dir DIR] [--summary FILE]
#                         [--targets "fuzz_reply fuzz_session fuzz_api fuzz_cmdmail"] [--keep-corpus]
#                         [--mbedtls-include DIR --mbedcrypto LIB] [--explore]
#   N: seconds per target (default 26; the ctest "fuzz" uses 26 x 4 targets).
#   --keep-corpus: fuzz into DIR/corpus/<target> without resetting it to the
#   seeds first (long runs that resume).
#   --explore: development only, never for the suite: builds with
#   -DFZ_EXPLORE_AROUND_KNOWN_BUGS, which steers the targets around defects
#   already recorded in regressions/ so a run can look for new ones (use its
#   own --build-dir; the regression replay is skipped, those inputs fail).
#   A bare number as the first argument is taken as --seconds.
#
# Prints one line per target (executions, cov, ft, corpus) and writes
# FILE (default DIR/../summary/fuzz.txt): fuzz_execs=N first, then per-target
# values. Exit 0 if every regression input passes and no target crashed,
# 1 otherwise (the crashing input is hexdumped), 77 if clang/libFuzzer is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=26
build=""
summary=""
targets="fuzz_reply fuzz_session fuzz_api fuzz_cmdmail"
keep=0
explore=0
mb_inc=""
mb_lib=""
if [[ ${1:-} =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    --summary) summary=$2; shift 2 ;;
    --targets) targets=$2; shift 2 ;;
    --keep-corpus) keep=1; shift ;;
    --explore) explore=1; shift ;;
    --mbedtls-include) mb_inc=$2; shift 2 ;;
    --mbedcrypto) mb_lib=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
build=${build:-$here/../../build/fuzz-clang}
mkdir -p "$build"
build=$(cd "$build" && pwd)
summary=${summary:-$(dirname "$build")/summary/fuzz.txt}

cc=$(command -v clang || command -v clang-14 || true)
if [ -z "$cc" ]; then
  echo "fuzz: clang not found: skipped" >&2
  exit 77
fi
rt=$("$cc" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n){(void)d;(void)n;return 0;}' |
    "$cc" -x c -fsanitize=fuzzer - -o "$build/.probe" >/dev/null 2>&1; then
  echo "fuzz: $cc cannot link -fsanitize=fuzzer (Debian: libclang-rt-14-dev): skipped ($rt)" >&2
  exit 77
fi

args=(-S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=)
[ -n "$mb_inc" ] && args+=(-DMBEDTLS_INCLUDE_DIR="$mb_inc")
[ -n "$mb_lib" ] && args+=(-DMBEDCRYPTO_LIB="$mb_lib")
if [ "$explore" = 1 ]; then
  args+=(-DCMAKE_C_FLAGS=-DFZ_EXPLORE_AROUND_KNOWN_BUGS)
else
  args+=(-DCMAKE_C_FLAGS=)
fi
command -v ninja >/dev/null && [ ! -f "$build/Makefile" ] && args+=(-G Ninja)
if ! cmake "${args[@]}" >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  exit 1
fi
if ! cmake --build "$build" >"$build/build.log" 2>&1; then
  cat "$build/build.log" >&2
  exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
unset FZ_TRACE

hexdump_file() {
  if command -v xxd >/dev/null; then xxd "$1" | head -64; else od -A x -t x1z "$1" | head -64; fi
}

total=0
failures=0
lines=()
for t in $targets; do
  bin=$build/$t
  # 1. regression inputs: each must run clean
  reg=$here/regressions/$t
  if [ "$explore" = 0 ] && [ -d "$reg" ] && [ -n "$(ls -A "$reg" 2>/dev/null)" ]; then
    for f in "$reg"/*; do
      if ! "$bin" "$f" >"$build/$t.regression.log" 2>&1; then
        failures=$((failures + 1))
        echo "fuzz: $t: REGRESSION FAILS: ${f#$here/}"
        grep -E "FUZZ INVARIANT|ERROR: |SUMMARY" "$build/$t.regression.log" | head -3 | sed 's/^/    /'
      fi
    done
  fi
  # 2. bounded fuzzing from the seeds
  corpus=$build/corpus/$t
  arts=$build/artifacts/$t
  if [ "$keep" = 0 ]; then rm -rf "$corpus"; fi
  mkdir -p "$corpus" "$arts"
  cp -n "$here/corpus/$t"/* "$corpus"/ 2>/dev/null || true
  log=$build/$t.log
  "$bin" -max_total_time="$seconds" -max_len=8192 -timeout=20 -rss_limit_mb=2560 \
    -print_final_stats=1 -artifact_prefix="$arts/" "$corpus" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p')
  execs=${execs:-$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')}
  execs=${execs:-0}
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  total=$((total + execs))
  status=ok
  if [ "$rc" -ne 0 ]; then
    status=FAILED
    failures=$((failures + 1))
  fi
  echo "fuzz: $t: $execs executions (${rate:-?}/s, limit ${seconds}s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?} inputs: $status"
  lines+=("${t}_execs=$execs" "${t}_cov=${cov:-0}" "${t}_ft=${ft:-0}" "${t}_status=$status")
  if [ "$status" != ok ]; then
    grep -E "FUZZ INVARIANT|ERROR: |SUMMARY|Test unit written" "$log" | head -5 | sed 's/^/    /'
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [ -n "$crash" ] && [ -f "$crash" ]; then
      echo "    input ($crash), replay: $bin $crash"
      hexdump_file "$crash" | sed 's/^/    /'
    fi
    echo "    full log: $log"
  fi
done

mkdir -p "$(dirname "$summary")"
{
  echo "fuzz_execs=$total"
  echo "fuzz_failures=$failures"
  printf '%s\n' "${lines[@]}"
} >"$summary"
echo "fuzz: total $total executions; summary in $summary"
[ "$failures" -eq 0 ]
