/* Zero-heap proof at run time: see heap_guard.h. */
#define _GNU_SOURCE /* dladdr */
#include "heap_guard.h"

#include <dlfcn.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int hg_lib_depth;
volatile int hg_cb_depth;
volatile unsigned long hg_violations; /* volatile: GCC assumes malloc() leaves globals alone */
volatile unsigned long hg_harness_calls;
volatile unsigned long hg_mbedtls_calls;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static volatile int hg_quiet;

/* Whether the heap call comes straight from an mbedTLS function (its own
 * allocator, e.g. mbedtls_md_setup() for an HMAC context): named through the
 * dynamic symbol table (-rdynamic). Unnamed callers count as ours. */
static int from_mbedtls(void *caller)
{
    Dl_info info;

    return caller != NULL && dladdr(caller, &info) != 0 && info.dli_sname != NULL &&
           strncmp(info.dli_sname, "mbedtls_", 8) == 0;
}

static void hg_note(const char *what, void *caller)
{
    if (hg_lib_depth > 0 && hg_cb_depth == 0 && from_mbedtls(caller)) {
        hg_mbedtls_calls++;
    } else if (hg_lib_depth > 0 && hg_cb_depth == 0) {
        hg_violations++;
        if (!hg_quiet && hg_violations <= 5) {
            void *bt[32];
            int n = backtrace(bt, 32);
            /* No stdio here: it might allocate. */
            static const char msg[] = "HEAP GUARD: library code called ";
            (void)!write(2, msg, sizeof msg - 1);
            for (const char *p = what; *p; p++) (void)!write(2, p, 1);
            (void)!write(2, "; backtrace (addr2line -e <test> ...):\n", 39);
            backtrace_symbols_fd(bt, n, 2);
        }
    } else {
        hg_harness_calls++;
    }
}

void *__wrap_malloc(size_t n)
{
    hg_note("malloc", __builtin_return_address(0));
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
    hg_note("calloc", __builtin_return_address(0));
    return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
    hg_note("realloc", __builtin_return_address(0));
    return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
    if (p != NULL) hg_note("free", __builtin_return_address(0));
    __real_free(p);
}

int hg_self_test(void)
{
    unsigned long before = hg_violations;
    int ok;
    void *volatile p;

    hg_quiet = 1;
    hg_lib_depth++;
    p = malloc(16);
    free(p);
    hg_lib_depth--;
    ok = hg_violations == before + 2;
    hg_violations = before;
    hg_quiet = 0;
    return ok;
}
