/* lwIP architecture header for the host tests (Linux, gcc/clang, NO_SYS=1). */
#ifndef POP3_TEST_LWIP_ARCH_CC_H
#define POP3_TEST_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { \
    fprintf(stderr, "lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__); \
    fflush(NULL); abort(); } while (0)

/* Test app: xorshift, seeded per run (pop3_lwip_test_rand in the harness). */
unsigned int pop3_lwip_test_rand(void);
#define LWIP_RAND() ((u32_t)pop3_lwip_test_rand())

#define LWIP_ERRNO_STDINCLUDE 1

#endif
