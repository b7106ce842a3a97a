/*
 * Scripted fake transport and session harness for the POP3 core unit tests.
 *
 * A harness owns one pop3_client_t plus exactly-sized heap buffers (so ASan
 * sees any overflow of line_buf / tx_buf), a fake port that records every
 * byte the core sends, and recording callbacks. Helpers drive the port entry
 * points the way a port would (feed with a chosen split, pump writable/wake)
 * and assertion macros print the current case name / split offset on failure.
 */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pop3.h"

#define FT_SLOTS 4
#define FT_SENT_CAP (256U * 1024U)
#define FT_BODY_CAP (512U * 1024U)
#define FT_MAX_DONE 64
#define FT_MAX_ENTRIES 64
#define FT_TEXT_CAP 1024
#define FT_TRACE_CAP 16384

typedef struct ft_done {
    pop3_cmd_t cmd;
    pop3_status_t status;
    char text[FT_TEXT_CAP];
    size_t text_len; /* real length reported by the core */
    pop3_resp_code_t code;
    uint32_t msg;
    uint32_t count;
    uint64_t octets;
    char uid[128];
    size_t uid_len;
    bool uid_null;
    char oauth_status[64];  /* reply.oauth_status, NUL-terminated ("" if NULL) */
    char oauth_scope[128];  /* reply.oauth_scope */
    pop3_state_t state_at; /* pop3_state() seen inside the callback */
    int close_calls_at;    /* transport close calls seen when on_done fired */
    size_t body_len_at;    /* body octets collected when on_done fired */
} ft_done_t;

typedef struct ft_list { uint32_t msg; uint64_t octets; } ft_list_t;
typedef struct ft_uidl { uint32_t msg; char uid[128]; size_t len; } ft_uidl_t;
typedef struct ft_capa { char line[FT_TEXT_CAP]; size_t len; } ft_capa_t;

typedef enum ft_split_mode { FT_WHOLE = 0, FT_AT, FT_BYTES } ft_split_mode_t;

typedef struct ft_opts {
    pop3_security_t security;
    bool allow_plaintext_login;
    size_t line_buf_len; /* 0 = 512 */
    size_t tx_buf_len;   /* 0 = POP3_MIN_TX_BUF_LEN */
    uint32_t connect_timeout_ms;
    uint32_t reply_timeout_ms;
    uint32_t tls_timeout_ms;
} ft_opts_t;

typedef struct harness harness_t;
typedef void (*ft_done_hook_t)(harness_t *h, const ft_done_t *d);

struct harness {
    int slot;
    pop3_client_t *c;
    char *line_buf;
    size_t line_buf_len;
    char *tx_buf;
    size_t tx_buf_len;
    uint32_t now;

    /* ---- fake port ---- */
    uint8_t *sent;
    size_t sent_len;
    size_t sent_mark;   /* start of bytes not yet checked by h_expect_sent */
    size_t accept_max;  /* octets accepted per send call; 0 = would-block */
    bool budget_mode;   /* like a real socket: `budget` octets of room, refilled only by h_writable() */
    size_t budget;
    size_t budget_per_writable;
    bool send_fail;     /* send returns -1 */
    int start_tls_ret;  /* value start_tls returns */
    int send_calls, send_zero_len_calls, start_tls_calls, close_calls, wake_calls;
    bool send_after_close; /* core called send after close */
    bool wake_pending;
    size_t sent_at_start_tls;
    bool auto_pump;     /* pump on_writable after feeds/commands like a port would */
    bool in_core;       /* set while the harness is inside a core entry point */
    bool port_closed;   /* the test called pop3_on_closed: feed nothing more */

    /* ---- recording callbacks ---- */
    ft_done_t done[FT_MAX_DONE];
    int ndone;
    uint8_t *body;
    size_t body_len;
    int body_calls;
    int body_zero_calls;
    bool body_pause_always;
    int body_pause_at;  /* pause when body_calls reaches this (1-based), 0 = never */
    int body_abort_at;  /* abort when body_calls reaches this (1-based), 0 = never */
    ft_list_t list[FT_MAX_ENTRIES];
    int nlist;
    int list_pause_at;
    ft_uidl_t uidl[FT_MAX_ENTRIES];
    int nuidl;
    ft_capa_t capa[FT_MAX_ENTRIES];
    int ncapa;
    char trace[FT_TRACE_CAP]; /* all trace lines, "S:" / "R:" prefixed, '\n' separated */
    size_t trace_len;
    int trace_calls;
    ft_done_hook_t done_hook;
    void *user;
    /* pop3_abort() from inside a callback when its Nth call comes (1-based, 0 = never). */
    int trace_core_abort_at;  /* on_trace */
    int entry_core_abort_at;  /* on_list / on_uidl / on_capa, counted together */
    int body_core_abort_at;   /* on_body */
    int entry_calls;
};

