/*
 * fastpop: a POP3 server for benchmarks that serves a generated mailbox from
 * memory, so that a client, not the server, is the bottleneck. Every message
 * (already dot-stuffed) and both listings are prepared before the first
 * connection and sent with as few write() calls as the kernel allows.
 * Test code: malloc, globals and a blocking fork-per-connection loop are fine.
 *
 *   fastpop SPEC                 serve on 127.0.0.1, an ephemeral port; the
 *                                port number is the first line on stdout
 *   fastpop --dump SPEC N        message N as stored (what RETR must deliver)
 *   fastpop --wire SPEC N        the RETR N reply as sent (status line .. ".")
 *   fastpop --uidl SPEC          the UIDL listing as pop3-cli prints it
 *   fastpop --list SPEC          the LIST listing as pop3-cli prints it
 *
 * SPEC: COUNTxSIZE[,COUNTxSIZE]...: messages in that order, each about SIZE
 * octets (at least its header); LIST gives the exact sizes.
 * Any USER/PASS is accepted. CAPA advertises PIPELINING, and commands that
 * arrive together are answered in order.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_io.h"

/* Replies the bench scripts rebuild to check the bare loop's bytes. */
#define GREETING "+OK fastpop ready\r\n"
#define USER_OK "+OK\r\n"
#define PASS_OK "+OK logged in\r\n"
#define QUIT_OK "+OK bye\r\n"

static uint32_t n_msgs;
static size_t *msg_target;  /* requested size of each message */
static size_t *msg_size;    /* stored (unstuffed) size */
static char **msg_wire;     /* RETR reply: "+OK ...\r\n" stuffed body ".\r\n" */
static size_t *msg_wire_len;
static char *list_wire, *uidl_wire;
static size_t list_len, uidl_len;
static uint64_t total_octets;

static void die(const char *what)
{
    fprintf(stderr, "fastpop: %s: %s\n", what, errno ? strerror(errno) : "bad input");
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n == 0 ? 1 : n);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

/*
 * Message i (1-based): a short header, then body lines of 20..79 octets; one
 * line in 7 starts with a dot, one in 97 is a lone "." and others start with
 * a dot where the alphabet has one (all of them need stuffing).
 * With stuff != 0 the wire form is produced. Returns the length written.
 */
static size_t gen_msg(uint32_t i, size_t target, int stuff, char *out)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-";
    size_t n = (size_t)sprintf(out, "From: bench <bench@example.org>\r\nSubject: bench message %u\r\n"
                                    "Message-ID: <%u@fastpop.bench>\r\n\r\n", i, i);
    size_t plain = n;
    uint32_t k = 0;

    while (plain + 2 < target) {
        size_t len = 20U + (size_t)((k * 37U + i) % 60U), j;
        if (plain + len + 2 > target) {
            len = target - plain - 2;
        }
        k++;
        for (j = 0; j < len; j++) {
            out[n + 1 + j] = (j == 0 && (k % 7U == 0 || k % 97U == 0)) ? '.' : alpha[(j + k * 13U) % (sizeof alpha - 1)];
        }
        if (stuff && len > 0 && out[n + 1] == '.') {
            out[n++] = '.'; /* the line written one octet on starts with a dot */
        } else {
            memmove(out + n, out + n + 1, len);
        }
        if (k % 97U == 0 && len > 0) {
            len = 1; /* the line is exactly "." */
        }
        n += len;
        out[n++] = '\r';
        out[n++] = '\n';
        plain += len + 2;
    }
    return n;
}

static size_t gen_bound(size_t target)
{
    return target + target / 6 + 256; /* header, stuffing dots, short last line */
}

