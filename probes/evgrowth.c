#include "evgrowth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evlog.h"

typedef struct Acc {
    double heap_in, heap_out, arena, tape;
} Acc;

static int cmp_score(const void *x, const void *y)
{
    double a = ((const EvGrowth *)x)->score, b = ((const EvGrowth *)y)->score;
    return (a < b) - (a > b);
}

/* The first and last complete iterations of the log, or 0 (a resumed run starts after
 * the checkpoint's step). */
static int complete_span(const char *path, uint64_t *first, uint64_t *last, char *err, size_t errlen)
{
    EvlogReader r;
    if (evlog_reader_open(&r, path, err, errlen) != 0)
        return -1;
    EvlogRecord rec;
    int rc;
    *first = *last = 0;
    while ((rc = evlog_next(&r, &rec, err, errlen)) == 1)
        if (rec.kind == EV_ITER_END) {
            *first = *first ? *first : rec.iter;
            *last = rec.iter;
        }
    evlog_reader_close(&r);
    return rc < 0 ? -1 : 0;
}

int evlog_growth(const char *path, EvRange *ra, EvRange *rb, EvGrowth *out, int max, char *err, size_t errlen)
{
    if (!ra->a && !ra->b && !rb->a && !rb->b) {
        uint64_t first, last;
        if (complete_span(path, &first, &last, err, errlen) != 0)
            return -1;
        uint64_t lo = first + 1, span = last >= lo ? last - lo + 1 : 0, q = span / 4 ? span / 4 : 1;
        *ra = (EvRange){lo, lo + q - 1};
        *rb = (EvRange){last >= q ? last - q + 1 : 0, last};
    }
    EvlogReader r;
    if (evlog_reader_open(&r, path, err, errlen) != 0)
        return -1;
    Acc *acc = calloc(2 * EVLOG_MAX_SITES, sizeof *acc);
    if (!acc) {
        snprintf(err, errlen, "out of memory");
        evlog_reader_close(&r);
        return -1;
    }
    EvlogRecord rec;
    int rc;
    uint64_t ended = 0;
    /* tape entries kept per range: pushed minus cleared (in bytes), whatever op pushed them */
    double kept[2] = {0, 0}, entry_bytes = 0;
    while ((rc = evlog_next(&r, &rec, err, errlen)) == 1) {
        int inside = rec.kind == EV_ITER_END || rec.iter > ended;
        if (rec.kind == EV_ITER_END)
            ended = rec.iter;
        int which = rec.iter >= ra->a && rec.iter <= ra->b ? 0 : rec.iter >= rb->a && rec.iter <= rb->b ? 1 : -1;
        if (!inside || which < 0)
            continue;
        Acc *a = &acc[which * EVLOG_MAX_SITES + rec.site];
        double b = (double)rec.bytes;
        switch (rec.kind) {
        case EV_HEAP_ALLOC: a->heap_in += b; break;
        case EV_HEAP_FREE: a->heap_out += b; break;
        case EV_ARENA_ALLOC: a->arena += b; break;
        case EV_TAPE_PUSH:
            kept[which] += b;
            entry_bytes = b;
            break;
        case EV_TAPE_CLEAR: kept[which] -= (double)rec.aux * entry_bytes; break;
        case EV_TAPE_GROW: a->tape += b; break;
        default: break;
        }
    }
    if (rc < 0) {
        free(acc);
        evlog_reader_close(&r);
        return -1;
    }
    double na = (double)(ra->b - ra->a + 1), nb = (double)(rb->b - rb->a + 1);
    int n = 0;
    EvGrowth *all = calloc(EVLOG_MAX_SITES, sizeof *all);
    for (unsigned s = 0; all && s < EVLOG_MAX_SITES; s++) {
        const Acc *A = &acc[s], *B = &acc[EVLOG_MAX_SITES + s];
        EvGrowth g;
        memset(&g, 0, sizeof g);
        g.heap_kept = (B->heap_in - B->heap_out) / nb;
        g.arena_delta = B->arena / nb - A->arena / na;
        g.tape_delta = B->tape / nb - A->tape / na;
        /* the tape: entries never cleared are its growth; its array grows by doubling, so
         * a window without a doubling must not cancel them */
        if (!strcmp(evlog_site(&r, s), "tape"))
            g.tape_delta = kept[1] / nb + (g.tape_delta > 0 ? g.tape_delta : 0.0);
        g.score = g.heap_kept + g.arena_delta + g.tape_delta;
        if (g.score > 0.0) {
            snprintf(g.site, sizeof g.site, "%s", evlog_site(&r, s));
            all[n++] = g;
        }
    }
    if (all) {
        qsort(all, (size_t)n, sizeof *all, cmp_score);
        if (n > max)
            n = max;
        memcpy(out, all, (size_t)n * sizeof *out);
    }
    free(all);
    free(acc);
    evlog_reader_close(&r);
    return n;
}
