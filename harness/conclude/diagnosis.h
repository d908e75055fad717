/* diagnosis.h - what the soak found, one entry per distinct problem (docs/reports.md,
 * "The diagnosis").
 *
 * Every run that is not FLAT is evidence: its kind (verdict_kind), the place it points at
 * (the first frame of a tool report that is not an allocator, the function a jemalloc
 * profile charges the growth to, the engine's growing site), and how fast it grows. The
 * evidence of every mode and count that points at the same place is merged into one
 * problem, most trusted evidence first (docs/reports.md, "The diagnosis"): a tool
 * report's frame (joins by function or overlapping top frames), an engine site (by site,
 * or the build's one problem of that family without a site), a sampled stack alone (also
 * joins the family's largest problem: sampling may name another allocation), then runs
 * that name nothing and crashes (join the family's, or any, largest problem).
 * Every other growing stack of the longest jemalloc run of a build that holds a tenth of
 * its growth or more is a problem of its own (a reachable growth is not hidden behind a
 * leak elsewhere). A problem's kind is the most telling of its evidence (a leak checker's
 * "leak" over the allocator's "reachable-growth"). Its rate comes from its most exact
 * evidence (docs/reports.md): leak reports across counts, then the engine's exact
 * counters, then the allocators' counts, then sampled stacks, then resident pages; of
 * that kind, the run with the largest count. A sweep whose peak grows and baseline
 * regressions are problems too. A clean soak has none.
 *
 *     diagnosis_build(&res->diag, res);   // conclude.c's soak_conclude, after the verdicts
 *     for (int i = 0; i < res->diag.n; i++) words_problem(&res->diag.list[i], buf, cap); // words.h
 */
#ifndef HARNESS_DIAGNOSIS_H
#define HARNESS_DIAGNOSIS_H

#include <stddef.h>

#include "findings.h"
#include "kinds.h"
#include "modes.h"
#include "verdicts.h"

struct Run;
struct SoakResult;

#define DIAG_MAX 16
#define DIAG_RUNS 64
#define DIAG_PROJECT_ITERS 1000000.0 /* the projection's horizon: a long training run */
#define DIAG_STACK_SHARE 0.1 /* a growing stack holding this share of the growth is a problem of its own */

typedef struct Problem {
    Kind kind; /* verdict_kind's, or KIND_PEAK_GROWTH, KIND_BASELINE_REGRESSION */
    char fault[32]; /* the build it was seen in ("none": the program as it is) */
    char function[96]; /* where: "" when no tool named a function */
    char location[160]; /* "engine/ops.c:412", "" when unknown */
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

/* Builds the diagnosis of res (verdicts, sweeps and baseline comparison already decided).
 * Keeps d->first_bad. */
void diagnosis_build(Diagnosis *d, const struct SoakResult *res);

/* Reads DIR/bisect.json (written by harness/bisect into the first bad commit's soak) into
 * d->first_bad and its subject. 0, or -1 when there is none or it is damaged. */
int diagnosis_read_bisect(Diagnosis *d, const char *dir);

#endif