static void parse_spec(const char *spec)
{
    const char *p = spec;
    size_t cap = 0;

    while (*p != '\0') {
        char *end;
        unsigned long cnt = strtoul(p, &end, 10), j;
        unsigned long long sz;
        if (end == p || (*end != 'x' && *end != 'X')) {
            die("SPEC is COUNTxSIZE[,COUNTxSIZE]...");
        }
        p = end + 1;
        sz = strtoull(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || cnt == 0 || cnt > 10000000UL) {
            die("SPEC is COUNTxSIZE[,COUNTxSIZE]...");
        }
        p = *end == ',' ? end + 1 : end;
        for (j = 0; j < cnt; j++) {
            if (n_msgs == cap) {
                cap = cap ? cap * 2 : 64;
                msg_target = realloc(msg_target, cap * sizeof *msg_target);
                if (msg_target == NULL) {
                    die("out of memory");
                }
            }
            msg_target[n_msgs++] = (size_t)sz;
        }
    }
    if (n_msgs == 0) {
        die("empty SPEC");
    }
}

static void uid_of(uint32_t i, char *out)
{
    sprintf(out, "%08x%08x", (unsigned)(i * 2654435761U), (unsigned)i);
}

static void build(void)
{
    char *tmp;
    size_t biggest = 0, cap_l, cap_u;
    uint32_t i;

    msg_size = xmalloc(n_msgs * sizeof *msg_size);
    msg_wire = xmalloc(n_msgs * sizeof *msg_wire);
    msg_wire_len = xmalloc(n_msgs * sizeof *msg_wire_len);
    for (i = 0; i < n_msgs; i++) {
        biggest = msg_target[i] > biggest ? msg_target[i] : biggest;
    }
    tmp = xmalloc(gen_bound(biggest));
    for (i = 0; i < n_msgs; i++) {
        size_t w;
        msg_size[i] = gen_msg(i + 1, msg_target[i], 0, tmp);
        total_octets += msg_size[i];
        msg_wire[i] = xmalloc(gen_bound(msg_target[i]) + 64);
        w = (size_t)sprintf(msg_wire[i], "+OK %zu octets\r\n", msg_size[i]);
        w += gen_msg(i + 1, msg_target[i], 1, msg_wire[i] + w);
        memcpy(msg_wire[i] + w, ".\r\n", 3);
        msg_wire_len[i] = w + 3;
    }
    free(tmp);
    cap_l = (size_t)n_msgs * 32U + 64U;
    cap_u = (size_t)n_msgs * 32U + 64U;
    list_wire = xmalloc(cap_l);
    uidl_wire = xmalloc(cap_u);
    list_len = (size_t)sprintf(list_wire, "+OK %u messages\r\n", n_msgs);
    uidl_len = (size_t)sprintf(uidl_wire, "+OK\r\n");
    for (i = 0; i < n_msgs; i++) {
        char uid[32];
        uid_of(i + 1, uid);
        list_len += (size_t)sprintf(list_wire + list_len, "%u %zu\r\n", i + 1, msg_size[i]);
        uidl_len += (size_t)sprintf(uidl_wire + uidl_len, "%u %s\r\n", i + 1, uid);
    }
    list_len += (size_t)sprintf(list_wire + list_len, ".\r\n");
    uidl_len += (size_t)sprintf(uidl_wire + uidl_len, ".\r\n");
}

static int say(int fd, const char *s)
{
    return write_all(fd, s, strlen(s));
}

/* Message number argument of a command, 0 when absent or out of range. */
static uint32_t msg_arg(const char *arg)
{
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    return (end != arg && v >= 1 && v <= n_msgs) ? (uint32_t)v : 0;
}

