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
 * Its rate: the Theil-Sen slope of what it held in each half (the lowest floor of that half
 * and every later one) against where; its growth is decided when the rise that slope
 * explains over the run exceeds the range of those held floors about it: a one-off step
 * with a creep of a few hundred bytes after it is steady but not decided (the soak runs
 * it longer, else calls it INCONCLUSIVE: rules.h).
 * Sensitivity: each judged byte series states the smallest steady growth it would have
 * been judged growing at (bytes per iteration): for a sampled series, the range of its
 * halves' floors about their fitted line plus its granularity, over the iterations of a
 * half; for an exact one, a byte over the run. A run's is its judged series' smallest
 * (RunAnalysis.sensitive), a series of the whole process before the engine's own counts;
 * docs/soak.md, "Sensitivity".
 * Warm-up: rows of iterations below warmup_frac * iterations (and row 1) are left out. */
#ifndef HARNESS_ANALYSIS_H
#define HARNESS_ANALYSIS_H

#include "evidence.h"

#include <stddef.h>
#include <stdint.h>

#include "samples.h"

SeriesClass series_class(const char *name);

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
