/* The in-memory POP3 server of the poll tests (see poll_server.h). */
#include "poll_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ps_init(ps_server_t *s, const char *user, const char *pass)
{
    memset(s, 0, sizeof(*s));
    s->user = user;
    s->pass = pass;
}

void ps_add(ps_server_t *s, const char *uid, const char *text)
{
    if (s->n >= PS_MAX_MSGS) {
        fprintf(stderr, "poll_server: maildrop full\n");
        abort();
    }
    s->msg[s->n].uid = uid;
    s->msg[s->n].text = text;
    s->msg[s->n].present = true;
    s->n++;
}

static void put(ps_server_t *s, const char *data, size_t len)
{
    if (s->out_len + len > sizeof(s->out)) {
        fprintf(stderr, "poll_server: reply buffer too small\n");
        abort();
    }
    memcpy(s->out + s->out_len, data, len);
    s->out_len += len;
}

static void puts_(ps_server_t *s, const char *text)
{
    put(s, text, strlen(text));
}

static void putf(ps_server_t *s, const char *fmt, unsigned a, const char *b)
{
    char tmp[200];
    int n = snprintf(tmp, sizeof(tmp), fmt, a, b);
    put(s, tmp, (size_t)n);
}

void ps_connect(ps_server_t *s)
{
    s->state = PS_USER;
    s->nmap = 0;
    memset(s->marked, 0, sizeof(s->marked));
    s->line_len = 0;
    s->out_len = s->out_pos = 0;
    s->sessions++;
    puts_(s, "+OK POP3 model ready\r\n");
}

void ps_drop(ps_server_t *s)
{
    s->state = PS_OFF;
    memset(s->marked, 0, sizeof(s->marked)); /* RFC 1939 6: no UPDATE state without QUIT */
    s->out_len = s->out_pos = 0;
    s->line_len = 0;
}

void ps_consumed(ps_server_t *s, size_t n)
{
    s->out_pos += n;
    if (s->out_pos >= s->out_len)
        s->out_pos = s->out_len = 0;
}

unsigned ps_count(const ps_server_t *s)
{
    unsigned i, k = 0;
    for (i = 0; i < s->n; i++)
        k += s->msg[i].present;
    return k;
}

bool ps_has(const ps_server_t *s, const char *uid)
{
    unsigned i;
    for (i = 0; i < s->n; i++) {
        if (s->msg[i].present && strcmp(s->msg[i].uid, uid) == 0)
            return true;
    }
    return false;
}

/* Session message number -> maildrop index, or -1 (no such message, or marked). */
static int lookup(const ps_server_t *s, const char *arg, unsigned *num)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (arg[0] < '1' || arg[0] > '9' || *end != '\0' || v > s->nmap)
        return -1;
    *num = (unsigned)v;
    return s->marked[v - 1] ? -1 : (int)s->map[v - 1];
}

/* The body, dot-stuffed (RFC 1939 3), then the terminating line. */
static void put_body(ps_server_t *s, const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        const char *eol = strstr(p, "\r\n");
        size_t n = eol ? (size_t)(eol - p) + 2 : strlen(p);
        if (*p == '.')
            puts_(s, ".");
        put(s, p, n);
        p += n;
    }
    puts_(s, ".\r\n");
}

