/* Pure decoders of reply lines: line assembly, status, response codes, the
 * values of STAT / LIST / UIDL and capability names. No client state, no
 * I/O, no callbacks; every function is bounded by its length argument. */
#include <string.h>

#include "pop3_internal.h"

pop3_line_result_t pop3_line_take(char *buf, size_t cap, size_t *used, const uint8_t *data, size_t len,
                                  size_t *taken, size_t *line_len)
{
    const uint8_t *nl = memchr(data, '\n', len);
    size_t take = nl != NULL ? (size_t)(nl - data) + 1U : len;
    size_t n;

    *taken = take;
    if (take > cap - *used) {
        return POP3_LINE_INVALID; /* detected before anything overflows */
    }
    memcpy(buf + *used, data, take);
    *used += take;
    if (nl == NULL) {
        return POP3_LINE_PARTIAL;
    }
    n = *used - 1U; /* drop LF */
    if (n > 0 && buf[n - 1U] == '\r') {
        n--; /* and CR: a bare LF is tolerated in reply lines */
    }
    *used = 0;
    *line_len = n;
    return memchr(buf, '\0', n) != NULL ? POP3_LINE_INVALID : POP3_LINE_COMPLETE;
}

/* RFC 1939: the indicator is upper case, followed by a space or the line end. */
pop3_line_kind_t pop3_parse_status(const char *line, size_t len, const char **text, size_t *text_len)
{
    size_t skip;
    pop3_line_kind_t kind;

    if (len >= 3 && memcmp(line, "+OK", 3) == 0) {
        skip = 3;
        kind = POP3_LINE_OK;
    } else if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ')) {
        skip = 1; /* "+" or "+ data": a SASL continuation (RFC 5034) */
        kind = POP3_LINE_CONT;
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

static char upper(char ch)
{
    if (ch >= 'a' && ch <= 'z') {
        return (char)(ch - ('a' - 'A'));
    }
    return ch;
}

/*
 * Index of the first name in @p names (each ended by NUL, the list by an empty
 * name) that @p tok matches case-insensitively: the whole token, or its leading
 * components before a '/' (hierarchical codes such as SYS/TEMP/...). -1 if none.
 * One packed string rather than a pointer table: smaller on a microcontroller.
 */
static int name_index(const char *names, const char *tok, size_t len)
{
    int i;

    for (i = 0; *names != '\0'; i++) {
        size_t k = strlen(names);
        size_t j = 0;
        while (j < k && j < len && upper(tok[j]) == names[j]) {
            j++;
        }
        if (j == k && (k == len || tok[k] == '/')) {
            return i;
        }
        names += k + 1U;
    }
    return -1;
}

/* In pop3_resp_code_t order from POP3_RESP_IN_USE on. */
static const char resp_names[] = "IN-USE\0LOGIN-DELAY\0SYS/TEMP\0SYS/PERM\0AUTH\0";

pop3_resp_code_t pop3_parse_resp_code(const char *text, size_t len)
{
    const char *end;
    int i;

    if (len < 2 || text[0] != '[') {
        return POP3_RESP_NONE;
    }
    end = memchr(text, ']', len);
    if (end == NULL) {
        return POP3_RESP_NONE;
    }
    i = name_index(resp_names, text + 1, (size_t)(end - text) - 1U);
    return i < 0 ? POP3_RESP_OTHER : (pop3_resp_code_t)(POP3_RESP_IN_USE + i);
}

/* Decimal digits only, at least one; false on overflow instead of wrapping. */
static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (s >= end || *s < '0' || *s > '9') {
        return false;
    }
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        /* Constant bounds: no 64-bit division at run time (costly on a Cortex-M). */
        if (v > UINT64_MAX / 10U || (v == UINT64_MAX / 10U && d > (unsigned)(UINT64_MAX % 10U))) {
            return false;
        }
        v = v * 10U + d;
    }
    *p = s;
    *out = v;
    return true;
}

