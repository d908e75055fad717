/* evgrowth.h - which sites of an event log grow between two iteration ranges.
 * Score per site, in bytes per iteration: heap bytes kept (alloc - free) per iteration
 * in the second range, plus the change in arena bytes and tape array bytes per iteration
 * from the first range to the second; the site "tape" also gets the tape entries pushed
 * and never cleared per iteration in the second range (a tape that keeps every step). Events after an
 * iteration's end (final evaluation, teardown) belong to no iteration and are left out. */
#ifndef PROBES_EVGROWTH_H
#define PROBES_EVGROWTH_H

#include <stddef.h>
#include <stdint.h>

typedef struct EvRange {
    uint64_t a, b; /* inclusive; a == b == 0: automatic */
} EvRange;

typedef struct EvGrowth {
    char site[32];
    double score, heap_kept, arena_delta, tape_delta; /* bytes per iteration */
} EvGrowth;

/* Fills out[0..max) with the growing sites, largest first; returns how many (>= 0), or
 * -1 with a message in err. With automatic ranges (ra/rb all zero) the first and last
 * quarter of the complete iterations after the first one (the warm-up step; a resumed
 * run's first is the one after its checkpoint) are compared; *ra and *rb are set to the
 * ranges used. */
int evlog_growth(const char *path, EvRange *ra, EvRange *rb, EvGrowth *out, int max, char *err,
                 size_t errlen);

#endif
