/**
 * @file cmdd_state.c
 * @brief pop3-cmdd: the state file behind cmdmail_nv_t, and its lock.
 *
 * One file holds both NV slots: an 8-octet magic "CMDDNV1\n", slot 0, slot 1
 * (CMDMAIL_NV_RECORD_LEN octets each). Every slot write rewrites the whole
 * file: the new slot and a copy of the other one go to FILE.tmp (same
 * directory), which is fsync'd, renamed over FILE, and the directory is
 * fsync'd. rename() is atomic, so after a crash at any point FILE is the old
 * file or the new one, each loadable; the module's own two slots (CRC,
 * generation) then only add a second line of defence. FILE.tmp left by a
 * crash is simply overwritten by the next write.
 *
 * The lock is flock() on FILE.lock, not on FILE: FILE's inode changes with
 * every rename, so a lock on it would not exclude a second daemon. FILE.lock
 * is never removed (removing it would let two daemons lock two inodes).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdd.h"

static const char state_magic[8] = { 'C', 'M', 'D', 'D', 'N', 'V', '1', '\n' };
#define STATE_FILE_LEN (sizeof state_magic + 2U * (size_t)CMDMAIL_NV_RECORD_LEN)

static void state_err(cmdd_state_t *s, const char *what, const char *why)
{
    /* Cut to the buffer if need be: a log line, not data. */
    if (snprintf(s->error, sizeof s->error, "state file %s: %s: %s", s->path, what, why) < 0) {
        s->error[0] = '\0';
    }
}

static bool state_suffix(char *out, size_t out_len, const char *path, const char *suffix)
{
    int n = snprintf(out, out_len, "%s%s", path, suffix);
    return n > 0 && (size_t)n < out_len;
}

/** fsync of the directory holding @p path, so that a rename in it is durable. */
static bool state_sync_dir(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int fd;
    bool ok;
    if (slash == NULL) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) {
            errno = ENAMETOOLONG;
            return false;
        }
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

static bool state_write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0U) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/** The image to FILE.tmp, fsync, rename over FILE. */
static bool state_replace(cmdd_state_t *s, bool *renamed)
{
    char tmp[PATH_MAX];
    int fd;
    bool ok;
    *renamed = false;
    if (!state_suffix(tmp, sizeof tmp, s->path, ".tmp")) {
        state_err(s, "write", "path too long");
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        state_err(s, tmp, strerror(errno));
        return false;
    }
    ok = state_write_all(fd, (const uint8_t *)state_magic, sizeof state_magic) &&
         state_write_all(fd, &s->image[0][0], sizeof s->image) && fsync(fd) == 0;
    if (!ok) {
        state_err(s, tmp, strerror(errno));
    }
    if (close(fd) != 0 && ok) {
        state_err(s, tmp, strerror(errno));
        ok = false;
    }
    if (ok && rename(tmp, s->path) != 0) {
        state_err(s, "rename", strerror(errno));
        ok = false;
    }
    if (!ok) {
        (void)unlink(tmp);
        return false;
    }
    *renamed = true;
    if (!state_sync_dir(s->path)) {
        state_err(s, "fsync of its directory", strerror(errno));
        return false;
    }
    return true;
}

static bool state_nv_read(void *ctx, unsigned slot, uint8_t *buf, size_t len)
{
    cmdd_state_t *s = ctx;
    if (!s->loaded || slot > 1U || len != CMDMAIL_NV_RECORD_LEN) {
        return false;
    }
    memcpy(buf, s->image[slot], len);
    return true;
}

/* Durable when it returns true. On false the file is unchanged unless the
 * rename happened (then only the directory's fsync failed): the image follows
 * whatever the file holds. */
static bool state_nv_write(void *ctx, unsigned slot, const uint8_t *buf, size_t len)
{
    cmdd_state_t *s = ctx;
    uint8_t old[CMDMAIL_NV_RECORD_LEN];
    bool renamed;
    bool ok;
    if (!s->loaded || slot > 1U || len != CMDMAIL_NV_RECORD_LEN) {
        return false;
    }
    memcpy(old, s->image[slot], len);
    memcpy(s->image[slot], buf, len);
    ok = state_replace(s, &renamed);
    if (!ok && !renamed) {
        memcpy(s->image[slot], old, len);
    }
    if (!ok) {
        cmdd_log("ERROR %s", s->error);
    }
    return ok;
}