/* A message number, then one or more spaces. */
static bool parse_msg(const char **p, const char *end, uint32_t *out)
{
    uint64_t v;
    const char *s;

    if (!parse_u64(p, end, &v) || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    for (s = *p; s < end && *s == ' '; s++) {
    }
    if (s == *p) {
        return false;
    }
    *p = s;
    return true;
}

/* Anything after the values must be separated by a space (free text). */
static bool at_value_end(const char *p, const char *end)
{
    return p == end || *p == ' ';
}

/* A number and a size: "count octets" of STAT, "msg octets" of LIST n and each LIST line. */
bool pop3_parse_pair(const char *text, size_t len, uint32_t *num, uint64_t *octets)
{
    const char *p = text, *end = text + len;

    return parse_msg(&p, end, num) && parse_u64(&p, end, octets) && at_value_end(p, end);
}

/* RFC 1939 section 7: the uid is one token of 1 to 70 characters in 0x21-0x7E;
 * text after a space is ignored. */
bool pop3_parse_uidl(const char *text, size_t len, uint32_t *msg, const char **uid, size_t *uid_len)
{
    const char *p = text, *end = text + len;
    size_t n = 0;

    if (!parse_msg(&p, end, msg)) {
        return false;
    }
    while (p + n < end && p[n] != ' ') {
        unsigned char ch = (unsigned char)p[n];
        if (ch < 0x21 || ch > 0x7E) {
            return false;
        }
        n++;
    }
    *uid = p;
    *uid_len = n;
    return n >= 1 && n <= 70;
}

/* Capability names; the bit of name i is 1 << i (see POP3_CAP_* in pop3.h). */
static const char capa_names[] = "TOP\0USER\0SASL\0RESP-CODES\0LOGIN-DELAY\0PIPELINING\0EXPIRE\0UIDL\0"
                                 "IMPLEMENTATION\0STLS\0AUTH-RESP-CODE\0UTF8\0";

/* Capability names are case-insensitive (RFC 2449 section 6); unknown ones give 0. */
uint32_t pop3_capa_bit(const char *line, size_t len)
{
    const char *sp = memchr(line, ' ', len);
    int i = name_index(capa_names, line, sp != NULL ? (size_t)(sp - line) : len);

    return i < 0 ? 0U : (uint32_t)1U << i;
}

/* SASL mechanism names, in pop3_sasl_mech_t order from POP3_SASL_LOGIN on. */
static const char mech_names[] = "LOGIN\0PLAIN\0CRAM-MD5\0SCRAM-SHA-1\0SCRAM-SHA-256\0XOAUTH2\0OAUTHBEARER\0";

const char *pop3_sasl_mech_name(pop3_sasl_mech_t mech)
{
    const char *s = mech_names;
    unsigned i;

    if (mech == POP3_SASL_BEST) {
        return "BEST";
    }
    if ((unsigned)mech >= (unsigned)POP3_SASL_MECH_COUNT_) {
        return "?";
    }
    for (i = (unsigned)POP3_SASL_LOGIN; i < (unsigned)mech; i++) {
        s += strlen(s) + 1U;
    }
    return s;
}

bool pop3_sasl_mech_parse(const char *name, size_t len, pop3_sasl_mech_t *mech)
{
    int i;

    if (name == NULL || mech == NULL || memchr(name, '/', len) != NULL) {
        return false; /* name_index() would take "PLAIN/x" for PLAIN */
    }
    if (len == 4 && upper(name[0]) == 'B' && upper(name[1]) == 'E' && upper(name[2]) == 'S' &&
        upper(name[3]) == 'T') {
        *mech = POP3_SASL_BEST;
        return true;
    }
    i = name_index(mech_names, name, len);
    if (i < 0) {
        return false;
    }
    *mech = (pop3_sasl_mech_t)(POP3_SASL_LOGIN + i);
    return true;
}

/* "SASL mech1 mech2 ..." (RFC 2449 section 6.3): a bit per known mechanism. */
uint32_t pop3_sasl_offered(const char *line, size_t len)
{
    uint32_t bits = 0;
    size_t i = 4;

    if (pop3_capa_bit(line, len) != POP3_CAP_SASL) {
        return 0;
    }
    while (i < len) {
        size_t start;
        pop3_sasl_mech_t m;
        while (i < len && line[i] == ' ') {
            i++;
        }
        start = i;
        while (i < len && line[i] != ' ') {
            i++;
        }
        /* name_index() directly, not pop3_sasl_mech_parse(): a firmware that never
         * parses names from its user does not link that. */
        m = (pop3_sasl_mech_t)(POP3_SASL_LOGIN + name_index(mech_names, line + start, i - start));
        if (i > start && m >= POP3_SASL_LOGIN) {
            bits |= (uint32_t)1U << m;
        }
    }
    return bits;
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
