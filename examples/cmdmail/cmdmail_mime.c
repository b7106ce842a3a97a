/* Streaming MIME decoder: message octets in, decoded lines of text/plain parts out.
 *
 * Constant memory: one unfolded header line, one raw line prefix (to recognise
 * boundary lines before their octets are decoded), one decoded line, and the
 * stack of boundaries. Headers longer than the buffer are cut (a multipart
 * whose boundary was cut off is skipped: a block can be missed, never forged).
 *
 * Speed: octets are handled a run at a time where the rules allow it. A body
 * line that does not start with '-' is no delimiter: in a skipped part it is
 * passed over with memchr, in a text part its octets go to the decoder as one
 * run. A decoded line whose first octet after the blanks and '>' is not '-'
 * is no BEGIN line: when the consumer wants only those (CMDMAIL_WANT_BEGIN)
 * it is not delivered, and in 7bit/8bit text the rest of it is passed over.
 */
#include <string.h>

#include "cmdmail_internal.h"

enum { ST_HDR = 0, ST_BODY };
enum { K_SKIP = 0, K_TEXT };
enum { CT_TEXT = 0, CT_MULTI, CT_OTHER };
enum { TE_ID = 0, TE_QP, TE_B64 };
/* lead: the decoded line so far holds only blanks and '>'; or more (it is
 * delivered); or it is known to be no BEGIN line and is not wanted. */
enum { LEAD_NONE = 0, LEAD_KEEP, LEAD_DEAD };

static bool is_lead(char c)
{
    return c == ' ' || c == '\t' || c == '>';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_ws(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_ws((*s)[*n - 1]))
        (*n)--;
}

/* --- decoded lines --------------------------------------------------------- */

