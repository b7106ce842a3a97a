/* Small shared helpers: status texts, caller-string checks,
 * display sanitising and wiping. No client state. */
#include <string.h>

#include "pop3_internal.h"

#if POP3_STATUS_TEXT_ENABLE
/* In pop3_status_t order, one packed string (no pointer table). */
static const char status_texts[] = "success\0"
                                   "server replied -ERR\0"
                                   "authentication rejected\0"
                                   "OAuth token rejected (refresh it)\0"
                                   "protocol violation by the server\0"
                                   "connection failed or lost\0"
                                   "TLS failure\0"
                                   "certificate verification failed\0"
                                   "timed out\0"
                                   "aborted by the application\0"
                                   "invalid argument\0"
                                   "not allowed in this session state\0"
                                   "refused by security policy\0"
                                   "command queue full\0"
                                   "session closed\0"
                                   "not supported by the server or the port";
#endif

const char *pop3_status_str(pop3_status_t status)
{
#if POP3_STATUS_TEXT_ENABLE
    const char *s = status_texts;
    unsigned i;

    if ((unsigned)status >= (unsigned)POP3_STATUS_COUNT_) {
        return "unknown status";
    }
    for (i = (unsigned)status; i > 0U; i--) {
        s += strlen(s) + 1U;
    }
    return s;
#else
    return status == POP3_OK ? "success" : "error";
#endif
}

/* NUL ends a C string, so it cannot hide inside one; CR and LF could end the command. */
bool pop3_arg_valid(const char *s, size_t *len)
{
    size_t n;

    if (s == NULL) {
        return false;
    }
    n = strlen(s);
    if (n == 0 || memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL) {
        return false;
    }
    *len = n;
    return true;
}

size_t pop3_sanitize(char *out, size_t out_len, const char *text, size_t text_len)
{
    size_t i, n;

    if (out == NULL || out_len == 0) {
        return 0;
    }
    n = text == NULL ? 0 : (text_len < out_len - 1U ? text_len : out_len - 1U);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        /* Control characters (ESC starts terminal sequences), DEL and non-ASCII. */
        out[i] = (char)((ch < 0x20 || ch > 0x7E) ? '?' : ch);
    }
    out[n] = '\0';
    return n;
}

void pop3_wipe(void *p, size_t len)
{
    volatile unsigned char *v = p;

    while (len-- > 0) {
        *v++ = 0;
    }
}
