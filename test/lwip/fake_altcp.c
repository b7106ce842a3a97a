/*
 * The fake altcp layer of fake_altcp.h: stands in for lwIP's altcp_tcp.c.
 */
#include "fake_altcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/altcp_tcp.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip/priv/altcp_priv.h"
#include "lwip/sys.h"

#include "pop3_lwip.h"

fake_altcp_t fake;
static struct {
    char *sent;
    size_t sent_size;
    size_t *sent_len;
    u16_t mss;
    fake_altcp_check_fn check;
    fake_altcp_call_err_fn call_err;
} cfg;

/* ---- clock and rand (the port and lwIP need them) ------------------------------- */

u32_t fake_now = 1000;
u32_t sys_now(void) { return fake_now; }
unsigned int pop3_lwip_test_rand(void) { return 4U; /* chosen by fair dice roll */ }

void fake_altcp_configure(char *sent, size_t sent_size, size_t *sent_len, u16_t mss, fake_altcp_check_fn check,
                          fake_altcp_call_err_fn call_err)
{
    cfg.sent = sent;
    cfg.sent_size = sent_size;
    cfg.sent_len = sent_len;
    cfg.mss = mss;
    cfg.check = check;
    cfg.call_err = call_err;
}

void fake_altcp_reset(u16_t sndbuf)
{
    memset(&fake, 0, sizeof fake);
    fake.sndbuf = sndbuf;
}

void fake_altcp_client_config(pop3_config_t *pc, char *line_buf, size_t line_buf_len, char *tx_buf,
                              size_t tx_buf_len, pop3_security_t sec, bool allow_plaintext_login)
{
    *pc = (pop3_config_t){
        .line_buf = line_buf, .line_buf_len = line_buf_len, .tx_buf = tx_buf, .tx_buf_len = tx_buf_len,
        .security = sec, .allow_plaintext_login = allow_plaintext_login,
    };
}

struct pbuf *fake_altcp_pbuf(const char *data, u16_t len, pbuf_type type)
{
    struct pbuf *q = pbuf_alloc(PBUF_RAW, len, type);

    if (q == NULL) {
        fprintf(stderr, "pbuf_alloc failed\n");
        abort();
    }
    pbuf_take(q, data, len);
    return q;
}

size_t fake_altcp_pbufs_in_use(void)
{
    return (size_t)lwip_stats.memp[MEMP_PBUF_POOL]->used + (size_t)lwip_stats.memp[MEMP_PBUF]->used +
           (size_t)lwip_stats.mem.used;
}

__attribute__((format(printf, 3, 4)))
static void check_at(int line, bool ok, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (cfg.check != NULL) {
        cfg.check(line, ok, fmt, ap);
    }
    va_end(ap);
}
#define FA_CHECK(cond, ...) check_at(__LINE__, (cond), __VA_ARGS__)

/* ---- the altcp functions ------------------------------------------------------------ */

static void f_set_poll(struct altcp_pcb *c, u8_t i) { (void)c; (void)i; }
static void f_recved(struct altcp_pcb *c, u16_t len)
{
    FA_CHECK(c == fake.pcb, "recved on a dead pcb");
    fake.recved += len;
    FA_CHECK(fake.recved <= fake.delivered, "acknowledged %zu octets, only %zu delivered", fake.recved,
             fake.delivered);
}
static err_t f_connect(struct altcp_pcb *c, const ip_addr_t *a, u16_t port, altcp_connected_fn cb)
{
    (void)a;
    (void)port;
    c->connected = cb;
    fake.connects++;
    return ERR_OK;
}
static void f_abort(struct altcp_pcb *c)
{
    altcp_err_fn e = c->err;
    void *arg = c->arg;

    FA_CHECK(c == fake.pcb, "abort on a dead pcb");
    fake.aborts++;
    fake.pcb = NULL;
    altcp_free(c);
    if (e != NULL) {
        e(arg, ERR_ABRT);
    }
}
static err_t f_close(struct altcp_pcb *c)
{
    FA_CHECK(c == fake.pcb, "close on a dead pcb");
    if (fake.close_fails) {
        return ERR_MEM;
    }
    fake.closes++;
    fake.pcb = NULL;
    altcp_free(c);
    return ERR_OK;
}
static err_t f_write(struct altcp_pcb *c, const void *d, u16_t len, u8_t flags)
{
    (void)flags;
    FA_CHECK(c == fake.pcb, "write on a dead pcb");
    FA_CHECK(len <= fake.sndbuf, "write of %u octets beyond sndbuf %u", (unsigned)len, (unsigned)fake.sndbuf);
    if (fake.write_err_mem) {
        return ERR_MEM;
    }
    if (*cfg.sent_len + len > cfg.sent_size) {
        return ERR_MEM;
    }
    memcpy(cfg.sent + *cfg.sent_len, d, len);
    *cfg.sent_len += len;
    return ERR_OK;
}
static err_t f_output(struct altcp_pcb *c) { (void)c; fake.outputs++; return ERR_OK; }
static u16_t f_mss(struct altcp_pcb *c) { (void)c; return cfg.mss; }
static u16_t f_sndbuf(struct altcp_pcb *c) { (void)c; return fake.sndbuf; }
static u16_t f_sndqueuelen(struct altcp_pcb *c) { (void)c; return 0; }
static void f_dealloc(struct altcp_pcb *c) { (void)c; }

static const struct altcp_functions fake_fns = {
    .set_poll = f_set_poll,
    .recved = f_recved,
    .connect = f_connect,
    .abort = f_abort,
    .close = f_close,
    .write = f_write,
    .output = f_output,
    .mss = f_mss,
    .sndbuf = f_sndbuf,
    .sndqueuelen = f_sndqueuelen,
    .dealloc = f_dealloc,
};

/* Stands in for lwIP's altcp_tcp.c (not linked into the tests using this). */
struct altcp_pcb *altcp_tcp_new_ip_type(u8_t ip_type)
{
    struct altcp_pcb *c = altcp_alloc();

    fake.ip_type = ip_type;
    if (c != NULL) {
        c->fns = &fake_fns;
        fake.pcb = c;
    }
    return c;
}

void fake_altcp_error(err_t err)
{
    struct altcp_pcb *c = fake.pcb;
    altcp_err_fn e = c->err;
    void *arg = c->arg;

    fake.pcb = NULL;
    altcp_free(c);
    if (e != NULL) {
        if (cfg.call_err != NULL) {
            cfg.call_err(e, arg, err);
        } else {
            e(arg, err);
        }
    }
}