static uint32_t clamp32(size_t n)
{
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* line_n counts the whole decoded line; only its first CMDMAIL_LINE_MAX_LEN
 * octets are kept. cr_run counts the CRs it ends in: all CRs directly before
 * an LF are no part of the line (FORMAT.md). Quoted-printable may take back
 * octets (line_n and cr_run = a mark). */
static void deliver(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    uint32_t n = mm->line_n - mm->cr_run;
    bool too_long = n > CMDMAIL_LINE_MAX_LEN;
    if (mm->lead != LEAD_DEAD)
        mm->want = (uint8_t)fn(ctx, mm->line, too_long ? CMDMAIL_LINE_MAX_LEN : n, too_long);
    mm->line_n = 0;
    mm->cr_run = 0;
    mm->lead = LEAD_NONE;
}

/* k copies of c: at most CMDMAIL_LINE_MAX_LEN are stored, the rest counted.
 * These octets may still be taken back (quoted-printable): the line is kept. */
static void out_chars(cmdmail_mime_t *mm, char c, uint32_t k)
{
    uint32_t i;
    if (mm->lead == LEAD_NONE && !is_lead(c))
        mm->lead = LEAD_KEEP;
    for (i = 0; i < k && mm->line_n + i < CMDMAIL_LINE_MAX_LEN; i++)
        mm->line[mm->line_n + i] = c;
    mm->line_n = sat_add(mm->line_n, k);
    mm->cr_run = c == '\r' ? sat_add(mm->cr_run, k) : 0U;
}

/* n octets without LF, final (never taken back): what out_chars does to each,
 * done once. Their first octet past the blanks and '>' decides the lead. */
static void out_run(cmdmail_mime_t *mm, const char *s, size_t n)
{
    size_t k = 0, t = n, room;
    if (n == 0U)
        return;
    if (mm->lead == LEAD_NONE) {
        while (k < n && is_lead(s[k]))
            k++;
        if (k < n)
            mm->lead = (s[k] == '-' || mm->want != CMDMAIL_WANT_BEGIN) ? LEAD_KEEP : LEAD_DEAD;
    }
    if (mm->lead != LEAD_DEAD && mm->line_n < CMDMAIL_LINE_MAX_LEN)
        memcpy(mm->line + mm->line_n, s, n < (room = CMDMAIL_LINE_MAX_LEN - mm->line_n) ? n : room);
    mm->line_n = sat_add(mm->line_n, clamp32(n));
    while (t > 0U && s[t - 1U] == '\r')
        t--;
    mm->cr_run = t == 0U ? sat_add(mm->cr_run, clamp32(n)) : clamp32(n - t);
}

static void out_octet(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (c == '\n')
        deliver(mm, fn, ctx);
    else
        out_run(mm, &c, 1);
}

/* n decoded octets, LFs included. */
static void out_seq(cmdmail_mime_t *mm, const char *s, size_t n, cmdmail_line_fn fn, void *ctx)
{
    while (n > 0U) {
        const char *lf = memchr(s, '\n', n);
        size_t k = lf != NULL ? (size_t)(lf - s) : n;
        out_run(mm, s, k);
        if (lf == NULL)
            return;
        deliver(mm, fn, ctx);
        s += k + 1U;
        n -= k + 1U;
    }
}

/* --- transfer encodings ------------------------------------------------------ */

enum { QP_NORM = 0, QP_EQ, QP_EQX, QP_EQWS };

/* Quoted-printable, per encoded line as RFC 2045 says: its trailing spaces
 * and tabs are removed, then a last '=' is a soft break; "=XX" is an octet and
 * any other '=' is kept. Octets go to the line as they come and are taken
 * back (line_n, cr_run = mark) when they turn out to be padding or an escape.
 * The CRs before the LF that ends an encoded line are no part of it; other
 * CRs are text. */
static void qp_octet(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (c == '\r') {
        mm->qp_cr = sat_add(mm->qp_cr, 1);
        return;
    }
    if (mm->qp_cr > 0U && c != '\n') {
        mm->qp_state = QP_NORM;
        mm->qp_run = false;
        out_chars(mm, '\r', mm->qp_cr);
    }
    mm->qp_cr = 0;
    if (c == '\n') {
        if (mm->qp_state == QP_EQ || mm->qp_state == QP_EQWS) {
            mm->line_n = mm->qp_eq; /* soft break: "=" and its padding go */
            mm->cr_run = mm->qp_eq_cr;
        } else {
            if (mm->qp_run) {
                mm->line_n = mm->qp_ws;
                mm->cr_run = mm->qp_ws_cr;
            }
            deliver(mm, fn, ctx);
        }
        mm->qp_state = QP_NORM;
        mm->qp_run = false;
        return;
    }
    if (mm->qp_state == QP_EQ && hexval(c) >= 0) {
        mm->qp_x = (uint8_t)c;
        mm->qp_state = QP_EQX;
        out_chars(mm, c, 1);
        return;
    }
    if (mm->qp_state == QP_EQX && hexval(c) >= 0) {
        mm->line_n = mm->qp_eq;
        mm->cr_run = mm->qp_eq_cr;
        mm->qp_state = QP_NORM;
        out_octet(mm, (char)(hexval((char)mm->qp_x) * 16 + hexval(c)), fn, ctx);
        return;
    }
    if ((mm->qp_state == QP_EQ || mm->qp_state == QP_EQWS) && is_ws(c)) {
        mm->qp_state = QP_EQWS;
        out_chars(mm, c, 1);
        return;
    }
    mm->qp_state = QP_NORM;
    if (is_ws(c)) {
        if (!mm->qp_run) {
            mm->qp_ws = mm->line_n;
            mm->qp_ws_cr = mm->cr_run;
        }
        mm->qp_run = true;
    } else {
        mm->qp_run = false;
    }
    if (c == '=') {
        mm->qp_eq = mm->line_n;
        mm->qp_eq_cr = mm->cr_run;
        mm->qp_state = QP_EQ;
    }
    out_chars(mm, c, 1);
}

static int b64val(char c)
{
    return (c >= 'A' && c <= 'Z')   ? c - 'A'
           : (c >= 'a' && c <= 'z') ? c - 'a' + 26
           : (c >= '0' && c <= '9') ? c - '0' + 52
           : c == '+'               ? 62
           : c == '/'               ? 63
                                    : -1;
}

/* Octets without LF of a quoted-printable line. A run without '=' or CR, in
 * the plain state and ending in no blank (blanks can still be padding), is
 * final: what qp_octet() would make of it octet by octet, done at once. */
static void qp_span(cmdmail_mime_t *mm, const char *s, size_t n, cmdmail_line_fn fn, void *ctx)
{
    size_t i = 0, k, t;
    while (i < n) {
        const char *eq, *cr;
        if (mm->qp_state != QP_NORM || mm->qp_cr > 0U) {
            qp_octet(mm, s[i++], fn, ctx);
            continue;
        }
        eq = memchr(s + i, '=', n - i);
        k = eq != NULL ? (size_t)(eq - s) : n;
        cr = memchr(s + i, '\r', k - i);
        k = cr != NULL ? (size_t)(cr - s) : k;
        for (t = k; t > i && is_ws(s[t - 1U]); t--)
            ;
        if (t > i) {
            mm->qp_run = false;
            out_run(mm, s + i, t - i);
            i = t;
        }
        for (k = k < n ? k + 1U : n; i < k; i++) /* the rest, and the '=' or CR */
            qp_octet(mm, s[i], fn, ctx);
    }
}

/* The first '=' or the end of the part ends base64 data: an unpadded tail
 * gives its complete octets. */
static void b64_end(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    char t[2];
    t[0] = (char)((mm->b64_acc >> (mm->b64_n == 2U ? 4U : 10U)) & 0xFFU);
    t[1] = (char)((mm->b64_acc >> 2) & 0xFFU);
    mm->b64_pad = 1;
    if (mm->b64_n >= 2U)
        out_seq(mm, t, mm->b64_n - 1U, fn, ctx);
}

/* Base64 (FORMAT.md: characters outside the alphabet are ignored), a run at
 * a time: decoded into a small buffer, then handed on. */
static void b64_span(cmdmail_mime_t *mm, const char *s, size_t n, cmdmail_line_fn fn, void *ctx)
{
    char buf[96];
    size_t i, k = 0;
    uint32_t acc = mm->b64_acc;
    unsigned bn = mm->b64_n;
    if (mm->b64_pad != 0U)
        return;
    for (i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0) {
            if (s[i] == '=')
                break;
            continue;
        }
        acc = (acc << 6) | (uint32_t)v;
        if (++bn == 4U) {
            buf[k] = (char)(acc >> 16);
            buf[k + 1U] = (char)((acc >> 8) & 0xFFU);
            buf[k + 2U] = (char)(acc & 0xFFU);
            k += 3U;
            bn = 0;
            acc = 0;
            if (k == sizeof(buf)) {
                out_seq(mm, buf, k, fn, ctx);
                k = 0;
            }
        }
    }
    if (k > 0U)
        out_seq(mm, buf, k, fn, ctx);
    mm->b64_acc = acc;
    mm->b64_n = (uint8_t)bn;
    if (i < n)
        b64_end(mm, fn, ctx);
}

