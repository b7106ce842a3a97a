/* An NV record built from the layout documented in cmdmail.c, not by the
 * module, so tests can hand it states it did not write itself. Header-only;
 * used by test_cmdmail_api.c and vector_driver.c. */
#ifndef CMDMAIL_NV_RECORD_H
#define CMDMAIL_NV_RECORD_H

#include <stdint.h>
#include <string.h>

#include "cmdmail.h"

static void nv_test_record(uint8_t *r, uint32_t gen, uint64_t last, uint64_t pending)
{
    uint32_t crc = 0xFFFFFFFFu;
    size_t i;
    int b;
    memset(r, 0, CMDMAIL_NV_RECORD_LEN);
    memcpy(r, "CMDm", 4);
    r[4] = 1;
    for (i = 0; i < 4; i++)
        r[8 + i] = (uint8_t)(gen >> (8 * i));
    for (i = 0; i < 8; i++) {
        r[12 + i] = (uint8_t)(last >> (8 * i));
        r[20 + i] = (uint8_t)(pending >> (8 * i));
    }
    for (i = 0; i < CMDMAIL_NV_RECORD_LEN; i++) {
        if (i >= 28 && i < 32)
            continue; /* the CRC's own place */
        crc ^= r[i];
        for (b = 0; b < 8; b++)
            crc = (crc & 1u) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    crc = ~crc;
    for (i = 0; i < 4; i++)
        r[28 + i] = (uint8_t)(crc >> (8 * i));
}

#endif
