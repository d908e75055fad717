/* je_allocated.h - jemalloc's stats.allocated as the program holds it, without the weight
 * its heap profiler adds.
 *
 * jemalloc's profiler keeps every sampled small block at the smallest large size class
 * (16 KiB with 4 KiB pages) so that it can carry its stack, and stats.allocated counts it
 * there: a kept 40-byte block that happened to be sampled weighs 16 KiB. With one sample in
 * 128 KiB, a program that keeps 40 bytes a step reads up to half as much again, and a
 * single sample moves a short run's figure by 16 KiB. With MALLOC_CONF prof_stats:true
 * (the soak sets it) jemalloc counts its live sampled blocks per small size class
 * (prof.stats.bins.<j>.live), so the excess is known exactly and taken off. Without it (no
 * profiler, an older jemalloc), stats.allocated as it is.
 *
 * stats.allocated is the figure of the last "epoch" written, the live counts are of now: a
 * block sampled between the two would be taken off a figure that does not hold it (16 KiB
 * too little, which a floor keeps: a strdup test read 56 B a step for 42 once). So the
 * counts are read before and after the epoch this writes, until they agree; if they never
 * do, the smaller excess (a reading too high passes a floor by, one too low does not).
 *
 * Header-only: the engine's sampler (probes/sampler.c) and the probe library the soak
 * preloads into other programs (preload/flatmem_probe.c) both use it. Allocates nothing;
 * it writes "epoch" itself (the other statistics read after it are as fresh). */
#ifndef PROBES_JE_ALLOCATED_H
#define PROBES_JE_ALLOCATED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef int (*JeMallctlFn)(const char *, void *, size_t *, void *, size_t);

/* The profiler's excess now (its live sampled small blocks, each at the large size
 * class): 0 with *known = 0 when prof_stats is off. */
static inline uint64_t je_prof_excess(JeMallctlFn mallctl, int *known)
{
    size_t len, large = 0;
    unsigned nbins = 0;
    *known = 0;
    len = sizeof nbins;
    if (mallctl("arenas.nbins", &nbins, &len, NULL, 0) != 0)
        return 0;
    len = sizeof large;
    if (mallctl("arenas.lextent.0.size", &large, &len, NULL, 0) != 0)
        return 0;
    uint64_t excess = 0;
    for (unsigned j = 0; j < nbins; j++) {
        char name[64];
        struct {
            uint64_t req_sum, count;
        } live;
        size_t size = 0;
        len = sizeof live;
        snprintf(name, sizeof name, "prof.stats.bins.%u.live", j);
        if (mallctl(name, &live, &len, NULL, 0) != 0)
            return 0; /* prof_stats off: nothing known to take off */
        len = sizeof size;
        snprintf(name, sizeof name, "arenas.bin.%u.size", j);
        if (mallctl(name, &size, &len, NULL, 0) == 0 && size < large)
            excess += live.count * (uint64_t)(large - size);
    }
    *known = 1;
    return excess;
}

/* stats.allocated (of a fresh epoch) less the profiler's excess; 0 when it cannot be read
 * (*ok = 0). */
static inline uint64_t je_allocated_exact(JeMallctlFn mallctl, int *ok)
{
    size_t allocated = 0, len;
    uint64_t before = 0, after = 0;
    int known = 0;
    for (int tries = 0; tries < 4; tries++) {
        before = je_prof_excess(mallctl, &known);
        uint64_t epoch = 1;
        len = sizeof epoch;
        mallctl("epoch", &epoch, &len, &epoch, len);
        len = sizeof allocated;
        *ok = mallctl("stats.allocated", &allocated, &len, NULL, 0) == 0;
        if (!*ok || !known)
            return allocated;
        after = je_prof_excess(mallctl, &known);
        if (after == before)
            break;
    }
    uint64_t excess = before < after ? before : after;
    return excess < allocated ? allocated - excess : allocated;
}

#endif
