/* Pure parsing helpers: status lines, numbers, response codes, capabilities.
 * No client state, no I/O; every function is bounded by its length argument. */
#include <string.h>

#include "pop3_internal.h"

static const char *const status_names[POP3_STATUS_COUNT_] = {
    [POP3_OK] = "success",
    [POP3_ERR_SERVER] = "server replied -ERR",
    [POP3_ERR_AUTH] = "authentication rejected",
    [POP3_ERR_PROTOCOL] = "protocol violation by the server",
    [POP3_ERR_TRANSPORT] = "connection failed or lost",
    [POP3_ERR_TLS] = "TLS failure",
    [POP3_ERR_CERT] = "certificate verification failed",
    [POP3_ERR_TIMEOUT] = "timed out",
    [POP3_ERR_ABORTED] = "aborted by the application",
    [POP3_ERR_BAD_ARG] = "invalid argument",
    [POP3_ERR_STATE] = "not allowed in this session state",
    [POP3_ERR_SECURITY] = "refused by security policy",
    [POP3_ERR_QUEUE_FULL] = "command queue full",
    [POP3_ERR_CLOSED] = "session closed",
};

const char *pop3_status_str(pop3_status_t status)
{
    if ((unsigned)status >= (unsigned)POP3_STATUS_COUNT_) {
        return "unknown status";
    }
    return status_names[status];
}

static const char *const cmd_names[POP3_CMD_COUNT_] = {
    [POP3_CMD_CONNECT] = "CONNECT", [POP3_CMD_CAPA] = "CAPA", [POP3_CMD_LOGIN] = "LOGIN",
    [POP3_CMD_APOP] = "APOP",       [POP3_CMD_STAT] = "STAT", [POP3_CMD_LIST] = "LIST",
    [POP3_CMD_UIDL] = "UIDL",       [POP3_CMD_RETR] = "RETR", [POP3_CMD_TOP] = "TOP",
    [POP3_CMD_DELE] = "DELE",       [POP3_CMD_RSET] = "RSET", [POP3_CMD_NOOP] = "NOOP",
    [POP3_CMD_QUIT] = "QUIT",
};

const char *pop3_cmd_name(pop3_cmd_t cmd)
{
    if ((unsigned)cmd >= (unsigned)POP3_CMD_COUNT_) {
        return "?";
    }
    return cmd_names[cmd];
}

/* RFC 1939: the indicator is upper case, followed by a space or the line end. */
pop3_line_kind_t pop3_parse_status(const char *line, size_t len, const char **text, size_t *text_len)
{
    size_t skip;
    pop3_line_kind_t kind;

    if (len >= 3 && memcmp(line, "+OK", 3) == 0) {
        skip = 3;
        kind = POP3_LINE_OK;
    } else if (len >= 4 && memcmp(line, "-ERR", 4) == 0) {
        skip = 4;
        kind = POP3_LINE_ERR;
    } else {
        return POP3_LINE_BAD;
    }
    if (len > skip) {
        if (line[skip] != ' ') {
            return POP3_LINE_BAD; /* "+OKAY", "-ERROR" */
        }
        skip++;
    }
    *text = line + skip;
    *text_len = len - skip;
    return kind;
}

static bool code_is(const char *code, size_t len, const char *name)
{
    size_t n = strlen(name);
    /* Hierarchical codes (SYS/TEMP/...) match on their prefix components. */
    return len >= n && memcmp(code, name, n) == 0 && (len == n || code[n] == '/');
}

pop3_resp_code_t pop3_parse_resp_code(const char *text, size_t len)
{
    const char *end;
    size_t n;

    if (len < 2 || text[0] != '[') {
        return POP3_RESP_NONE;
    }
    end = memchr(text, ']', len);
    if (end == NULL) {
        return POP3_RESP_NONE;
    }
    text++;
    n = (size_t)(end - text);
    if (code_is(text, n, "IN-USE")) {
        return POP3_RESP_IN_USE;
    }
    if (code_is(text, n, "LOGIN-DELAY")) {
        return POP3_RESP_LOGIN_DELAY;
    }
    if (code_is(text, n, "SYS/TEMP")) {
        return POP3_RESP_SYS_TEMP;
    }
    if (code_is(text, n, "SYS/PERM")) {
        return POP3_RESP_SYS_PERM;
    }
    if (code_is(text, n, "AUTH")) {
        return POP3_RESP_AUTH;
    }
    return POP3_RESP_OTHER;
}

