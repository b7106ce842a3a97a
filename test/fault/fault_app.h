/*
 * The application side both fault harnesses play (fault_core.c on the core's
 * port contract, fault_lwip.c on the lwIP port): queue the reference
 * session's work before connecting, record what the callbacks report into
 * fs_obs_t, print a loop's count and write the summary part.
 */
#ifndef FAULT_APP_H
#define FAULT_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault_script.h"
#include "pop3.h"

/* Queues the login (USER/PASS, or AUTH with creds and the SCRAM nonce source
 * seeded in *rng; both must outlive the AUTH), LIST, UIDL, RETR 1, NOOP for a
 * pipelined session, and, for FS_DELE_UP_FRONT, DELE 1 and QUIT. Each call is bracketed for the heap
 * guard. Returns the first refusal, or POP3_OK. */
pop3_status_t fa_queue_work(pop3_client_t *c, const fs_session_t *s, pop3_sasl_creds_t *creds, uint32_t *rng);

/* Recorders for the callbacks; they only record (the harness decides on
 * pauses and aborts). fa_obs_body returns false when the body overflowed. */
void fa_obs_done(fs_obs_t *o, pop3_cmd_t cmd, pop3_status_t st, const pop3_reply_t *r);
bool fa_obs_body(fs_obs_t *o, const char *data, size_t len);
void fa_obs_list(fs_obs_t *o, uint32_t msg, uint64_t octets);
void fa_obs_uidl(fs_obs_t *o, uint32_t msg, const char *uid, size_t len);

/* "  <what>  N runs" (and a marker when some failed), flushed. */
void fa_report(const char *what, unsigned long runs, unsigned long fails);

/* Writes "faults_injected=N" to path (fault_total.sh adds the parts up). */
bool fa_write_summary(const char *path, unsigned long faults);

#endif
