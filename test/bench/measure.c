/*
 * measure: runs one command and prints what it cost, from wait4():
 *
 *   measure OUT ERR TIMEOUT_S CMD [ARG...]
 *   -> "wall_s user_s sys_s maxrss_kib exit" on stdout
 *
 * CMD's stdout goes to OUT, its stderr to ERR. Peak RSS survives exec, so a
 * child forked from a large process (the Python bench) would report that
 * process's size; forked from this small one it reports its own. exit is the
 * exit status, or 128+signal; after TIMEOUT_S seconds the child is killed.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    kill(child, SIGKILL);
}

int main(int argc, char **argv)
{
    struct timespec t0, t1;
    struct rusage ru;
    int status = 0, out, err;

    if (argc < 5) {
        fprintf(stderr, "usage: measure OUT ERR TIMEOUT_S CMD [ARG...]\n");
        return 2;
    }
    out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    err = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || err < 0) {
        perror("measure: open");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) {
        perror("measure: fork");
        return 2;
    }
    if (child == 0) {
        dup2(out, 1);
        dup2(err, 2);
        close(out);
        close(err);
        execvp(argv[4], argv + 4);
        perror("measure: exec");
        _exit(127);
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)atoi(argv[3]));
    while (wait4(child, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%.6f %.6f %.6f %ld %d\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss,
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}