/* Decimal digits only, at least one; false on overflow instead of wrapping. */
bool pop3_parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (s >= end || *s < '0' || *s > '9') {
        return false;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10U) {
            return false;
        }
        v = v * 10U + d;
    }
    *p = s;
    *out = v;
    return true;
}

bool pop3_parse_u32(const char **p, const char *end, uint32_t *out)
{
    uint64_t v;

    if (!pop3_parse_u64(p, end, &v) || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/* Skips one or more spaces; false if there was none. */
bool pop3_skip_spaces(const char **p, const char *end)
{
    const char *s = *p;

    while (s < end && *s == ' ') {
        s++;
    }
    if (s == *p) {
        return false;
    }
    *p = s;
    return true;
}

static const struct {
    const char *name;
    uint32_t bit;
} capa_table[] = {
    {"TOP", POP3_CAP_TOP},
    {"USER", POP3_CAP_USER},
    {"SASL", POP3_CAP_SASL},
    {"RESP-CODES", POP3_CAP_RESP_CODES},
    {"LOGIN-DELAY", POP3_CAP_LOGIN_DELAY},
    {"PIPELINING", POP3_CAP_PIPELINING},
    {"EXPIRE", POP3_CAP_EXPIRE},
    {"UIDL", POP3_CAP_UIDL},
    {"IMPLEMENTATION", POP3_CAP_IMPLEMENTATION},
    {"STLS", POP3_CAP_STLS},
    {"AUTH-RESP-CODE", POP3_CAP_AUTH_RESP_CODE},
    {"UTF8", POP3_CAP_UTF8},
};

static char upper(char ch)
{
    if (ch >= 'a' && ch <= 'z') {
        return (char)(ch - ('a' - 'A'));
    }
    return ch;
}

/* Capability names are case-insensitive (RFC 2449 section 6); unknown ones give 0. */
uint32_t pop3_capa_bit(const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    size_t tok = sp != NULL ? (size_t)(sp - line) : len;
    size_t i, k;

    for (i = 0; i < sizeof capa_table / sizeof capa_table[0]; i++) {
        const char *name = capa_table[i].name;
        if (strlen(name) != tok) {
            continue;
        }
        for (k = 0; k < tok && upper(line[k]) == name[k]; k++) {
        }
        if (k == tok) {
            return capa_table[i].bit;
        }
    }
    return 0;
}

/* RFC 1939 section 7: 1 to 70 characters in 0x21-0x7E. */
bool pop3_uid_valid(const char *uid, size_t len)
{
    size_t i;

    if (len < 1 || len > 70) {
        return false;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)uid[i];
        if (ch < 0x21 || ch > 0x7E) {
            return false;
        }
    }
    return true;
}

/*
 * The APOP timestamp is the msg-id in the greeting: "<...@...>". Anything else
 * (no brackets, no '@', spaces or control characters, too long) means APOP is
 * not offered; a malformed one is never half-used.
 */
bool pop3_apop_timestamp(const char *text, size_t len, const char **ts, size_t *ts_len)
{
    const char *lt = memchr(text, '<', len);
    const char *gt;
    size_t n, i;
    bool at = false;

    if (lt == NULL) {
        return false;
    }
    gt = memchr(lt, '>', len - (size_t)(lt - text));
    if (gt == NULL) {
        return false;
    }
    n = (size_t)(gt - lt) + 1U;
    if (n > POP3_APOP_TIMESTAMP_MAX_LEN || n < 3) {
        return false;
    }
    for (i = 1; i + 1 < n; i++) {
        unsigned char ch = (unsigned char)lt[i];
        if (ch < 0x21 || ch > 0x7E || ch == '<') {
            return false;
        }
        at = at || ch == '@';
    }
    if (!at) {
        return false;
    }
    *ts = lt;
    *ts_len = n;
    return true;
}

/* Caller strings: non-empty, no CR/LF (NUL ends a C string, so it cannot hide inside). */
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
