# Helpers for reading pop3-cli -v traces (sourced by pop3_test.sh and
# mailutils_test.sh).  The CLI prints "C: ..." as each command goes into a
# send and "S: ..." for each status or list line it reads, so commands sent
# back to back without waiting for a reply show as consecutive "C:" lines.

# longest_c_run FILE: the largest number of "C:" lines in a row
longest_c_run() { awk '/^C: / { r++; if (r > m) m = r; next } { r = 0 } END { print m + 0 }' "$1"; }

# c_lines FILE: how many commands were sent
c_lines() { grep -c '^C: ' "$1"; }
