/**
 * @file cli_opts.c
 * @brief pop3-cli: the command line (options, commands, cross-option checks).
 *        Everything here runs before any connection is made: a usage error
 *        (exit 2) never touches the network.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define CLI_MECH_LIST "plain, login, cram-md5, scram-sha-1, scram-sha-256, xoauth2, oauthbearer, best"

enum {
    OPT_TLS = 256, OPT_STARTTLS, OPT_PLAIN, OPT_ALLOW_PLAIN, OPT_CAFILE,
    OPT_INSECURE, OPT_PASS_FILE, OPT_APOP, OPT_TIMEOUT, OPT_AUTH, OPT_TOKEN_FILE, OPT_NO_PIPELINING,
    OPT_JSON, OPT_VERSION, OPT_MAILDIR, OPT_KEEP, OPT_STATE, OPT_ALL, OPT_RAW, OPT_UTF8,
    OPT_PORT_TLS, OPT_PORT_STLS
};

static const struct option cli_long_opts[] = {
    { "host", required_argument, NULL, 'H' },
    { "port", required_argument, NULL, 'p' },
    { "tls", no_argument, NULL, OPT_TLS },
    { "starttls", no_argument, NULL, OPT_STARTTLS },
    { "plain", no_argument, NULL, OPT_PLAIN },
    { "allow-plaintext-login", no_argument, NULL, OPT_ALLOW_PLAIN },
    { "cafile", required_argument, NULL, OPT_CAFILE },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "user", required_argument, NULL, 'u' },
    { "pass-file", required_argument, NULL, OPT_PASS_FILE },
    { "apop", no_argument, NULL, OPT_APOP },
    { "auth", required_argument, NULL, OPT_AUTH },
    { "oauth2-token-file", required_argument, NULL, OPT_TOKEN_FILE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "no-pipelining", no_argument, NULL, OPT_NO_PIPELINING },
    { "json", no_argument, NULL, OPT_JSON },
    { "raw", no_argument, NULL, OPT_RAW },
    { "utf8", no_argument, NULL, OPT_UTF8 },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, OPT_VERSION },
    { "maildir", required_argument, NULL, OPT_MAILDIR },
    { "keep", no_argument, NULL, OPT_KEEP },
    { "state", required_argument, NULL, OPT_STATE },
    { "all", no_argument, NULL, OPT_ALL },
    { "port-tls", required_argument, NULL, OPT_PORT_TLS },
    { "port-stls", required_argument, NULL, OPT_PORT_STLS },
    { NULL, 0, NULL, 0 }
};

/* getopt_long's own messages are off (opterr = 0): this one neutralises what was typed. */
static int cli_bad_option(char **argv)
{
    const char *typed = argv[optind - 1];
    if (optopt != 0 && optopt != '?' && strncmp(typed, "--", 2) != 0) {
        char s[2] = { (char)optopt, '\0' };
        return cli_usage_error(strchr("Hpu", optopt) != NULL ? "option '-%s' needs an argument"
                                                             : "unknown option '-%s'", s);
    }
    if (strchr(typed, '=') == NULL && optopt != 0) {
        return cli_usage_error("option '%s' needs an argument", typed);
    }
    return cli_usage_error("unknown, ambiguous or misused option '%s'", typed);
}

bool cli_mech_is_oauth(pop3_sasl_mech_t m)
{
    return m == POP3_SASL_XOAUTH2 || m == POP3_SASL_OAUTHBEARER;
}

/** Strictly decimal (digits only, no sign or space), within [min, max]. */
static bool cli_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v = 0U;
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
        v = v * 10U + (uint64_t)(*s - '0');
        if (v > max) {
            return false;
        }
    }
    if (v < min) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static int cli_set_security(cli_opts_t *o, pop3_security_t sec)
{
    if (o->security_set && o->security != sec) {
        return cli_usage_error("--tls, --starttls and --plain are mutually exclusive");
    }
    o->security = sec;
    o->security_set = true;
    return EXIT_OK;
}

static int cli_set_auth(cli_opts_t *o, const char *arg)
{
    if (!pop3_sasl_mech_parse(arg, strlen(arg), &o->auth_mech)) {
        return cli_usage_error("unknown SASL mechanism '%s' (one of " CLI_MECH_LIST ")", arg);
    }
    o->auth = true;
    return EXIT_OK;
}