/* The text part ends: what is pending becomes a last line, then line == NULL. */
static void text_end(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    /* the LF before a boundary, or the one cmdmail_mime_end() adds, has ended
     * any quoted-printable line */
    if (mm->te == TE_B64 && mm->b64_pad == 0U)
        b64_end(mm, fn, ctx);    /* an unpadded tail */
    if (mm->line_n > mm->cr_run) /* CRs at the very end are dropped as before an LF */
        deliver(mm, fn, ctx);
    mm->want = (uint8_t)fn(ctx, NULL, 0, false);
    mm->kind = K_SKIP;
}

static void text_octet(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (mm->te == TE_QP)
        qp_octet(mm, c, fn, ctx);
    else if (mm->te == TE_B64)
        b64_span(mm, &c, 1, fn, ctx);
    else
        out_octet(mm, c, fn, ctx);
}

/* Octets of a text part without LF: text_octet() on each, a run at a time. */
static void text_run(cmdmail_mime_t *mm, const char *s, size_t n, cmdmail_line_fn fn, void *ctx)
{
    if (mm->te == TE_QP)
        qp_span(mm, s, n, fn, ctx);
    else if (mm->te == TE_B64)
        b64_span(mm, s, n, fn, ctx);
    else
        out_run(mm, s, n);
}

