/**
 * @file semihost.c
 * @brief TEST-BOARD-ONLY: Arm semihosting (see semihost.h). Operation numbers
 *        and argument blocks are those of Arm's "Semihosting for AArch32 and
 *        AArch64" specification, version 2.
 */
#include "semihost.h"

#include <string.h>

#define SYS_OPEN 0x01U
#define SYS_CLOSE 0x02U
#define SYS_WRITE 0x05U
#define SYS_READ 0x06U
#define SYS_SEEK 0x0AU
#define SYS_FLEN 0x0CU
#define SYS_TIME 0x11U
#define SYS_GET_CMDLINE 0x15U
#define SYS_EXIT_EXTENDED 0x20U
#define ADP_STOPPED_APPLICATION_EXIT 0x20026U
#define OPEN_MODE_RB 1U /* fopen() mode "rb" */
#define OPEN_MODE_RPB 3U /* fopen() mode "r+b": read and write, no create, no truncate */

static uint32_t semihost_call(uint32_t op, const void *args)
{
    register uint32_t r0 __asm("r0") = op;
    register const void *r1 __asm("r1") = args;

    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_exit(uint32_t code)
{
    const uint32_t args[2] = { ADP_STOPPED_APPLICATION_EXIT, code };

    (void)semihost_call(SYS_EXIT_EXTENDED, args);
    for (;;) {
        /* not reached under QEMU */
    }
}

uint32_t semihost_time(void)
{
    return semihost_call(SYS_TIME, NULL);
}

int semihost_cmdline(char *buf, size_t len)
{
    uint32_t args[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)len };

    if (len == 0U || semihost_call(SYS_GET_CMDLINE, args) != 0U) {
        return -1;
    }
    if (args[1] >= len) {
        return -1;
    }
    buf[args[1]] = '\0';
    return (int)args[1];
}

long semihost_read_file(const char *path, void *buf, size_t len)
{
    uint32_t open_args[3] = { (uint32_t)(uintptr_t)path, OPEN_MODE_RB, (uint32_t)strlen(path) };
    uint32_t fd = semihost_call(SYS_OPEN, open_args);
    uint32_t fd_args[1];
    uint32_t rd_args[3];
    uint32_t flen, want, left;

    if (fd == 0xFFFFFFFFU) {
        return -1;
    }
    fd_args[0] = fd;
    flen = semihost_call(SYS_FLEN, fd_args);
    /* a device (/dev/urandom) reports length 0 or an error: read what was asked */
    want = (flen == 0xFFFFFFFFU || flen == 0U || flen > len) ? (uint32_t)len : flen;
    rd_args[0] = fd;
    rd_args[1] = (uint32_t)(uintptr_t)buf;
    rd_args[2] = want;
    left = semihost_call(SYS_READ, rd_args); /* returns the bytes NOT read */
    (void)semihost_call(SYS_CLOSE, fd_args);
    if (left > want) {
        return -1;
    }
    return (long)(want - left);
}

/* One transfer at @p offset of an existing host file: SYS_READ or SYS_WRITE. */
static long semihost_transfer(uint32_t op, const char *path, uint32_t offset, void *buf, size_t len)
{
    uint32_t open_args[3] = { (uint32_t)(uintptr_t)path, OPEN_MODE_RPB, (uint32_t)strlen(path) };
    uint32_t fd = semihost_call(SYS_OPEN, open_args);
    uint32_t fd_args[1];
    uint32_t seek_args[2];
    uint32_t io_args[3];
    uint32_t left;

    if (fd == 0xFFFFFFFFU) {
        return -1;
    }
    fd_args[0] = fd;
    seek_args[0] = fd;
    seek_args[1] = offset;
    if (semihost_call(SYS_SEEK, seek_args) != 0U) {
        (void)semihost_call(SYS_CLOSE, fd_args);
        return -1;
    }
    io_args[0] = fd;
    io_args[1] = (uint32_t)(uintptr_t)buf;
    io_args[2] = (uint32_t)len;
    left = semihost_call(op, io_args); /* the bytes NOT transferred */
    if (semihost_call(SYS_CLOSE, fd_args) != 0U || left > len) {
        return -1;
    }
    return (long)(len - left);
}

long semihost_pread(const char *path, uint32_t offset, void *buf, size_t len)
{
    return semihost_transfer(SYS_READ, path, offset, buf, len);
}

long semihost_pwrite(const char *path, uint32_t offset, const void *buf, size_t len)
{
    long n = semihost_transfer(SYS_WRITE, path, offset, (void *)(uintptr_t)buf, len);

    return n == (long)len ? n : -1;
}
