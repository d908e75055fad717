/* analysis.h - what each memory series of a run did after warm-up (docs/soak.md, "Verdicts").
 *
 * Series come in three classes, by how exact the figure is (docs/soak.md has the table):
 *   exact (arena.*, tape.*, mem.*, persistent.*, tensors.*): the engine counts them at the
 *     end of a step; judged from the first row (the end of iteration 1): any change grows;
 *   allocator (malloc.in_use_bytes, jemalloc.allocated): exact counts of the bytes the
 *     allocator has handed out (its thread caches are off in the soak's runs), but sampled
 *     at any moment of a --cmd program's step, so blocks in use for a moment add to them;
 *   resident (proc.rss_bytes, proc.pss_bytes, jemalloc.active/resident): pages, moved by
 *     whatever the kernel and the allocator do, granularity one page.
 * A sampled series (allocator, resident) is cut after warm-up into ANALYSIS_SEGMENTS spans
 * of iterations, each in two halves, and each one's lowest value taken (its floor: what the
 * program held between its transients). It grows when the floors never go down from one
 * half to the next and rise by the series' granularity (a byte, a page) or more at all
 * but one of those seven steps: growth that goes on through the whole run. One step, a few
 * pages touched for the first time at odd moments, a warm-up that ends late, a cache that
 * fills and stops, noise: not steady. No band
 * of bytes per run: a steady growth of any size grows, however short the run. A sampled
 * series with fewer than ANALYSIS_MIN_POINTS rows in a span is too short to judge (judged
 * 0, short_run 1).
 * Warm-up: rows of iterations below warmup_frac * iterations (and row 1) are left out. */
#ifndef HARNESS_ANALYSIS_H
#define HARNESS_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "samples.h"

typedef enum SeriesClass { SERIES_EXACT, SERIES_ALLOC, SERIES_RSS, SERIES_IGNORED } SeriesClass;

/* How runs are judged (soak options). */
typedef struct Tolerance {
    double warmup_frac; /* fraction of the iterations treated as warm-up (default 0.1) */
    double page_bytes; /* the granularity of resident series: one page */
} Tolerance;

#define ANALYSIS_SEGMENTS 4 /* spans a sampled series is cut into after warm-up */
#define ANALYSIS_MIN_POINTS 3 /* rows a span needs for its floor to mean anything */

Tolerance tolerance_defaults(void);

typedef struct SeriesResult {
    char name[48];
    SeriesClass cls;
    size_t points; /* rows used */
    double slope; /* bytes more per iteration: exact series (last - first) over the
                     iterations between them; sampled ones, from the first floor to the last */
    double growth; /* bytes gained: exact series last - first; sampled ones the last floor
                      minus the first */
    double first, last, min, max;
    double floors[ANALYSIS_SEGMENTS]; /* sampled series: each span's lowest value */
    double floor_iter[ANALYSIS_SEGMENTS]; /* and the iteration it was read at */
    double halves[2 * ANALYSIS_SEGMENTS]; /* each half span's lowest value (INFINITY: no row) */
    double half_iter[2 * ANALYSIS_SEGMENTS];
    int steady; /* sampled series: every floor above the one before (see above) */
    int short_run; /* sampled series: too few rows in a span to judge */
    int growing;
    int judged; /* 0: measured and shown, but not part of the verdict (see analyze_run) */
} SeriesResult;

#define ANALYSIS_MAX_SERIES 32

typedef struct RunAnalysis {
    SeriesResult series[ANALYSIS_MAX_SERIES];
    int n_series;
    int n_judged; /* series that take part in the verdict */
    int n_short; /* sampled series left unjudged: too few rows after warm-up */
    size_t min_rows; /* the fewest rows after warm-up of those (for the reason) */
    int growing; /* any series growing */
    int worst; /* the growing series that decides (the most exact class: exact, then
                  allocator, then resident; then the largest slope), else rss, else -1 */
    double peak_rss; /* max proc.rss_bytes sampled (NAN if none) */
    uint64_t last_iter; /* iteration of the last row */
} RunAnalysis;

SeriesClass series_class(const char *name);

/* "exact", "allocator", "resident", "ignored": how run.json names a class. */
const char *series_class_name(SeriesClass c);

/* The rows after warm-up a sampled series needs to be judged. */
#define ANALYSIS_MIN_ROWS (ANALYSIS_SEGMENTS * ANALYSIS_MIN_POINTS)

/* Theil-Sen slope of y against x (n points; NAN values skipped): the median of the
 * pairwise slopes. 0 for fewer than two points. */
double theil_sen(const double *x, const double *y, size_t n);

/* Analyses a run's samples. iterations: how many the run was asked to do. judge_rss 0
 * leaves the resident series out of the verdict (ASan: its quarantine keeps up to 256 MiB
 * of freed blocks, so RSS rises with every malloc/free until it is full; ASan's own count
 * of live bytes, malloc.in_use_bytes, is judged instead). */
void analyze_run(const Samples *s, uint64_t iterations, const Tolerance *t, int judge_rss, RunAnalysis *out);

#endif
