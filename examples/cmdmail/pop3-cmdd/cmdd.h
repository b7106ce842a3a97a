/**
 * @file cmdd.h
 * @brief pop3-cmdd internals shared by its files: cmdd_main.c (polls, log,
 *        signals), cmdd_opts.c (command line, key, password, token),
 *        cmdd_state.c (the state file behind cmdmail_nv_t, its lock),
 *        cmdd_run.c (the handler: a program, or JSON lines).
 */
#ifndef CMDD_H
#define CMDD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

#include "cmdmail.h"
#include "cmdmail_poll.h"
#include "pop3.h"
#include "pop3_posix.h"
#include "pop3_tls.h"

#if !POP3_SASL_ENABLE
#error "pop3-cmdd needs the core built with POP3_SASL_ENABLE (its --auth option)"
#endif

#define CMDD_NAME "pop3-cmdd"
#define CMDD_DEFAULT_CAFILE "/etc/ssl/certs/ca-certificates.crt"
#define CMDD_TIMEOUT_MS 30000U
#define CMDD_PASS_MAX 511U          /* octets of a password */
#define CMDD_TOKEN_MAX 16383U       /* octets of an OAuth token (Office 365's are ~2.5 KB) */
#define CMDD_UID_MAX 70U            /* RFC 1939 */

/* Exit statuses (also in --help and the README). */
enum {
    CMDD_EXIT_OK = 0,
    CMDD_EXIT_INTERNAL = 1,
    CMDD_EXIT_USAGE = 2,      /* bad options, key file, device id, secret */
    CMDD_EXIT_NETWORK = 3,
    CMDD_EXIT_TLS = 4,        /* handshake or certificate */
    CMDD_EXIT_LOGIN = 5,      /* credentials refused (OAuth token too) */
    CMDD_EXIT_SERVER = 6,     /* another -ERR */
    CMDD_EXIT_PROTOCOL = 7,
    CMDD_EXIT_TIMEOUT = 8,
    CMDD_EXIT_POLICY = 9,     /* STLS missing, plaintext refused, no usable SASL mechanism */
    CMDD_EXIT_STATE = 10,     /* state file unreadable, unwritable, not ours */
    CMDD_EXIT_LOCKED = 11     /* another pop3-cmdd holds the state file */
};

typedef struct cmdd_opts {
    const char *host;
    uint32_t port;                  /* 0 until parsed: default of the security mode */
    pop3_security_t security;
    bool security_set;
    bool allow_plaintext_login;
    const char *cafile;
    const char *user;
    const char *pass_file;
    const char *token_file;
    bool auth;
    pop3_sasl_mech_t mech;
    const char *device;
    const char *key_file;
    const char *state_file;
    bool init_state;                /* --init-state: a missing state file is a first run */
    bool once;
    uint32_t interval_s;            /* --interval; 0 with --once */
    bool delete_accepted;
    bool policy_set;                /* --keep or --delete given */
    bool delete_refused;
    const char *exec;               /* --exec PROGRAM */
    bool json;
    bool verbose;
    uint32_t timeout_ms;
} cmdd_opts_t;

/** The secret of the login (password or token), read again before each poll. */
typedef struct cmdd_secret {
    char text[CMDD_TOKEN_MAX + 1U];
    size_t len;
    bool is_token;
} cmdd_secret_t;

/** The state file: both slots in one file, replaced whole by rename (cmdd_state.c). */
typedef struct cmdd_state {
    const char *path;
    int lock_fd;
    bool loaded;                    /* image holds the file's (or a fresh) content */
    uint8_t image[2][CMDMAIL_NV_RECORD_LEN];
    char error[160];                /* why the last read or write failed */
} cmdd_state_t;


typedef struct cmdd_app {
    cmdd_opts_t opt;
    cmdd_secret_t sec;
    pop3_sasl_creds_t creds;
    bool rng_ready;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    uint8_t key[64];
    size_t key_len;
    cmdd_state_t state;
    cmdmail_t cm;
    /* one poll */
    cmdmail_poll_t poll;
    char line_buf[1024];
    char tx_buf[1024];
    pop3_tls_config_t tls_cfg;
    pop3_tls_t tls;
    pop3_posix_t port;
    pop3_client_t client;
    bool port_ready;
    char fail_text[200];            /* sanitised server text of the first failed reply */
    pop3_cmd_t fail_cmd;
    bool have_fail_text;
    int last_exit;                  /* exit status of the last command's handler */
} cmdd_app_t;

/** Set from the signal handler: SIGTERM/SIGINT asked the daemon to stop. */
extern volatile sig_atomic_t cmdd_stop_requested;

/* cmdd_main.c */
void cmdd_log(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void cmdd_wipe(void *p, size_t n);

/* cmdd_opts.c */
/** Parses and checks the command line; CMDD_EXIT_OK, an exit status, or -1 (help shown). */
int cmdd_parse_args(cmdd_opts_t *o, int argc, char **argv);
/** Reads and checks the key file (16-64 octets raw, or hex). */
int cmdd_read_key(cmdd_app_t *a);
/** (Re)reads the password or token and fills a->creds. CMDD_EXIT_OK or CMDD_EXIT_USAGE. */
int cmdd_read_secret(cmdd_app_t *a);
void cmdd_secret_wipe(cmdd_app_t *a);

/* cmdd_state.c */
/**
 * Takes the lock (FILE.lock) and loads FILE; a missing FILE is a fresh state
 * only with @p create (--init-state). CMDD_EXIT_OK, _STATE or _LOCKED (logged).
 */
int cmdd_state_open(cmdd_state_t *s, const char *path, bool create);
void cmdd_state_close(cmdd_state_t *s);
/** The cmdmail_nv_t over the state file. */
cmdmail_nv_t cmdd_state_nv(cmdd_state_t *s);

/* cmdd_run.c */
/** Hands one accepted command to the handler(s); logs it. */
void cmdd_run(cmdd_app_t *a, uint64_t seq, size_t index, const char *cmd, const char *uid);

#endif /* CMDD_H */
