/* The computations of the password mechanisms, all through mbedTLS: CRAM-MD5
 * (RFC 2195) and SCRAM-SHA-1 / SCRAM-SHA-256 (RFC 5802, RFC 7677). The
 * password is read whole onto the stack (it is the HMAC key), used, and wiped;
 * so is every derived key. Only the ClientProof to send and the
 * ServerSignature to expect stay, in the client, until AUTH is reported. */
#include <string.h>

#include "pop3_internal.h"

#if POP3_SASL_CRAM_MD5_ENABLE || POP3_SASL_SCRAM_ENABLE
#include "mbedtls/md.h"
#include "mbedtls/version.h"
#if POP3_SASL_SCRAM_ENABLE
#include "mbedtls/pkcs5.h"
#endif

/* The whole password into buf (its length was bounded when AUTH was queued). */
static bool read_password(const pop3_client_t *c, uint8_t *buf, size_t *len)
{
    const pop3_sasl_creds_t *cr = c->sasl.creds;
    size_t n = c->sasl.secret_len;

    if (n > POP3_SASL_PASSWORD_MAX_LEN) {
        return false;
    }
    *len = n;
    if (cr->secret != NULL) {
        memcpy(buf, cr->secret, n);
        return true;
    }
    return cr->read_secret(cr->read_ctx, 0, buf, n);
}
#endif

#if POP3_SASL_CRAM_MD5_ENABLE
pop3_status_t pop3_cram_digest(pop3_client_t *c, const char *chal, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t pw[POP3_SASL_PASSWORD_MAX_LEN], mac[16];
    size_t pl = 0, i;
    bool ok = read_password(c, pw, &pl) &&
              mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_MD5), pw, pl, (const unsigned char *)chal, n,
                              mac) == 0;

    pop3_wipe(pw, sizeof pw);
    for (i = 0; ok && i < sizeof mac; i++) {
        c->sasl.u.cram_hex[2U * i] = hex[mac[i] >> 4];
        c->sasl.u.cram_hex[2U * i + 1U] = hex[mac[i] & 15U];
    }
    pop3_wipe(mac, sizeof mac);
    return ok ? POP3_OK : POP3_ERR_ABORTED;
}
#endif

#if POP3_SASL_SCRAM_ENABLE
#define SCRAM_HASH_MAX 32U

/* HMAC(key, AuthMessage) (RFC 5802 section 3), fed in pieces: the message is
 * never assembled. AuthMessage = client-first-bare "," server-first ","
 * client-final-without-proof. */
static bool auth_message_mac(const pop3_client_t *c, mbedtls_md_context_t *ctx, const uint8_t *key, size_t kl,
                             const char *sf, size_t sfl, uint8_t *out)
{
    const pop3_sasl_state_t *s = &c->sasl;
    const char *u = s->creds->user;
    bool ok = mbedtls_md_hmac_starts(ctx, key, kl) == 0 && mbedtls_md_hmac_update(ctx, (const unsigned char *)"n=", 2) == 0;

    for (; ok && *u != '\0'; u++) {
        const char *e = *u == ',' ? "=2C" : *u == '=' ? "=3D" : NULL;
        ok = mbedtls_md_hmac_update(ctx, (const unsigned char *)(e != NULL ? e : u), e != NULL ? 3U : 1U) == 0;
    }
    ok = ok && mbedtls_md_hmac_update(ctx, (const unsigned char *)",r=", 3) == 0 &&
         mbedtls_md_hmac_update(ctx, (const unsigned char *)s->u.scram.cnonce, sizeof s->u.scram.cnonce) == 0 &&
         mbedtls_md_hmac_update(ctx, (const unsigned char *)",", 1) == 0 &&
         mbedtls_md_hmac_update(ctx, (const unsigned char *)sf, sfl) == 0 &&
         mbedtls_md_hmac_update(ctx, (const unsigned char *)",c=biws,r=", 10) == 0 &&
         mbedtls_md_hmac_update(ctx, (const unsigned char *)s->peer, s->peer_len) == 0 &&
         mbedtls_md_hmac_finish(ctx, out) == 0;
    return ok;
}

/* Decimal iteration count, refused outside the configured range. */
static bool iterations(const char *v, size_t n, unsigned *out)
{
    unsigned long it = 0;
    size_t i;

    if (n == 0 || n > 9U) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return false;
        }
        it = it * 10U + (unsigned long)(v[i] - '0');
    }
    *out = (unsigned)it;
    return it >= POP3_SCRAM_MIN_ITERATIONS && it <= POP3_SCRAM_MAX_ITERATIONS;
}

/* The combined nonce: ours, then the server's part, printable and without ','. */
static bool nonce_ok(const pop3_sasl_state_t *s, const char *v, size_t n)
{
    size_t i;

    if (n <= POP3_SCRAM_CNONCE_LEN || memcmp(v, s->u.scram.cnonce, POP3_SCRAM_CNONCE_LEN) != 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (v[i] < 0x21 || v[i] > 0x7E) {
            return false;
        }
    }
    return true;
}