/** One option; returns EXIT_OK, or an exit status (-1: help shown). */
static int cli_apply_opt(cli_opts_t *o, int ch, const char *arg)
{
    switch (ch) {
    case 'H': o->host = arg; return EXIT_OK;
    case 'p':
        return cli_parse_u32(arg, 1U, 65535U, &o->port)
                   ? EXIT_OK : cli_usage_error("invalid port '%s' (1-65535)", arg);
    case OPT_TLS: return cli_set_security(o, POP3_SEC_IMPLICIT_TLS);
    case OPT_STARTTLS: return cli_set_security(o, POP3_SEC_STLS);
    case OPT_PLAIN: return cli_set_security(o, POP3_SEC_PLAINTEXT);
    case OPT_ALLOW_PLAIN: o->allow_plaintext_login = true; return EXIT_OK;
    case OPT_CAFILE: o->cafile = arg; return EXIT_OK;
    case OPT_INSECURE: o->insecure = true; return EXIT_OK;
    case 'u': o->user = arg; return EXIT_OK;
    case OPT_PASS_FILE: o->pass_file = arg; return EXIT_OK;
    case OPT_APOP: o->apop = true; return EXIT_OK;
    case OPT_AUTH: return cli_set_auth(o, arg);
    case OPT_TOKEN_FILE: o->token_file = arg; return EXIT_OK;
    case OPT_TIMEOUT:
        return cli_parse_u32(arg, 1U, UINT32_MAX, &o->timeout_ms)
                   ? EXIT_OK : cli_usage_error("invalid timeout '%s' (milliseconds, 1-4294967295)", arg);
    case OPT_NO_PIPELINING: o->no_pipelining = true; return EXIT_OK;
    case OPT_JSON: o->json = true; return EXIT_OK;
    case OPT_MAILDIR: o->maildir = arg; return EXIT_OK;
    case OPT_KEEP: o->keep = true; return EXIT_OK;
    case OPT_STATE: o->state_file = arg; return EXIT_OK;
    case OPT_ALL: o->fetch_all = true; return EXIT_OK;
    case OPT_RAW: o->raw = true; return EXIT_OK;
    case OPT_UTF8: o->utf8 = true; return EXIT_OK;
    case OPT_PORT_TLS:
    case OPT_PORT_STLS:
        return cli_parse_u32(arg, 1U, 65535U, ch == OPT_PORT_TLS ? &o->port_tls : &o->port_stls)
                   ? EXIT_OK : cli_usage_error("invalid port '%s' (1-65535)", arg);
    case 'v': o->verbose = true; return EXIT_OK;
    case 'h': cli_help(); return -1;
    case OPT_VERSION: cli_version(); return -1;
    default: /* opterr is 0: getopt_long would echo the option unsanitized */
        return EXIT_USAGE;
    }
}

/* A message argument of retr/top/dele/list/uidl: N, FIRST-LAST or "all". */
static bool cli_msg_arg(const cli_cmd_def_t *d, uint8_t k)
{
    return k == 0U && d->arg_name[0] != NULL && strcmp(d->arg_name[0], "message number") == 0;
}

/* "all" or "FIRST-LAST" (1 <= FIRST <= LAST) as message argument: cli.h. */
cli_range_kind_t cli_job_range(cli_job_t *job, const char *arg, char *why, size_t why_len)
{
    const char *dash = strchr(arg, '-');
    char first[11];
    size_t n;
    if (!cli_msg_arg(job->def, 0U) || (dash == NULL && strcasecmp(arg, "all") != 0)) {
        return CLI_RANGE_NO;
    }
    if (strcasecmp(arg, "all") == 0) {
        if (job->def->min_args == 0U) {
            return CLI_RANGE_WHOLE; /* "list all" is the whole listing: plain LIST / UIDL */
        }
        job->range = job->all = true;
        job->nargs = 1U;
        job->n = 0U; /* known after the STAT */
        return CLI_RANGE_YES;
    }
    n = (size_t)(dash - arg);
    if (n == 0U || n >= sizeof first) {
        return CLI_RANGE_NO;
    }
    memcpy(first, arg, n);
    first[n] = '\0';
    if (!cli_parse_u32(first, 1U, UINT32_MAX, &job->arg[0]) ||
        !cli_parse_u32(dash + 1, 1U, UINT32_MAX, &job->last) || job->last < job->arg[0]) {
        snprintf(why, why_len, "%s: invalid range '%s' (FIRST-LAST, 1 <= FIRST <= LAST, or all)",
                 job->def->name, arg);
        return CLI_RANGE_BAD;
    }
    job->range = true;
    job->nargs = 1U;
    job->n = job->last - job->arg[0] + 1U;
    return CLI_RANGE_YES;
}

