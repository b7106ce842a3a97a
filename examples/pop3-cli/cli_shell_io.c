/**
 * @file cli_shell_io.c
 * @brief pop3-cli's shell: typed lines split off stdin's bytes, and the
 *        display of server text (bodies unstuffed or raw, sanitised), the
 *        help of the shell.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_shell.h"

/* ---- output --------------------------------------------------------------------- */

/** A shell message (not server text) on stderr, after what stdout holds. */
void cli_sh_say(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs(CLI_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cli_sh_out(cli_app_t *a, const cli_shell_t *sh, const char *p, size_t n)
{
    if (!cli_write(a, p, n)) {
        return false;
    }
    if (sh->tty_out && fflush(stdout) != 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

char cli_sh_clean(unsigned char ch)
{
    return (ch >= 0x20U && ch < 0x7FU) || ch == '\t' ? (char)ch : '?';
}

/*
 * What may reach the terminal: printable ASCII and TAB; with a UTF-8 locale
 * also well-formed UTF-8 (shortest form, no surrogates), except the C1
 * controls U+0080-U+009F (0x9B is CSI on some terminals) and the invisible
 * direction marks and overrides (U+061C, U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069), which can make text show other than it is. Everything
 * else is a '?', one per octet, or one per rejected sequence.
 */
static bool sh_u8_ok(const unsigned char *b, size_t len)
{
    static const uint32_t min[5] = { 0U, 0U, 0x80U, 0x800U, 0x10000U };
    uint32_t cp = b[0] & (0x7FU >> len);
    size_t i;
    for (i = 1U; i < len; i++) {
        cp = (cp << 6) | (b[i] & 0x3FU);
    }
    return cp >= min[len] && cp <= 0x10FFFFU && (cp < 0xD800U || cp > 0xDFFFU) && cp > 0x9FU &&
           cp != 0x61CU && cp != 0x200EU && cp != 0x200FU && (cp < 0x202AU || cp > 0x202EU) &&
           (cp < 0x2066U || cp > 0x2069U);
}

/** One octet (not a line end) for display; writes at most 5 octets to @p out. */
static size_t sh_show(const cli_shell_t *sh, cli_u8_t *u, unsigned char ch, char *out)
{
    size_t k = 0U;
    if (u->need > 0U) {
        if ((ch & 0xC0U) == 0x80U) {
            u->buf[u->len++] = ch;
            if (--u->need > 0U) {
                return 0U;
            }
            if (sh_u8_ok(u->buf, u->len)) {
                memcpy(out, u->buf, u->len);
                k = u->len;
            } else {
                out[k++] = '?';
            }
            u->len = 0U;
            return k;
        }
        out[k++] = '?'; /* a sequence cut short */
        u->need = 0U;
        u->len = 0U;
    }
    if (sh->utf8 && ch >= 0xC2U && ch <= 0xF4U) {
        u->buf[0] = ch;
        u->len = 1U;
        u->need = ch >= 0xF0U ? 3U : ch >= 0xE0U ? 2U : 1U;
        return k;
    }
    out[k++] = cli_sh_clean(ch);
    return k;
}

/** A line ends: a sequence still open is a '?'. */
static size_t sh_show_end(cli_u8_t *u, char *out)
{
    if (u->need == 0U) {
        return 0U;
    }
    u->need = 0U;
    u->len = 0U;
    out[0] = '?';
    return 1U;
}

bool cli_sh_line_write(cli_app_t *a, cli_shell_t *sh, const char *line, size_t len)
{
    char buf[5U * CLI_LINE_BUF_LEN + 2U];
    cli_u8_t u = { 0U, 0U, { 0U } };
    size_t k = 0U;
    size_t i;
    for (i = 0U; i < len && k + 6U < sizeof buf; i++) {
        k += sh_show(sh, &u, (unsigned char)line[i], buf + k);
    }
    k += sh_show_end(&u, buf + k);
    buf[k++] = '\n';
    return cli_sh_out(a, sh, buf, k);
}

/*
 * Body octets for display (as sh_show). Line ends: CRLF (or a bare LF) ends a
 * line, shown as "\n", or as received in raw mode, where a line starting with
 * "." gets its stuffing dot back. A CR not followed by LF is a '?'.
 */
bool cli_sh_body_write(cli_app_t *a, cli_shell_t *sh, const char *data, size_t len)
{
    char out[SH_OUT_LEN];
    size_t k = 0U;
    size_t i;
    for (i = 0U; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (k + 8U > sizeof out) {
            if (!cli_sh_out(a, sh, out, k)) {
                return false;
            }
            k = 0U;
        }
        if (sh->cr) {
            sh->cr = false;
            if (ch == '\n') {
                k += sh_show_end(&sh->body_u8, out + k);
                if (sh->raw) {
                    out[k++] = '\r';
                }
                out[k++] = '\n';
                sh->bol = true;
                continue;
            }
            out[k++] = '?';
            sh->bol = false;
        }
        if (ch == '\r') {
            sh->cr = true;
        } else if (ch == '\n') {
            k += sh_show_end(&sh->body_u8, out + k);
            out[k++] = '\n';
            sh->bol = true;
        } else {
            if (sh->bol && sh->raw && ch == '.') {
                out[k++] = '.';
            }
            k += sh_show(sh, &sh->body_u8, ch, out + k);
            sh->bol = false;
        }
    }
    return k == 0U || cli_sh_out(a, sh, out, k);
}

/** The body ended: a stray CR shown; raw mode adds the end marker of a complete body. */
void cli_sh_body_end(cli_app_t *a, cli_shell_t *sh, bool complete)
{
    char end[1];
    sh->body = false;
    if (sh_show_end(&sh->body_u8, end) > 0U) {
        (void)cli_sh_out(a, sh, end, 1U);
    }
    if (sh->cr) {
        sh->cr = false;
        (void)cli_sh_out(a, sh, "?", 1U);
        sh->bol = false;
    }
    if (sh->raw && complete) {
        (void)cli_sh_out(a, sh, sh->bol ? ".\r\n" : "\r\n.\r\n", sh->bol ? 3U : 5U);
    }
}

/* Takes the first line of sh->in into @p line (line end removed); false if none is whole. */
bool cli_sh_take_line(cli_shell_t *sh, char *line, size_t line_len)
{
    char *nl = memchr(sh->in, '\n', sh->in_len);
    size_t n = nl != NULL ? (size_t)(nl - sh->in) : sh->in_len;
    size_t used = nl != NULL ? n + 1U : n;
    bool skip = sh->skip;
    if (nl == NULL && !(sh->eof && sh->in_len > 0U)) {
        if (sh->in_len == sizeof sh->in) { /* no line end in a full buffer: drop up to the next one */
            sh->skip = true;
            cli_wipe(sh->in, sh->in_len);
            sh->in_len = 0U;
        }
        return false;
    }
    sh->skip = false;
    n = cli_chomp_len(sh->in, n); /* LF, CRLF or CR: the core sends CRLF */
    if (!skip && n < line_len) {
        memcpy(line, sh->in, n);
        line[n] = '\0';
    }
    memmove(sh->in, sh->in + used, sh->in_len - used);
    cli_wipe(sh->in + sh->in_len - used, used);
    sh->in_len -= used;
    if (skip || n >= line_len || memchr(line, '\0', n) != NULL) {
        cli_sh_say(skip || n >= line_len ? "line too long (at most %u octets): ignored"
                                     : "NUL in the line: ignored (%u)", (unsigned)(line_len - 1U));
        line[0] = '\0';
    }
    return true;
}

void cli_shell_help(FILE *out)
{
    fputs("Shell: with no COMMAND (or the command 'shell'), commands are read line by line\n"
          "from stdin, a terminal or a pipe, and sent with CRLF, one at a time: the next is\n"
          "read (the prompt 'pop3> ' shown, on a terminal) once the reply ended. The server's\n"
          "lines go to stdout as received, control characters as '?' (UTF-8 is shown with a\n"
          "UTF-8 locale, else '?' too; a one-shot 'retr N' gives a message's bytes); the\n"
          "shell's own messages go to stderr.\n"
          "  capa stat list [N] uidl [N] retr N top N LINES dele N rset noop quit\n"
          "              N may be FIRST-LAST or all, as in one-shot runs (a STAT first): one\n"
          "              command per message, stopping at the first -ERR\n"
          "  user NAME   pass [SECRET]   apop NAME [SECRET]   auth MECH [NAME]   stls   utf8\n"
          "              PASS, APOP NAME and AUTH MECH alone take --pass-file or $POP3_PASSWORD,\n"
          "              else ask at the terminal without echo (a secret typed on the line\n"
          "              is echoed by the terminal); the trace shows 'PASS ***'; no history\n"
          "  stls        in a --plain session: TLS (certificate checked unless --insecure)\n"
          "  OTHER ARGS  sent as typed, its reply read as one line\n"
          "  +CMD ARGS   sent as typed, its reply read as multi-line (shown like a body)\n"
          "  !CMD ARGS   sent as typed, one line (also for a known command with odd arguments)\n"
          "  .raw on|off bodies dot-stuffed with the final \".\" and CRLF, as on the wire, or\n"
          "              unstuffed (the default; --raw starts with it on)\n"
          "  .help       this text;  # ...  a comment;  Ctrl-D (end of input): QUIT\n"
          "Exit status: the session's (0 after QUIT; a -ERR to a typed command does not\n"
          "change it; a lost connection 3, a protocol violation 7, ...).\n",
          out);
}
