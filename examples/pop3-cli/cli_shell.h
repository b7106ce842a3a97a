/**
 * @file cli_shell.h
 * @brief pop3-cli's shell, private to cli_shell.c (commands, the loop),
 *        cli_shell_io.c (typed lines in, server text out) and
 *        cli_shell_range.c (typed ranges).
 */
#ifndef POP3_CLI_SHELL_H
#define POP3_CLI_SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define SH_IN_LEN 1024U    /* a typed line, line end included */
#define SH_OUT_LEN 4096U   /* body display staging */
#define SH_PROMPT "pop3> "

/** A UTF-8 sequence being checked for display (cli_shell_io.c). */
typedef struct cli_u8 {
    uint8_t need;          /* continuation octets still expected */
    uint8_t len;
    unsigned char buf[4];
} cli_u8_t;

typedef struct cli_shell {
    bool tty_in;           /* stdin is a terminal: prompt; PASS alone asks without echo */
    bool tty_out;          /* stdout is a terminal: written as it comes */
    bool raw;              /* bodies as on the wire (.raw on, --raw) */
    bool busy;             /* a command is queued; the shell waits for its on_done */
    bool show;             /* received lines go to stdout */
    bool connecting;       /* before POP3_CMD_CONNECT (and the login of -u) ended */
    bool login;            /* the login of -u is running */
    bool opt_utf8;         /* the UTF8 of --utf8 is running (before that login) */
    bool got_line;         /* a line came since the command was queued */
    bool body;             /* the command has a body (RETR, TOP, +CMD) */
    bool bol;              /* the body display is at the start of a line */
    bool cr;               /* a CR of the body waits for its LF */
    bool eof;              /* stdin ended */
    bool skip;             /* the rest of an over-long input line is being dropped */
    bool utf8;             /* the locale's codeset is UTF-8: well-formed UTF-8 text is shown */
    bool range;            /* a typed range runs (job), one command per message */
    bool counting;         /* its STAT is in flight */
    cli_job_t job;         /* that range (cli_shell_range.c) */
    uint32_t deleted;      /* DELEs (not !DELE) +OK since the login or RSET: STAT leaves them out */
    cli_u8_t body_u8;      /* the body's UTF-8 sequence cut between on_body runs */
    char label[48];        /* the command running, for messages ("RETR") */
    char user[POP3_CMD_MAX_LEN + 1U]; /* the name of the last USER/APOP/AUTH */
    char in[SH_IN_LEN];    /* stdin bytes not yet taken as lines */
    size_t in_len;
} cli_shell_t;

/** A shell message (not server text) on stderr, after what stdout holds. */
void cli_sh_say(const char *fmt, ...) CLI_PRINTF(1, 2);
/** Writes to stdout (flushed on a terminal); false if stdout failed (recorded). */
bool cli_sh_out(cli_app_t *a, const cli_shell_t *sh, const char *p, size_t n);
/** The octet shown for @p ch: itself if printable ASCII or TAB, else '?'. */
char cli_sh_clean(unsigned char ch);
/** A status or list line (no line end) for display, with "\n": see cli_shell_io.c. */
bool cli_sh_line_write(cli_app_t *a, cli_shell_t *sh, const char *line, size_t len);
/** Body octets (on_body) for display: see cli_shell_io.c. */
bool cli_sh_body_write(cli_app_t *a, cli_shell_t *sh, const char *data, size_t len);
/** The body ended; @p complete: with its end marker (raw mode shows it). */
void cli_sh_body_end(cli_app_t *a, cli_shell_t *sh, bool complete);
/**
 * Moves the first whole line of sh->in (at the end of input: what is left)
 * into @p line, its LF, CRLF or CR removed. An over-long line or one with a
 * NUL is reported and comes out empty.
 * @return false if no whole line is there yet.
 */
bool cli_sh_take_line(cli_shell_t *sh, char *line, size_t line_len);

/** Strictly decimal, 1..UINT32_MAX (0 too with @p zero_ok) into @p out. */
bool cli_sh_u32(const char *s, bool zero_ok, uint32_t *out);
/**
 * A typed command @p d whose first word @p *w0 may be a range (FIRST-LAST or
 * all, parsed by cli_job_range() as in one-shot runs); @p w1 the next word,
 * @p more: words after it. If it is one, queues the STAT that resolves it
 * (*sent, *st its status; sh->busy is the caller's) or reports a usage error.
 * @return true if handled; false: not a range ("list all"/"uidl all": *w0
 *         cleared, the whole listing), the caller goes on.
 */
bool cli_sh_range(cli_app_t *a, cli_shell_t *sh, const cli_cmd_def_t *d, const char **w0, const char *w1,
                  bool more, pop3_status_t *st, bool *sent);
/**
 * on_done while sh->range, the session open: the STAT, or one command of the
 * range, ended; queues the next one.
 * @return true if handled (the range goes on, or it ended with a message and
 *         sh->busy clear); false: its last command (or a failed one) ended,
 *         to be reported as any typed command.
 */
bool cli_sh_range_done(cli_app_t *a, cli_shell_t *sh, pop3_status_t st, const pop3_reply_t *r);

#endif /* POP3_CLI_SHELL_H */