/* Salted password, the keys, ClientProof and ServerSignature. */
static bool derive(pop3_client_t *c, const mbedtls_md_info_t *md, const uint8_t *salt, size_t sl, unsigned iter,
                   const char *sf, size_t sfl)
{
    pop3_sasl_state_t *s = &c->sasl;
    size_t hl = mbedtls_md_get_size(md), pl = 0, i;
    uint8_t pw[POP3_SASL_PASSWORD_MAX_LEN], salted[SCRAM_HASH_MAX], ckey[SCRAM_HASH_MAX], stored[SCRAM_HASH_MAX],
        skey[SCRAM_HASH_MAX], csig[SCRAM_HASH_MAX];
    char proof[48];
    mbedtls_md_context_t ctx;
    bool ok;

    mbedtls_md_init(&ctx);
    ok = read_password(c, pw, &pl) && mbedtls_md_setup(&ctx, md, 1) == 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03030000
    ok = ok && mbedtls_pkcs5_pbkdf2_hmac_ext(mbedtls_md_get_type(md), pw, pl, salt, sl, iter, (uint32_t)hl,
                                             salted) == 0;
#else
    ok = ok && mbedtls_pkcs5_pbkdf2_hmac(&ctx, pw, pl, salt, sl, iter, (uint32_t)hl, salted) == 0;
#endif
    pop3_wipe(pw, sizeof pw);
    ok = ok && mbedtls_md_hmac(md, salted, hl, (const unsigned char *)"Client Key", 10, ckey) == 0 &&
         mbedtls_md(md, ckey, hl, stored) == 0 &&
         mbedtls_md_hmac(md, salted, hl, (const unsigned char *)"Server Key", 10, skey) == 0 &&
         auth_message_mac(c, &ctx, stored, hl, sf, sfl, csig) &&
         auth_message_mac(c, &ctx, skey, hl, sf, sfl, s->u.scram.server_sig);
    mbedtls_md_free(&ctx);
    if (ok) {
        size_t k;
        for (i = 0; i < hl; i++) {
            ckey[i] ^= csig[i]; /* ClientProof = ClientKey XOR ClientSignature */
        }
        k = pop3_b64_encode(proof, sizeof proof, ckey, hl);
        ok = k > 0 && k <= sizeof s->u.scram.proof;
        if (ok) {
            memcpy(s->u.scram.proof, proof, k);
            s->u.scram.proof_len = (uint8_t)k;
        }
    }
    pop3_wipe(salted, sizeof salted);
    pop3_wipe(ckey, sizeof ckey);
    pop3_wipe(stored, sizeof stored);
    pop3_wipe(skey, sizeof skey);
    pop3_wipe(csig, sizeof csig);
    pop3_wipe(proof, sizeof proof);
    return ok;
}

static const mbedtls_md_info_t *scram_md(const pop3_client_t *c)
{
    return mbedtls_md_info_from_type(c->sasl.mech == POP3_SASL_SCRAM_SHA_256 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA1);
}

pop3_status_t pop3_scram_first(pop3_client_t *c, const char *msg, size_t len)
{
    pop3_sasl_state_t *s = &c->sasl;
    const mbedtls_md_info_t *md = scram_md(c);
    const char *r, *sv, *iv;
    size_t rl, svl, il, sl = 0;
    unsigned iter = 0;
    char salt[(POP3_SCRAM_SALT_MAX_LEN + 2U) / 3U * 4U];
    bool ok;

    if (md == NULL) {
        return POP3_ERR_ABORTED;
    }
    /* "r=...,s=...,i=...": a leading "m=" is a mandatory extension we do not know. */
    if (len < 2 || memcmp(msg, "r=", 2) != 0 || !pop3_scram_attr(msg, len, 'r', &r, &rl) ||
        !pop3_scram_attr(msg, len, 's', &sv, &svl) || !pop3_scram_attr(msg, len, 'i', &iv, &il) ||
        svl == 0 || svl > sizeof salt) {
        return POP3_ERR_PROTOCOL;
    }
    if (!nonce_ok(s, r, rl) || !iterations(iv, il, &iter)) {
        POP3_LOG_ERROR(("SCRAM: server nonce or iteration count refused"));
        return POP3_ERR_SECURITY;
    }
    memcpy(salt, sv, svl);
    if (!pop3_b64_decode_inplace(salt, svl, &sl) || sl == 0) {
        return POP3_ERR_PROTOCOL;
    }
    s->peer = r; /* inside line_buf, which holds still until client-final is sent */
    s->peer_len = rl;
    ok = derive(c, md, (const uint8_t *)salt, sl, iter, msg, len);
    return ok ? POP3_OK : POP3_ERR_ABORTED;
}

pop3_status_t pop3_scram_final(pop3_client_t *c, const char *msg, size_t len)
{
    const pop3_sasl_state_t *s = &c->sasl;
    const mbedtls_md_info_t *md = scram_md(c);
    size_t hl = md != NULL ? mbedtls_md_get_size(md) : 0, dl = 0, vl, i;
    const char *comma;
    char v[48];
    unsigned diff = 0;

    if (len >= 2 && memcmp(msg, "e=", 2) == 0) {
        return POP3_ERR_AUTH; /* the server refused the proof: wrong password */
    }
    if (len < 2 || memcmp(msg, "v=", 2) != 0) {
        return POP3_ERR_PROTOCOL;
    }
    comma = memchr(msg, ',', len);
    vl = (comma != NULL ? (size_t)(comma - msg) : len) - 2U;
    if (vl > sizeof v) {
        return POP3_ERR_SECURITY;
    }
    memcpy(v, msg + 2, vl);
    if (!pop3_b64_decode_inplace(v, vl, &dl) || dl != hl) {
        return POP3_ERR_SECURITY;
    }
    for (i = 0; i < hl; i++) {
        diff |= (unsigned)((uint8_t)v[i] ^ s->u.scram.server_sig[i]); /* no early exit on a mismatch */
    }
    if (diff != 0) {
        POP3_LOG_ERROR(("SCRAM: wrong server signature"));
        return POP3_ERR_SECURITY;
    }
    return POP3_OK;
}
#endif /* POP3_SASL_SCRAM_ENABLE */