/** Parses the arguments of one command starting at argv[*i]. */
static int cli_parse_job_args(cli_job_t *job, int argc, char **argv, int *i)
{
    const cli_cmd_def_t *d = job->def;
    while (job->nargs < d->max_args) {
        const char *arg = *i < argc ? argv[*i] : NULL;
        uint8_t k = job->nargs;
        if (arg == NULL || (k >= d->min_args && cli_find_cmd(arg) != NULL)) {
            if (k < d->min_args) {
                return cli_usage_error("%s: missing %s", d->name, d->arg_name[k]);
            }
            break;
        }
        if (k == 0U) {
            char why[160];
            cli_range_kind_t kind = cli_job_range(job, arg, why, sizeof why);
            if (kind == CLI_RANGE_BAD) {
                return cli_usage_error("%s", why);
            }
            if (kind != CLI_RANGE_NO) {
                (*i)++;
                if (kind == CLI_RANGE_WHOLE) {
                    break; /* "list all": no argument */
                }
                continue;
            }
        }
        if (!cli_parse_u32(arg, d->arg_min[k], UINT32_MAX, &job->arg[k])) {
            return cli_usage_error(cli_msg_arg(d, k) ? "%s: invalid %s '%s' (decimal, %" PRIu32
                                                       "-4294967295, FIRST-LAST or all)"
                                                     : "%s: invalid %s '%s' (decimal, %" PRIu32 "-4294967295)",
                                   d->name, d->arg_name[k], arg, d->arg_min[k]);
        }
        job->nargs++;
        (*i)++;
    }
    return EXIT_OK;
}

/* "fetch" runs alone, with its options; they mean nothing to other commands. */
static int cli_parse_fetch(cli_opts_t *o, int argc, char **argv, int first)
{
    bool fetch = first < argc && strcasecmp(argv[first], "fetch") == 0;
    bool fetch_opts = o->maildir != NULL || o->keep || o->state_file != NULL || o->fetch_all;
    int i;
    for (i = first + 1; !fetch && i < argc; i++) {
        if (strcasecmp(argv[i], "fetch") == 0) {
            return cli_usage_error("fetch runs alone: give it without other commands");
        }
    }
    if (!fetch) {
        return fetch_opts ? cli_usage_error("--maildir, --keep, --state and --all belong to the "
                                            "fetch command") : EXIT_OK;
    }
    if (first + 1 < argc) {
        return cli_usage_error("fetch runs alone: unexpected '%s' after it", argv[first + 1]);
    }
    if (o->maildir == NULL || o->maildir[0] == '\0') {
        return cli_usage_error("fetch needs --maildir DIR");
    }
    if (o->state_file != NULL && o->state_file[0] == '\0') {
        return cli_usage_error("--state needs a file name");
    }
    if (o->user == NULL) {
        return cli_usage_error("'fetch' needs a login: give --user");
    }
    if (o->json) {
        return cli_usage_error("--json does not apply to fetch");
    }
    o->fetch = true;
    return EXIT_OK;
}

