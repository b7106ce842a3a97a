#include "test_check.h"

#include <stdio.h>
#include <stdlib.h>

int tc_failures, tc_checks, tc_max_failures;

void tc_vfail_at(int line, const char *fmt, va_list ap)
{
    fprintf(stderr, "FAIL (line %d): ", line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    tc_failures++;
    if (tc_max_failures > 0 && tc_failures > tc_max_failures) {
        exit(1);
    }
}

void tc_fail_at(int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tc_vfail_at(line, fmt, ap);
    va_end(ap);
}
