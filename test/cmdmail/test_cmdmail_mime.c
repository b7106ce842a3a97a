/* The streaming MIME decoder (cmdmail_mime.c) alone: each message is fed
 * whole, in two pieces at every offset, and one octet at a time; the lines
 * it delivers must be the expected ones every time. Then again with a line
 * consumer that wants only lines that may be BEGIN lines (CMDMAIL_WANT_BEGIN,
 * as the block parser outside a block), and with one that switches as the
 * block parser does: the lines that may be BEGIN lines, and all lines inside
 * a block, must be those of the first run, however fast the rest is skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdmail_internal.h"

static int failures;

/* What the consumer wants: always all; lines that may be BEGIN lines; as the
 * block parser (all from a BEGIN line to an END line or the end of a part). */
enum { M_ALL = 0, M_BEGIN, M_BLOCK };

typedef struct {
    char out[8192];
    size_t n;
    int mode;
    bool in_block;  /* M_BLOCK: after a BEGIN line */
    unsigned calls; /* lines and part ends delivered */
    /* M_ALL: the lines delivered, to replay through the other modes' filter */
    size_t nl, off[512], len[512];
    bool tl[512];
} sink_t;

/* The line after the block parser's normalisation is exactly w. */
static bool is_line(const char *l, size_t n, const char *w)
{
    while (n > 0 && (*l == ' ' || *l == '\t' || *l == '>')) {
        l++;
        n--;
    }
    while (n > 0 && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    return n == strlen(w) && memcmp(l, w, n) == 0;
}

/* The first octet after the blanks and '>' is '-', and the line is not too long. */
static bool may_begin(const char *l, size_t n, bool too_long)
{
    size_t k = 0;
    while (k < n && (l[k] == ' ' || l[k] == '\t' || l[k] == '>'))
        k++;
    return !too_long && k < n && l[k] == '-';
}

/* "line|" per line, "line~|" for too_long, "#" for the end of a text part;
 * M_BEGIN and M_BLOCK outside a block record only the lines that may begin one. */
static int take(sink_t *s, const char *line, size_t len, bool too_long)
{
    if (line == NULL) {
        s->out[s->n++] = '#';
        s->in_block = false;
    } else if (s->mode == M_ALL || may_begin(line, len, too_long) || (s->mode == M_BLOCK && s->in_block)) {
        if (s->n + len + 3 >= sizeof(s->out))
            abort();
        memcpy(s->out + s->n, line, len);
        s->n += len;
        if (too_long)
            s->out[s->n++] = '~';
        s->out[s->n++] = '|';
        if (s->mode == M_BLOCK && !too_long && is_line(line, len, "-----BEGIN POP3 COMMAND-----"))
            s->in_block = true;
        else if (s->mode == M_BLOCK && !too_long && is_line(line, len, "-----END POP3 COMMAND-----"))
            s->in_block = false;
    }
    if (s->mode == M_ALL)
        return CMDMAIL_WANT_ALL;
    return (s->mode == M_BLOCK && s->in_block) ? CMDMAIL_WANT_ALL : CMDMAIL_WANT_BEGIN;
}

static int collect(void *ctx, const char *line, size_t len, bool too_long)
{
    sink_t *s = ctx;
    size_t at = s->n;
    s->calls++;
    if (s->mode == M_ALL && s->nl < 512) {
        s->off[s->nl] = line == NULL ? (size_t)-1 : at;
        s->len[s->nl] = len;
        s->tl[s->nl++] = too_long;
    }
    return take(s, line, len, too_long);
}

/* What a run in mode must give: the M_ALL run's lines through take(). */
static void replay(const sink_t *all, int mode, sink_t *want)
{
    size_t i;
    memset(want, 0, sizeof(*want));
    want->mode = mode;
    for (i = 0; i < all->nl; i++)
        take(want, all->off[i] == (size_t)-1 ? NULL : all->out + all->off[i], all->len[i], all->tl[i]);
    want->out[want->n] = '\0';
}

static void run(const char *msg, size_t len, size_t split, int bytewise, sink_t *s, int mode)
{
    cmdmail_mime_t mm;
    size_t i;
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    cmdmail_mime_reset(&mm);
    if (bytewise) {
        for (i = 0; i < len; i++)
            cmdmail_mime_feed(&mm, msg + i, 1, collect, s);
    } else {
        cmdmail_mime_feed(&mm, msg, split, collect, s);
        cmdmail_mime_feed(&mm, msg + split, len - split, collect, s);
    }
    cmdmail_mime_end(&mm, collect, s);
    s->out[s->n] = '\0';
}

/* Returns the number of lines the M_BEGIN run delivered (whole message). */
static unsigned check(const char *name, const char *msg, const char *want)
{
    static sink_t s, all, w;
    static const char *const mname[] = {"all", "begin", "block"};
    size_t len = strlen(msg), k;
    unsigned begin_calls = 0;
    int mode;
    run(msg, len, len, 0, &all, M_ALL);
    for (mode = M_ALL; mode <= M_BLOCK; mode++) {
        replay(&all, mode, &w);
        for (k = 0; k <= len + 1; k++) {
            run(msg, len, k > len ? 0 : k, k > len, &s, mode);
            if (k == len && mode == M_BEGIN)
                begin_calls = s.calls;
            if (strcmp(s.out, mode == M_ALL ? want : w.out) != 0) {
                printf("FAIL %s (%s, %s %zu):\n  got  [%s]\n  want [%s]\n", name, mname[mode],
                       k > len ? "bytewise" : "split", k, s.out, mode == M_ALL ? want : w.out);
                failures++;
                return begin_calls;
            }
        }
    }
    printf("ok   %s\n", name);
    return begin_calls;
}

#define BEGIN_L "-----BEGIN POP3 COMMAND-----"
#define END_L "-----END POP3 COMMAND-----"

/* n copies of c at p, then the string tail; returns the end. */
static char *fill(char *p, char c, int n, const char *tail)
{
    while (n-- > 0)
        *p++ = c;
    return p + sprintf(p, "%s", tail);
}

/* The edges of the runs: skipped lines at the 256-octet limit, a BEGIN line or a
 * delimiter right after a skipped run, CR CR LF, quoted-printable and base64 runs. */
static void fast_paths(char *big)
{
    static char want[4096];
    char *p, *w;
    unsigned calls;

    check("BEGIN and END lines, quoted, CR CR LF",
          "A: b\r\n\r\nhi\r\n> > " BEGIN_L " \t\r\r\nDevice: x\r\n\r\n\tCmd: y\r\n" END_L
          "\r\r\nbye\r\n" BEGIN_L "\r\n",
          "hi|> > " BEGIN_L " \t|Device: x||\tCmd: y|" END_L "|bye|" BEGIN_L "|#");
    check("a CR before the dash: no BEGIN line", "A: b\n\n\r" BEGIN_L "\n \r\r\n>\r-x\n",
          "\r" BEGIN_L "| |>\r-x|#");
    p = fill(big + sprintf(big, "A: b\r\n\r\n"), 'x', 300, "\r\n" BEGIN_L "\r\nin\r\n" END_L "\r\n");
    fill(want, 'x', 256, "~|" BEGIN_L "|in|" END_L "|#");
    calls = check("BEGIN line after a long skipped line", big, want);
    if (calls != 4U) { /* the long line is passed over, the block's 3 lines and the end are not */
        printf("FAIL long line delivered in WANT_BEGIN: %u calls\n", calls);
        failures++;
    }
    /* 256 octets is a line, 257 too long; the CRs before the LF do not count */
    p = big + sprintf(big, "A: b\n\n");
    p = fill(p, '-', 256, "\n");
    p = fill(p, '-', 257, "\n");
    p = fill(p, 'a', 256, "\r\r\n");
    p = fill(p, 'a', 257, "\r\r\n");
    p = fill(p, '>', 1, "");
    p = fill(p, ' ', 255, "-\n");
    fill(p, '-', 200, "\r\n");
    w = fill(want, '-', 256, "|");
    w = fill(w, '-', 256, "~|");
    w = fill(w, 'a', 256, "|");
    w = fill(w, 'a', 256, "~|>");
    w = fill(w, ' ', 255, "~|");
    fill(w, '-', 200, "|#");
    check("lines of 256 and 257 octets", big, want);
    check("delimiter right after skipped runs",
          "Content-Type: multipart/mixed; boundary=b\n\npreamble line\n-not\n--b\nContent-Type: text/html\n\n"
          "<p>skipped</p>\n--b\n\ntext line\n--b\r\r\nContent-Type: "
          "image/png\n\nQUJD\r\n--b--\r\nepilogue\n--b\n",
          "text line|#");
    p = big + sprintf(big, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n");
    p = fill(p, 'h', 400, "\n--b\n\n");
    p = fill(p, 'y', 300, "\n--b\n\n");
    fill(p, '-', 300, "\n--b--\n");
    w = fill(want, 'y', 256, "~|#");
    fill(w, '-', 256, "~|#");
    check("delimiters after long lines", big, want);
    check("qp: a soft break or an escape before the dash",
          "Content-Transfer-Encoding: quoted-printable\n\n=\n" BEGIN_L "\n =3E=2D-x\nab  \t=\n  cd\t \n"
          "  =\n-y\n>=\r\n=20-z\nq=0A-w\n",
          BEGIN_L "| >--x|ab  \t  cd|  -y|> -z|q|-w|#");
    check("qp: blanks at the ends of runs",
          "Content-Transfer-Encoding: quoted-printable\n\na b  \nc \t\t=\n \nd= \n\n", "a b|c \t\t|d|#");
    check("base64: decoded lines, '=' inside a run",
          "Content-Transfer-Encoding: base64\n\nYWJjCi0tLS0tQkVHSU4gUE9QMyBDT01NQU5ELS0tLS0NDQp4\nCg==QUJD\n",
          "abc|" BEGIN_L "|x|#");
}

int main(void)
{
    char big[4096], *p;
    int i;

    check("plain LF", "Subject: x\n\nhello\nworld\n", "hello|world|#");
    check("plain CRLF, last line without LF", "Subject: x\r\n\r\nhello\r\nworld", "hello|world|#");
    check("bare CR kept", "A: b\r\n\r\na\rb\r\n", "a\rb|#");
    check("quotes and blanks left to the block parser", "A: b\n\n> > x\n\t y \n", "> > x|\t y |#");
    check("qp: trailing blanks of encoded lines go, blanks before a soft break stay",
          "Content-Transfer-Encoding: quoted-printable\r\n\r\na  \r\nb \t=\r\nc= \t\r\nd=20\r\n",
          "a|b \tcd |#");
    check("no headers at all", "\nbody\n", "body|#");
    check("folded Content-Type", "Content-Type: text/html;\r\n charset=us-ascii\r\n\r\nhtml\r\n", "");
    check("unfolded Content-Type text/plain",
          "Content-Type:\r\n text/plain;\r\n\tcharset=utf-8\r\nContent-Transfer-Encoding: "
          "quoted-printable\r\n\r\na=3Db\r\n",
          "a=b|#");
    check("qp soft breaks and escapes",
          "Content-Transfer-Encoding: Quoted-Printable\n\nab=\ncd=\r\nef=20\nx=4a=4B\n", "abcdef |xJK|#");
    check("qp invalid escapes kept", "Content-Transfer-Encoding: quoted-printable\n\na=zz=4\nb=\n",
          "a=zz=4|b|#");
    check("qp '=' with padding before line end",
          "Content-Transfer-Encoding: quoted-printable\n\na= \t\nb=  x\n", "ab=  x|#");
    check("qp escape open at the end", "Content-Transfer-Encoding: quoted-printable\n\nab=4", "ab=4|#");
    check("base64", "Content-Transfer-Encoding: base64\n\naGVs\nbG8K d29y\r\nbGQ=\n", "hello|world|#");
    check("base64 two pads", "Content-Transfer-Encoding: base64\n\nYWJjZA==\n", "abcd|#");
    check("base64 ignores characters outside its alphabet",
          "Content-Transfer-Encoding: base64\n\naGVsbG8Kd29y*bG.Q=\n", "hello|world|#");
    check("base64 ends at the first =", "Content-Transfer-Encoding: base64\n\nYQ=QUJD\n", "a|#");
    check("base64 ending in CR", "Content-Transfer-Encoding: base64\n\nYWINCmMN\n", "ab|c|#");
    check("base64 unpadded tail", "Content-Transfer-Encoding: base64\n\nYWJjZA\n", "abcd|#");
    check("unknown encoding: as is", "Content-Transfer-Encoding: x-uuencode\n\nabc\n", "abc|#");
    check("multipart, text/plain parts only",
          "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n\r\none\r\n"
          "--b1\r\nContent-Type: text/html\r\n\r\nhtml\r\n--b1\r\nContent-Type: application/octet-stream\r\n"
          "\r\nbin\r\n--b1\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b1--\r\nepilogue\r\n",
          "one|#two|#");
    check(
        "nested multipart, base64 inside, padding after boundary",
        "Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative;\n"
        " boundary=\"in ner\"\n\n--in ner  \nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        "aGk=\n--in ner\nContent-Type: text/html\n\n<p>hi</p>\n--in ner--\n--outer\n\nlast\n--outer--",
        "hi|#last|#");
    check("outer boundary closes inner parts",
          "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n"
          "--i\n\ninner\n--o\n\nafter\n--o--\n",
          "inner|#after|#");
    check("depth 3 followed, depth 4 skipped",
          "Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n"
          "--b\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\nthree\n--c\n"
          "Content-Type: multipart/mixed; boundary=d\n\n--d\n\nfour\n--d--\n--c--\n--b--\n--a--\n",
          "three|#");
    check("multipart without boundary skipped", "Content-Type: multipart/mixed\n\n--x\n\ntext\n", "");
    check("boundary of 71 octets refused",
          "Content-Type: multipart/mixed; boundary="
          "12345678901234567890123456789012345678901234567890123456789012345678901\n\ntext\n",
          "");
    check("dash lines that are not boundaries",
          "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--bx\n-- b\n--b--x\n-----BEGIN\n--b--\n",
          "--bx|-- b|--b--x|-----BEGIN|#");
    check("a delimiter ends headers that never ended",
          "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\nno blank "
          "line\r\n"
          "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: old\r\n\r\nold "
          "text\r\n--b\r\n\r\nnew\r\n--b--\r\n",
          "new|#");
    check("a close delimiter in headers starts the epilogue",
          "Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y\n--b--\nContent-Type: "
          "text/plain\n\nepilogue\n",
          "");
    check("empty type is text/plain, a bare CR in a header is kept",
          "Content-Type: ; charset=x\nContent-Transfer-Encoding: base64\rx\r\n\nYWJj\n", "YWJj|#");
    /* FORMAT.md: every CR directly before an LF is dropped, at every layer */
    check("CRs before LF dropped, others kept", "A: b\r\r\n\r\na\r\r\nb\r\r\r\n\r\r\nc\rd\r\r\ne\r\r",
          "a|b||c\rd|e|#");
    check("header line of CRs ends the headers, CR CR LF in a header",
          "Content-Transfer-Encoding: base64\r\r\n\r\r\nYWJj\r\r\n", "abc|#");
    check("qp: CRs before the LF of an encoded line, decoded CRs before a hard break",
          "Content-Transfer-Encoding: quoted-printable\n\na\r\r\nb\r "
          "\r\nc=0D\r\nd=0D=0D=\r\r\ne\r=\r\n\nf\r\r=\r\ng\n",
          "a|b|c|d\r\re|f\r\rg|#");
    check("qp: soft break after a bare CR", "Content-Transfer-Encoding: quoted-printable\n\nx\r=\n\n", "x|#");
    check("base64 of CR CR LF", "Content-Transfer-Encoding: base64\n\nYQ0NCmINDQ0=\n", "a|b|#");
    check("delimiters with CRs before LF; a CR inside is no delimiter",
          "Content-Type: multipart/mixed; boundary=b\r\r\n\r\n--b\r\r\n\r\none\r\r\n--b\rx\r\n--b "
          "\r\r\n\r\ntwo\n"
          "--b--\r\r\r\nepilogue\n",
          "one|--b\rx|#two|#");
    check("the outermost of equal boundaries counts",
          "Content-Type: multipart/mixed; boundary=s\n\n--s\nContent-Type: multipart/mixed; boundary=s\n\n"
          "--s\n\nouter part\n--s--\n",
          "outer part|#");
    check("boundary of 70 octets used",
          "Content-Type: multipart/mixed; boundary="
          "1234567890123456789012345678901234567890123456789012345678901234567890\n\n"
          "--1234567890123456789012345678901234567890123456789012345678901234567890\n\ntext\n",
          "text|#");
    check("text part ending in a soft break",
          "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: quoted-printable\n\n"
          "ab=\n--b\n\ncd\n--b--\n",
          "ab|#cd|#");

    /* over-long lines: reported once, cut; trailing blanks past the limit do not count */
    p = big;
    p += sprintf(p, "A: b\n\n");
    for (i = 0; i < 300; i++)
        *p++ = (char)('a' + i % 26);
    p += sprintf(p, "\nshort\n>>  ");
    for (i = 0; i < 256; i++)
        *p++ = 'y';
    p += sprintf(p, "    \t\n");
    {
        static char want[1200];
        char *w = want;
        for (i = 0; i < 256; i++)
            *w++ = (char)('a' + i % 26);
        w += sprintf(w, "~|short|>>  "); /* quotes and blanks count: 265 octets */
        for (i = 0; i < 252; i++)
            *w++ = 'y';
        sprintf(w, "~|#");
        check("over-long lines", big, want);
    }
    /* a very long base64 line streams: constant memory, no limit on raw lines */
    p = big;
    p += sprintf(p, "Content-Transfer-Encoding: base64\n\n");
    for (i = 0; i < 250; i++)
        p += sprintf(p, "QUJD");
    sprintf(p, "Cg==\n");
    {
        static char want[1200];
        char *w = want;
        for (i = 0; i < 256; i++)
            *w++ = (char)('A' + i % 3);
        sprintf(w, "~|#");
        check("long base64 line", big, want);
    }
    /* a delimiter line (without its line end) is at most CMDMAIL_MIME_RAW_MAX octets */
    sprintf(
        big,
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--%-79s\r\r\nstill one\n--%-78s\r\n\ntwo\n",
        "b", "b");
    {
        static char want[200];
        sprintf(want, "one|--%-79s|still one|#two|#", "b"); /* 81 octets: text */
        check("delimiter line of 80 octets, not 81", big, want);
    }
    /* the CRs before the LF do not count towards the 256 octets */
    p = big;
    p += sprintf(p, "A: b\r\n\r\n");
    for (i = 0; i < 256; i++)
        *p++ = 'z';
    p += sprintf(p, "\r\r\r\r\n");
    for (i = 0; i < 256; i++)
        *p++ = 'q';
    sprintf(p, "\rq\r\n");
    {
        static char want[1200];
        char *w = want;
        for (i = 0; i < 256; i++)
            *w++ = 'z';
        *w++ = '|';
        for (i = 0; i < 256; i++)
            *w++ = 'q';
        sprintf(w, "~|#");
        check("CRs before LF not counted in the length", big, want);
    }
    fast_paths(big);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
