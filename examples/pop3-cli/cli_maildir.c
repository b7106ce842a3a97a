/**
 * @file cli_maildir.c
 * @brief pop3-cli fetch: delivery into a Maildir (cr.yp.to/proto/maildir.html):
 *        its directories, the account's lock, the UIDs found in file names,
 *        one message at a time (the state file: cli_mdstate.c). The order of
 *        the steps and what it guarantees: cli_fetch.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cli_fetch.h"

bool cli_md_err(cli_md_t *m, const char *fmt, ...)
{
    int e = errno;
    size_t n;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(m->err, sizeof m->err, fmt, ap);
    va_end(ap);
    n = strlen(m->err);
    if (n + 3U < sizeof m->err) {
        snprintf(m->err + n, sizeof m->err - n, ": %s", strerror(e));
    }
    errno = e;
    return false;
}

char *cli_md_strdup(const char *s, size_t n)
{
    char *d = malloc(n + 1U);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* The 32-bit FNV-1a hash: a short account tag for file names. */
static uint32_t md_fnv1a(const char *s)
{
    uint32_t h = 2166136261U;
    for (; *s != '\0'; s++) {
        h = (h ^ (uint8_t)*s) * 16777619U;
    }
    return h;
}

/* "user@host[:port]" made safe for a file name: [A-Za-z0-9._@+:-] kept, others %XX. */
static void md_account_file(const char *acct, char *out, size_t out_len)
{
    size_t o = 0U;
    for (; *acct != '\0' && o + 4U < out_len; acct++) {
        unsigned char c = (unsigned char)*acct;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '_' || c == '@' || c == '+' || c == '-' || c == ':') {
            out[o++] = (char)c;
        } else {
            o += (size_t)snprintf(out + o, out_len - o, "%%%02X", c);
        }
    }
    out[o] = '\0';
}

bool cli_md_uid_ok(const char *u, size_t n)
{
    size_t i;
    if (n == 0U || n > CLI_MD_UID_MAX) {
        return false;
    }
    for (i = 0U; i < n; i++) {
        if ((unsigned char)u[i] < 0x21U || (unsigned char)u[i] > 0x7EU) {
            return false;
        }
    }
    return true;
}

bool cli_md_add_known(cli_md_t *m, const char *uid, size_t n)
{
    if (m->nknown == m->cap_known) {
        size_t cap = m->cap_known == 0U ? 64U : m->cap_known * 2U;
        char **k = realloc(m->known, cap * sizeof *k);
        if (k == NULL) {
            snprintf(m->err, sizeof m->err, "out of memory");
            return false;
        }
        m->known = k;
        m->cap_known = cap;
    }
    m->known[m->nknown] = cli_md_strdup(uid, n);
    if (m->known[m->nknown] == NULL) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return false;
    }
    m->nknown++;
    return true;
}

static int md_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

bool cli_md_known(const cli_md_t *m, const char *uid)
{
    return m->nknown > 0U && bsearch(&uid, m->known, m->nknown, sizeof *m->known, md_cmp) != NULL;
}

/* ---- opening: directories, lock, state, scan ------------------------------ */

/* DIR/{tmp,new,cur}: made if DIR is new or empty, or already has some of them;
 * a directory with other content is not taken for a Maildir. */
static bool md_make_dirs(cli_md_t *m, const char *dir)
{
    static const char *const sub[3] = { "tmp", "new", "cur" };
    struct stat st;
    int have = 0;
    int i;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        return cli_md_err(m, "cannot create the Maildir %s", dir);
    }
    m->dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (m->dir_fd < 0) {
        return cli_md_err(m, "cannot open the Maildir %s", dir);
    }
    for (i = 0; i < 3; i++) {
        have += fstatat(m->dir_fd, sub[i], &st, 0) == 0 && S_ISDIR(st.st_mode);
    }
    if (have == 0) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool empty = true;
        if (d == NULL) {
            return cli_md_err(m, "cannot read %s", dir);
        }
        while ((e = readdir(d)) != NULL) {
            empty = empty && (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                              strncmp(e->d_name, "pop3-cli-uidl.", 14U) == 0);
        }
        closedir(d);
        if (!empty) {
            snprintf(m->err, sizeof m->err, "%s exists and is not a Maildir (no tmp/, new/, cur/); "
                     "give a new or empty directory, or an existing Maildir", dir);
            return false;
        }
    }
    for (i = 0; i < 3; i++) {
        if (mkdirat(m->dir_fd, sub[i], 0700) != 0 && errno != EEXIST) {
            return cli_md_err(m, "cannot create %s/", sub[i]);
        }
    }
    if (fsync(m->dir_fd) != 0) {
        return cli_md_err(m, "fsync of the Maildir %s", dir);
    }
    m->tmp_fd = openat(m->dir_fd, "tmp", O_RDONLY | O_DIRECTORY);
    m->new_fd = openat(m->dir_fd, "new", O_RDONLY | O_DIRECTORY);
    if (m->tmp_fd < 0 || m->new_fd < 0) {
        return cli_md_err(m, "cannot open %s/tmp or new", dir);
    }
    return true;
}

