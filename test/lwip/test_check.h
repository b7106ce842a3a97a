/*
 * CHECK() for the lwIP port tests: counts every check, reports a failing one
 * with its line and a printf-style message (shared by lwip_fake_test.c and
 * the lwip_live*.c files).
 */
#ifndef POP3_TEST_CHECK_H
#define POP3_TEST_CHECK_H

#include <stdarg.h>

extern int tc_failures, tc_checks;
/** Exit(1) once more than this many checks failed (0: never). */
extern int tc_max_failures;

void tc_fail_at(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tc_vfail_at(int line, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define CHECK(cond, ...) do { tc_checks++; if (!(cond)) { tc_fail_at(__LINE__, __VA_ARGS__); } } while (0)

#endif
