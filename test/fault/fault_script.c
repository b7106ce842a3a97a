/* Fault injection: the reference session and its oracle (see fault_script.h). */
#include "fault_script.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fs_status_name(pop3_status_t st)
{
    /* Indexed by value, so a status added to the enum cannot shift the names. */
    static const char *const names[POP3_STATUS_COUNT_] = {
        [POP3_OK] = "OK", [POP3_ERR_SERVER] = "ERR_SERVER", [POP3_ERR_AUTH] = "ERR_AUTH",
        [POP3_ERR_AUTH_TOKEN] = "ERR_AUTH_TOKEN", [POP3_ERR_PROTOCOL] = "ERR_PROTOCOL",
        [POP3_ERR_TRANSPORT] = "ERR_TRANSPORT", [POP3_ERR_TLS] = "ERR_TLS", [POP3_ERR_CERT] = "ERR_CERT",
        [POP3_ERR_TIMEOUT] = "ERR_TIMEOUT", [POP3_ERR_ABORTED] = "ERR_ABORTED", [POP3_ERR_BAD_ARG] = "ERR_BAD_ARG",
        [POP3_ERR_STATE] = "ERR_STATE", [POP3_ERR_SECURITY] = "ERR_SECURITY",
        [POP3_ERR_QUEUE_FULL] = "ERR_QUEUE_FULL", [POP3_ERR_CLOSED] = "ERR_CLOSED",
        [POP3_ERR_UNSUPPORTED] = "ERR_UNSUPPORTED"};
    return (unsigned)st < POP3_STATUS_COUNT_ && names[st] != NULL ? names[st] : "?";
}

/* SCRAM-SHA-256 for alice/secret, computed by scram_vectors.py (hashlib/hmac,
 * independent of the library) for the nonce fs_scram_rng() yields. */
static const char scram_auth_line[] = "AUTH SCRAM-SHA-256 biwsbj1hbGljZSxyPTRZdGtBUEwraWhLV1JoT2RqcDRtNSs1Sw==\r\n";
static const char scram_server_first[] = "+ cj00WXRrQVBMK2loS1dSaE9kanA0bTUrNUslaHZZRHBXVWEyUmFUQ0FmdXhGSWxqLHM9Wm1GMWJIUXRhVzVxWldOMGFXOXVMWE5oYkhRPSxpPTQwOTY=\r\n";
static const char scram_client_final[] = "Yz1iaXdzLHI9NFl0a0FQTCtpaEtXUmhPZGpwNG01KzVLJWh2WURwV1VhMlJhVENBZnV4RklsaixwPU9FRkxRWkZnVGdGR0lEQnh6RGZRV2gyN25MUzNjSFZjNzlLVUk3SWNZTnM9\r\n";
static const char scram_server_final[] = "+ dj10bzhnaW9EUjUvbHRqbmFhQUhlMjlKTng4ay9WbzNudWxVQXFnanlzUldzPQ==\r\n";

int fs_scram_rng(void *ctx, unsigned char *buf, size_t len)
{
    uint32_t *x = ctx;

    for (size_t i = 0; i < len; i++) {
        *x ^= *x << 13;
        *x ^= *x >> 17;
        *x ^= *x << 5;
        buf[i] = (unsigned char)(*x >> 24);
    }
    return 0;
}

/* ---- building the session --------------------------------------------------- */

static void put(fs_session_t *s, const char *txt, size_t n)
{
    if (s->len + n > sizeof s->stream) {
        fprintf(stderr, "fault_script: stream buffer too small\n");
        __builtin_trap();
    }
    memcpy(s->stream + s->len, txt, n);
    s->len += n;
}

static void puts_(fs_session_t *s, const char *txt) { put(s, txt, strlen(txt)); }

static void msg_line(fs_session_t *s, const char *txt, size_t n)
{
    if (s->msg_len + n + 2 > sizeof s->msg) {
        fprintf(stderr, "fault_script: message buffer too small\n");
        __builtin_trap();
    }
    memcpy(s->msg + s->msg_len, txt, n);
    memcpy(s->msg + s->msg_len + n, "\r\n", 2);
    s->msg_len += n + 2;
}

static void msg_str(fs_session_t *s, const char *txt) { msg_line(s, txt, strlen(txt)); }