/* One command line (without CR LF). Returns 1 after QUIT, -1 on a write error. */
static int command(int fd, char *line)
{
    char *arg = strchr(line, ' '), buf[96];
    uint32_t m;

    if (arg != NULL) {
        *arg++ = '\0';
    } else {
        arg = line + strlen(line);
    }
    m = msg_arg(arg);
    if (strcasecmp(line, "CAPA") == 0) {
        return say(fd, "+OK\r\nUSER\r\nUIDL\r\nPIPELINING\r\n.\r\n");
    }
    if (strcasecmp(line, "USER") == 0) {
        return say(fd, USER_OK);
    }
    if (strcasecmp(line, "PASS") == 0) {
        return say(fd, PASS_OK);
    }
    if (strcasecmp(line, "QUIT") == 0) {
        return say(fd, QUIT_OK) == 0 ? 1 : -1;
    }
    if (strcasecmp(line, "NOOP") == 0 || strcasecmp(line, "RSET") == 0) {
        return say(fd, "+OK\r\n");
    }
    if (strcasecmp(line, "STAT") == 0) {
        sprintf(buf, "+OK %u %llu\r\n", n_msgs, (unsigned long long)total_octets);
        return say(fd, buf);
    }
    if ((strcasecmp(line, "LIST") == 0 || strcasecmp(line, "UIDL") == 0) && *arg == '\0') {
        return line[0] == 'L' || line[0] == 'l' ? write_all(fd, list_wire, list_len)
                                                : write_all(fd, uidl_wire, uidl_len);
    }
    if (m == 0) {
        return say(fd, "-ERR no such message or command\r\n");
    }
    if (strcasecmp(line, "LIST") == 0) {
        sprintf(buf, "+OK %u %zu\r\n", m, msg_size[m - 1]);
        return say(fd, buf);
    }
    if (strcasecmp(line, "UIDL") == 0) {
        char uid[32];
        uid_of(m, uid);
        sprintf(buf, "+OK %u %s\r\n", m, uid);
        return say(fd, buf);
    }
    if (strcasecmp(line, "RETR") == 0) {
        return write_all(fd, msg_wire[m - 1], msg_wire_len[m - 1]);
    }
    if (strcasecmp(line, "DELE") == 0) {
        return say(fd, "+OK marked\r\n");
    }
    return say(fd, "-ERR no such message or command\r\n");
}

static void session(int fd)
{
    char in[8192];
    size_t have = 0;
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (say(fd, GREETING) != 0) {
        return;
    }
    for (;;) {
        ssize_t r = read(fd, in + have, sizeof in - have);
        size_t start = 0, i;
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return;
        }
        have += (size_t)r;
        for (i = 0; i + 1 < have; i++) {
            if (in[i] == '\r' && in[i + 1] == '\n') {
                int rc;
                in[i] = '\0';
                rc = command(fd, in + start);
                if (rc != 0) {
                    return;
                }
                start = i + 2;
                i++;
            }
        }
        memmove(in, in + start, have - start);
        have -= start;
        if (have == sizeof in) {
            say(fd, "-ERR line too long\r\n");
            return;
        }
    }
}

static void serve(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    if (ls < 0) {
        die("socket");
    }
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 64) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        die("bind/listen on 127.0.0.1");
    }
    signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    signal(SIGPIPE, SIG_IGN);
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        pid_t pid;
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            die("accept");
        }
        pid = fork();
        if (pid == 0) {
            close(ls);
            session(fd);
            close(fd);
            _exit(0);
        }
        close(fd);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2) {
        parse_spec(argv[1]);
        build();
        serve();
        return 0;
    }
    if (argc >= 3 && argv[1][0] == '-') {
        const char *mode = argv[1];
        uint32_t m = 0;
        parse_spec(argv[2]);
        build();
        if (argc == 4) {
            m = msg_arg(argv[3]);
        }
        if (strcmp(mode, "--dump") == 0 && m != 0) {
            char *buf = xmalloc(gen_bound(msg_target[m - 1]));
            size_t n = gen_msg(m, msg_target[m - 1], 0, buf);
            return fwrite(buf, 1, n, stdout) == n ? 0 : 1;
        }
        if (strcmp(mode, "--wire") == 0 && m != 0) {
            return fwrite(msg_wire[m - 1], 1, msg_wire_len[m - 1], stdout) == msg_wire_len[m - 1] ? 0 : 1;
        }
        if ((strcmp(mode, "--uidl") == 0 || strcmp(mode, "--list") == 0) && argc == 3) {
            uint32_t i;
            for (i = 0; i < n_msgs; i++) {
                char uid[32];
                uid_of(i + 1, uid);
                if (mode[2] == 'u') {
                    printf("%u %s\n", i + 1, uid);
                } else {
                    printf("%u %zu\n", i + 1, msg_size[i]);
                }
            }
            return fflush(stdout) == 0 ? 0 : 1;
        }
    }
    fprintf(stderr, "usage: fastpop SPEC | --dump SPEC N | --wire SPEC N | --uidl SPEC | --list SPEC\n");
    return 2;
}
