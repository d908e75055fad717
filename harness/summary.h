/* summary.h - the soak's verdict over all runs: sweeps (peak memory against iteration
 * count, per mode and fault), overall PASS/FAIL/INCOMPLETE, summary.json and junit.xml. */
#ifndef HARNESS_SUMMARY_H
#define HARNESS_SUMMARY_H

#include "runs.h"

typedef enum Overall { OVERALL_PASS, OVERALL_FAIL, OVERALL_INCOMPLETE } Overall;

typedef struct Sweep {
    Mode mode;
    char fault[32];
    int points;
    double slope;  /* peak RSS bytes per iteration across the counts (Theil-Sen) */
    double growth; /* slope * (largest count - smallest) */
    int growing;
    int judged;    /* 0: shown only (mode_judges_rss) */
} Sweep;

typedef struct SoakResult {
    Run *runs;
    int n_runs;
    Sweep sweeps[MODE_COUNT * 16];
    int n_sweeps;
    Overall overall;
    int interrupted;
    double wall_s;
    const char *config;
    Tolerance tol;
    /* optional comparison with a saved summary.json */
    const char *baseline_json; /* its text, or NULL */
    double baseline_peak_pct;  /* allowed rise of peak memory, percent (10) */
    double baseline_time_pct;  /* allowed rise of time per iteration, percent (25) */
    int n_regressions;
    char regressions[32][200];
    /* with expect_faults, fault runs pass when caught as docs/faults.md requires */
    int expect_faults;
    int n_missed;
    char missed[64][160];
} SoakResult;

/* The verdict docs/faults.md requires of a fault in a mode, or V_NOT_RUN when none is. */
Verdict fault_expected(const char *fault, Mode mode);

const char *overall_name(Overall o);

/* Computes the sweeps, the comparison with the baseline (if any) and the overall verdict
 * from evaluated runs. */
void soak_conclude(SoakResult *res);

/* Writes OUT/summary.json and OUT/junit.xml atomically. 0, or -1 with a message in err. */
int soak_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen);

#endif
