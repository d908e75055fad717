/* verdict.h - how a run is judged: the ladder from the evidence of its files to its
 * verdict, the kind of problem it shows, and whether the sweep of its mode grows. The
 * judging stage's rules; what the soak concludes from all its runs is rules.h's.
 * Reads: figures other modules measured (analysis.h: each series; findings.h: the tool's
 * first report). Writes nothing.
 *
 *     RunEvidence e = {...};              // from the run's files
 *     RunCause why;
 *     r->verdict = verdict_run(&e, &why); // judge.c then words `why` into r->detail
 */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "kinds.h"
#include "modes.h"
#include "verdicts.h"

struct Run;

/* ---- sweeps --------------------------------------------------------------------------- */

/* Whether a run is a point of its sweep: FLAT, trained from scratch (a resumed run did
 * fewer iterations than its count says), with a peak reading, one of the counts asked for
 * (a run the soak added to decide another ran alone, after the others: its peak is not
 * comparable). */
int verdict_in_sweep(const struct Run *r);

/* Whether a sweep (peak RSS of a mode's FLAT runs, x[i] the counts in order, y[i] the
 * peaks, slope their Theil-Sen fit) grows: in a mode that judges RSS, with at least
 * VERDICT_SWEEP_MIN_COUNTS counts, the peak rises by at least a page from each count to
 * the next, and still rises between the two largest counts at half the fitted rate or
 * more. A peak that rises and then stops (pages a longer run touches once) is flat; with
 * two counts a rise cannot be told from that: the sweep is shown, not judged. */
#define VERDICT_SWEEP_MIN_COUNTS 3
int verdict_sweep_grows(Mode m, const double *x, const double *y, int n, double slope, const Tolerance *t);

/* ---- a run: the ladder ---------------------------------------------------------------- */

typedef struct RunEvidence {
    Kill killed;
    int has_finding; /* the tool's log holds a report */
    int signal; /* the signal that ended it, or 0 */
    int exit_code;
    int have_samples; /* samples.csv could be read */
    int n_series; /* series it holds */
    size_t bad_rows; /* rows that could not be read */
    uint64_t iter_reached; /* the last sampled iteration */
    long iters; /* the iterations asked for */
    int growing; /* a judged series grows */
    int n_judged; /* series that could be judged */
    int n_short; /* series that would be judged but had too few rows */
    size_t rows; /* rows of samples.csv */
    int is_cmd; /* a program of the user's (--cmd), sampled from outside */
    int judges_memory; /* the mode judges memory series (modes.h) */
    /* a service (service.h) */
    int not_ready; /* it never became ready */
    int server_exited; /* it ended on its own before its load had finished */
    int load_failed; /* its load exited non-zero or was killed */
    int blind; /* a program of the user's in a mode that preloads its tool, and the soak's
                  probe (preloaded with it) never started in it: the tool did not either */
} RunEvidence;

/* Which rung of the ladder decided: RunCause (verdicts.h). */

/* OVER_BUDGET, TIMEOUT, NOT_RUN (interrupted), ERROR (a tool report), CRASHED (a service
 * that never became ready or ended under its load, a signal, a non-zero exit, no or
 * damaged samples, samples that stop early), LOAD_FAILED (a service's load failed),
 * UNJUDGED (blind: the
 * mode's preloaded tool never reached the program; or a mode that
 * judges memory, and no series could be judged: too few rows after warm-up, or a --cmd
 * program that ended before a sample after its warm-up), GROWING, FLAT: the first that applies, in
 * that order (docs/soak.md). */
Verdict verdict_run(const RunEvidence *e, RunCause *cause);

/* The kind of problem a run shows (kinds.h), from its verdict, its tool report and which
 * of its series grew (KIND_NONE for FLAT, UNJUDGED or NOT_RUN):
 *   leak                  a tool reports unreachable memory (LSan, memcheck definite)
 *   invalid-access        another tool report (use after free/reset/return, overflow)
 *   crash                 a tool's report of a deadly signal ("SEGV on unknown address"),
 *                         as a crash without one
 *   undefined-behavior    UBSan
 *   tape-or-arena-growth  the engine's tape or arena grows
 *   reachable-growth      the heap grows (engine heap, malloc in use, jemalloc allocated)
 *                         with no leak report: memory still pointed to
 *   allocator-retention   the allocator keeps more pages (jemalloc's active) while what
 *                         the program holds is flat (finely enough measured, as below)
 *   non-heap-growth       RSS grows while the heap, measured, is flat, finely enough to
 *                         have seen half that growth: mmap, stacks
 *   unexplained-growth    RSS grows and no heap figure was measured finely enough to
 *                         tell which
 *   crash, timeout, over-budget  as the verdicts */
Kind verdict_kind(const struct Run *r);

#endif
