/*
 * unit_sasl's set-up shared by its files: the RFC 5802 client nonce as the
 * random source, a random source that fails, a secret read "from flash", a
 * client ready for AUTH, password credentials.
 */
#include <stdio.h>
#include <stdlib.h>

#include "test_sasl.h"

/* RFC 5802 section 5's client nonce "fyko+d2lbbFgONRv9qkxdawL", decoded: the
 * core base64-encodes what rng returns. */
static const unsigned char rfc5802_rnd[18] = {127, 41, 40, 249, 221, 165, 109, 177, 96,
                                              56,  212, 111, 246, 169, 49, 117, 172, 11};

static int fixed_rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    if (len != sizeof rfc5802_rnd) return -1;
    memcpy(buf, rfc5802_rnd, len);
    return 0;
}

int failing_rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return -1;
}

bool flash_read(void *ctx, size_t off, uint8_t *buf, size_t len)
{
    flash_t *f = ctx;
    f->reads++;
    if (f->fail_after != 0 && f->reads >= f->fail_after) return false;
    if (off + len > f->len) FT_FAIL("read_secret past the end: %zu + %zu > %zu", off, len, f->len);
    memcpy(buf, f->data + off, len);
    return true;
}

harness_t *ready_for_auth(const char *capa)
{
    harness_t *h = h_new(0, NULL);
    h_connect(h, "+OK POP3 ready\r\n", capa);
    h_reset_records(h);
    return h;
}

pop3_sasl_creds_t pw_creds(const char *user, const char *pw)
{
    pop3_sasl_creds_t c;
    memset(&c, 0, sizeof c);
    c.user = user;
    c.secret = pw;
    c.rng = fixed_rng;
    return c;
}
