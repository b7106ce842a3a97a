/*
 * fault_core's pieces: the fault a run injects, the fake port and scripted
 * server that run it (fault_core_run.c), and the tally of runs the loops in
 * fault_core.c print.
 */
#ifndef FAULT_CORE_H
#define FAULT_CORE_H

#include <stdbool.h>
#include <stddef.h>

#include "fault_script.h"

typedef enum { SEND_ALL = 0, SEND_TRICKLE, SEND_BLOCK_ALT, SEND_MODES } send_mode_t;

typedef enum {
    F_CUT = 0,   /* at stream offset `cut`: the port reports pop3_on_closed(POP3_ERR_TRANSPORT) */
    F_STALL,     /* at `cut`: the server goes silent; pop3_tick() an hour later */
    F_ABORT,     /* at `cut`: the application calls pop3_abort() */
    F_SENDFAIL,  /* the nth send() call fails (returns -1) */
    F_PAUSECUT,  /* the nth time the application paused: the connection drops while input is held */
    F_CBABORT    /* the application calls pop3_abort() inside its nth callback (on_done/on_body/...) */
} fault_kind_t;

typedef struct {
    size_t cut;                /* FS_NONE: no cut */
    const size_t *splits;      /* sorted extra segment boundaries */
    size_t nsplits;
    bool bytewise;             /* every octet its own segment */
    int pause_every;           /* streaming callbacks return PAUSE on every Nth call (0: never) */
    send_mode_t send_mode;
    fault_kind_t kind;
    int nth;                   /* F_SENDFAIL, F_PAUSECUT */
} fault_t;

/* The RETR body arrives in segments of this size (natural boundaries). */
#define SEG 536U

typedef struct {
    unsigned long runs, failures, faults;
    bool fault_hit; /* the last run's F_SENDFAIL / F_PAUSECUT / F_CBABORT event happened */
} fc_tally_t;

/* One run of session s with fault f, checked by the oracle; counted in *t.
 * what (the loop) and label (the run) name a failure, printed for the first ten. */
bool fc_run(const fs_session_t *s, const fault_t *f, const char *what, const char *label, fc_tally_t *t);

#endif