/* Lines that exercise the unstuffing: dots at line starts, lone dots, CR and LF inside lines. */
static const char *const tricky[] = {
    ".", "..", "...", ".leading dot", "..two leading dots", ". dot space", "trailing dot.",
    "", "a\rb (bare CR inside)", "c\nd (bare LF inside)", "x\r", "\t.tab then dot", ".\t", "",
};

static void build_message(fs_session_t *s, bool short_msg)
{
    uint32_t seed = 0x1234567U;

    s->msg_len = 0;
    msg_str(s, "From: Sender <sender@example.com>");
    msg_str(s, "To: alice@example.com");
    msg_str(s, "Subject: fault injection");
    msg_str(s, "");
    if (short_msg) {
        msg_str(s, ".");
        msg_str(s, "..x");
        msg_str(s, "");
        msg_str(s, "end.");
        return;
    }
    for (size_t i = 0; i < sizeof tricky / sizeof tricky[0]; i++) {
        msg_str(s, tricky[i]);
    }
    /* Pseudo-random lines up to ~4.5 KB: a quarter begin with dots, some are empty, some long. */
    while (s->msg_len < 4500U) {
        char line[200];
        size_t n;
        seed = seed * 1103515245U + 12345U;
        n = (seed >> 16) % 140U;
        if ((seed >> 8) % 11U == 0) n = 0;
        for (size_t j = 0; j < n; j++) {
            seed = seed * 1103515245U + 12345U;
            static const char set[] = "abcdefghijklmnopqrstuvwxyz .,;:-=_ABCXYZ0123456789.";
            line[j] = set[(seed >> 16) % (sizeof set - 1U)];
        }
        if (n > 0 && (seed >> 4) % 4U == 0) line[0] = '.';
        if (n > 1 && (seed >> 6) % 8U == 0) line[1] = '.';
        msg_line(s, line, n);
    }
    msg_str(s, "-- end of message");
}

/* The body as a server sends it: a dot doubled at every line start, then ".\r\n". */
static void put_stuffed(fs_session_t *s)
{
    bool bol = true;

    s->body_start = s->len;
    for (size_t i = 0; i < s->msg_len; i++) {
        char ch = s->msg[i];
        if (bol && ch == '.') put(s, ".", 1);
        put(s, &ch, 1);
        bol = ch == '\n' && i > 0 && s->msg[i - 1] == '\r';
    }
    s->body_end = s->len;
    puts_(s, ".\r\n");
}

static void step(fs_session_t *s, const char *cmd, int done_cmd, bool stls, const char *reply)
{
    fs_step_t *t = &s->steps[s->nsteps++];

    t->cmd = cmd;
    t->start = s->len;
    t->done_cmd = done_cmd;
    t->stls = stls;
    if (reply != NULL) puts_(s, reply);
    t->end = s->len;
}