/* One run per account at a time: the next run removes tmp files of killed
 * ones, which must not be those of a live run. */
static bool md_lock(cli_md_t *m, const char *acct_file)
{
    char name[CLI_MD_NAME_LEN];
    struct flock fl;
    snprintf(name, sizeof name, "pop3-cli-uidl.%s.lock", acct_file);
    m->lock_fd = openat(m->dir_fd, name, O_RDWR | O_CREAT, 0600);
    if (m->lock_fd < 0) {
        return cli_md_err(m, "cannot create the lock file %s", name);
    }
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(m->lock_fd, F_SETLK, &fl) != 0) {
        if (errno == EAGAIN || errno == EACCES) {
            snprintf(m->err, sizeof m->err, "another pop3-cli fetch for %s is using this Maildir "
                     "(lock file %s)", m->account, name);
            return false;
        }
        return cli_md_err(m, "cannot lock %s", name);
    }
    return true;
}

static int md_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1; /* names are written in lower case only */
}

static bool md_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The UID in a name tagged ",U=<tag>-<UID>" (a UID of letters and digits
 * only) or ",U=<tag>x<UID in hex>"; *tagged: the name is this account's
 * (with or without a UID). */
static bool md_name_uid(const cli_md_t *m, const char *name, char *uid, size_t *uid_len, bool *tagged)
{
    const char *p = name;
    size_t n = 0U;
    *tagged = false;
    *uid_len = 0U;
    while ((p = strstr(p, ",U=")) != NULL) {
        if (strncmp(p + 3, m->tag, 8U) == 0 && strchr("-x:,", p[11]) != NULL) {
            break;
        }
        p += 3;
    }
    if (p == NULL) {
        return false;
    }
    *tagged = true;
    if (p[11] == '-') {
        for (p += 12; n < CLI_MD_UID_MAX && md_alnum(*p); p++) {
            uid[n++] = *p;
        }
    } else if (p[11] == 'x') {
        for (p += 12; n < CLI_MD_UID_MAX && md_hex(p[0]) >= 0 && md_hex(p[1]) >= 0; p += 2) {
            uid[n++] = (char)(md_hex(p[0]) * 16 + md_hex(p[1]));
        }
    }
    *uid_len = n;
    return cli_md_uid_ok(uid, n);
}

/* new/ and cur/: UIDs stored but maybe not recorded (killed between the
 * rename and the state write). tmp/: this account's leftovers, removed. */
static bool md_scan(cli_md_t *m, const char *sub, size_t sorted)
{
    int fd = openat(m->dir_fd, sub, O_RDONLY | O_DIRECTORY);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (d == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return cli_md_err(m, "cannot read %s/", sub);
    }
    while ((e = readdir(d)) != NULL) {
        char uid[CLI_MD_UID_MAX + 1U];
        size_t n = 0U;
        bool tagged;
        bool ok = md_name_uid(m, e->d_name, uid, &n, &tagged);
        if (strcmp(sub, "tmp") == 0) {
            if (tagged && unlinkat(m->tmp_fd, e->d_name, 0) == 0) {
                m->stale_removed++;
            }
            continue;
        }
        uid[ok ? n : 0U] = '\0';
        if (ok) {
            const char *key = uid;
            if (sorted == 0U || bsearch(&key, m->known, sorted, sizeof *m->known, md_cmp) == NULL) {
                if (!cli_md_add_known(m, uid, n)) {
                    closedir(d);
                    return false;
                }
                m->repaired++;
            }
        }
    }
    closedir(d);
    return true;
}