static void transaction(ps_server_t *s, const char *verb, const char *arg)
{
    unsigned i, num = 0, count = 0, octets = 0;
    int idx = arg[0] != '\0' ? lookup(s, arg, &num) : -1;
    for (i = 0; i < s->nmap; i++) {
        if (!s->marked[i]) {
            count++;
            octets += (unsigned)strlen(s->msg[s->map[i]].text);
        }
    }
    if (strcmp(verb, "STAT") == 0) {
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "+OK %u %u\r\n", count, octets);
        put(s, tmp, strlen(tmp));
    } else if ((strcmp(verb, "LIST") == 0 || strcmp(verb, "UIDL") == 0) && arg[0] == '\0') {
        bool uidl = verb[0] == 'U';
        unsigned k;
        s->uidls += uidl;
        if (uidl && s->uidl_err) {
            puts_(s, "-ERR [SYS/TEMP] no listing now\r\n");
            return;
        }
        puts_(s, "+OK\r\n");
        for (k = 0; k < s->nmap; k++) {
            const ps_msg_t *m;
            char tmp[120];
            i = uidl && s->uidl_reverse ? s->nmap - 1U - k : k;
            m = &s->msg[s->map[i]];
            if (s->marked[i])
                continue;
            if (uidl)
                snprintf(tmp, sizeof(tmp), "%u %s\r\n", i + 1, m->uid);
            else
                snprintf(tmp, sizeof(tmp), "%u %u\r\n", i + 1, (unsigned)strlen(m->text));
            put(s, tmp, strlen(tmp));
        }
        puts_(s, ".\r\n");
    } else if (strcmp(verb, "LIST") == 0 || strcmp(verb, "UIDL") == 0) {
        if (idx < 0)
            puts_(s, "-ERR no such message\r\n");
        else if (verb[0] == 'U')
            putf(s, "+OK %u %s\r\n", num, s->msg[idx].uid);
        else
            putf(s, "+OK %u %s\r\n", num, "1");
    } else if (strcmp(verb, "RETR") == 0) {
        if (idx < 0 || (unsigned)idx + 1U == s->retr_err) {
            puts_(s, "-ERR cannot read that message\r\n");
        } else {
            putf(s, "+OK %u octets\r\n", (unsigned)strlen(s->msg[idx].text), "");
            put_body(s, s->msg[idx].text);
            s->retrs++;
        }
    } else if (strcmp(verb, "DELE") == 0) {
        if (idx < 0 || (unsigned)idx + 1U == s->dele_err) {
            puts_(s, "-ERR no such message\r\n");
        } else {
            s->marked[num - 1] = true;
            putf(s, "+OK message %u deleted\r\n", num, "");
        }
    } else if (strcmp(verb, "RSET") == 0) {
        memset(s->marked, 0, sizeof(s->marked));
        puts_(s, "+OK\r\n");
    } else if (strcmp(verb, "NOOP") == 0) {
        puts_(s, "+OK\r\n");
    } else {
        puts_(s, "-ERR unknown command\r\n");
    }
}

static void command(ps_server_t *s, char *line)
{
    char *arg = strchr(line, ' ');
    const char *verb = line;
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    snprintf(s->last_cmd, sizeof(s->last_cmd), "%s", verb);
    s->last_arg = (unsigned)strtoul(arg, NULL, 10);
    s->lines++;
    if (strcmp(verb, "CAPA") == 0) {
        puts_(s, "+OK\r\nUSER\r\nUIDL\r\nRESP-CODES\r\n.\r\n");
    } else if (strcmp(verb, "QUIT") == 0) {
        unsigned i;
        if (s->state == PS_TRANS && s->quit_err) { /* RFC 1939 6: the removal failed */
            s->state = PS_DONE;
            puts_(s, "-ERR [SYS/TEMP] some deleted messages not removed\r\n");
            return;
        }
        if (s->state == PS_TRANS) { /* UPDATE state: the marked messages go */
            for (i = 0; i < s->nmap; i++) {
                if (s->marked[i]) {
                    s->msg[s->map[i]].present = false;
                    s->deles_committed++;
                }
            }
        }
        s->state = PS_DONE;
        puts_(s, "+OK bye\r\n");
    } else if (s->state == PS_USER && strcmp(verb, "USER") == 0) {
        s->state = strcmp(arg, s->user) == 0 ? PS_PASS : PS_USER;
        if (s->state == PS_PASS)
            puts_(s, "+OK\r\n");
        else
            puts_(s, "-ERR [AUTH] no such user\r\n");
    } else if (s->state == PS_PASS && strcmp(verb, "PASS") == 0) {
        if (strcmp(arg, s->pass) == 0) {
            unsigned i;
            s->state = PS_TRANS;
            for (i = 0; i < s->n; i++) { /* the maildrop as it is at login */
                if (s->msg[i].present)
                    s->map[s->nmap++] = i;
            }
            puts_(s, "+OK logged in\r\n");
        } else {
            s->state = PS_USER;
            puts_(s, "-ERR [AUTH] invalid password\r\n");
        }
    } else if (s->state == PS_TRANS) {
        transaction(s, verb, arg);
    } else {
        puts_(s, "-ERR not now\r\n");
    }
}

long ps_send(void *ctx, const uint8_t *data, size_t len)
{
    ps_server_t *s = ctx;
    size_t i;
    for (i = 0; i < len; i++) {
        char ch = (char)data[i];
        if (s->state == PS_OFF || s->state == PS_DONE) {
            s->protocol_errors++; /* nothing may follow QUIT or come before the connection */
            continue;
        }
        if (ch == '\n' && s->line_len > 0 && s->line[s->line_len - 1] == '\r') {
            s->line[s->line_len - 1] = '\0';
            s->line_len = 0;
            if (ps_pending(s) != 0)
                s->protocol_errors++; /* a command before the previous reply was read */
            command(s, s->line);
            continue;
        }
        if (s->line_len + 1 >= sizeof(s->line)) {
            s->protocol_errors++;
            s->line_len = 0;
        }
        s->line[s->line_len++] = ch;
    }
    return (long)len;
}