void fs_build(fs_session_t *s, const fs_opts_t *o)
{
    static const char capa_plain[] = "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nRESP-CODES\r\n.\r\n";
    static const char capa_sasl[] =
        "+OK Capability list follows\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\nUIDL\r\nTOP\r\nRESP-CODES\r\n.\r\n";
    static const char capa_stls[] = "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nSTLS\r\n.\r\n";
    static const char capa_pipe[] = "+OK Capability list follows\r\nUSER\r\nUIDL\r\nTOP\r\nPIPELINING\r\n.\r\n";
    int batch = 0; /* pipelined: index of the batch's first step */
    char buf[160];

    memset(s, 0, sizeof *s);
    s->stls = o->stls;
    s->retr_err = o->retr_err;
    s->dele_mode = o->dele_mode;
    s->login = o->login;
    s->pipelined = o->pipelined;
    s->uid[0] = "whqtswO00WBw418f9t5JxYwZ";
    s->uid[1] = "QhdPYR:00WBw1Ph7x7";
    build_message(s, o->short_msg);
    s->list_size[0] = (uint32_t)s->msg_len;
    s->list_size[1] = 120;

    step(s, NULL, FS_NO_CMD, false, "+OK POP3 fault-injection server ready <1896.697170952@fault.example>\r\n");
    if (o->stls) {
        step(s, "CAPA\r\n", FS_NO_CMD, false, capa_stls);
        step(s, "STLS\r\n", FS_NO_CMD, true, "+OK Begin TLS negotiation\r\n");
    }
    step(s, "CAPA\r\n", POP3_CMD_CONNECT, false,
         o->pipelined ? capa_pipe : o->login == FS_LOGIN_USER_PASS ? capa_plain : capa_sasl);
    if (o->login == FS_LOGIN_SASL_PLAIN) {
        /* base64("\0alice\0secret") */
        step(s, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n", POP3_CMD_AUTH, false, "+OK maildrop has 2 messages\r\n");
    } else if (o->login == FS_LOGIN_SASL_SCRAM) {
        step(s, scram_auth_line, FS_NO_CMD, false, scram_server_first);
        step(s, scram_client_final, FS_NO_CMD, false, scram_server_final);
        step(s, "\r\n", POP3_CMD_AUTH, false, "+OK maildrop has 2 messages\r\n");
    } else {
        step(s, "USER alice\r\n", FS_NO_CMD, false, "+OK\r\n");
        step(s, "PASS secret\r\n", POP3_CMD_LOGIN, false, "+OK maildrop has 2 messages\r\n");
    }
    batch = s->nsteps; /* pipelined: LIST .. NOOP go out together once the login's reply is in */
    snprintf(buf, sizeof buf, "+OK 2 messages\r\n1 %u\r\n2 %u\r\n.\r\n", (unsigned)s->list_size[0],
             (unsigned)s->list_size[1]);
    step(s, "LIST\r\n", POP3_CMD_LIST, false, buf);
    snprintf(buf, sizeof buf, "+OK\r\n1 %s\r\n2 %s trailing text\r\n.\r\n", s->uid[0], s->uid[1]);
    step(s, "UIDL\r\n", POP3_CMD_UIDL, false, buf);
    s->retr_step = s->nsteps;
    if (o->retr_err) {
        step(s, "RETR 1\r\n", POP3_CMD_RETR, false, "-ERR [SYS/TEMP] message 1 is locked\r\n");
    } else {
        snprintf(buf, sizeof buf, "+OK %u octets\r\n", (unsigned)s->msg_len);
        step(s, "RETR 1\r\n", POP3_CMD_RETR, false, buf);
        put_stuffed(s);
        s->steps[s->nsteps - 1].end = s->len;
    }
    if (o->pipelined) {
        step(s, "NOOP\r\n", POP3_CMD_NOOP, false, "+OK\r\n");
        for (int i = batch; i < s->nsteps; i++) s->steps[i].after = batch;
        batch = s->retr_step + 1; /* DELE 1 is held until RETR 1's reply is in */
    }
    /* App logic queues DELE only after RETR's POP3_OK; the up-front variant always has it. */
    if (!o->retr_err || o->dele_mode == FS_DELE_UP_FRONT) {
        step(s, "DELE 1\r\n", POP3_CMD_DELE, false, "+OK message 1 deleted\r\n");
        if (o->pipelined) s->steps[s->nsteps - 1].after = batch;
    }
    /* QUIT is never pipelined: it goes out once every reply before it is in. */
    step(s, "QUIT\r\n", POP3_CMD_QUIT, false, "+OK fault server signing off\r\n");
}

size_t fs_body_ref(const fs_session_t *s, size_t k)
{
    size_t out = 0, end = k < s->body_end ? k : s->body_end;
    bool bol = true;

    if (s->retr_err) return 0;
    for (size_t i = s->body_start; i < end; i++) {
        char ch = s->stream[i];
        if (bol && ch == '.') {
            bol = false; /* stuffing */
            continue;
        }
        out++;
        bol = ch == '\n' && i > s->body_start && s->stream[i - 1] == '\r';
    }
    return out;
}

/* ---- the oracle ------------------------------------------------------------------ */

static bool fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return false;
}

static const char *cmd_name(int cmd)
{
    return cmd == FS_NO_CMD ? "-" : pop3_cmd_name((pop3_cmd_t)cmd);
}

static size_t find(const char *hay, size_t hay_len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0) return i;
    return FS_NONE;
}

/* Replies complete before step i's command goes out. */
static int after(const fs_session_t *s, int i)
{
    return s->steps[i].after > 0 ? s->steps[i].after : i;
}

int fs_boundary(const fs_session_t *s, size_t k)
{
    for (int i = 0; i < s->nsteps; i++)
        if (s->steps[i].end == k) return i;
    return -1;
}

