/* par.h - the engine's own fork-join threads, so both cores work on one step.
 *
 * One process-wide pool of par_threads() threads: the caller plus workers started once by
 * par_init (never during a step: a step's memory contract stays "no allocation"). par_for
 * cuts [0, n) into one contiguous range per thread, runs them at once and returns when all
 * are done. The cut depends only on n and the thread count, so results are reproducible
 * for a given --threads. A par_for inside a running range runs serially (no nesting).
 * par_for is called by one thread at a time: the program's (the engine has no other).
 *
 * Workers spin briefly after a job (ops follow each other within microseconds), then sleep
 * on a condition variable: an idle pool costs nothing. OpenBLAS is kept to one thread by
 * the program so that its threads and these never fight over the two cores. */
#ifndef ENGINE_PAR_H
#define ENGINE_PAR_H

#include "common.h"

#define PAR_MAX_THREADS 16

/* fn runs range [lo, hi) of the work; tid (0 .. par_threads()-1) tells the ranges apart,
 * e.g. to pick a per-thread scratch buffer. */
typedef void (*ParFn)(void *ctx, long lo, long hi, int tid);

/* Starts the pool with n threads in all (1: no workers; clamped to PAR_MAX_THREADS).
 * Calling it again stops the old pool first. ENG_ENOMEM when a thread cannot be created
 * (the pool then runs serially). */
EngErr par_init(int n);

/* Stops the workers (par_for then runs serially). */
void par_shutdown(void);

/* Threads a par_for uses: 1 without a pool, and inside a running range. */
int par_threads(void);

/* Runs fn over [0, n) cut into par_threads() ranges; serially when n < 2 * grain. */
void par_for(long n, long grain, ParFn fn, void *ctx);

/* memset(p, 0, bytes), spread over the threads when large. */
void par_zero(void *p, size_t bytes);

#endif