/* --- headers ------------------------------------------------------------------ */

/* Content-Type as the signing tool reads it: ';'-separated, the first item
 * the type (empty: text/plain), then name=value; a value in double quotes
 * loses them. RFC 2046 boundaries contain no ';', '"' or '\'. */
static void parse_ctype(cmdmail_mime_t *mm, const char *s, size_t n)
{
    size_t i = 0, j;
    bool multi;
    while (i < n && s[i] != ';')
        i++;
    {
        const char *t = s;
        size_t tn = i;
        trim(&t, &tn);
        multi = tn >= 10U && word_eq(t, 10, "multipart/");
        mm->ctype = (tn == 0U || word_eq(t, tn, "text/plain")) ? CT_TEXT : multi ? CT_MULTI : CT_OTHER;
    }
    if (!multi)
        return;
    mm->ctype = CT_OTHER; /* unless a usable boundary follows */
    while (i < n) {
        const char *name = s + ++i, *v;
        size_t nn, vn;
        bool eq;
        for (j = i; j < n && s[j] != ';'; j++)
            ;
        for (nn = 0; i + nn < j && s[i + nn] != '='; nn++)
            ;
        eq = i + nn < j;
        v = name + nn + 1;
        vn = eq ? j - i - nn - 1 : 0U;
        i = j;
        trim(&name, &nn);
        trim(&v, &vn);
        if (!eq || !word_eq(name, nn, "boundary"))
            continue;
        if (vn >= 2U && v[0] == '"' && v[vn - 1] == '"') {
            v++;
            vn -= 2U;
        }
        if (vn == 0U || vn > 70U || mm->depth >= CMDMAIL_MIME_DEPTH) { /* the last boundary counts */
            mm->ctype = CT_OTHER;
            continue;
        }
        memcpy(mm->boundary[mm->depth], v, vn);
        mm->boundary_len[mm->depth] = (uint8_t)vn;
        mm->ctype = CT_MULTI;
    }
}

static void header_done(cmdmail_mime_t *mm)
{
    const char *s = mm->line;
    size_t n = mm->line_n, k = 0;
    while (k < n && s[k] != ':')
        k++;
    if (k == n)
        return;
    {
        const char *name = s;
        size_t nlen = k;
        const char *v = s + k + 1;
        size_t vlen = n - k - 1;
        trim(&name, &nlen);
        trim(&v, &vlen);
        /* the first of a repeated header counts */
        if (word_eq(name, nlen, "content-type") && (mm->hseen & 1U) == 0U) {
            mm->hseen |= 1U;
            parse_ctype(mm, v, vlen);
        } else if (word_eq(name, nlen, "content-transfer-encoding") && (mm->hseen & 2U) == 0U) {
            mm->hseen |= 2U;
            if (word_eq(v, vlen, "quoted-printable"))
                mm->te = TE_QP;
            else if (word_eq(v, vlen, "base64"))
                mm->te = TE_B64;
            else /* 7bit, 8bit, binary; and unknown ones, as the signing tool reads them */
                mm->te = TE_ID;
        }
    }
}