/* A string literal as the (pointer, length) argument pair. */
#define S(lit) (lit), (sizeof(lit) - 1)

/* ---- failure context ---- */
extern char ft_ctx[512];
void ft_setctx(const char *fmt, ...);
void ft_fail_at(const char *file, int line, const char *fmt, ...);
const char *ft_status_name(pop3_status_t s);
const char *ft_cmd_name(pop3_cmd_t c);
void ft_escape(char *out, size_t out_len, const void *data, size_t len);
bool ft_contains(const void *hay, size_t hay_len, const char *needle);

#define FT_FAIL(...) ft_fail_at(__FILE__, __LINE__, __VA_ARGS__)
#define FT_CHECK(cond)                                                                   \
    do {                                                                                 \
        if (!(cond)) FT_FAIL("check failed: %s", #cond);                                 \
    } while (0)
#define FT_CHECK_MSG(cond, ...)                                                          \
    do {                                                                                 \
        if (!(cond)) FT_FAIL(__VA_ARGS__);                                               \
    } while (0)
#define FT_EQ(a, b)                                                                      \
    do {                                                                                 \
        unsigned long long ft_a_ = (unsigned long long)(a);                              \
        unsigned long long ft_b_ = (unsigned long long)(b);                              \
        if (ft_a_ != ft_b_)                                                              \
            FT_FAIL("%s is %llu, expected %s = %llu", #a, ft_a_, #b, ft_b_);             \
    } while (0)
#define FT_EQ_ST(a, b)                                                                   \
    do {                                                                                 \
        pop3_status_t ft_a_ = (a);                                                       \
        pop3_status_t ft_b_ = (b);                                                       \
        if (ft_a_ != ft_b_)                                                              \
            FT_FAIL("%s is %s, expected %s", #a, ft_status_name(ft_a_), ft_status_name(ft_b_)); \
    } while (0)
#define FT_EQ_MEM(got, got_len, exp, exp_len)                                            \
    ft_eq_mem(__FILE__, __LINE__, #got, (got), (got_len), (exp), (exp_len))
#define FT_EQ_STR(got, got_len, exp) FT_EQ_MEM(got, got_len, exp, strlen(exp))
void ft_eq_mem(const char *file, int line, const char *what, const void *got, size_t got_len,
               const void *exp, size_t exp_len);

/* ---- harness life cycle ---- */
harness_t *h_new(int slot, const ft_opts_t *opts); /* opts NULL: PLAINTEXT + allow_plaintext_login */
ft_opts_t h_plain_opts(void);
void h_free_all(void);
int ft_teardown(void **state); /* cmocka teardown: frees every slot */
void h_reset_records(harness_t *h);

/* ---- port side ---- */
size_t h_feed(harness_t *h, const void *data, size_t len);       /* one pop3_on_input call */
size_t h_feed_str(harness_t *h, const char *s);
/* Feed in pieces: FT_WHOLE, FT_AT (two pieces split at offset `at`), FT_BYTES.
 * Stops early when paused or closed; returns octets consumed. */
size_t h_feed_split(harness_t *h, const void *data, size_t len, ft_split_mode_t mode, size_t at);
void h_pump(harness_t *h);
void h_writable(harness_t *h); /* budget mode: refill the room and call pop3_on_writable */
void h_tick(harness_t *h, uint32_t now);
void h_closed(harness_t *h, pop3_status_t st); /* port reports the connection gone */
void h_expect_sent(harness_t *h, const char *exp);     /* exact new bytes since last check */
void h_expect_sent_at(const char *file, int line, harness_t *h, const char *exp);
#define H_EXPECT_SENT(h, exp) h_expect_sent_at(__FILE__, __LINE__, (h), (exp))
size_t h_unchecked(const harness_t *h);

/* ---- scripted sessions ---- */
/* start + connected + greeting + CAPA exchange (PLAINTEXT or STLS-less modes). */
void h_connect(harness_t *h, const char *greeting, const char *capa_reply);
/* h_connect with defaults + USER/PASS login, then records are cleared. */
void h_ready(harness_t *h);

/* A server script: each entry waits for `cmd` (exact, CRLF included; NULL =
 * send the reply unprompted, e.g. the greeting) and answers `reply`. */
typedef struct ft_script { const char *cmd; const char *reply; } ft_script_t;
void h_serve(harness_t *h, const ft_script_t *script, size_t n, ft_split_mode_t mode);

const ft_done_t *h_done(harness_t *h, int idx);
void h_expect_done_at(const char *file, int line, harness_t *h, int idx, pop3_cmd_t cmd,
                      pop3_status_t st);
#define H_EXPECT_DONE(h, idx, cmd, st) h_expect_done_at(__FILE__, __LINE__, (h), (idx), (cmd), (st))

#endif
