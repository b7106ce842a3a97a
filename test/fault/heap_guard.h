/*
 * Zero-heap proof, at run time. The fault harnesses link with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free
 * so every direct call to these from code linked statically into the test
 * (the library's objects and the harness) lands in __wrap_*() below. The
 * harness brackets each call into the library with HG_LIB(...) and each
 * callback from the library with hg_cb_enter()/hg_cb_leave(); a heap call
 * made while library code is on the stack and no harness callback is running
 * is a violation: it is reported with a backtrace and fails the test. A call
 * made directly by an mbedTLS function is mbedTLS's own allocator (README: its
 * MD layer allocates the HMAC context for CRAM-MD5 and SCRAM, as TLS allocates
 * its record buffers): counted apart in hg_mbedtls_calls, not a violation.
 * (Allocation inside the shared libc, e.g. by printf, is not seen by --wrap:
 * the static `nm` check, heap_nm_check.sh, covers strdup & co.)
 */
#ifndef HEAP_GUARD_H
#define HEAP_GUARD_H

#include <stddef.h>

extern volatile int hg_lib_depth;    /* > 0: inside the library */
extern volatile int hg_cb_depth;     /* > 0: inside a harness callback called by the library */
extern volatile unsigned long hg_violations;
extern volatile unsigned long hg_harness_calls; /* heap calls outside the library (allowed) */
extern volatile unsigned long hg_mbedtls_calls; /* made by mbedTLS functions inside library calls */

#define HG_LIB(expr) (hg_lib_depth++, (expr), hg_lib_depth--)
#define HG_LIB_RET(var, expr) do { hg_lib_depth++; (var) = (expr); hg_lib_depth--; } while (0)
static inline void hg_cb_enter(void) { hg_cb_depth++; }
static inline void hg_cb_leave(void) { hg_cb_depth--; }

/* Self-test: calls malloc/free "from the library" and checks both were caught; then forgets them. */
int hg_self_test(void);

#endif
