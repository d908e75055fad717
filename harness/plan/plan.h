/* plan.h - planning a soak: from the options (options.h) to the matrix of runs, each a Run
 * named, placed (OUT/runs/NAME) and "not started", in the order they should start.
 *
 * The canonical matrix is fault x mode x count (fresh counts, then resumed ones); --shard
 * K/N keeps every Nth run of it. The runner (runner.h) starts them longest first, so the
 * long pole of the soak starts at once. */
#ifndef HARNESS_PLAN_H
#define HARNESS_PLAN_H

#include "options.h"
#include "runs.h"

/* The most runs a soak may plan: every count, fresh and resumed, of every mode and fault. */
#define PLAN_MAX_RUNS (2 * MAX_ITERS * MODE_COUNT * MAX_FAULTS)

/* The runs of this soak (of its shard), into runs (PLAN_MAX_RUNS of room), in the
 * canonical order. Returns how many, or -1 after a message. */
int plan_runs(const Options *o, const char *out, Run *runs);

/* Decide, or run longer (docs/soak.md, "Decide, or run longer"): for each mode and fault
 * whose largest fresh run ended UNJUDGED with no judged run beside it, GROWING but not
 * beyond the scatter of its floors (RunAnalysis.undecided), or FLAT with a sensitivity
 * coarser than --sensitivity, one run at twice that count, unless o->longer such runs of
 * it ran already, or twice its time would pass --timeout (a note says so). Into
 * runs[n..n+room); how many were added. Not in a shard: its merge decides. */
int plan_longer(const Options *o, const char *out, Run *runs, int n, int room);

/* The controls of a --cmd soak (docs/soak.md, "Controls"; not with --no-control, in a
 * shard or with --attach): per mode that preloads the soak's probe, one run of the
 * count of its fresh runs (runs[0..n), already judged: the smallest judged one that took a
 * second or more, else the longest judged one) into which the probe plants a known
 * growth: in a mode that judges memory, kept blocks of about four times that
 * run's sensitivity a step (a power of two, 256 bytes to 1 MiB); in a leak-checking mode,
 * 256 bytes lost a step. At each step mark when the program marks its steps, else every 2
 * ms at the rate that run went (a power of two each time). Into ctl[0..room); how many. */
int plan_controls(const Options *o, const char *out, const Run *runs, int n, Run *ctl, int room);

/* A control too short to judge (UNJUDGED, not blind), again at twice its count into *again;
 * c is then superseded (its control field 2: no verdict of its own). 0, or -1. */
int plan_control_longer(const Options *o, const char *out, Run *c, Run *again);

/* The smallest fresh run of each mode moved to the front of runs[0..n), to run first, so
 * that the others' time limits and the soak's cost come from the program's own pace
 * (plan_pace), not an assumed one (a program of one's own; the built-in one in a slower
 * build: the coverage build's 10000 passed its assumed limit). How many (0: none, or they
 * are the whole matrix). */
int plan_pilots(const Options *o, Run *runs, int n);

/* Each of rest[0..n)'s expected time from its mode's pilot among pilots[0..k) that
 * finished (its time per step, start-up included: an upper bound), and the soak's cost
 * printed before they start ("at most about 14 min, 2 at a time (valgrind-10000 is 9 min
 * of it)"); with --timeout, a run three times past it is not started (CAUSE_WONT_FIT).
 * Returns how many were not. */
int plan_pace(const Options *o, const Run *pilots, int k, Run *rest, int n);

/* Orders the runs to start: longest first (the long pole of the soak starts at once). */
void plan_longest_first(const Options *o, Run *runs, int n);

/* How long the run should take, in seconds: the workload's time per iteration in its mode
 * times the iterations it trains (the progress line's estimate and the watchdog's limit). */
double plan_expected_s(const Options *o, const Run *r);

#endif
