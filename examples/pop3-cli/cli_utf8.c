/**
 * @file cli_utf8.c
 * @brief pop3-cli --utf8: RFC 6856 UTF-8 mode, asked for once CAPA is known
 *        (after STLS: the post-TLS list) and before the login. Not advertised
 *        or refused is a note on stderr, not a failure: a script may pass
 *        --utf8 to every server and still get its mail from those without it.
 */
#include <stdio.h>

#include "cli.h"

bool cli_utf8_start(cli_app_t *a)
{
    pop3_status_t st;
    if (!a->opt.utf8) {
        return false;
    }
    if ((pop3_caps(&a->client) & POP3_CAP_UTF8) == 0) {
        fprintf(stderr, CLI_NAME ": note: --utf8: the server does not list UTF8 (RFC 6856) in its CAPA;"
                        " going on without UTF-8 mode\n");
        return false;
    }
    st = pop3_utf8(&a->client);
    if (st != POP3_OK) {
        fprintf(stderr, CLI_NAME ": note: --utf8: UTF8 not sent (%s); going on without UTF-8 mode\n",
                pop3_status_str(st));
        return false;
    }
    return true;
}

pop3_status_t cli_utf8_done(cli_app_t *a, pop3_status_t st, const pop3_reply_t *r)
{
    char text[CLI_TEXT_MAX];
    if (st == POP3_ERR_SERVER) {
        text[0] = '\0';
        if (r->text != NULL && r->text_len > 0U) {
            cli_sanitize_cut(text, sizeof text, r->text, cli_chomp_len(r->text, r->text_len));
        }
        fprintf(stderr, CLI_NAME ": note: --utf8: the server refused UTF8 (-ERR %s); going on without UTF-8"
                        " mode\n", text);
        return POP3_OK;
    }
    if (st == POP3_OK && a->opt.verbose) {
        fprintf(stderr, CLI_NAME ": UTF-8 mode on (RFC 6856)\n");
    }
    return st;
}