static int cli_parse_jobs(cli_opts_t *o, int argc, char **argv, int first)
{
    int i = first;
    int rc;
    if (first >= argc) {
        return cli_usage_error("no command given");
    }
    rc = cli_parse_fetch(o, argc, argv, first);
    if (rc != EXIT_OK || o->fetch) {
        return rc;
    }
    o->jobs = calloc((size_t)(argc - first), sizeof *o->jobs);
    if (o->jobs == NULL) {
        fprintf(stderr, CLI_NAME ": out of memory\n");
        return EXIT_INTERNAL;
    }
    while (i < argc) {
        cli_job_t *job = &o->jobs[o->njobs];
        int rc;
        job->def = cli_find_cmd(argv[i]);
        if (job->def == NULL && strcasecmp(argv[i], "fetch") == 0) {
            return cli_usage_error("fetch runs alone: give it without other commands");
        }
        if (job->def == NULL) {
            return cli_usage_error("unknown command '%s'", argv[i]);
        }
        job->n = 1U;
        if (o->json && (job->def->f1 == pop3_retr || job->def->f2 == pop3_top)) {
            return cli_usage_error("--json: '%s' writes message data to stdout; run it without --json",
                                   job->def->name);
        }
        /* Only CAPA works before login (RFC 2449); say so before connecting. */
        if (o->user == NULL && !cli_is_capa(job->def)) {
            return cli_usage_error("'%s' needs a login: give --user", job->def->name);
        }
        i++;
        rc = cli_parse_job_args(job, argc, argv, &i);
        if (rc != EXIT_OK) {
            return rc;
        }
        o->njobs++;
    }
    return EXIT_OK;
}

static bool cli_has_ctl(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20U || *s == 0x7F) {
            return true;
        }
    }
    return false;
}

static int cli_check_user(const cli_opts_t *o)
{
    /* AUTH streams its responses: only USER and APOP put the name on a 255-octet line. */
    size_t max = o->auth ? POP3_CMD_MAX_LEN
                         : POP3_CMD_MAX_LEN - (o->apop ? CLI_APOP_OVERHEAD : CLI_USER_OVERHEAD);
    if (o->user[0] == '\0' || cli_has_ctl(o->user)) {
        return cli_usage_error("invalid user name (empty or control characters)");
    }
    if (strlen(o->user) > max) {
        return cli_usage_error("user name too long (at most %zu octets)", max);
    }
    return EXIT_OK;
}

static int cli_check_tls_opts(const cli_opts_t *o)
{
    FILE *f;
    /* --cafile with --plain is accepted (noted with -v): scripts share one option set.
     * --insecure is not: a flag that weakens TLS should not ride along unnoticed. */
    if (o->security == POP3_SEC_PLAINTEXT && o->insecure && !o->shell) { /* the shell's STLS uses it */
        return cli_usage_error("--insecure needs TLS (not --plain)");
    }
    if (o->security != POP3_SEC_PLAINTEXT && o->allow_plaintext_login) {
        return cli_usage_error("--allow-plaintext-login only applies with --plain");
    }
    if (o->cafile == NULL) {
        return EXIT_OK;
    }
    f = fopen(o->cafile, "r");
    if (f == NULL) {
        return cli_usage_error("--cafile %s: %s", o->cafile, strerror(errno));
    }
    fclose(f);
    return EXIT_OK;
}

/** --auth against the other login options (the secret itself: cli_auth.c). */
static int cli_check_auth_opts(const cli_opts_t *o)
{
    if (o->token_file != NULL && !o->auth) {
        return cli_usage_error("--oauth2-token-file needs --auth (xoauth2, oauthbearer or best)");
    }
    if (!o->auth) {
        return EXIT_OK;
    }
    if (o->apop) {
        return cli_usage_error("--auth and --apop are mutually exclusive");
    }
    if (o->user == NULL) {
        return cli_usage_error("--auth needs --user");
    }
    if (o->token_file != NULL && o->pass_file != NULL) {
        return cli_usage_error("--oauth2-token-file and --pass-file: give one secret, not both");
    }
    if (o->token_file != NULL && o->auth_mech != POP3_SASL_BEST && !cli_mech_is_oauth(o->auth_mech)) {
        return cli_usage_error("--auth %s takes a password, not --oauth2-token-file",
                               pop3_sasl_mech_name(o->auth_mech));
    }
    if (o->pass_file != NULL && cli_mech_is_oauth(o->auth_mech)) {
        return cli_usage_error("--auth %s takes an OAuth token (--oauth2-token-file), not --pass-file",
                               pop3_sasl_mech_name(o->auth_mech));
    }
    return EXIT_OK;
}

