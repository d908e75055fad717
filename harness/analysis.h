/* analysis.h - growth slopes and verdicts from memory series.
 *
 * A run is FLAT when, after warm-up, every series it sampled stays within tolerance:
 *   exact series (arena.*, tape.*, mem.*, persistent.*, tensors.*): identical
 *     values in every row from the first (taken at the end of iteration 1);
 *   allocator series (malloc.in_use_bytes, jemalloc.allocated): the growth after warm-up
 *     stays under tol_alloc_bytes, growth being the larger of the Theil-Sen slope times
 *     the iterations and the rise from the median of the first quarter of the points to
 *     the median of the last quarter (a step, which a median slope does not see);
 *   resident series (proc.rss_bytes, proc.pss_bytes, jemalloc.active/resident): the same
 *     under tol_rss_bytes.
 * Warm-up: rows of iterations below warmup_frac * iterations (and row 1) are left out of
 * the slopes (RSS grows by 64-128 KiB while the first pages are touched). */
#ifndef HARNESS_ANALYSIS_H
#define HARNESS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "samples.h"

typedef enum SeriesClass { SERIES_EXACT, SERIES_ALLOC, SERIES_RSS, SERIES_IGNORED } SeriesClass;

typedef struct Tolerance {
    double rss_bytes;   /* total growth allowed in resident series (default 1 MiB) */
    double alloc_bytes; /* total growth allowed in allocator series (default 64 KiB) */
    double warmup_frac; /* fraction of the iterations treated as warm-up (default 0.1) */
} Tolerance;

Tolerance tolerance_defaults(void);

typedef struct SeriesResult {
    char name[48];
    SeriesClass cls;
    size_t points;       /* rows used */
    double slope;        /* bytes per iteration (Theil-Sen), after warm-up */
    double growth;       /* bytes gained after warm-up (see above); exact series: last - first */
    double first, last, min, max;
    int growing;
    int judged;          /* 0: measured and shown, but not part of the verdict (see analyze_run) */
} SeriesResult;

#define ANALYSIS_MAX_SERIES 32

typedef struct RunAnalysis {
    SeriesResult series[ANALYSIS_MAX_SERIES];
    int n_series;
    int n_judged;       /* series that take part in the verdict */
    int growing;        /* any series growing */
    int worst;          /* the growing series that decides (the most exact class: exact, then
                           allocator, then resident; then the largest slope), else rss, else -1 */
    double peak_rss;    /* max proc.rss_bytes sampled (NAN if none) */
    uint64_t last_iter; /* iteration of the last row */
} RunAnalysis;

SeriesClass series_class(const char *name);

/* Theil-Sen slope of y against x (n points; NAN values skipped): the median of the
 * pairwise slopes. 0 for fewer than two points. */
double theil_sen(const double *x, const double *y, size_t n);

/* Analyses a run's samples. iterations: how many the run was asked to do. judge_rss 0
 * leaves the resident series out of the verdict (ASan: its quarantine keeps up to 256 MiB
 * of freed blocks, so RSS rises with every malloc/free until it is full; ASan's own count
 * of live bytes, malloc.in_use_bytes, is judged instead). */
void analyze_run(const Samples *s, uint64_t iterations, const Tolerance *t, int judge_rss, RunAnalysis *out);

#endif
