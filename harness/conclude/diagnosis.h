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

#include "problems.h"

struct Run;
struct SoakResult;

/* Builds the diagnosis of res (verdicts, sweeps and baseline comparison already decided).
 * Keeps d->first_bad. */
void diagnosis_build(Diagnosis *d, const struct SoakResult *res);

/* Reads DIR/bisect.json (written by harness/bisect into the first bad commit's soak) into
 * d->first_bad and its subject. 0, or -1 when there is none or it is damaged. */
int diagnosis_read_bisect(Diagnosis *d, const char *dir);

#endif
