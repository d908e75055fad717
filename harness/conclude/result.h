/* result.h - the concluded soak: one read-only value that every renderer reads.
 *
 * The stages hand it on like this: the plan (options.h, plan.h) lists the runs; the runner
 * (runner.h) runs each and records it (run.txt, facts.h); judging (judge.h) gives each Run
 * its verdict, kind, series and attribution; concluding (conclude.h) fills in everything
 * else below: the sweeps, the detection matrix, each run's fails / skipped / expected, the
 * diagnosis, the overall verdict and the exit status. After soak_conclude nothing changes
 * it: summary.json, junit.xml, run.json, the page, the console, summary.md and the GitHub
 * annotations print its fields and decide nothing. */
#ifndef HARNESS_RESULT_H
#define HARNESS_RESULT_H

#include <jansson.h>

#include "cells.h"
#include "env.h"
#include "problems.h"
#include "runs.h"

typedef struct Sweep {
    Mode mode;
    char fault[32];
    int points;
    double slope; /* peak RSS bytes per iteration across the counts (Theil-Sen) */
    double growth; /* slope * (largest count - smallest) */
    int growing;
    int fails; /* it counts against the overall verdict (soak_conclude) */
    int judged; /* 0: shown only, for the reason in why_not_judged */
    char why_not_judged[96]; /* "" when judged */
} Sweep;

#define SOAK_MAX_CELLS (MODE_COUNT * 16)

/* A comparison with a saved summary.json (baseline.c fills it in). */
typedef struct BaselineCompare {
    const char *path; /* NULL: no baseline */
    json_t *doc; /* its summary (borrowed: alive until the soak is rendered) */
    double peak_pct; /* allowed rise of peak memory, percent (10) */
    double time_pct; /* allowed rise of time per iteration, percent (25) */
    int matched; /* runs of this soak with a counterpart in the baseline */
    int n_unmatched; /* runs without one */
    char unmatched[16][96]; /* the first of them, by name */
    int n_regressions;
    char regressions[32][200];
} BaselineCompare;

typedef struct SoakResult {
    Run *runs;
    int n_runs;
    Run *controls; /* the control runs (plan_controls), apart: no other stage sees them */
    int n_controls;
    Sweep sweeps[SOAK_MAX_CELLS];
    int n_sweeps;
    Cell cells[SOAK_MAX_CELLS]; /* the detection matrix, when a fault build ran */
    int n_cells;
    Overall overall;
    int exit_status; /* the soak's: 0 PASS, 1 otherwise (soak_conclude) */
    /* the FLAT run of the program (no fault build) in a mode that judges memory whose
     * sensitivity is the smallest (analysis.h): what a PASS can say was not there; NULL
     * when none */
    const Run *sensitive;
    unsigned unjudged_modes; /* bit (1 << Mode): modes none of whose runs could be judged */
    int interrupted;
    int expect_faults; /* make faults: fault builds judged by the detection matrix */
    int strict_leaks; /* a one-time leak fails too */
    double wall_s;
    char config[32]; /* the workload */
    char command[512]; /* a program of one's own: its --cmd template ("" for the workload) */
    long shard_k, shard_n; /* a shard's slice of the matrix (n 0: the whole, or merged) */
    char shard_source[16]; /* where --shard came from: "option", "FLATMEM_SHARD", "slurm", ... */
    Tolerance tol;
    SoakEnv env;
    BaselineCompare base;
    Diagnosis diag; /* one entry per distinct problem (diagnosis.h) */
    int annotate; /* GitHub annotations and step summary (ci.h) */
} SoakResult;

#endif
