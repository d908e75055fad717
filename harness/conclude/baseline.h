/* baseline.h - comparing a soak with a saved one (make baseline, soak --baseline FILE).
 *
 * A baseline is a summary.json (summary_load checks its format). Each run of this soak is
 * matched with the run of the same mode, count, resume and fault there; a match may not be
 * worse than the stated percentages in peak memory or time per iteration. The comparison
 * records how many runs matched and which had no counterpart (BaselineCompare, in
 * summary.h); verdict.c fails the soak on a regression.
 *
 *     json_t *b = summary_load(path, err, n);
 *     baseline_compare(b, res);        // fills res->base
 *     ...
 *     json_decref(b);
 */
#ifndef HARNESS_BASELINE_H
#define HARNESS_BASELINE_H

#include <jansson.h>

#include "result.h"

/* The baseline's run of the same mode, count, resume and fault as r, or NULL (borrowed). */
json_t *baseline_find(json_t *baseline, const Run *r);

/* Fills res->base (path, percentages set by the caller) from the runs of res. */
void baseline_compare(json_t *baseline, SoakResult *res);

/* How many of runs[0..n) the baseline has a counterpart for. */
int baseline_shared(json_t *baseline, const Run *runs, int n);

/* Checks that a summary may become the baseline: complete, PASS, or force given. 0, or -1
 * with the reason in err. */
int baseline_acceptable(json_t *summary, const char *path, int force, char *err, size_t errlen);

#endif