/** Cross-option checks after parsing. */
static int cli_check_opts(const cli_opts_t *o)
{
    int rc;
    if (o->host == NULL || o->host[0] == '\0' || cli_has_ctl(o->host)) {
        return cli_usage_error(o->host == NULL ? "no server given (use --host)" : "invalid host name");
    }
    rc = cli_check_auth_opts(o);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (o->user == NULL && (o->pass_file != NULL || o->apop)) {
        return cli_usage_error("--pass-file and --apop need --user");
    }
    rc = cli_check_tls_opts(o);
    if (rc == EXIT_OK && o->user != NULL) {
        rc = cli_check_user(o);
    }
    return rc;
}

/*
 * getopt_long() accepts any unambiguous prefix, so "--oauth2-token SECRET" or
 * "--pass SECRET" would name a secret file and the secret would be echoed as
 * a file name in the error. The options that name secret files are taken
 * only in full. The option's text is the argv element before its separate
 * argument, or the one holding "=ARG".
 */
static int cli_check_full_name(int ch, char **argv)
{
    const char *full = ch == OPT_PASS_FILE ? "--pass-file" : ch == OPT_TOKEN_FILE ? "--oauth2-token-file" : NULL;
    const char *typed;
    size_t n;
    if (full == NULL) {
        return EXIT_OK;
    }
    typed = optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
    n = strlen(full);
    if (strncmp(typed, full, n) != 0 || (typed[n] != '\0' && typed[n] != '=')) {
        return cli_usage_error("write %s in full (options that name a secret file are not abbreviated)", full);
    }
    return EXIT_OK;
}

/** The shell: no command after "shell", no --json (its output is the server's lines). */
static int cli_shell_args(const cli_opts_t *o, int ncmd)
{
    if (ncmd > 1) {
        return cli_usage_error("'shell' takes no argument (type the commands in the session)");
    }
    if (o->json) {
        return cli_usage_error("--json does not apply to the shell; give the commands on the command line");
    }
    return EXIT_OK;
}

/** `check` (it probes POP3S and STLS itself, and takes no command after it). */
static int cli_check_args(cli_opts_t *o, int argc, char **argv)
{
    o->check = true;
    if (optind + 1 < argc) {
        return cli_usage_error("check takes no further command or argument ('%s')", argv[optind + 1]);
    }
    if (o->security_set || o->allow_plaintext_login) {
        return cli_usage_error("check tries POP3S and STLS itself: drop --tls, --starttls, --plain "
                               "and --allow-plaintext-login");
    }
    if (o->port != 0U) {
        return cli_usage_error("check: give the ports with --port-tls (POP3S, default 995) and "
                               "--port-stls (STLS, default 110), not -p");
    }
    return cli_check_usage(o) != EXIT_OK ? EXIT_USAGE : cli_check_opts(o);
}

int cli_parse_args(cli_opts_t *o, int argc, char **argv)
{
    int ch;
    int rc;
    o->timeout_ms = CLI_DEFAULT_TIMEOUT_MS;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "H:p:u:vh", cli_long_opts, NULL)) != -1) {
        if (ch == '?' || ch == ':') {
            return cli_bad_option(argv);
        }
        rc = cli_check_full_name(ch, argv);
        if (rc != EXIT_OK) {
            return rc;
        }
        rc = cli_apply_opt(o, ch, optarg);
        if (rc != EXIT_OK) {
            return rc;
        }
    }
    if (optind < argc && strcmp(argv[optind], "check") == 0) {
        return cli_check_args(o, argc, argv);
    }
    if (o->port_tls != 0U || o->port_stls != 0U) {
        return cli_usage_error("--port-tls and --port-stls are options of check; use -p");
    }
    o->shell = optind >= argc || strcasecmp(argv[optind], "shell") == 0;
    rc = cli_check_opts(o);
    if (rc != EXIT_OK) {
        return rc;
    }
    if (o->port == 0U) {
        o->port = o->security == POP3_SEC_IMPLICIT_TLS ? 995U : 110U;
    }
    if (o->shell) {
        return cli_shell_args(o, argc - optind);
    }
    if (o->raw) {
        return cli_usage_error("--raw applies to the shell (no command, or 'shell')");
    }
    return cli_parse_jobs(o, argc, argv, optind);
}
