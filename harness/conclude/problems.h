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

/* What a problem's detail says (beyond its rate and place). */
typedef enum ProblemLead {
    LEAD_NONE,
    LEAD_FDS_OPEN, /* a descriptor leak: what they are open on, how many more */
    LEAD_INTERPRETER_OWN, /* a one-time leak of CPython's own at exit */
    LEAD_PEAK_SWEEP, /* every run FLAT, peak memory rising across the counts */
    LEAD_BASELINE /* regressions against the baseline (result.h: the soak's base) */
} ProblemLead;

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
    /* what was measured beyond the rate, as a code and its figures (render/words.h:
     * words_problem_detail says it) */
    ProblemLead lead;
    const struct Run *lead_run; /* LEAD_FDS_OPEN: the run whose descriptors are counted */
    Mode lead_mode; /* LEAD_PEAK_SWEEP: the mode of the sweep */
    double lead_growth; /* LEAD_PEAK_SWEEP: bytes peak memory rose across the counts */
    int lead_count; /* LEAD_BASELINE: regressions, the first of them and the baseline's path */
    const char *lead_first, *lead_path; /* (the soak's baseline record holds them) */
    /* a bad access: where else it was reported (another tool, another thread), and the
     * runs whose memory grew too (what the bad access left behind), in the order found */
    struct {
        Mode mode;
        long iters;
        int grew; /* 1: its memory grew; 0: the access was reported at function, location */
        char function[96];
        char location[160];
    } also[8];
    int n_also;
} Problem;

typedef struct Diagnosis {
    Problem list[DIAG_MAX];
    int n;
    int dropped; /* problems past DIAG_MAX */
    char first_bad[48]; /* from OUT/bisect.json (harness/bisect), "" when none */
    char first_bad_subject[200];
} Diagnosis;

#endif
