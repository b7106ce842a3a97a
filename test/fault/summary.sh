#!/usr/bin/env bash
# The robustness summary line, from the files the hostile, fuzz and fault tests
# write into DIR (normally ${CMAKE_BINARY_DIR}/summary):
#   hostile.txt  cases_run=N cases_passed=N
#   fuzz.txt     fuzz_execs=N          (several lines are added up)
#   fault.txt    faults_injected=N
# Prints one line; a missing file is reported as "not run". Always exits 0:
# the tests themselves pass or fail, this only reports.
#   summary.sh DIR
dir=${1:?usage: summary.sh SUMMARY_DIR}

# value FILE KEY: sum of every KEY=N in FILE (words on any line); empty if none
value() {
  [ -f "$1" ] || return 0
  tr -s ' \t' '\n\n' <"$1" | sed -n "s/^$2=\([0-9][0-9]*\)\$/\1/p" |
    awk '{ s += $1; n++ } END { if (n) printf "%d", s }'
}

run=$(value "$dir/hostile.txt" cases_run)
passed=$(value "$dir/hostile.txt" cases_passed)
execs=$(value "$dir/fuzz.txt" fuzz_execs)
faults=$(value "$dir/fault.txt" faults_injected)

if [ -n "$run" ] && [ -n "$passed" ]; then
  hostile="$run hostile cases run, $passed passed"
else
  hostile="hostile cases not run"
fi
if [ -n "$execs" ]; then fuzz="$execs fuzz executions"; else fuzz="fuzzing not run"; fi
if [ -n "$faults" ]; then fault="$faults faults injected"; else fault="fault injection not run"; fi
echo "robustness: $hostile; $fuzz; $fault"