static bool md_hostname(cli_md_t *m)
{
    char h[256];
    size_t i;
    size_t o = 0U;
    if (gethostname(h, sizeof h) != 0) {
        snprintf(h, sizeof h, "localhost");
    }
    h[sizeof h - 1U] = '\0';
    for (i = 0U; h[i] != '\0' && o + 5U < sizeof m->host && o < 40U; i++) {
        if (h[i] == '/' || h[i] == ':') {
            o += (size_t)snprintf(m->host + o, sizeof m->host - o, "\\%03o", (unsigned)(unsigned char)h[i]);
        } else if (h[i] == ',' || (unsigned char)h[i] < 0x21U || (unsigned char)h[i] > 0x7EU) {
            m->host[o++] = '_';
        } else {
            m->host[o++] = h[i];
        }
    }
    m->host[o] = '\0';
    return true;
}

bool cli_md_open(cli_md_t *m, const char *dir, const char *state, const char *user, const char *host)
{
    char acct_file[CLI_MD_NAME_LEN];
    size_t n = strlen(user) + strlen(host) + 2U;
    size_t sorted;
    memset(m, 0, sizeof *m);
    m->dir_fd = m->tmp_fd = m->new_fd = m->lock_fd = m->fd = -1;
    m->account = malloc(n);
    m->buf = malloc(CLI_MD_BUF_LEN);
    if (m->account == NULL || m->buf == NULL) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return false;
    }
    snprintf(m->account, n, "%s@%s", user, host);
    snprintf(m->tag, sizeof m->tag, "%08x", (unsigned)md_fnv1a(m->account));
    md_account_file(m->account, acct_file, 160U);
    if (state == NULL) {
        n = strlen(dir) + strlen(acct_file) + 20U;
        m->state_path = malloc(n);
        if (m->state_path != NULL) {
            snprintf(m->state_path, n, "%s/pop3-cli-uidl.%s", dir, acct_file);
        }
    } else {
        m->state_path = cli_md_strdup(state, strlen(state));
    }
    n = m->state_path != NULL ? strlen(m->state_path) + 5U : 0U;
    m->state_tmp = n > 0U ? malloc(n) : NULL;
    if (m->state_tmp == NULL) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return false;
    }
    snprintf(m->state_tmp, n, "%s.tmp", m->state_path);
    if (!md_hostname(m) || !md_make_dirs(m, dir) || !md_lock(m, acct_file) || !cli_md_load_state(m)) {
        return false;
    }
    if (m->nknown > 1U) {
        qsort(m->known, m->nknown, sizeof *m->known, md_cmp);
    }
    sorted = m->nknown;
    if (!md_scan(m, "new", sorted) || !md_scan(m, "cur", sorted) || !md_scan(m, "tmp", sorted)) {
        return false;
    }
    if (m->nknown > 1U) {
        qsort(m->known, m->nknown, sizeof *m->known, md_cmp);
    }
    return true;
}

void cli_md_close(cli_md_t *m)
{
    size_t i;
    cli_md_discard(m);
    for (i = 0U; i < m->nknown; i++) {
        free(m->known[i]);
    }
    free(m->known);
    free(m->buf);
    free(m->account);
    free(m->state_path);
    free(m->state_tmp);
    if (m->tmp_fd >= 0) {
        close(m->tmp_fd);
    }
    if (m->new_fd >= 0) {
        close(m->new_fd);
    }
    if (m->dir_fd >= 0) {
        close(m->dir_fd);
    }
    if (m->lock_fd >= 0) {
        close(m->lock_fd); /* releases the lock */
    }
    memset(m, 0, sizeof *m);
    m->dir_fd = m->tmp_fd = m->new_fd = m->lock_fd = m->fd = -1;
}

/* ---- one message -------------------------------------------------------- */

