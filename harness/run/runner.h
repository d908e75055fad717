/* runner.h - running the planned runs (plan.h): each started as its mode wraps it
 * (target.h: preloads, tool prefix, environment), up to --jobs at once, watched by a
 * watchdog (memory budget, time limit), sampled when it is a program of one's own
 * (cmdrun.h), its progress shown (progress.h), and recorded when it ends (spawn.h writes
 * run.txt: the running stage's record, facts.h). Judging is not the runner's: it calls
 * the caller's `ended` for each run that ends, as it ends.
 *
 *     Runner rn = {&o, &g_stop, judge_one, &o.tol};
 *     runner_all(&rn, runs, n);   (after a signal: what still ran is stopped, recorded)
 */
#ifndef HARNESS_RUNNER_H
#define HARNESS_RUNNER_H

#include <signal.h>

#include "options.h"
#include "runs.h"

typedef struct Runner {
    const Options *o;
    volatile sig_atomic_t *stop; /* set (to the signal) when the soak must stop */
    void (*ended)(Run *r, void *ctx); /* a run ended and was recorded */
    void *ctx;
} Runner;

/* OUT/resume-from.ckpt, the checkpoint resumed runs start from: the native build trains
 * the workload WORKLOAD_RESUME_FROM iterations. 0, or -1 after a message. */
int runner_prepare_resume(const Options *o, const char *out);

/* Starts and watches the runs (in their order) until all have ended or *stop is set; then
 * the runs still running are stopped and recorded as interrupted. A run that cannot be
 * started ends at once, its verdict verdict_unstarted(). */
void runner_all(const Runner *rn, Run *runs, int n);

/* Runs r (alone) to its end, with rn->o's options. 0, or -1 when it could not be started
 * or *stop was set meanwhile. */
int runner_one(const Runner *rn, Run *r);

#endif
