/* progress.h - what a person watching a soak sees while it runs: on a terminal a live line
 * (runs done, the run in progress and its iteration, elapsed time, an estimate of the time
 * left) that each finished run's line replaces; elsewhere one line per finished run. */
#ifndef HARNESS_PROGRESS_H
#define HARNESS_PROGRESS_H

#include "runs.h"

typedef struct Progress {
    int tty; /* stderr is a terminal */
    int total, done;
    double t0, last_draw;
    double (*expected_s)(const Run *r, void *ctx); /* a run's expected seconds */
    void *ctx;
    int jobs;
} Progress;

void progress_start(Progress *p, int total, int jobs, double (*expected_s)(const Run *, void *), void *ctx);

/* One line for a run that has finished. */
void progress_finished(Progress *p, const Run *r);

/* Redraws the live line (at most twice a second; nothing when not a terminal). */
void progress_tick(Progress *p, const Run *runs, int n);

#endif
