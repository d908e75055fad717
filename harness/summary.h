/* summary.h - the soak's result over all its runs: the sweeps (peak memory against the
 * iteration count, per mode and fault), the detection matrix, the comparison with a
 * baseline and the overall verdict; and summary.json, the file that records it all.
 *
 * soak_conclude fills in what verdict.c decides; soak_write renders it into
 * OUT/summary.json (and junit.xml, junit.h). summary_load reads a summary.json back (for
 * a baseline, a merge, a report), refusing one of another format version. */
#ifndef HARNESS_SUMMARY_H
#define HARNESS_SUMMARY_H

#include <jansson.h>

#include "diagnosis.h"
#include "env.h"
#include "rules.h"
#include "runs.h"

/* summary.json's "format_version": raised whenever a key changes meaning or goes away. */
#define SUMMARY_FORMAT_VERSION 3

typedef struct Sweep {
    Mode mode;
    char fault[32];
    int points;
    double slope; /* peak RSS bytes per iteration across the counts (Theil-Sen) */
    double growth; /* slope * (largest count - smallest) */
    int growing;
    int fails; /* it counts against the overall verdict (soak_conclude) */
    int judged; /* 0: shown only (its mode judges no memory, modes.h; fewer than VERDICT_SWEEP_MIN_COUNTS
                   counts) */
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
    Sweep sweeps[SOAK_MAX_CELLS];
    int n_sweeps;
    Cell cells[SOAK_MAX_CELLS]; /* the detection matrix, when a fault build ran */
    int n_cells;
    Overall overall;
    int exit_status; /* the soak's: 0 PASS, 1 otherwise (soak_conclude) */
    unsigned unjudged_modes; /* bit (1 << Mode): modes none of whose runs could be judged */
    int interrupted;
    int expect_faults; /* make faults: fault builds judged by the detection matrix */
    int strict_leaks; /* a one-time leak fails too */
    double wall_s;
    char config[32]; /* the workload */
    Tolerance tol;
    SoakEnv env;
    BaselineCompare base;
    Diagnosis diag; /* one entry per distinct problem (diagnosis.h) */
    int annotate; /* GitHub annotations and step summary (ci.h) */
} SoakResult;

/* Computes the sweeps and the detection matrix, then the overall verdict (verdict.c) and
 * the diagnosis. The baseline comparison, if any, must be filled in before (and
 * res->diag.first_bad, when a bisect result is at hand). */
void soak_conclude(SoakResult *res);

/* Writes OUT/summary.json and OUT/junit.xml (temporary files, then renamed). 0, or -1
 * with a message in err. */
int soak_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen);

/* Reads a summary.json. NULL with a message in err (naming the file) when it cannot be
 * read, is not JSON, or was written by another format version. The caller json_decrefs. */
json_t *summary_load(const char *path, char *err, size_t errlen);

#endif
