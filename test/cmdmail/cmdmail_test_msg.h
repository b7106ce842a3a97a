/* Test-side signer for FORMAT.md blocks: builds RFC 5322 messages carrying a
 * signed block, with the MAC computed here from FORMAT.md's canonical form
 * (mbedTLS HMAC directly), independently of the module's own code. Shared by
 * test_nv_powercut.c and cmdmail_verify.c; header-only (static functions). */
#ifndef CMDMAIL_TEST_MSG_H
#define CMDMAIL_TEST_MSG_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mbedtls/md.h"

/* Appends printf output to buf (capacity cap, position *pos); false if it does not fit. */
static int tm_put(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + n + 1 > cap) return 0;
    memcpy(buf + *pos, s, n + 1);
    *pos += n;
    return 1;
}

/* HMAC-SHA256 of the canonical form; mac_hex gets 64 lower-case digits + NUL. */
static int tm_mac(const uint8_t *key, size_t key_len, const char *device, uint64_t seq,
                  const int64_t *expires, const char *const *cmds, size_t ncmds, char mac_hex[65])
{
    char canon[2048], line[300];
    size_t pos = 0, i;
    uint8_t mac[32];
    int ok = tm_put(canon, sizeof canon, &pos, "pop3-command-v1\n");
    snprintf(line, sizeof line, "device:%s\nseq:%" PRIu64 "\n", device, seq);
    ok = ok && tm_put(canon, sizeof canon, &pos, line);
    if (expires) {
        snprintf(line, sizeof line, "expires:%" PRId64 "\n", *expires);
        ok = ok && tm_put(canon, sizeof canon, &pos, line);
    }
    for (i = 0; i < ncmds; i++) {
        snprintf(line, sizeof line, "cmd:%s\n", cmds[i]);
        ok = ok && tm_put(canon, sizeof canon, &pos, line);
    }
    if (!ok) return 0;
    if (mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, key_len,
                        (const unsigned char *)canon, pos, mac) != 0)
        return 0;
    for (i = 0; i < 32; i++) snprintf(mac_hex + 2 * i, 3, "%02x", mac[i]);
    return 1;
}

/* A whole message (CRLF) with the block between a greeting and a footer.
 * tamper: the first Cmd is changed after signing. Returns the length, 0 on overflow. */
static size_t tm_message(char *out, size_t cap, const uint8_t *key, size_t key_len,
                         const char *device, uint64_t seq, const int64_t *expires,
                         const char *const *cmds, size_t ncmds, int tamper)
{
    char mac_hex[65], line[300];
    size_t pos = 0, i;
    int ok;
    if (!tm_mac(key, key_len, device, seq, expires, cmds, ncmds, mac_hex)) return 0;
    snprintf(line, sizeof line,
             "From: operator@example.org\r\nTo: %s@example.org\r\nSubject: command %" PRIu64
             "\r\nMessage-ID: <%" PRIu64 ".%s@example.org>\r\n\r\nHello device,\r\n\r\n",
             device, seq, seq, device);
    ok = tm_put(out, cap, &pos, line);
    ok = ok && tm_put(out, cap, &pos, "-----BEGIN POP3 COMMAND-----\r\n");
    snprintf(line, sizeof line, "Device: %s\r\nSeq: %" PRIu64 "\r\n", device, seq);
    ok = ok && tm_put(out, cap, &pos, line);
    if (expires) {
        snprintf(line, sizeof line, "Expires: %" PRId64 "\r\n", *expires);
        ok = ok && tm_put(out, cap, &pos, line);
    }
    for (i = 0; i < ncmds; i++) {
        snprintf(line, sizeof line, "Cmd: %s%s\r\n", cmds[i], (tamper && i == 0) ? "x" : "");
        ok = ok && tm_put(out, cap, &pos, line);
    }
    snprintf(line, sizeof line, "Mac: %s\r\n", mac_hex);
    ok = ok && tm_put(out, cap, &pos, line);
    ok = ok && tm_put(out, cap, &pos, "-----END POP3 COMMAND-----\r\n\r\n-- \r\nSent from the operator console\r\n");
    return ok ? pos : 0;
}

#endif /* CMDMAIL_TEST_MSG_H */
