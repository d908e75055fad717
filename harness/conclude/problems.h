/* problems.h - the diagnosis as data: one Problem per distinct problem the soak found,
 * what SoakResult (result.h) holds and renderers print. diagnosis.h builds it. Reads
 * nothing; no code. */
#ifndef HARNESS_PROBLEMS_H
#define HARNESS_PROBLEMS_H

#include "findings.h"
#include "kinds.h"
#include "modes.h"
#include "verdicts.h"

struct Run;

#define DIAG_MAX 16
#define DIAG_RUNS 64
#define DIAG_PROJECT_ITERS 1000000.0 /* the projection's horizon: a long training run */
#define DIAG_STACK_SHARE 0.1 /* a growing stack holding this share of the growth is a problem of its own */

typedef struct Problem {
    Kind kind; /* verdict_kind's, or KIND_PEAK_GROWTH, KIND_BASELINE_REGRESSION */
    char fault[32]; /* the build it was seen in ("none": the program as it is) */
    char function[96]; /* where: "" when no tool named a function */
    char location[160]; /* "engine/ops.c:412", "" when unknown */
    int python; /* function and location are a line of a Python program (pyattrib.h) */
    char code[160]; /* and that line's source */
    int outside_python; /* a Python program's native stack of memory tracemalloc did not trace */
    char site[32]; /* the engine's allocation site, "" when none */
    char process[96]; /* a --cmd program's tree: the process that grows, "worker (pid 123)" */
    char frames[FINDING_FRAMES][200]; /* the top frames of a tool report: "function file:line" */
    int n_frames;
    double rate; /* bytes more per iteration, from its most exact evidence (NAN: none) */
    double rate_min, rate_max; /* over the runs of that evidence (the headline is the longest run's) */
    int n_rates;
    char rate_from[120]; /* the evidence the rate came from: "arena.used_bytes, native 10000" */
    int from_leaks; /* the rate is the leak reports' (exact) */
    double once_bytes; /* a one-time leak: its size (NAN otherwise) */
    unsigned seen; /* bit (1 << Mode) per mode that saw it */
    unsigned blind; /* modes that ran this build and did not see it */
    int fails; /* it fails the soak */
    int expected; /* make faults: a fault build showing what it was built to show */
    const struct Run *runs[DIAG_RUNS];
    int n_runs;
    const struct Run *stacks; /* the largest jemalloc run whose growth stacks name it, or NULL */
    char detail[240]; /* peak growth, baseline regressions: what was measured */
} Problem;

typedef struct Diagnosis {
    Problem list[DIAG_MAX];
    int n;
    int dropped; /* problems past DIAG_MAX */
    char first_bad[48]; /* from OUT/bisect.json (harness/bisect), "" when none */
    char first_bad_subject[200];
} Diagnosis;

#endif