bool cli_md_begin(cli_md_t *m, const char *uid)
{
    struct timeval tv;
    size_t o;
    gettimeofday(&tv, NULL);
    m->count++;
    o = (size_t)snprintf(m->name, sizeof m->name, "%lld.M%06ldP%ldQ%lu.%s,U=%s",
                         (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), m->count,
                         m->host, m->tag);
    /* About 100 octets so far (a 10-digit time, a Linux pid of at most 7 digits,
     * the host cut at 40) and at most 141 for the UID: the whole UID fits, with
     * room for the ":2,FLAGS" a reader adds (NAME_MAX 255). Checked below. */
    if (uid != NULL) {
        const char *u = uid;
        bool literal;
        while (md_alnum(*u)) {
            u++;
        }
        literal = *u == '\0';
        m->name[o++] = literal ? '-' : 'x';
        for (u = uid; *u != '\0' && o + 3U < sizeof m->name; u++) {
            if (literal) {
                m->name[o++] = *u;
            } else {
                o += (size_t)snprintf(m->name + o, sizeof m->name - o, "%02x", (unsigned)(unsigned char)*u);
            }
        }
        m->name[o] = '\0';
        if (*u != '\0') { /* a cut UID would not be recognised by the next run */
            errno = ENAMETOOLONG;
            return cli_md_err(m, "the file name for UID %s", uid);
        }
    }
    m->fd = openat(m->tmp_fd, m->name, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (m->fd < 0) {
        return cli_md_err(m, "cannot create tmp/%s", m->name);
    }
    m->cr = false;
    m->buf_len = 0U;
    return true;
}

static bool md_flush(cli_md_t *m)
{
    size_t off = 0U;
    while (off < m->buf_len) {
        ssize_t w = write(m->fd, m->buf + off, m->buf_len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = ENOSPC;
            }
            return cli_md_err(m, "writing tmp/%s", m->name);
        }
        off += (size_t)w;
    }
    m->buf_len = 0U;
    return true;
}

/* Appends @p n octets to the write buffer, flushing it whenever it fills. */
static bool md_put_run(cli_md_t *m, const char *s, size_t n)
{
    while (n > 0U) {
        size_t k = CLI_MD_BUF_LEN - m->buf_len;
        if (k == 0U) {
            if (!md_flush(m)) {
                return false;
            }
            continue;
        }
        if (k > n) {
            k = n;
        }
        memcpy(m->buf + m->buf_len, s, k);
        m->buf_len += k;
        s += k;
        n -= k;
    }
    return true;
}

/* Maildir files hold LF line ends (what mail readers expect): each CRLF of the
 * wire becomes LF; a lone CR stays. A CR is held back until the next octet.
 * The octets between CRs are copied as runs (the body arrives in long runs). */
bool cli_md_write(cli_md_t *m, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *cr;
        if (m->cr) {
            m->cr = false;
            if (*p != '\n' && !md_put_run(m, "\r", 1U)) {
                return false;
            }
        }
        cr = memchr(p, '\r', (size_t)(end - p));
        if (!md_put_run(m, p, (size_t)((cr != NULL ? cr : end) - p))) {
            return false;
        }
        if (cr == NULL) {
            break;
        }
        m->cr = true;
        p = cr + 1;
    }
    return true;
}

bool cli_md_commit(cli_md_t *m)
{
    struct stat st;
    int fd = m->fd;
    if ((m->cr && !md_put_run(m, "\r", 1U)) || !md_flush(m)) {
        cli_md_discard(m);
        return false;
    }
    m->cr = false;
    if (fsync(fd) != 0) {
        cli_md_err(m, "fsync of tmp/%s", m->name);
        cli_md_discard(m);
        return false;
    }
    m->fd = -1;
    if (close(fd) != 0) {
        cli_md_err(m, "closing tmp/%s", m->name);
        (void)unlinkat(m->tmp_fd, m->name, 0);
        return false;
    }
    /* Unique by time, pid and counter; never replace a file that has the name all the same. */
    if (fstatat(m->new_fd, m->name, &st, 0) == 0 || errno != ENOENT) {
        errno = EEXIST;
        cli_md_err(m, "new/%s", m->name);
        (void)unlinkat(m->tmp_fd, m->name, 0);
        return false;
    }
    if (renameat(m->tmp_fd, m->name, m->new_fd, m->name) != 0) {
        cli_md_err(m, "renaming tmp/%s into new/", m->name);
        (void)unlinkat(m->tmp_fd, m->name, 0);
        return false;
    }
    if (fsync(m->new_fd) != 0) {
        return cli_md_err(m, "fsync of new/ after storing %s", m->name);
    }
    return true;
}

void cli_md_discard(cli_md_t *m)
{
    if (m->fd >= 0) {
        close(m->fd);
        m->fd = -1;
        (void)unlinkat(m->tmp_fd, m->name, 0);
    }
    m->cr = false;
    m->buf_len = 0U;
}
