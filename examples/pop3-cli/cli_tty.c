/**
 * @file cli_tty.c
 * @brief pop3-cli: a secret read at the terminal without echo (termios), for
 *        the password of -u when nothing else supplies it and for PASS, APOP
 *        and AUTH typed in the shell.
 *
 * The secret is read with read(2) from stdin (no stdio buffer keeps a copy)
 * into the caller's buffer; what does not fit is read and dropped. Echo is
 * restored before returning, and also when SIGINT, SIGTERM, SIGHUP or SIGQUIT
 * comes during the prompt (the handler restores it and dies of the signal),
 * so an interrupted prompt never leaves the terminal silent.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

static struct termios cli_tty_saved;
static volatile sig_atomic_t cli_tty_echo_off;

static const int cli_tty_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define CLI_TTY_NSIG (sizeof cli_tty_signals / sizeof cli_tty_signals[0])

static void cli_tty_restore(void)
{
    if (cli_tty_echo_off) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &cli_tty_saved);
        cli_tty_echo_off = 0;
    }
}

static void cli_tty_on_signal(int sig)
{
    cli_tty_restore(); /* tcsetattr() is async-signal-safe */
    (void)signal(sig, SIG_DFL);
    (void)raise(sig);
}

/** Reads one line from stdin with read(2), one octet at a time (nothing read past its LF). */
static cli_secret_read_t cli_tty_read_line(char *out, size_t out_len)
{
    size_t n = 0U;
    bool too_long = false;
    for (;;) {
        char ch;
        ssize_t r = read(STDIN_FILENO, &ch, 1U);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            out[n < out_len ? n : out_len - 1U] = '\0';
            return n == 0U && !too_long ? CLI_SECRET_EOF : too_long ? CLI_SECRET_TOO_LONG : CLI_SECRET_OK;
        }
        if (ch == '\n') {
            break;
        }
        if (n + 1U < out_len) {
            out[n++] = ch;
        } else {
            too_long = true;
        }
        ch = '\0';
    }
    n = cli_chomp_len(out, n);
    out[n] = '\0';
    return too_long ? CLI_SECRET_TOO_LONG : CLI_SECRET_OK;
}

cli_secret_read_t cli_tty_secret(const char *prompt, char *out, size_t out_len)
{
    struct termios quiet;
    struct sigaction sa;
    struct sigaction old[CLI_TTY_NSIG];
    cli_secret_read_t res;
    size_t i;

    if (out_len == 0U || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &cli_tty_saved) != 0) {
        return CLI_SECRET_NO_TTY;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_tty_on_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0U; i < CLI_TTY_NSIG; i++) {
        (void)sigaction(cli_tty_signals[i], &sa, &old[i]);
    }
    quiet = cli_tty_saved;
    quiet.c_lflag &= (tcflag_t)~(ECHO | ECHOE | ECHOK | ECHONL);
    quiet.c_lflag |= ICANON; /* line editing (backspace) still works, unseen */
    cli_tty_echo_off = 1;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0) {
        cli_tty_echo_off = 0;
        res = CLI_SECRET_NO_TTY;
    } else {
        fputs(prompt, stderr);
        fflush(stderr);
        res = cli_tty_read_line(out, out_len);
        cli_tty_restore();
        fputc('\n', stderr); /* the Enter the user typed was not echoed */
    }
    for (i = 0U; i < CLI_TTY_NSIG; i++) {
        (void)sigaction(cli_tty_signals[i], &old[i], NULL);
    }
    if (res != CLI_SECRET_OK) {
        cli_wipe(out, out_len);
    }
    return res;
}
