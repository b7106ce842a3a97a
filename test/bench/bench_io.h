/* What the benchmark helpers (bareloop.c, fastpop.c) share: each is built
 * alone from its one source file (run.sh), so this is a header. */
#ifndef BENCH_IO_H
#define BENCH_IO_H

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* Writes all of p[0..n), retrying short writes and EINTR; -1 on an error. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

#endif
