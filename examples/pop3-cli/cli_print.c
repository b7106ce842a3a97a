/**
 * @file cli_print.c
 * @brief pop3-cli: what it writes. Failures on stderr (only the first one is
 *        reported), listings and message data on stdout. Every piece of
 *        server text shown passes through pop3_sanitize().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/** Sanitized copy of server text; "..." marks a cut. */
void cli_sanitize_cut(char *out, size_t out_len, const char *text, size_t len)
{
    size_t n = pop3_sanitize(out, out_len, text, len);
    if (n < len && out_len > 4U) {
        if (n > out_len - 4U) {
            n = out_len - 4U;
        }
        memcpy(out + n, "...", 4U);
    }
}


/* ---- output ------------------------------------------------------------- */

/** Records a failure; only the first one is reported and decides the exit status. */
void cli_fail(cli_app_t *a, int code, const char *fmt, ...)
{
    va_list ap;
    if (a->failed) {
        return;
    }
    a->failed = true;
    a->exit_code = code;
    fputs(CLI_NAME ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_stdout_failed(cli_app_t *a)
{
    cli_fail(a, EXIT_INTERNAL, "writing to standard output failed: %s", strerror(errno));
}

bool cli_write(cli_app_t *a, const char *data, size_t len)
{
    if (fwrite(data, 1U, len, stdout) != len) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

/* Writes @p v in decimal just before @p end (at most 20 octets); returns its first octet. */
char *cli_fmt_u64(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10U);
        v /= 10U;
    } while (v != 0U);
    return end;
}

/** "N TEXT\n" with TEXT sanitized: one entry of a 100,000-line listing, so no printf. */
static bool cli_print_num_text(cli_app_t *a, uint64_t n, const char *text, size_t len)
{
    char buf[20U + 1U + CLI_LINE_BUF_LEN + 1U];
    char *start = cli_fmt_u64(buf + 20, n);
    size_t k = 20U;
    buf[k++] = ' ';
    k += pop3_sanitize(buf + k, sizeof buf - k, text, len);
    buf[k++] = '\n'; /* over the NUL pop3_sanitize wrote */
    return cli_write(a, start, (size_t)(buf + k - start));
}

bool cli_print_stat(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    (void)job;
    if (printf("%" PRIu32 " %" PRIu64 "\n", r->count, r->octets) < 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

bool cli_print_list1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    if (job->nargs == 0U) {
        return true; /* the entries went to on_list */
    }
    if (printf("%" PRIu32 " %" PRIu64 "\n", r->msg, r->octets) < 0) {
        cli_stdout_failed(a);
        return false;
    }
    return true;
}

bool cli_print_uidl1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    if (job->nargs == 0U) {
        return true; /* the entries went to on_uidl */
    }
    return cli_print_num_text(a, r->msg, r->uid, r->uid_len);
}

pop3_cb_action_t cli_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    if (a->stopping) {
        return POP3_CB_CONTINUE; /* a pipelined RETR behind a failure: not shown, as if never sent */
    }
    return cli_write(a, data, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

pop3_cb_action_t cli_on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    cli_app_t *a = ctx;
    char num[20];
    char *n = cli_fmt_u64(num + sizeof num, octets);
    return cli_print_num_text(a, msg, n, (size_t)(num + sizeof num - n)) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

pop3_cb_action_t cli_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    return cli_print_num_text(ctx, msg, uid, uid_len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

pop3_cb_action_t cli_on_capa(void *ctx, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    size_t n = pop3_sanitize(buf, sizeof buf - 1U, line, cli_chomp_len(line, len));
    buf[n++] = '\n';
    return cli_write(ctx, buf, n) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

/* The core masks the secrets of what it sends (the password of PASS, the APOP digest, every
 * AUTH response) before the trace sees a line; the CLI adds nothing of its own here. */
void cli_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    (void)ctx;
    pop3_sanitize(buf, sizeof buf, line, cli_chomp_len(line, len));
    fprintf(stderr, "%s %s\n", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
}
