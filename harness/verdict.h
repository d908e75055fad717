/* verdict.h - the one place the soak decides anything.
 *
 * Decides: whether a memory series grows, a run's verdict (the ladder), whether a sweep
 * grows, what each fault build must give in each mode (the detection matrix of
 * docs/faults.md), a detection-matrix cell, whether a run counts as a failure or was
 * skipped, and the overall verdict.
 * Reads: figures other modules measured (analysis.c: growth of each series; runs.c: how a
 * process ended and the tool's first report; summary.c: sweeps and the baseline
 * comparison). Writes nothing: summary.json, junit.xml, the console table and the HTML
 * page only render what is decided here.
 *
 *     RunEvidence e = {...};              // from the run's files
 *     RunCause why;
 *     r->verdict = verdict_run(&e, &why); // runs.c then words `why` into r->detail
 *     ...
 *     res->overall = verdict_overall(res);
 */
#ifndef HARNESS_VERDICT_H
#define HARNESS_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "kinds.h"
#include "modes.h"

struct Run;
struct SoakResult;

/* In order of severity: the worst verdict of a cell is the largest. */
/* UNJUDGED: the run ended well, but too soon for its memory series to say anything
 * (too few samples after warm-up): neither flat nor growing, and not a failure. */
typedef enum Verdict {
    V_FLAT,
    V_UNJUDGED,
    V_GROWING,
    V_ERROR,
    V_CRASHED,
    V_TIMEOUT,
    V_OVER_BUDGET,
    V_NOT_RUN,
    V_COUNT
} Verdict;

typedef enum Overall { OVERALL_PASS, OVERALL_FAIL, OVERALL_INCOMPLETE } Overall;

/* Why the driver stopped a run, if it did. */
typedef enum Kill { KILL_NONE, KILL_BUDGET, KILL_TIMEOUT, KILL_INTERRUPT } Kill;

const char *verdict_name(Verdict v);
const char *overall_name(Overall o);

/* ---- series and sweeps ------------------------------------------------------------------ */

/* Whether a run is a point of its sweep: FLAT, trained from scratch (a resumed run did
 * fewer iterations than its count says), with a peak reading. */
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
} RunEvidence;

/* Which rung of the ladder decided: what runs.c puts into words. */
typedef enum RunCause {
    CAUSE_BUDGET,
    CAUSE_TIMEOUT,
    CAUSE_INTERRUPT,
    CAUSE_FINDING,
    CAUSE_SIGNAL,
    CAUSE_EXIT,
    CAUSE_NO_SAMPLES,
    CAUSE_BAD_SAMPLES,
    CAUSE_SHORT,
    CAUSE_UNJUDGED,
    CAUSE_GROWING,
    CAUSE_FLAT
} RunCause;

/* OVER_BUDGET, TIMEOUT, NOT_RUN (interrupted), ERROR (a tool report), CRASHED (a signal,
 * a non-zero exit, no or damaged samples, samples that stop early), UNJUDGED (a mode that
 * judges memory, and no series could be judged: too few rows after warm-up, or a --cmd
 * program that ended before a sample after its warm-up), GROWING, FLAT: the first that applies, in
 * that order (docs/soak.md). */
Verdict verdict_run(const RunEvidence *e, RunCause *cause);

/* The verdict of a run that could not be started (CRASHED). */
Verdict verdict_unstarted(void);

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
 *                         the program holds is flat
 *   non-heap-growth       RSS grows while the heap, measured, is flat: mmap, stacks
 *   unexplained-growth    RSS grows and no heap figure was measured to tell which
 *   crash, timeout, over-budget  as the verdicts */
Kind verdict_kind(const struct Run *r);

/* ---- faults and the detection matrix ---------------------------------------------------- */

/* The fault builds, "none" (the clean build) first: 0 <= i < fault_count(). */
int fault_count(void);
const char *fault_name(int i);

/* 1 when name is a fault build the Makefile knows. */
int fault_known(const char *name);

/* The verdict docs/faults.md requires of fault in mode m, or V_NOT_RUN when none is. */
Verdict verdict_required(const char *fault, Mode m);

/* One cell of the detection matrix: every run of one fault in one mode. */
typedef struct Cell {
    const char *fault;
    Mode mode;
    Verdict worst; /* the worst verdict of its runs */
    Verdict required; /* V_NOT_RUN: nothing is required */
    int caught; /* every run gave the required verdict (1 when none is) */
    int missed; /* required and not caught (verdict_cell_missed) */
    const struct Run *example; /* the run whose verdict is `worst` */
} Cell;

/* The cell of fault x mode over runs[0..n); example is NULL when no run is in it. */
Cell verdict_cell(const struct Run *runs, int n, const char *fault, Mode m);

/* ---- failures and the overall verdict -------------------------------------------------- */

/* A run that was not run (interrupted) is skipped, neither passed nor failed. */
int verdict_run_skipped(const struct Run *r);

/* A run that says nothing of memory: skipped, or UNJUDGED (too short). junit.xml lists it
 * as skipped, with the reason. */
int verdict_run_unreported(const struct Run *r);

/* Whether a run fails the soak. Normally anything but FLAT fails; with expect_faults
 * (make faults) a fault build's run fails when it did not give the verdict its cell
 * requires, and passes otherwise. */
int verdict_run_fails(const struct Run *r, int expect_faults);

/* The verdict a run should have given: FLAT, or under expect_faults its cell's requirement. */
Verdict verdict_expected(const struct Run *r, int expect_faults);

/* A required cell whose runs did not all give the required verdict. */
int verdict_cell_missed(const Cell *c);

/* Whether a sweep fails the soak (with expect_faults, only the clean build's sweeps). */
int verdict_sweep_fails(const char *fault, int growing, int expect_faults);

/* Leaks that grow against leaks that do not (docs/soak.md, "Leaks"): for each mode and
 * fault, the leak reports of the runs trained from scratch are compared across counts by
 * what scales, the objects leaked (bytes when the tool gives no count), a run of a
 * leak-checking mode without a report counting as none. The leak grows when the largest
 * count leaked at least two objects more than the smallest and no larger count leaked
 * fewer than a smaller one; then every leaking run is a per-iteration leak. Otherwise each
 * is one_time_leak, kind "one-time-leak", and fails the soak only with strict_leaks. With
 * a single count nothing can be told: the leak fails. A resumed run's leak that the fresh
 * runs of its mode do not have (or have once) was made on the way in: one-time. */
void verdict_leaks(struct SoakResult *res);

/* Growth that stops (docs/soak.md, "Growth that stops"): a GROWING run whose growing
 * series are all sampled ones (allocator, resident) that are judged and flat in the longest
 * judged run of its mode and fault (a larger count, after its own warm-up): what it saw
 * was a warm-up longer than its own, or a cache filling up. It becomes FLAT, with
 * settled_by the longer run's count. Exact series never settle. Run before verdict_leaks
 * and the sweeps. */
void verdict_settle(struct SoakResult *res);

/* 1 when mode m ran and every run of it was too short to judge (UNJUDGED). */
int verdict_mode_unjudged(const struct SoakResult *res, Mode m);

/* PASS when no run, sweep or baseline comparison fails; INCOMPLETE when the soak was
 * interrupted, a run did not run, or a mode that judges memory had no run long enough to
 * judge; otherwise FAIL. */
Overall verdict_overall(const struct SoakResult *res);

/* The soak's exit status for an overall verdict: 0 PASS, 1 otherwise. */
int verdict_exit_status(Overall o);

#endif
