/**
 * @file nv_semihost.c
 * @brief TEST-BOARD-ONLY: the command-mail state's two NV slots (board.h,
 *        board_nv_read/board_nv_write) in a host file, through semihosting.
 *
 * With nv=PATH on the QEMU command line, slot s is the CMDMAIL_NV_RECORD_LEN
 * octets at offset s * CMDMAIL_NV_RECORD_LEN of that existing host file, so
 * boots in a row share the state; each write has reached the host file when
 * it returns. Octets past the end of the file read as 0xFF, like erased flash
 * (an empty file is a device that never wrote its state). Without nv=, the
 * slots are RAM that lasts one boot: the runs that only measure the fetch.
 * A product keeps the slots in two flash erase-blocks (PORTING.md).
 */
#include <string.h>

#include "board.h"
#include "cmdmail.h"
#include "qemu_run.h"
#include "semihost.h"

static uint8_t ram_slots[2][CMDMAIL_NV_RECORD_LEN];
static bool ram_written[2];

static bool slot_ok(unsigned slot, size_t len)
{
    return slot < 2U && len == CMDMAIL_NV_RECORD_LEN;
}

bool board_nv_read(unsigned slot, uint8_t *buf, size_t len)
{
    const char *path = qemu_run_nv_path();
    long n;

    if (!slot_ok(slot, len)) {
        return false;
    }
    if (path == NULL) {
        if (ram_written[slot]) {
            memcpy(buf, ram_slots[slot], len);
        } else {
            memset(buf, 0xFF, len);
        }
        return true;
    }
    n = semihost_pread(path, (uint32_t)(slot * CMDMAIL_NV_RECORD_LEN), buf, len);
    if (n < 0) {
        return false;
    }
    memset(buf + n, 0xFF, len - (size_t)n);
    return true;
}

bool board_nv_write(unsigned slot, const uint8_t *buf, size_t len)
{
    const char *path = qemu_run_nv_path();

    if (!slot_ok(slot, len)) {
        return false;
    }
    qemu_run_nv_written();
    if (path == NULL) {
        memcpy(ram_slots[slot], buf, len);
        ram_written[slot] = true;
        return true;
    }
    return semihost_pwrite(path, (uint32_t)(slot * CMDMAIL_NV_RECORD_LEN), buf, len) == (long)len;
}