bool fs_check(const fs_session_t *s, size_t cut, pop3_status_t fail_st, int partial_tail, const fs_obs_t *o,
              char *why, size_t why_len)
{
    size_t k = cut == FS_NONE || cut > s->len ? s->len : cut;
    int n = 0; /* replies complete within [0, k) */
    int exp_cmd[FS_MAX_DONE];
    pop3_status_t exp_st[FS_MAX_DONE];
    int nexp = 0;
    bool retr_ok, retr_done;
    char exp_sent[FS_SENT_CAP];
    size_t exp_sent_len = 0;
    int last_sent;

    while (n < s->nsteps && s->steps[n].end <= k) n++;
    retr_done = n > s->retr_step;
    retr_ok = retr_done && !s->retr_err;

    /* on_done: in queue order, each once; complete replies as answered, the rest fail_st. */
    for (int i = 0; i < s->nsteps; i++) {
        const fs_step_t *t = &s->steps[i];
        if (t->done_cmd == FS_NO_CMD) continue;
        if (i > s->retr_step && s->dele_mode == FS_DELE_AFTER_RETR_OK && !retr_done) {
            continue; /* never queued: the app queues DELE/QUIT from RETR's on_done */
        }
        exp_cmd[nexp] = t->done_cmd;
        if (i >= n) exp_st[nexp] = fail_st;
        else if (i == s->retr_step && s->retr_err) exp_st[nexp] = POP3_ERR_SERVER;
        else exp_st[nexp] = POP3_OK;
        nexp++;
    }
    if (o->done_overflow) return fail(why, why_len, "more than %d on_done calls", FS_MAX_DONE);
    for (int i = 0; i < nexp || i < o->ndone; i++) {
        if (i >= o->ndone)
            return fail(why, why_len, "on_done #%d (%s %s) missing: only %d calls", i, cmd_name(exp_cmd[i]),
                        fs_status_name(exp_st[i]), o->ndone);
        if (i >= nexp)
            return fail(why, why_len, "extra on_done #%d (%s %s)", i, cmd_name(o->done_cmd[i]),
                        fs_status_name(o->done_st[i]));
        if (o->done_cmd[i] != exp_cmd[i] || o->done_st[i] != exp_st[i])
            return fail(why, why_len, "on_done #%d is %s %s, expected %s %s", i, cmd_name(o->done_cmd[i]),
                        fs_status_name(o->done_st[i]), cmd_name(exp_cmd[i]), fs_status_name(exp_st[i]));
    }

    /* Bytes sent: exactly the commands whose turn came. The command after STLS waits for the handshake. */
    last_sent = n < s->nsteps ? n : s->nsteps - 1;
    if (n >= 1 && n < s->nsteps && s->steps[n - 1].stls && k == s->steps[n - 1].end && !partial_tail) {
        last_sent = n - 1;
    } else {
        while (last_sent + 1 < s->nsteps && after(s, last_sent + 1) <= n) last_sent++; /* the rest of its batch */
        while (last_sent > 0 && after(s, last_sent) > n) last_sent--; /* DELE held behind RETR */
    }
    for (int i = 1; i <= last_sent; i++) {
        size_t l = strlen(s->steps[i].cmd);
        memcpy(exp_sent + exp_sent_len, s->steps[i].cmd, l);
        exp_sent_len += l;
    }
    if (partial_tail && last_sent >= 1) {
        /* The last command due went out in part (or, with 2, maybe whole); pipelined, the batch it ends. */
        size_t l = 0, before;
        for (int i = last_sent; i >= 1 && after(s, i) == after(s, last_sent); i--) {
            l += strlen(s->steps[i].cmd);
            if (s->steps[i].after == 0) break;
        }
        before = exp_sent_len - l;
        if (o->sent_len >= before && o->sent_len < exp_sent_len + (partial_tail == 2 ? 1U : 0U) &&
            memcmp(o->sent + before, exp_sent + before, o->sent_len - before) == 0) {
            exp_sent_len = o->sent_len;
        } else {
            return fail(why, why_len, "a failed send of \"%.*s\" but %zu octets sent (expected %zu to %zu)",
                        (int)l - 2, s->steps[last_sent].cmd, o->sent_len, before, exp_sent_len - 1);
        }
    }
    if (o->sent_len != exp_sent_len || memcmp(o->sent, exp_sent, exp_sent_len) != 0) {
        char a[120], b[120];
        size_t d = 0;
        while (d < o->sent_len && d < exp_sent_len && o->sent[d] == exp_sent[d]) d++;
        snprintf(a, sizeof a, "%.40s", o->sent + d);
        snprintf(b, sizeof b, "%.40s", exp_sent + d);
        for (char *p = a; *p; p++) if (*p == '\r' || *p == '\n') *p = '|';
        for (char *p = b; *p; p++) if (*p == '\r' || *p == '\n') *p = '|';
        return fail(why, why_len, "client sent %zu octets, expected %zu; from offset %zu got \"%s\" expected \"%s\"",
                    o->sent_len, exp_sent_len, d, a, b);
    }

    /* DELE only after RETR completed and was reported; with DELE queued up front after a
     * RETR -ERR the library sends it (commands are independent: the app's decision). */
    {
        size_t dele_at = find(o->sent, o->sent_len, "DELE");
        if (dele_at != FS_NONE) {
            int ri = -1;
            for (int i = 0; i < o->ndone; i++)
                if (o->done_cmd[i] == POP3_CMD_RETR) ri = i;
            if (ri < 0) return fail(why, why_len, "DELE sent but RETR never reported");
            if (o->done_sent_at[ri] > dele_at)
                return fail(why, why_len, "DELE sent before RETR's on_done");
            if (o->done_st[ri] != POP3_OK && !(s->retr_err && s->dele_mode == FS_DELE_UP_FRONT))
                return fail(why, why_len, "DELE sent for a message whose RETR ended %s",
                            fs_status_name(o->done_st[ri]));
        }
    }

    /* Body: a prefix of the true message; all of it (and POP3_OK) only when the end marker came. */
    if (o->body_overflow) return fail(why, why_len, "on_body delivered more than the message");
    if (o->body_len > s->msg_len || memcmp(o->body, s->msg, o->body_len) != 0) {
        size_t d = 0;
        while (d < o->body_len && d < s->msg_len && o->body[d] == s->msg[d]) d++;
        return fail(why, why_len, "body is not a prefix of the message: %zu octets, first difference at %zu",
                    o->body_len, d);
    }
    if (retr_ok) {
        if (o->body_len != s->msg_len)
            return fail(why, why_len, "RETR OK with %zu of %zu octets", o->body_len, s->msg_len);
        for (int i = 0; i < o->ndone; i++)
            if (o->done_cmd[i] == POP3_CMD_RETR && o->done_octets[i] != s->msg_len)
                return fail(why, why_len, "RETR OK reports %llu octets, delivered %zu",
                            (unsigned long long)o->done_octets[i], s->msg_len);
    } else {
        size_t ref = fs_body_ref(s, k);
        if (o->body_len + 2U < ref)
            return fail(why, why_len, "only %zu body octets delivered of %zu received", o->body_len, ref);
    }

    /* LIST / UIDL entries: a prefix of the true lists; complete when the command succeeded. */
    {
        bool list_ok = false, uidl_ok = false;
        for (int i = 0; i < o->ndone; i++) {
            if (o->done_cmd[i] == POP3_CMD_LIST) list_ok = o->done_st[i] == POP3_OK;
            if (o->done_cmd[i] == POP3_CMD_UIDL) uidl_ok = o->done_st[i] == POP3_OK;
        }
        if (o->nlist > 2 || (list_ok && o->nlist != 2)) return fail(why, why_len, "%d LIST entries", o->nlist);
        for (int i = 0; i < o->nlist; i++)
            if (o->list_msg[i] != (uint32_t)i + 1U || o->list_size[i] != s->list_size[i])
                return fail(why, why_len, "LIST entry %d wrong", i);
        if (o->nuidl > 2 || (uidl_ok && o->nuidl != 2)) return fail(why, why_len, "%d UIDL entries", o->nuidl);
        for (int i = 0; i < o->nuidl; i++)
            if (o->uidl_msg[i] != (uint32_t)i + 1U || o->uidl_len[i] != strlen(s->uid[i]) ||
                memcmp(o->uidl[i], s->uid[i], o->uidl_len[i]) != 0)
                return fail(why, why_len, "UIDL entry %d wrong", i);
    }

    /* The session: closed, OK only after QUIT's +OK; every delivered octet consumed. */
    if (o->state != POP3_STATE_CLOSED) return fail(why, why_len, "session not closed (state %d)", (int)o->state);
    if (o->session_status != (n == s->nsteps ? POP3_OK : fail_st))
        return fail(why, why_len, "session status %s, expected %s", fs_status_name(o->session_status),
                    fs_status_name(n == s->nsteps ? POP3_OK : fail_st));
    if (o->delivered != k) return fail(why, why_len, "client consumed %zu of %zu delivered octets", o->delivered, k);
    return true;
}
