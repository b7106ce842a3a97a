/**
 * @file cli_help.c
 * @brief pop3-cli: --help (options, commands, exit statuses, the shell, examples)
 *        and --version, apart from the option parser in cli_opts.c.
 */
#include <stdio.h>

#include <mbedtls/version.h>

#include "cli.h"
#include "cli_shell.h"

void cli_help(void)
{
    fputs("Usage: " CLI_NAME " [options] COMMAND [ARG...] [COMMAND [ARG...]]...\n"
          "       " CLI_NAME " [options] [shell]\n"
          "       " CLI_NAME " -H HOST [--port-tls N] [--port-stls N] [--json] [-u USER] check\n"
          "Run POP3 commands in order in one session; message data goes to stdout.\n"
          "With no command, or 'shell': an interactive session (below).\n"
          "\n"
          "  -H, --host HOST          server; also the name used for SNI and the certificate check\n"
          "  -p, --port PORT          default 995 with --tls, else 110\n"
          "      --tls                implicit TLS (POP3S)\n"
          "      --starttls           upgrade with STLS, fail if not offered (the default without --tls)\n"
          "      --plain              no TLS; credentials refused unless --allow-plaintext-login too\n"
          "      --allow-plaintext-login  second opt-in for sending credentials without TLS\n"
          "      --cafile FILE        trust anchors (PEM); default " CLI_DEFAULT_CAFILE "\n"
          "      --insecure           skip certificate verification (dangerous)\n"
          "  -u, --user USER          password from $POP3_PASSWORD, or --pass-file (which wins),\n"
          "                           else asked at the terminal without echo\n"
          "      --pass-file FILE     first line of FILE is the password\n"
          "      --apop               log in with APOP instead of USER/PASS\n"
          "      --auth MECH          SASL AUTH instead of USER/PASS: plain, login, cram-md5,\n"
          "                           scram-sha-1, scram-sha-256 (password); xoauth2, oauthbearer\n"
          "                           (OAuth 2.0 access token); best: the strongest the server offers,\n"
          "                           OAuth if a token is given, else password (no weaker fallback)\n"
          "      --oauth2-token-file FILE  first line of FILE is the OAuth access token (else\n"
          "                           $POP3_OAUTH2_TOKEN); never on the command line\n"
          "      --timeout MS         reply timeout (also bounds connect+greeting and TLS), default 30000\n"
          "      --no-pipelining      one command at a time even if the server advertises PIPELINING\n"
          "      --json               capa, stat, list, uidl as JSON, one document per line\n"
          "      --maildir DIR        fetch: the Maildir to store into (created if missing)\n"
          "      --keep               fetch: leave the messages on the server\n"
          "      --state FILE         fetch: UIDs already stored; default DIR/pop3-cli-uidl.USER@HOST\n"
          "                           (:PORT added unless the port is 110 or 995)\n"
          "      --all                fetch from a server without UIDL: every message, every run\n"
          "      --raw                shell: bodies dot-stuffed with the final \".\" (.raw on)\n"
          "      --utf8               ask for UTF-8 mode (RFC 6856 UTF8) before the login; if the\n"
          "                           server's CAPA does not list UTF8, or it refuses: a note on\n"
          "                           stderr and the session goes on without it\n"
          "  -v, --verbose            protocol trace on stderr, secrets masked\n"
          "  -h, --help               show this help\n"
          "      --version            library, mbedTLS and build options\n"
          "\n"
          "Commands: capa | stat | list [N] | uidl [N] | retr N | top N LINES | dele N | rset | noop\n"
          "          | fetch --maildir DIR (alone: download the messages not stored before)\n"
          "N may be a range FIRST-LAST or all (list all, uidl all: the whole listing); a range\n"
          "past the last message is refused before any command runs (exit 6). The first\n"
          "refused message stops the run, as any failure does.\n"
          "\n"
          "Exit status: 0 ok, 1 internal error, 2 usage, 3 network, 4 TLS/certificate,\n"
          "5 authentication rejected (also an OAuth token refused), 6 command refused (-ERR; also\n"
          "a login refused with [LOGIN-DELAY] or [IN-USE], a range past the last message),\n"
          "7 protocol violation, 8 timeout, 9 refused by security policy, 10 fetch could not\n"
          "use the Maildir or its state (full disk, permissions, not a Maildir, locked).\n"
          "\n"
          "fetch: each message goes to DIR/tmp, is fsync'd and renamed into DIR/new, its UID\n"
          "recorded in the state file; only then DELE (unless --keep). QUIT, which makes the\n"
          "server delete, is sent only when every step succeeded; after a failure while\n"
          "fetching the session closes without QUIT and the next run deletes what was stored.\n"
          "File names carry the UID, so a run killed before recording one does not store it\n"
          "twice. A server without UIDL is refused unless --all (then a run killed after\n"
          "storing may store a message again). Progress on stderr when it is a terminal; a\n"
          "summary on stdout.\n"
          "\n"
          "check: a report on the server's set-up, one line per finding (ok, info, warn, FAIL\n"
          "and what to do; --json: one JSON object): POP3S (--port-tls, default 995) and STLS\n"
          "(--port-stls, default 110) reachable, TLS versions and cipher, the certificate (name,\n"
          "chain, days left: warn under 30), CAPA before and after STLS, USER accepted before\n"
          "STLS (probed with the name pop3-cli-check-probe, never a password), SASL, PIPELINING,\n"
          "RESP-CODES, LOGIN-DELAY, EXPIRE, IMPLEMENTATION, round trip; with --user also the\n"
          "login, STAT, UIDL and TOP; with --utf8 also whether UTF8 (RFC 6856) is advertised and\n"
          "accepted (asked over TLS only). No password is sent without --user. check refuses the\n"
          "options of fetch and of the shell, and --no-pipelining (it never pipelines).\n"
          "check exit status: 0 all ok, 11 warnings only, 12 at least one failure (1, 2 as above).\n"
          "\n",
          stdout);
    cli_shell_help(stdout);
    fputs("\n"
          "Examples:\n"
          "  " CLI_NAME " -H pop.example.com --tls -u alice\n"
          "      a shell, logged in (password from $POP3_PASSWORD, else asked without echo)\n"
          "  printf 'capa\\nuser alice\\npass\\nstat\\nretr 1\\n' | " CLI_NAME " -H pop.example.com\n"
          "      a scripted session through a pipe (STLS first: the default); PASS alone takes\n"
          "      $POP3_PASSWORD when stdin is not a terminal\n"
          "  " CLI_NAME " -H 127.0.0.1 --plain    then type: stls, capa, +XTND LIST, .raw on\n"
          "  " CLI_NAME " -H pop.example.com -u alice --pass-file ~/.pop3pw stat list\n"
          "  " CLI_NAME " -H pop.example.com --tls -u alice retr 1-5 > five.txt\n"
          "      messages 1 to 5, one after the other ('all' for every message)\n"
          "  " CLI_NAME " -H pop.example.com -u alice top all 0     headers of every message\n"
          "  " CLI_NAME " -H pop.example.com -u alice --json uidl | jq -r '.messages[].uid'\n"
          "  " CLI_NAME " -H pop.example.com --tls -v capa          the protocol trace on stderr\n"
          "  " CLI_NAME " -H pop.example.com --tls -u alice fetch --maildir ~/Mail\n"
          "      new mail into a Maildir (again later: only what is new; --keep leaves it)\n",
          stdout);
}

/* What this binary was built with: the first question of a bug report. */
void cli_version(void)
{
    char run[32];
    mbedtls_version_get_string(run);
    printf(CLI_NAME " %s (pop3 library %s)\n"
           "mbedTLS %s (headers %s)\n"
           "build: SASL %s (CRAM-MD5 %s, SCRAM %s), APOP %s, STLS %s, TOP %s, trace %s,\n"
           "       pipelining depth %u (queue %u), command line at most %u octets\n",
           POP3_CLI_VERSION, POP3_CLI_VERSION, run, MBEDTLS_VERSION_STRING,
           POP3_SASL_ENABLE ? "on" : "off", POP3_SASL_CRAM_MD5_ENABLE ? "on" : "off",
           POP3_SASL_SCRAM_ENABLE ? "on" : "off", POP3_APOP_ENABLE ? "on" : "off",
           POP3_STLS_ENABLE ? "on" : "off", POP3_TOP_ENABLE ? "on" : "off",
           POP3_TRACE_ENABLE ? "on" : "off", (unsigned)POP3_PIPELINE_DEPTH,
           (unsigned)POP3_QUEUE_LEN, (unsigned)POP3_CMD_MAX_LEN);
}

