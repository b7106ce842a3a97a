/* Runs one vector message (test/cmdmail/vectors/ *.eml) through the module:
 *   vector_driver KEYHEX DEVICE LAST_SEQ NOW|- FILE STEP
 * STEP 0: the file in one piece, else pieces of STEP octets. Prints
 * "verdict seq cmd|cmd|..." for vectors_check.py to compare with the .json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdmail.h"
#include "nv_record.h"

static uint8_t slot[2][CMDMAIL_NV_RECORD_LEN];

static bool rd(void *c, unsigned s, uint8_t *b, size_t n)
{
    (void)c;
    memcpy(b, slot[s], n);
    return true;
}

static bool wr(void *c, unsigned s, const uint8_t *b, size_t n)
{
    (void)c;
    memcpy(slot[s], b, n);
    return true;
}

static int64_t now_v;
static int64_t now_fn(void *c)
{
    (void)c;
    return now_v;
}


int main(int argc, char **argv)
{
    static cmdmail_t m;
    static char data[2 * 1024 * 1024];
    uint8_t key[64];
    size_t klen, len, i, step;
    cmdmail_config_t cfg;
    cmdmail_result_t res;
    cmdmail_verdict_t v;
    FILE *f;
    if (argc != 7 || strlen(argv[1]) % 2 != 0 || strlen(argv[1]) > 128)
        return 2;
    klen = strlen(argv[1]) / 2;
    for (i = 0; i < klen; i++) {
        unsigned x;
        if (sscanf(argv[1] + 2 * i, "%2x", &x) != 1)
            return 2;
        key[i] = (uint8_t)x;
    }
    f = fopen(argv[5], "rb");
    if (f == NULL)
        return 2;
    len = fread(data, 1, sizeof(data), f);
    fclose(f);
    step = (size_t)strtoul(argv[6], NULL, 10);
    memset(slot, 0xFF, sizeof(slot));
    nv_test_record(slot[1], 1, strtoull(argv[3], NULL, 10), 0);
    memset(&cfg, 0, sizeof(cfg));
    cfg.device_id = argv[2];
    cfg.key = key;
    cfg.key_len = klen;
    cfg.nv.read = rd;
    cfg.nv.write = wr;
    if (strcmp(argv[4], "-") != 0) {
        now_v = strtoll(argv[4], NULL, 10);
        cfg.now = now_fn;
    }
    cmdmail_init(&m);
    if (!cmdmail_setup(&m, &cfg, NULL))
        return 3;
    cmdmail_msg_begin(&m, "vector", 6);
    for (i = 0; i < len; i += step ? step : len)
        cmdmail_msg_data(&m, data + i, step && len - i > step ? step : len - i);
    v = cmdmail_msg_end(&m, true, &res);
    printf("%s %llu ", cmdmail_verdict_str(v), (unsigned long long)res.seq);
    for (i = 0; i < res.cmd_count; i++)
        printf("%s%s", i ? "|" : "", cmdmail_cmd(&m, i));
    printf("\n");
    cmdmail_free(&m);
    return 0;
}
