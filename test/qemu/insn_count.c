/*
 * insn_count.c - a QEMU TCG plugin (plugin API version 1, QEMU 7.2) that counts
 * executed guest instructions per address range and per phase.
 *
 *   qemu-system-arm ... -plugin insn_count.so,ranges=FILE,out=FILE,start=ADDR,end=ADDR
 *
 * ranges: lines "START END CATEGORY" (hex addresses, END exclusive), from the
 *         firmware's link map (ranges.py). Instructions outside every range
 *         count as "other".
 * start/end: addresses of two marker functions; executing the first switches
 *         to phase 1 ("body"), the second to phase 2 ("after"). Phase 0 is boot,
 *         DHCP, connect, TLS handshake and login.
 * out:    written at exit: "PHASE CATEGORY COUNT" lines.
 *
 * Debian ships no qemu-plugin.h: the few declarations used are written out below
 * from the documented plugin API (docs/devel/tcg-plugins.rst, include/qemu/qemu-plugin.h
 * of QEMU 7.2). Counting is per translation block: each block carries its
 * instructions' counts per category, added whenever the block runs.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The plugin API, version 1 (as documented) -------------------------------- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- Ranges and counters -------------------------------------------------------- */
#define MAX_CATS 4096 /* ranges.py --by-function gives one per function */
#define PHASES 3

struct range {
    uint64_t start, end;
    int cat;
};

static struct range *ranges;
static size_t n_ranges;
static char *cat_names[MAX_CATS];
static int n_cats;
static uint64_t counts[PHASES][MAX_CATS];
static int phase;
static uint64_t mark_start, mark_end;
static char out_path[1024];

/* What one translated block adds per run: (category, count) pairs, -1 ends. */
struct tb_counts {
    int cat[8];
    uint32_t n[8];
    int used;
};

static int cat_id(const char *name)
{
    for (int i = 0; i < n_cats; i++) {
        if (strcmp(cat_names[i], name) == 0) {
            return i;
        }
    }
    if (n_cats == MAX_CATS) {
        return 0;
    }
    cat_names[n_cats] = strdup(name);
    return n_cats++;
}

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int lookup(uint64_t addr)
{
    size_t lo = 0, hi = n_ranges;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < ranges[mid].start) {
            hi = mid;
        } else if (addr >= ranges[mid].end) {
            lo = mid + 1;
        } else {
            return ranges[mid].cat;
        }
    }
    return 0; /* "other" */
}

static bool load_ranges(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512], name[256];
    uint64_t s, e;
    size_t cap = 0;

    if (f == NULL) {
        return false;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%" SCNx64 " %" SCNx64 " %255s", &s, &e, name) != 3) {
            continue;
        }
        if (n_ranges == cap) {
            cap = cap ? cap * 2 : 1024;
            ranges = realloc(ranges, cap * sizeof *ranges);
            if (ranges == NULL) {
                fclose(f);
                return false;
            }
        }
        ranges[n_ranges].start = s;
        ranges[n_ranges].end = e;
        ranges[n_ranges].cat = cat_id(name);
        n_ranges++;
    }
    fclose(f);
    qsort(ranges, n_ranges, sizeof *ranges, cmp_range);
    return true;
}

static void tb_exec(unsigned int vcpu, void *ud)
{
    const struct tb_counts *c = ud;

    (void)vcpu;
    for (int i = 0; i < c->used; i++) {
        counts[phase][c->cat[i]] += c->n[i];
    }
}

static void on_mark(unsigned int vcpu, void *ud)
{
    (void)vcpu;
    phase = (int)(intptr_t)ud;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct tb_counts *c = calloc(1, sizeof *c);

    (void)id;
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t va = qemu_plugin_insn_vaddr(insn);
        int cat = lookup(va);
        int j;

        if (va == mark_start || va == mark_end) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
                                                   (void *)(intptr_t)(va == mark_start ? 1 : 2));
        }
        for (j = 0; j < c->used && c->cat[j] != cat; j++) {
        }
        if (j == c->used) {
            if (c->used == 8) {
                j = 7; /* more than 8 categories in one block: fold into the last (never seen) */
            } else {
                c->cat[c->used++] = cat;
            }
        }
        c->n[j]++;
    }
    qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, c);
}

static void at_exit(qemu_plugin_id_t id, void *ud)
{
    FILE *f = fopen(out_path, "w");

    (void)id;
    (void)ud;
    if (f == NULL) {
        return;
    }
    for (int p = 0; p < PHASES; p++) {
        for (int i = 0; i < n_cats; i++) {
            fprintf(f, "%d %s %" PRIu64 "\n", p, cat_names[i], counts[p][i]);
        }
    }
    fclose(f);
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    const char *ranges_path = NULL;

    (void)info;
    cat_id("other");
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "ranges=", 7) == 0) {
            ranges_path = argv[i] + 7;
        } else if (strncmp(argv[i], "out=", 4) == 0) {
            snprintf(out_path, sizeof out_path, "%s", argv[i] + 4);
        } else if (strncmp(argv[i], "start=", 6) == 0) {
            mark_start = strtoull(argv[i] + 6, NULL, 0) & ~1ULL;
        } else if (strncmp(argv[i], "end=", 4) == 0) {
            mark_end = strtoull(argv[i] + 4, NULL, 0) & ~1ULL;
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", argv[i]);
            return -1;
        }
    }
    if (out_path[0] == '\0' || (ranges_path != NULL && !load_ranges(ranges_path))) {
        fprintf(stderr, "insn_count: need out=FILE and a readable ranges=FILE\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