static void entity_begin(cmdmail_mime_t *mm)
{
    mm->state = ST_HDR;
    mm->bol = true;
    mm->line_n = 0;
    mm->ctype = CT_TEXT;
    mm->te = TE_ID;
    mm->hseen = 0;
    mm->cr_pend = 0;
    mm->raw_cr = 0;
    mm->raw_len = 0;
    mm->raw_stream = false;
}

static void body_begin(cmdmail_mime_t *mm)
{
    mm->state = ST_BODY;
    mm->kind = K_SKIP;
    mm->raw_len = 0;
    mm->raw_stream = false;
    mm->line_n = 0;
    mm->cr_run = 0;
    mm->lead = LEAD_NONE;
    mm->raw_cr = 0;
    mm->qp_cr = 0;
    mm->qp_run = false;
    mm->qp_state = QP_NORM;
    mm->b64_n = 0;
    mm->b64_pad = 0;
    mm->b64_acc = 0;
    if (mm->ctype == CT_MULTI)
        mm->depth++; /* its preamble is skipped */
    else if (mm->ctype == CT_TEXT)
        mm->kind = K_TEXT;
}

/* --- body lines ------------------------------------------------------------------ */

/* raw[] holds a whole line without the CRs before its LF: a delimiter of an
 * enclosing multipart? The outermost one is tried first (FORMAT.md). */
static bool boundary_line(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    size_t n = mm->raw_len;
    unsigned i;
    while (n > 0U && is_ws(mm->raw[n - 1])) /* transport padding */
        n--;
    if (n < 3U || mm->raw[0] != '-' || mm->raw[1] != '-')
        return false;
    for (i = 0; i < mm->depth; i++) {
        size_t bl = mm->boundary_len[i];
        bool close;
        if (n != 2U + bl && n != 4U + bl)
            continue;
        if (memcmp(mm->raw + 2, mm->boundary[i], bl) != 0)
            continue;
        close = n == 4U + bl;
        if (close && (mm->raw[2 + bl] != '-' || mm->raw[3 + bl] != '-'))
            continue;
        if (mm->kind == K_TEXT)
            text_end(mm, fn, ctx);
        if (close) { /* the epilogue is skipped */
            mm->depth = (uint8_t)i;
            mm->kind = K_SKIP;
            mm->state = ST_BODY;
        } else {
            mm->depth = (uint8_t)(i + 1U);
            entity_begin(mm);
        }
        return true;
    }
    return false;
}

/* A delimiter ends a part even where its headers were expected (they never
 * ended): each physical header line is kept in raw[] too, to be tested. */
static void hdr_char(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (mm->bol) {
        if (c == '\n') {
            if (mm->line_n > 0U)
                header_done(mm);
            body_begin(mm);
            return;
        }
        mm->bol = false;
        if (!is_ws(c)) { /* not a continuation: the previous header is whole */
            if (mm->line_n > 0U)
                header_done(mm);
            mm->line_n = 0;
        }
    }
    if (c == '\n') {
        mm->bol = true;
        if (mm->depth > 0U && !mm->raw_stream && boundary_line(mm, fn, ctx))
            mm->line_n = 0; /* a new part's headers, or the epilogue */
        mm->raw_len = 0;
        mm->raw_stream = false;
        return;
    }
    if (mm->raw_len < CMDMAIL_MIME_RAW_MAX)
        mm->raw[mm->raw_len++] = c;
    else
        mm->raw_stream = true;
    if (mm->line_n < CMDMAIL_LINE_MAX_LEN)
        mm->line[mm->line_n++] = c;
}

/* The CRs before an LF are held back (counted): they are no part of the line. */
static void hdr_octet(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (c == '\r') {
        mm->cr_pend = sat_add(mm->cr_pend, 1);
        return;
    }
    for (; c != '\n' && mm->cr_pend > 0U; mm->cr_pend--) /* CRs inside the line */
        hdr_char(mm, '\r', fn, ctx);
    mm->cr_pend = 0;
    hdr_char(mm, c, fn, ctx);
}