cmdmail_nv_t cmdd_state_nv(cmdd_state_t *s)
{
    cmdmail_nv_t nv;
    nv.ctx = s;
    nv.read = state_nv_read;
    nv.write = state_nv_write;
    return nv;
}

/** Tells who holds the lock, from the pid it wrote there. */
static int state_locked(cmdd_state_t *s, const char *lock_path)
{
    char buf[32];
    ssize_t n = pread(s->lock_fd, buf, sizeof buf - 1U, 0);
    buf[n > 0 ? (size_t)n : 0U] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    cmdd_log("ERROR state file %s is in use by another " CMDD_NAME " (lock %s held%s%s); "
             "two daemons on one state would run commands twice: not starting",
             s->path, lock_path, buf[0] != '\0' ? " by pid " : "", buf);
    return CMDD_EXIT_LOCKED;
}

static int state_lock(cmdd_state_t *s)
{
    char lock_path[PATH_MAX];
    char pid[24];
    int n;
    if (!state_suffix(lock_path, sizeof lock_path, s->path, ".lock")) {
        cmdd_log("ERROR state file %s: path too long", s->path);
        return CMDD_EXIT_STATE;
    }
    s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        cmdd_log("ERROR state lock %s: %s", lock_path, strerror(errno));
        return CMDD_EXIT_STATE;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        return errno == EWOULDBLOCK ? state_locked(s, lock_path) : CMDD_EXIT_STATE;
    }
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(s->lock_fd, 0) != 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n) {
        cmdd_log("WARNING state lock %s: cannot record the pid: %s", lock_path, strerror(errno));
    }
    return CMDD_EXIT_OK;
}

/** Reads FILE into the image: all of it, magic and size checked. */
static int state_load(cmdd_state_t *s, bool create)
{
    uint8_t buf[STATE_FILE_LEN + 1U];
    size_t got = 0U;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        bool renamed;
        memset(s->image, 0, sizeof s->image); /* no valid slot: the module starts afresh */
        /* Written now, so that the next start needs no --init-state even if this
         * run accepts nothing (the module writes only when something changed). */
        if (!state_replace(s, &renamed)) {
            cmdd_log("ERROR %s", s->error);
            return CMDD_EXIT_STATE;
        }
        s->loaded = true;
        cmdd_log("state file %s created: a fresh state (--init-state)", s->path);
        return CMDD_EXIT_OK;
    }
    if (fd < 0) {
        cmdd_log("ERROR state file %s: %s%s", s->path, strerror(errno),
                 errno == ENOENT ? " (first run: add --init-state to create it)" : "");
        return CMDD_EXIT_STATE;
    }
    while (got < sizeof buf) {
        ssize_t n = read(fd, buf + got, sizeof buf - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            cmdd_log("ERROR state file %s: read: %s", s->path, strerror(errno));
            close(fd);
            return CMDD_EXIT_STATE;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    if (got != STATE_FILE_LEN || memcmp(buf, state_magic, sizeof state_magic) != 0) {
        cmdd_log("ERROR state file %s is not a " CMDD_NAME " state file (%zu octets; expected %zu "
                 "starting with CMDDNV1): not touching it", s->path, got, (size_t)STATE_FILE_LEN);
        return CMDD_EXIT_STATE;
    }
    memcpy(s->image, buf + sizeof state_magic, sizeof s->image);
    s->loaded = true;
    return CMDD_EXIT_OK;
}

int cmdd_state_open(cmdd_state_t *s, const char *path, bool create)
{
    int rc;
    memset(s, 0, sizeof *s);
    s->path = path;
    s->lock_fd = -1;
    rc = state_lock(s);
    return rc != CMDD_EXIT_OK ? rc : state_load(s, create);
}

void cmdd_state_close(cmdd_state_t *s)
{
    if (s->path != NULL && s->lock_fd >= 0) { /* path: opened at all (a zeroed fd 0 is stdin) */
        close(s->lock_fd); /* releases the flock */
        s->lock_fd = -1;
    }
    s->loaded = false;
}
