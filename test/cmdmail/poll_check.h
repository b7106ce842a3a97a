/* The checks and shared statics of the poll tests that run one rig
 * (test_poll.c, test_poll_hook.c): each file that includes this gets its own
 * failure count, context text, rig and policies. */
#ifndef POLL_CHECK_H
#define POLL_CHECK_H

#include <setjmp.h>
#include <stdio.h>

#include "poll_rig.h"

static int failures;
static char ctx[160];
#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) {                                                                                          \
            failures++;                                                                                      \
            if (failures <= 40)                                                                              \
                printf("FAIL %s:%d: %s [%s]\n", __FILE__, __LINE__, #c, ctx);                               \
        }                                                                                                    \
    } while (0)
#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b);                       \
        if (a_ != b_) {                                                                                      \
            failures++;                                                                                      \
            if (failures <= 40)                                                                              \
                printf("FAIL %s:%d: %s = %llu, want %llu [%s]\n", __FILE__, __LINE__, #a, a_, b_, ctx);     \
        }                                                                                                    \
    } while (0)

static rig_t R; /* large: not on the stack */
static jmp_buf no_cut;
static const cmdmail_poll_policy_t KEEP = {false, false}, DELETE_ALL = {true, true};

#endif
