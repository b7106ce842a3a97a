/* Pure helpers of the SASL exchange: base64 through mbedTLS, and decoders of
 * what servers put in challenges (SCRAM attributes, the JSON of a refused
 * OAuth token). No client state, no I/O; every loop is bounded by its length
 * argument. */
#include <string.h>

#include "pop3_internal.h"

#if POP3_SASL_ENABLE
#include "mbedtls/base64.h"

static bool b64_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
           ch == '/';
}

/*
 * RFC 4648 base64 without line breaks or spaces (RFC 5034 section 4), checked
 * first, then decoded four characters at a time: each quantum's octets are
 * written at or before its own position, so the text can be replaced in place
 * without relying on how mbedTLS walks its input.
 */
bool pop3_b64_decode_inplace(char *s, size_t n, size_t *out)
{
    size_t i, o = 0;

    if (n % 4U != 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        bool pad = s[i] == '=' && (i == n - 1U || (i == n - 2U && s[n - 1U] == '='));
        if (!b64_char(s[i]) && !pad) {
            return false;
        }
    }
    for (i = 0; i < n; i += 4U) {
        unsigned char q[3];
        size_t k = 0;
        if (mbedtls_base64_decode(q, sizeof q, &k, (const unsigned char *)s + i, 4) != 0) {
            return false;
        }
        memcpy(s + o, q, k);
        o += k;
    }
    *out = o;
    return true;
}

size_t pop3_b64_encode(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t olen = 0;

    /* mbedTLS writes a NUL after the text: cap must have room for it. */
    if (mbedtls_base64_encode((unsigned char *)dst, cap, &olen, src, n) != 0) {
        return 0;
    }
    return olen;
}

bool pop3_scram_attr(const char *msg, size_t len, char key, const char **val, size_t *val_len)
{
    size_t i = 0;

    while (i + 1U < len) {
        const char *comma = memchr(msg + i, ',', len - i);
        size_t end = comma != NULL ? (size_t)(comma - msg) : len;
        if (msg[i] == key && msg[i + 1U] == '=') {
            *val = msg + i + 2U;
            *val_len = end - i - 2U;
            return true;
        }
        i = end + 1U;
    }
    return false;
}

/*
 * The value of "key" in a flat JSON object such as RFC 7628's error
 * {"status":"invalid_token","scope":"..."}: a string (its raw text, escapes
 * left as they are) or a bare number. Not a JSON parser: enough to show the
 * application what the server said, never trusted for anything else.
 */
bool pop3_json_str(const char *j, size_t len, const char *key, const char **val, size_t *val_len)
{
    size_t kl = strlen(key), i;

    for (i = 0; i + kl + 2U <= len; i++) {
        size_t p = i + kl + 2U, start;
        if (j[i] != '"' || memcmp(j + i + 1U, key, kl) != 0 || j[i + kl + 1U] != '"') {
            continue;
        }
        while (p < len && j[p] == ' ') {
            p++;
        }
        if (p >= len || j[p] != ':') {
            continue;
        }
        p++;
        while (p < len && j[p] == ' ') {
            p++;
        }
        if (p < len && j[p] == '"') {
            start = ++p;
            while (p < len && j[p] != '"') {
                p += (j[p] == '\\' && p + 1U < len) ? 2U : 1U;
            }
            if (p >= len) {
                return false;
            }
        } else {
            start = p;
            while (p < len && ((j[p] >= '0' && j[p] <= '9') || j[p] == '-')) {
                p++;
            }
            if (p == start) {
                return false;
            }
        }
        *val = j + start;
        *val_len = p - start;
        return true;
    }
    return false;
}
#endif /* POP3_SASL_ENABLE */
