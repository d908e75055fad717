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

/* Per range (0: ra, 1: rb) and site, the bytes of each kind; per range, the tape entries
 * kept (pushed minus cleared, in bytes, whatever op pushed them). */
typedef struct Sums {
    Acc acc[2][EVLOG_MAX_SITES];
    double kept[2];
} Sums;

static int sum_ranges(EvlogReader *r, const EvRange *ra, const EvRange *rb, Sums *sm, char *err,
                      size_t errlen)
{
    EvlogRecord rec;
    int rc;
    uint64_t ended = 0;
    double entry_bytes = 0;
    while ((rc = evlog_next(r, &rec, err, errlen)) == 1) {
        int inside = rec.kind == EV_ITER_END || rec.iter > ended;
        if (rec.kind == EV_ITER_END)
            ended = rec.iter;
        int which = rec.iter >= ra->a && rec.iter <= ra->b   ? 0
                    : rec.iter >= rb->a && rec.iter <= rb->b ? 1
                                                             : -1;
        if (!inside || which < 0)
            continue;
        Acc *a = &sm->acc[which][rec.site];
        double b = (double)rec.bytes;
        switch (rec.kind) {
        case EV_HEAP_ALLOC: a->heap_in += b; break;
        case EV_HEAP_FREE: a->heap_out += b; break;
        case EV_ARENA_ALLOC: a->arena += b; break;
        case EV_TAPE_PUSH:
            sm->kept[which] += b;
            entry_bytes = b;
            break;
        case EV_TAPE_CLEAR: sm->kept[which] -= (double)rec.aux * entry_bytes; break;
        case EV_TAPE_GROW: a->tape += b; break;
        default: break;
        }
    }
    return rc < 0 ? -1 : 0;
}

/* The growth of site s from range a (na iterations) to range b (nb). */
static EvGrowth site_growth(const EvlogReader *r, const Sums *sm, unsigned s, double na, double nb)
{
    const Acc *A = &sm->acc[0][s], *B = &sm->acc[1][s];
    EvGrowth g;
    memset(&g, 0, sizeof g);
    g.heap_kept = (B->heap_in - B->heap_out) / nb;
    g.arena_delta = B->arena / nb - A->arena / na;
    g.tape_delta = B->tape / nb - A->tape / na;
    /* the tape: entries never cleared are its growth; its array grows by doubling, so a
     * window without a doubling must not cancel them */
    if (!strcmp(evlog_site(r, s), "tape"))
        g.tape_delta = sm->kept[1] / nb + (g.tape_delta > 0 ? g.tape_delta : 0.0);
    g.score = g.heap_kept + g.arena_delta + g.tape_delta;
    snprintf(g.site, sizeof g.site, "%s", evlog_site(r, s));
    return g;
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
    Sums *sm = calloc(1, sizeof *sm);
    EvGrowth *all = calloc(EVLOG_MAX_SITES, sizeof *all);
    int n = -1;
    if (!sm || !all)
        snprintf(err, errlen, "out of memory");
    else if (sum_ranges(&r, ra, rb, sm, err, errlen) == 0) {
        double na = (double)(ra->b - ra->a + 1), nb = (double)(rb->b - rb->a + 1);
        n = 0;
        for (unsigned s = 0; s < EVLOG_MAX_SITES; s++) {
            EvGrowth g = site_growth(&r, sm, s, na, nb);
            if (g.score > 0.0)
                all[n++] = g;
        }
        qsort(all, (size_t)n, sizeof *all, cmp_score);
        n = n > max ? max : n;
        memcpy(out, all, (size_t)n * sizeof *out);
    }
    free(all);
    free(sm);
    evlog_reader_close(&r);
    return n;
}
