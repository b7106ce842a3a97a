/**
 * @file cmdd_run.c
 * @brief pop3-cmdd: hands one accepted command to the handler.
 *
 * --json: one line {"seq":N,"index":I,"cmd":"...","device":"...","uid":"..."}
 * on stdout, flushed before the next step. --exec PROGRAM: PROGRAM runs with
 * the command's words as its arguments (fork + execvp, no shell, so no word
 * of a command is ever interpreted), stdin from /dev/null, stdout to our
 * stderr (our stdout carries only JSON), CMDMAIL_SEQ, CMDMAIL_DEVICE and
 * CMDMAIL_INDEX in its environment. The daemon waits for it: the commands of
 * a block run in order, one at a time, and a stop request (SIGTERM/SIGINT)
 * waits for the running one too. Its exit status is logged; a failing
 * handler is not retried (a command runs at most once).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdd.h"

/* A command is at most CMDMAIL_CMD_MAX_LEN octets, single-spaced: its words. */
#define RUN_MAX_WORDS (CMDMAIL_CMD_MAX_LEN / 2U + 1U)

/** JSON string body of printable ASCII (what a command, device id or UID is). */
static void run_json_str(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
        }
        fputc(*s, f);
    }
}

static void run_json(const cmdd_app_t *a, uint64_t seq, size_t index, const char *cmd, const char *uid)
{
    printf("{\"seq\":%" PRIu64 ",\"index\":%zu,\"cmd\":\"", seq, index);
    run_json_str(stdout, cmd);
    fputs("\",\"device\":\"", stdout);
    run_json_str(stdout, a->opt.device);
    fputs("\",\"uid\":\"", stdout);
    run_json_str(stdout, uid);
    fputs("\"}\n", stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cmdd_log("ERROR seq=%" PRIu64 " index=%zu: writing the JSON line to stdout failed: %s",
                 seq, index, strerror(errno));
        clearerr(stdout);
    }
}

/** In the child: never returns. */
static void run_child(const cmdd_app_t *a, char *const argv[], uint64_t seq, size_t index)
{
    char num[24];
    sigset_t none;
    int fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
        (void)dup2(fd, STDIN_FILENO);
        (void)close(fd);
    }
    (void)dup2(STDERR_FILENO, STDOUT_FILENO);
    /* What the daemon ignores or catches must not stay so in the handler. */
    (void)signal(SIGPIPE, SIG_DFL);
    (void)signal(SIGTERM, SIG_DFL);
    (void)signal(SIGINT, SIG_DFL);
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    snprintf(num, sizeof num, "%" PRIu64, seq);
    (void)setenv("CMDMAIL_SEQ", num, 1);
    snprintf(num, sizeof num, "%zu", index);
    (void)setenv("CMDMAIL_INDEX", num, 1);
    (void)setenv("CMDMAIL_DEVICE", a->opt.device, 1);
    execvp(argv[0], argv);
    fprintf(stderr, CMDD_NAME ": cannot run handler %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/** Runs the handler and waits for it; returns its wait status, or -1. */
static int run_exec(const cmdd_app_t *a, char *words, uint64_t seq, size_t index)
{
    char *argv[RUN_MAX_WORDS + 2U];
    size_t n = 0U;
    char *w;
    char *save = NULL;
    int status;
    pid_t pid;
    argv[n++] = (char *)a->opt.exec;
    for (w = strtok_r(words, " ", &save); w != NULL && n < RUN_MAX_WORDS + 1U; w = strtok_r(NULL, " ", &save)) {
        argv[n++] = w;
    }
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        cmdd_log("ERROR seq=%" PRIu64 " index=%zu: fork: %s", seq, index, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        run_child(a, argv, seq, index);
    }
    /* A stop request interrupts waitpid(): the command is still waited for. */
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            cmdd_log("ERROR seq=%" PRIu64 " index=%zu: waitpid: %s", seq, index, strerror(errno));
            return -1;
        }
    }
    return status;
}

void cmdd_run(cmdd_app_t *a, uint64_t seq, size_t index, const char *cmd, const char *uid)
{
    char words[CMDMAIL_CMD_MAX_LEN + 1U];
    int st;
    cmdd_log("command seq=%" PRIu64 " index=%zu uid=%s: %s", seq, index, uid, cmd);
    if (a->opt.json) {
        run_json(a, seq, index, cmd, uid);
    }
    if (a->opt.exec == NULL) {
        return;
    }
    snprintf(words, sizeof words, "%s", cmd);
    st = run_exec(a, words, seq, index);
    if (st < 0) {
        a->last_exit = -1;
        cmdd_log("handler seq=%" PRIu64 " index=%zu: not run", seq, index);
    } else if (WIFEXITED(st)) {
        a->last_exit = WEXITSTATUS(st);
        cmdd_log("handler seq=%" PRIu64 " index=%zu: exit status %d", seq, index, WEXITSTATUS(st));
    } else {
        a->last_exit = 128 + WTERMSIG(st);
        cmdd_log("handler seq=%" PRIu64 " index=%zu: killed by signal %d", seq, index, WTERMSIG(st));
    }
}
