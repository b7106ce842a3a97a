/**
 * @file cli_mdstate.c
 * @brief pop3-cli fetch: the per-account state file beside the Maildir (the
 *        UIDs stored so far), read at the start, replaced atomically after
 *        each message. Format: "pop3-cli-uidl 1", "account USER@HOST", then
 *        one UID per line. Why it is safe: cli_fetch.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli_fetch.h"

#define CLI_MD_STATE_MAGIC "pop3-cli-uidl 1"

bool cli_md_load_state(cli_md_t *m)
{
    FILE *f = fopen(m->state_path, "r");
    char *line = NULL;
    size_t cap = 0U;
    ssize_t n;
    unsigned long no = 0U;
    bool ok = true;
    if (f == NULL) {
        return errno == ENOENT ? true : cli_md_err(m, "cannot read the state file %s", m->state_path);
    }
    while (ok && (n = getline(&line, &cap, f)) >= 0) {
        size_t len = (size_t)n;
        no++;
        if (len == 0U || line[len - 1U] != '\n') {
            break; /* caught below: the file is written whole, never torn */
        }
        line[--len] = '\0';
        if (no == 1U) {
            ok = strcmp(line, CLI_MD_STATE_MAGIC) == 0;
        } else if (no == 2U) {
            if (strncmp(line, "account ", 8U) != 0 || strcmp(line + 8, m->account) != 0) {
                snprintf(m->err, sizeof m->err, "the state file %s is not for %s (its line 2: %.100s); "
                         "give this account its own --state", m->state_path, m->account, line);
                free(line);
                fclose(f);
                return false;
            }
        } else if (!cli_md_uid_ok(line, len)) {
            ok = false;
        } else if (!cli_md_add_known(m, line, len)) {
            free(line);
            fclose(f);
            return false;
        }
    }
    if (ok && (no < 2U || !feof(f))) {
        ok = false;
    }
    free(line);
    fclose(f);
    if (!ok) {
        snprintf(m->err, sizeof m->err, "the state file %s is damaged or not a pop3-cli state file "
                 "(line %lu); move it away to rebuild it from the file names in new/ and cur/", m->state_path, no);
    }
    return ok;
}

/* fsync of the directory holding @p path (the rename of the state file). */
static bool md_sync_parent(cli_md_t *m, const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? cli_md_strdup(".", 1U)
                              : cli_md_strdup(path, slash == path ? 1U : (size_t)(slash - path));
    int fd;
    bool ok;
    if (dir == NULL) {
        snprintf(m->err, sizeof m->err, "out of memory");
        return false;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY);
    ok = fd >= 0 && fsync(fd) == 0;
    if (!ok) {
        cli_md_err(m, "fsync of the directory %s", dir);
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return ok;
}

bool cli_md_save_state(cli_md_t *m, char *const *uids, size_t n)
{
    FILE *f;
    size_t i;
    bool ok;
    int fd = open(m->state_tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return cli_md_err(m, "cannot write %s", m->state_tmp);
    }
    fprintf(f, CLI_MD_STATE_MAGIC "\naccount %s\n", m->account);
    for (i = 0U; i < n; i++) {
        fprintf(f, "%s\n", uids[i]);
    }
    ok = fflush(f) == 0 && !ferror(f) && fsync(fd) == 0;
    if (!ok) {
        cli_md_err(m, "writing %s", m->state_tmp);
    }
    if (fclose(f) != 0 && ok) {
        ok = cli_md_err(m, "closing %s", m->state_tmp);
    }
    if (ok && rename(m->state_tmp, m->state_path) != 0) {
        ok = cli_md_err(m, "renaming %s", m->state_tmp);
    }
    if (!ok) {
        (void)unlink(m->state_tmp);
        return false;
    }
    return md_sync_parent(m, m->state_path);
}
