/**
 * @file semihost.h
 * @brief TEST-BOARD-ONLY: Arm semihosting calls (BKPT 0xAB) as QEMU implements them
 *        with `-semihosting-config enable=on,target=native`.
 *
 * The host's clock, the host's random bytes, host files and the process exit
 * status. A product has none of this: without a debugger or QEMU attached, a
 * semihosting BKPT locks up (or HardFaults) the core. Nothing outside
 * boards/qemu-mps2-an386/ may call these.
 */
#ifndef QEMU_SEMIHOST_H
#define QEMU_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Exit codes this board's firmware reports through SYS_EXIT_EXTENDED (the QEMU exit status). */
enum {
    SEMIHOST_EXIT_OK = 0,        /**< the application's run held */
    SEMIHOST_EXIT_FAILED = 1,    /**< the run ended, but not as required (log says why) */
    SEMIHOST_EXIT_DEADLINE = 2,  /**< no verdict before the deadline */
    SEMIHOST_EXIT_FAULT = 3,     /**< HardFault/MemManage/BusFault/UsageFault/NMI */
    SEMIHOST_EXIT_CONFIG = 4     /**< bad command line or a host file missing */
};

/** SYS_EXIT_EXTENDED: QEMU exits with @p code as its own status. */
void semihost_exit(uint32_t code) __attribute__((noreturn));

/** SYS_TIME: host wall clock, seconds since 1970 UTC. */
uint32_t semihost_time(void);

/**
 * SYS_GET_CMDLINE: QEMU (without -semihosting-config arg=...) returns the
 * -kernel file name, a space, then the -append text. NUL-terminated; returns
 * its length, or -1.
 */
int semihost_cmdline(char *buf, size_t len);

/** SYS_OPEN + SYS_FLEN + SYS_READ + SYS_CLOSE: read up to @p len bytes of a host file; -1 on error. */
long semihost_read_file(const char *path, void *buf, size_t len);

/**
 * SYS_OPEN ("r+b": the host file must exist) + SYS_SEEK + SYS_READ or SYS_WRITE +
 * SYS_CLOSE: @p len octets at @p offset. Reading returns the octets read (fewer at
 * the end of the file), writing @p len or -1; a write has reached the host file
 * (QEMU's write(2)) when it returns. -1 on any error.
 */
long semihost_pread(const char *path, uint32_t offset, void *buf, size_t len);
long semihost_pwrite(const char *path, uint32_t offset, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* QEMU_SEMIHOST_H */
