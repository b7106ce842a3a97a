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

size_t cli_json_text(char *out, size_t out_len, const char *text, size_t len)
{
    char clean[CLI_LINE_BUF_LEN + 1U];
    size_t n = pop3_sanitize(clean, sizeof clean, text, len);
    size_t i;
    size_t k = 0U;
    /* pop3_sanitize left printable ASCII only: no control character needs a \u escape. */
    for (i = 0U; i < n && k + 3U <= out_len; i++) {
        if (clean[i] == '"' || clean[i] == '\\') {
            out[k++] = '\\';
        }
        out[k++] = clean[i];
    }
    if (out_len > 0U) {
        out[k < out_len ? k : out_len - 1U] = '\0';
    }
    return k;
}

/* The job whose replies are coming: entries of on_list/on_uidl/on_capa belong to it. */
static const cli_job_t *cli_doc_job(const cli_app_t *a)
{
    return a->done_job < a->opt.njobs ? &a->opt.jobs[a->done_job] : NULL;
}

static bool cli_puts(cli_app_t *a, const char *s)
{
    return cli_write(a, s, strlen(s));
}

/** One CAPA line as JSON: {"name":"SASL","params":["PLAIN","LOGIN"]}. */
static bool cli_json_capa_line(cli_app_t *a, const char *line, size_t len)
{
    char esc[2U * CLI_LINE_BUF_LEN + 3U];
    char buf[2U * CLI_LINE_BUF_LEN + 64U];
    size_t n = cli_json_text(esc, sizeof esc, line, len);
    size_t i;
    size_t k = 0U;
    bool first = true;
    memcpy(buf, "{\"name\":\"", 9U);
    k = 9U;
    for (i = 0U; i < n; i++) {
        if (esc[i] != ' ') {
            buf[k++] = esc[i];
        } else if (i + 1U < n && esc[i + 1U] != ' ') { /* runs of spaces: one separator */
            const char *sep = first ? "\",\"params\":[\"" : "\",\"";
            memcpy(buf + k, sep, strlen(sep));
            k += strlen(sep);
            first = false;
        }
    }
    memcpy(buf + k, first ? "\",\"params\":[]}" : "\"]}", first ? 14U : 3U);
    k += first ? 14U : 3U;
    return cli_write(a, buf, k);
}

/* Pre-login CAPA lines held for a capa after login. JSON: a "before_login" array
 * in the document. Text: on stderr, labelled, so that stdout stays the list in
 * force (what scripts and the integration tests read). */
static bool cli_print_before(cli_app_t *a)
{
    size_t i = 0U;
    bool ok = true;
    if (!a->opt.json) {
        fputs(CLI_NAME ": capabilities before login (stdout: after login):\n", stderr);
    } else {
        ok = cli_puts(a, "\"before_login\":[");
    }
    while (ok && i < a->before_len) {
        size_t e = i;
        while (a->before[e] != '\n') {
            e++;
        }
        if (a->opt.json) {
            ok = (i == 0U || cli_puts(a, ",")) && cli_json_capa_line(a, a->before + i, e - i);
        } else {
            fprintf(stderr, "  %.*s\n", (int)(e - i), a->before + i);
        }
        i = e + 1U;
    }
    if (a->before_cut && !a->opt.json) {
        fputs("  (more lines not kept)\n", stderr);
    }
    if (ok && a->opt.json) {
        ok = cli_puts(a, a->before_cut ? "],\"before_login_complete\":false," : "],");
    }
    return ok;
}

bool cli_doc_begin(cli_app_t *a, const cli_job_t *job)
{
    bool capa = cli_is_capa(job->def);
    if (a->doc_open) {
        return true;
    }
    a->doc_open = true;
    a->doc_entries = false;
    if (a->opt.json) {
        if (!cli_puts(a, "{\"command\":\"") || !cli_puts(a, job->def->name) || !cli_puts(a, "\",")) {
            return false;
        }
    }
    if (capa && a->have_before && a->watch.logged_in && !cli_print_before(a)) {
        return false;
    }
    if (a->opt.json) {
        return cli_puts(a, capa ? "\"capabilities\":[" : "\"messages\":[");
    }
    return true;
}

bool cli_doc_end(cli_app_t *a, bool complete)
{
    if (!a->doc_open) {
        return true;
    }
    a->doc_open = false;
    if (!a->opt.json) {
        return true;
    }
    return cli_puts(a, complete ? "],\"complete\":true}\n" : "],\"complete\":false}\n");
}

/* Opens the document if needed and writes the separator before a JSON entry. */
static bool cli_entry_start(cli_app_t *a)
{
    const cli_job_t *job = cli_doc_job(a);
    bool more;
    if (job == NULL || !cli_doc_begin(a, job)) {
        return false;
    }
    more = a->doc_entries;
    a->doc_entries = true;
    return !a->opt.json || !more || cli_puts(a, ",");
}