/* raw[] and the CRs held back after it go to the text decoder. */
static void raw_to_text(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    if (mm->kind == K_TEXT)
        text_run(mm, mm->raw, mm->raw_len, fn, ctx);
    for (; mm->raw_cr > 0U && mm->kind == K_TEXT; mm->raw_cr--)
        text_octet(mm, '\r', fn, ctx);
    mm->raw_len = 0;
    mm->raw_cr = 0;
}

static void body_octet(cmdmail_mime_t *mm, char c, cmdmail_line_fn fn, void *ctx)
{
    if (mm->raw_stream) { /* this line is too long or does not start like a boundary */
        if (mm->kind == K_TEXT)
            text_octet(mm, c, fn, ctx);
        if (c == '\n')
            mm->raw_stream = false;
        return;
    }
    if (c == '\r') { /* kept out of raw[] until it is known not to end the line */
        mm->raw_cr = sat_add(mm->raw_cr, 1);
        return;
    }
    if (c == '\n') {
        if (boundary_line(mm, fn, ctx)) {
            mm->raw_len = 0;
            mm->raw_cr = 0;
        } else {
            raw_to_text(mm, fn, ctx);
            if (mm->kind == K_TEXT)
                text_octet(mm, c, fn, ctx);
        }
        return;
    }
    /* a delimiter starts with '-' (no CR before it) and fits in raw[] */
    if ((mm->raw_len > 0U || (c == '-' && mm->raw_cr == 0U)) &&
        mm->raw_cr < CMDMAIL_MIME_RAW_MAX - mm->raw_len) {
        for (; mm->raw_cr > 0U; mm->raw_cr--)
            mm->raw[mm->raw_len++] = '\r';
        mm->raw[mm->raw_len++] = c;
        return;
    }
    raw_to_text(mm, fn, ctx);
    mm->raw_stream = true;
    if (mm->kind == K_TEXT)
        text_octet(mm, c, fn, ctx);
}

void cmdmail_mime_reset(cmdmail_mime_t *mm)
{
    memset(mm, 0, sizeof(*mm));
    entity_begin(mm);
}

void cmdmail_mime_feed(cmdmail_mime_t *mm, const char *data, size_t len, cmdmail_line_fn fn, void *ctx)
{
    size_t i = 0;
    while (i < len) {
        char c = data[i];
        if (mm->want == CMDMAIL_WANT_NONE)
            return;
        if (mm->state == ST_HDR) {
            hdr_octet(mm, c, fn, ctx);
            i++;
        } else if (mm->kind == K_SKIP && mm->depth == 0U) {
            return;                  /* nothing can follow that is delivered */
        } else if (mm->raw_stream) { /* no delimiter: to the LF in one go */
            const char *lf = memchr(data + i, '\n', len - i);
            size_t k = lf != NULL ? (size_t)(lf - data) : len;
            /* 7bit/8bit: this raw line is the decoded line */
            if (mm->kind == K_TEXT && !(mm->te == TE_ID && mm->lead == LEAD_DEAD))
                text_run(mm, data + i, k - i, fn, ctx);
            i = k;
            if (lf != NULL)
                body_octet(mm, data[i++], fn, ctx);
        } else if (mm->raw_len == 0U && mm->raw_cr == 0U && c != '-' && c != '\r' && c != '\n') {
            mm->raw_stream = true; /* as body_octet() decides it, before the run */
        } else {
            body_octet(mm, c, fn, ctx);
            i++;
        }
    }
}

void cmdmail_mime_end(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx)
{
    if (mm->want == CMDMAIL_WANT_NONE)
        return;
    if (mm->state == ST_BODY && (mm->raw_len > 0U || mm->raw_cr > 0U || mm->raw_stream))
        body_octet(mm, '\n', fn, ctx); /* the last line, without its LF */
    if (mm->state == ST_BODY && mm->kind == K_TEXT)
        text_end(mm, fn, ctx);
}
