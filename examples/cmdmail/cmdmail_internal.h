/* Private interface between the command-mail module's files. Not installed.
 *
 *   cmdmail.c        the public API, NV state, replay and seen-UID table -> block, mime
 *   cmdmail_block.c  the signed block: line parser, canonical form, HMAC  -> (mbedTLS MD)
 *   cmdmail_mime.c   streaming MIME + transfer-encoding decoder to lines  -> (C library)
 */
#ifndef CMDMAIL_INTERNAL_H
#define CMDMAIL_INTERNAL_H

#include "cmdmail.h"

/* Small helpers of both parsers. */
static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static inline char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive: s[0..n) equals the lower-case word w. */
static inline bool word_eq(const char *s, size_t n, const char *w)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (w[i] == '\0' || lower(s[i]) != w[i])
            return false;
    }
    return w[n] == '\0';
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static inline uint32_t sat_add(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* What the line consumer needs from now on (its answer to each line): every
 * line; only lines that may be a BEGIN line (the first octet after the
 * leading spaces, tabs and '>' is '-'; the others may be left out); nothing
 * more (the verdict is made). The decoder skips what is not wanted fast. */
enum { CMDMAIL_WANT_ALL = 0, CMDMAIL_WANT_BEGIN, CMDMAIL_WANT_NONE };

/*
 * One decoded line of a text/plain part, without its LF (or CR LF), at most
 * CMDMAIL_LINE_MAX_LEN octets; a longer line is reported once with too_long
 * set (and the first CMDMAIL_LINE_MAX_LEN octets); the length is counted
 * before the block parser's normalisation (FORMAT.md). line == NULL: the
 * current text part ended (a block must not span parts). Returns a
 * CMDMAIL_WANT_ value; before the first line, CMDMAIL_WANT_ALL holds.
 */
typedef int (*cmdmail_line_fn)(void *ctx, const char *line, size_t len, bool too_long);

/* Starts a new message: its headers come first. */
void cmdmail_mime_reset(cmdmail_mime_t *mm);
/* Message octets (headers, then body; CRLF or LF), split anywhere. */
void cmdmail_mime_feed(cmdmail_mime_t *mm, const char *data, size_t len, cmdmail_line_fn fn, void *ctx);
/* The message ended: a last line without LF is delivered, then line == NULL. */
void cmdmail_mime_end(cmdmail_mime_t *mm, cmdmail_line_fn fn, void *ctx);

/* The block parser (cmdmail_block.c), fed the lines of one message. */
enum { CMDMAIL_BLOCK_NONE = 0, CMDMAIL_BLOCK_VALID, CMDMAIL_BLOCK_INVALID };
void cmdmail_block_reset(cmdmail_t *m);
/* A cmdmail_line_fn; ctx is the cmdmail_t. */
int cmdmail_block_line(void *ctx, const char *line, size_t len, bool too_long);
/* After the last line: NONE (no block), VALID (MAC matched; fields in m), or
 * INVALID (m->reason says why). */
int cmdmail_block_finish(cmdmail_t *m);

#endif /* CMDMAIL_INTERNAL_H */
