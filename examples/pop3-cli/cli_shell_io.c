/**
 * @file cli_shell_io.c
 * @brief pop3-cli's shell: typed lines split off stdin's bytes, and the
 *        display of server text (bodies unstuffed or raw, sanitised), the
 *        help of the shell.
 */
#include <stdarg.h>
#include <stdbool.h>
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
 * Body octets for display. Line ends: CRLF (or a bare LF) ends a line, shown
 * as "\n", or as received in raw mode, where a line starting with "." gets
 * its stuffing dot back. A CR not followed by LF is a '?'.
 */
bool cli_sh_body_write(cli_app_t *a, cli_shell_t *sh, const char *data, size_t len)
{
    char out[SH_OUT_LEN];
    size_t k = 0U;
    size_t i;
    for (i = 0U; i < len; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (k + 4U > sizeof out) {
            if (!cli_sh_out(a, sh, out, k)) {
                return false;
            }
            k = 0U;
        }
        if (sh->cr) {
            sh->cr = false;
            if (ch == '\n') {
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
            out[k++] = '\n';
            sh->bol = true;
        } else {
            if (sh->bol && sh->raw && ch == '.') {
                out[k++] = '.';
            }
            out[k++] = cli_sh_clean(ch);
            sh->bol = false;
        }
    }
    return k == 0U || cli_sh_out(a, sh, out, k);
}

/** The body ended: a stray CR shown; raw mode adds the end marker of a complete body. */
void cli_sh_body_end(cli_app_t *a, cli_shell_t *sh, bool complete)
{
    sh->body = false;
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
          "lines go to stdout as received (control characters and non-ASCII octets as '?':\n"
          "a one-shot 'retr N' gives a message's bytes); the shell's own messages to stderr.\n"
          "  capa stat list [N] uidl [N] retr N top N LINES dele N rset noop quit\n"
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
