/**
 * @file cli_fetch.h
 * @brief pop3-cli fetch: the Maildir store (cli_maildir.c, its state file
 *        cli_mdstate.c) and the session that fills it (cli_fetch.c). Private
 *        to pop3-cli.
 *
 * The guarantee, and the order that gives it (per message):
 *   1. RETR streams the body into DIR/tmp/NAME (never buffered whole);
 *   2. the whole body came: fsync the file, rename it into DIR/new/NAME,
 *      fsync DIR/new;
 *   3. the UID is recorded in the state file (temp file, fsync, rename,
 *      fsync of its directory);
 *   4. only then DELE (unless --keep); QUIT, which commits the DELEs, goes out
 *      once every queued command succeeded. A failure once RETRs or DELEs are
 *      queued closes the session without QUIT, so the server deletes nothing
 *      in that run (failures before, e.g. UIDL refused, QUIT: nothing to commit).
 * NAME carries the account's tag and the UID (",U=<tag>-<UID>" for a UID of
 * letters and digits, else ",U=<tag>x<UID in hex>"): a run
 * killed between 2 and 3 is repaired by the next one, which finds the UID in
 * new/ or cur/ and does not store it again. A partial body (-ERR, connection
 * lost, timeout, write error) is never renamed: its tmp file is removed, and
 * a tmp file left by a killed run is removed by the next run (a lock file
 * keeps two runs for one account apart).
 */
#ifndef POP3_CLI_FETCH_H
#define POP3_CLI_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

#define CLI_MD_ERR_LEN 512U
#define CLI_MD_NAME_LEN 256U
#define CLI_MD_BUF_LEN ((size_t)64U * 1024U)

/** One Maildir opened for delivery, with the account's state and lock. */
typedef struct cli_md {
    int dir_fd;                /* DIR, its tmp/ and new/ (-1: not open) */
    int tmp_fd;
    int new_fd;
    int lock_fd;
    int fd;                    /* the message being written, -1 if none */
    bool cr;                   /* its last octet written was a CR held back (CRLF -> LF) */
    size_t buf_len;
    char *buf;                 /* CLI_MD_BUF_LEN octets of write buffer */
    char tag[9];               /* FNV-1a of "user@host", 8 hex digits */
    char host[64];             /* gethostname(), '/' and ':' escaped, cut */
    unsigned long count;       /* deliveries made by this process (the Q part) */
    char name[CLI_MD_NAME_LEN];
    char *state_path;          /* heap */
    char *state_tmp;
    char *account;             /* "user@host" */
    char **known;              /* UIDs stored before (state file + tagged names), sorted */
    size_t nknown;
    size_t cap_known;
    size_t repaired;           /* of those, found only in new/ or cur/ */
    size_t stale_removed;      /* tmp files of killed runs removed */
    char err[CLI_MD_ERR_LEN];  /* why the last call failed */
} cli_md_t;

/**
 * Opens (creating if missing) the Maildir @p dir for the account user@host
 * (@p host: the server's name, with ":port" unless 110 or 995):
 * takes the account's lock, reads its state file (@p state, or
 * DIR/pop3-cli-uidl.USER@HOST[:PORT]), adds UIDs found in tagged names in new/ and
 * cur/, removes the account's tmp files left by a killed run.
 * @return false with m->err set (nothing touched on the server yet).
 */
bool cli_md_open(cli_md_t *m, const char *dir, const char *state, const char *user, const char *host);
/** Closes and frees everything (a message still being written is discarded). */
void cli_md_close(cli_md_t *m);
/** Whether @p uid was stored before this run. */
bool cli_md_known(const cli_md_t *m, const char *uid);
/** Creates tmp/NAME for the message @p uid (NULL: no UIDL, untagged name). */
bool cli_md_begin(cli_md_t *m, const char *uid);
/** Appends body data (CRLF stored as LF). */
bool cli_md_write(cli_md_t *m, const char *data, size_t len);
/** Steps 2 of the guarantee: fsync, rename into new/, fsync new/. */
bool cli_md_commit(cli_md_t *m);
/** Closes and removes the message being written, if any. */
void cli_md_discard(cli_md_t *m);
/** Step 3: replaces the state file by @p uids (atomically, fsync'd). */
bool cli_md_save_state(cli_md_t *m, char *const *uids, size_t n);

/* Shared by cli_maildir.c and cli_mdstate.c. */
#define CLI_MD_UID_MAX 70U
/** m->err = the formatted text + ": " + strerror(errno) (errno kept); returns false. */
bool cli_md_err(cli_md_t *m, const char *fmt, ...) CLI_PRINTF(2, 3);
/** Heap copy of @p n octets of @p s, NUL-terminated; NULL if out of memory. */
char *cli_md_strdup(const char *s, size_t n);
/** 1-70 octets in 0x21-0x7E (RFC 1939). */
bool cli_md_uid_ok(const char *u, size_t n);
/** Appends a copy of @p uid to m->known (unsorted). */
bool cli_md_add_known(cli_md_t *m, const char *uid, size_t n);
/** Reads the state file into m->known (a missing file is an empty state). */
bool cli_md_load_state(cli_md_t *m);

/* cli_fetch.c: hooks called by the rest of the CLI when opt.fetch is set. */
/** Before connecting: opens the Maildir. EXIT_OK or an exit status (message printed). */
int cli_fetch_prepare(cli_app_t *a);
/** Logged in: starts UIDL, then the fetch. */
void cli_fetch_begin(cli_app_t *a);
/** on_done of every command once cli_fetch_begin() ran. */
void cli_fetch_done(cli_app_t *a, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
pop3_cb_action_t cli_fetch_on_body(void *ctx, const char *data, size_t len);
pop3_cb_action_t cli_fetch_on_uidl(void *ctx, uint32_t msg, const char *uid, size_t uid_len);
/** After the session: ends the progress line, prints the summary, frees. */
void cli_fetch_finish(cli_app_t *a);

#endif /* POP3_CLI_FETCH_H */