/** A LIST entry: "N OCTETS", or {"msg":N,"octets":OCTETS}. */
static bool cli_list_entry(cli_app_t *a, uint32_t msg, uint64_t octets)
{
    char buf[64];
    char num[20];
    char *o = cli_fmt_u64(num + sizeof num, octets);
    size_t k = 0U;
    if (!cli_entry_start(a)) {
        return false;
    }
    if (!a->opt.json) {
        return cli_print_num_text(a, msg, o, (size_t)(num + sizeof num - o));
    }
    memcpy(buf, "{\"msg\":", 7U);
    k = 7U;
    {
        char *m = cli_fmt_u64(num + sizeof num, msg);
        memcpy(buf + k, m, (size_t)(num + sizeof num - m));
        k += (size_t)(num + sizeof num - m);
    }
    memcpy(buf + k, ",\"octets\":", 10U);
    k += 10U;
    o = cli_fmt_u64(num + sizeof num, octets);
    memcpy(buf + k, o, (size_t)(num + sizeof num - o));
    k += (size_t)(num + sizeof num - o);
    buf[k++] = '}';
    return cli_write(a, buf, k);
}

/** A UIDL entry: "N UID", or {"msg":N,"uid":"UID"}. */
static bool cli_uidl_entry(cli_app_t *a, uint32_t msg, const char *uid, size_t len)
{
    char buf[2U * CLI_LINE_BUF_LEN + 64U];
    char num[20];
    char *m = cli_fmt_u64(num + sizeof num, msg);
    size_t k;
    if (!cli_entry_start(a)) {
        return false;
    }
    if (!a->opt.json) {
        return cli_print_num_text(a, msg, uid, len);
    }
    memcpy(buf, "{\"msg\":", 7U);
    k = 7U;
    memcpy(buf + k, m, (size_t)(num + sizeof num - m));
    k += (size_t)(num + sizeof num - m);
    memcpy(buf + k, ",\"uid\":\"", 8U);
    k += 8U;
    k += cli_json_text(buf + k, sizeof buf - k - 2U, uid, len);
    buf[k++] = '"';
    buf[k++] = '}';
    return cli_write(a, buf, k);
}

bool cli_print_stat(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    (void)job;
    if (printf(a->opt.json ? "{\"command\":\"stat\",\"messages\":%" PRIu32 ",\"octets\":%" PRIu64 "}\n"
                           : "%" PRIu32 " %" PRIu64 "\n", r->count, r->octets) < 0) {
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
    return cli_list_entry(a, r->msg, r->octets);
}

bool cli_print_uidl1(cli_app_t *a, const cli_job_t *job, const pop3_reply_t *r)
{
    if (job->nargs == 0U) {
        return true; /* the entries went to on_uidl */
    }
    return cli_uidl_entry(a, r->msg, r->uid, r->uid_len);
}

pop3_cb_action_t cli_on_body(void *ctx, const char *data, size_t len)
{
    cli_app_t *a = ctx;
    if (a->stopping) {
        return POP3_CB_CONTINUE; /* a pipelined RETR behind a failure: not shown, as if never sent */
    }
    return cli_write(a, data, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

/* Listings behind a failure are dropped like bodies (and would belong to no job). */
pop3_cb_action_t cli_on_list(void *ctx, uint32_t msg, uint64_t octets)
{
    cli_app_t *a = ctx;
    if (a->stopping) {
        return POP3_CB_CONTINUE;
    }
    return cli_list_entry(a, msg, octets) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

pop3_cb_action_t cli_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len)
{
    cli_app_t *a = ctx;
    if (a->stopping) {
        return POP3_CB_CONTINUE;
    }
    return cli_uidl_entry(a, msg, uid, uid_len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

void cli_keep_before(cli_app_t *a, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    size_t n = pop3_sanitize(buf, sizeof buf - 1U, line, len);
    if (a->before_len + n + 1U > sizeof a->before) {
        a->before_cut = true;
        return;
    }
    memcpy(a->before + a->before_len, buf, n);
    a->before_len += n;
    a->before[a->before_len++] = '\n';
}

pop3_cb_action_t cli_on_capa(void *ctx, const char *line, size_t len)
{
    cli_app_t *a = ctx;
    char buf[CLI_LINE_BUF_LEN + 1U];
    size_t n;
    len = cli_chomp_len(line, len);
    if (a->stopping) {
        return POP3_CB_CONTINUE;
    }
    if (!cli_entry_start(a)) {
        return POP3_CB_ABORT;
    }
    if (a->opt.json) {
        return cli_json_capa_line(a, line, len) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
    }
    n = pop3_sanitize(buf, sizeof buf - 1U, line, len);
    buf[n++] = '\n';
    return cli_write(a, buf, n) ? POP3_CB_CONTINUE : POP3_CB_ABORT;
}

/* The core masks the secrets of what it sends (the password of PASS, the APOP digest, every
 * AUTH response) before the trace sees a line; the CLI adds nothing of its own here. Always
 * installed: without -v the lines only feed the advice (cli_advice.c). Bodies are not traced. */
void cli_on_trace(void *ctx, pop3_trace_dir_t dir, const char *line, size_t len)
{
    char buf[CLI_LINE_BUF_LEN + 1U];
    cli_app_t *a = ctx;
    cli_watch_trace(a, dir, line, len);
    if (!a->opt.verbose) {
        return;
    }
    pop3_sanitize(buf, sizeof buf, line, cli_chomp_len(line, len));
    fprintf(stderr, "%s %s\n", dir == POP3_TRACE_SENT ? "C:" : "S:", buf);
}
