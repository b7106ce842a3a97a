/*
 * unit_sasl's shared pieces: the CAPA that offers every mechanism, the RFC
 * 5802 exchange, the secret "in flash", the set-up helpers of
 * test_sasl_util.c, and the test cases test_sasl_policy.c defines for main()
 * in test_sasl.c.
 */
#ifndef TEST_SASL_H
#define TEST_SASL_H

#include "fake_transport.h"

#define CAPA_ALL "+OK\r\nUSER\r\nSASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n.\r\n"

/* RFC 5802 section 5 (SCRAM-SHA-1: user "user", password "pencil"). */
#define SCRAM_CF "biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM"
#define SCRAM_SF "cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng=="
#define SCRAM_CFIN                                                                                     \
    "Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBYK0hJ" \
    "NFRzPQ=="
#define SCRAM_SFIN "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"
#define SCRAM_SFIN_BAD "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS0E9"

/* A secret kept "in flash": read through the callback, counting reads. */
typedef struct {
    const char *data;
    size_t len;
    int reads;
    int fail_after; /* fail the Nth read (1-based), 0 = never */
} flash_t;

int failing_rng(void *ctx, unsigned char *buf, size_t len);
bool flash_read(void *ctx, size_t off, uint8_t *buf, size_t len);
harness_t *ready_for_auth(const char *capa);
pop3_sasl_creds_t pw_creds(const char *user, const char *pw);

void test_best_and_never_weaker(void **state);
void test_bad_args_and_policy(void **state);
void test_faults(void **state);
void test_injection_after_continuation(void **state);
void test_cancel(void **state);
void test_cut_at_every_byte(void **state);
void test_rng_fails(void **state);

#endif
