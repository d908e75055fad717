/* rules.h - what the soak concludes from its judged runs and sweeps: how they fail, the
 * detection matrix's cells, leaks that grow against leaks made once, growth that stops,
 * the overall verdict and the exit status. The concluding stage's rules (conclude:
 * conclude.h's soak_conclude applies them); a run's own verdict is judged earlier
 * (verdict.h). Writes into the runs only what they conclude (kind, one_time_leak,
 * settled_by, verdict FLAT for a growth that stops). */
#ifndef HARNESS_RULES_H
#define HARNESS_RULES_H

#include "cells.h"

struct Run;
struct SoakResult;

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
 * settled_by the longer run's count. Exact series never settle. Then a GROWING run whose
 * growth did not stand out of its scatter (RunAnalysis.undecided) stays GROWING when the
 * longest judged run of its mode and fault (a larger count) grows beyond its own scatter
 * (confirmed_by), and is INCONCLUSIVE otherwise. Run before verdict_leaks and the sweeps. */
void verdict_settle(struct SoakResult *res);

/* Words no stronger than the evidence: a heap growth is reachable-growth only where a leak
 * checker ran to the program's end in a run of its build (lsan, valgrind, asan: a run that
 * finished, was not blind and was not ended by a signal, before which no leak check runs)
 * and so could have called it a leak; otherwise its runs' kind is heap-growth. Run after
 * verdict_leaks. */
void verdict_unchecked_heap(struct SoakResult *res);

/* 1 when mode m ran and every run of it was too short to judge (UNJUDGED). */
int verdict_mode_unjudged(const struct SoakResult *res, Mode m);

/* Each control run (plan_controls), what was planted being its bytes times the plantings
 * the probe counted (control.csv) over its iterations: caught when its mode saw the planted growth where it
 * was planted at its rate within 25% (a mode that judges memory: GROWING, and with heap
 * profiles the stack flatmem_control_keep; a leak-checking mode: a leak report through
 * flatmem_control_lose), with how (control_why); otherwise the mode is blind, and why. */
void verdict_controls(struct SoakResult *res);

/* PASS when no run, sweep or baseline comparison fails and no run is INCONCLUSIVE;
 * INCOMPLETE when the soak was interrupted, a run did not run or was blind, a control was
 * missed, or a mode that judges memory had no run long enough to judge; FAIL when something fails; else
 * INCONCLUSIVE. Exit status (verdict_exit_status): PASS 0, FAIL and INCOMPLETE 1, INCONCLUSIVE 3. */
Overall verdict_overall(const struct SoakResult *res);

/* The soak's exit status for an overall verdict: 0 PASS, 1 otherwise. */
int verdict_exit_status(Overall o);

#endif
