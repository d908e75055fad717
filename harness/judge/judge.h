/* judge.h - judging a run: what its files show. Reads the run folder (run.txt, samples.csv,
 * the tool's log, events.bin, train.json, notes.txt, the heap profiles); decides by the
 * rules of verdict.h; words the reason into r->detail. Writes nothing (run.json is a
 * renderer's: runjson.h).
 *
 *     run_evaluate(r, &tol);        // verdict, kind, series, finding, sites
 *     run_attribute(r, names);      // jemalloc runs that grow: the stacks that grew
 */
#ifndef HARNESS_JUDGE_H
#define HARNESS_JUDGE_H

#include <stddef.h>

#include "analysis.h"
#include "heapprof.h"
#include "runs.h"

/* Gathers the evidence of the run's files (samples, tool log, events, train.json), has
 * verdict.h decide and words the reason into r->detail. */
void run_evaluate(Run *r, const Tolerance *t);

/* For a GROWING run of a mode with heap profiles: the functions that grew (attrib.h; a
 * second or so per run: done once the runs are over, so that it never holds up the
 * sampling of runs still going). Updates the detail. names: what addr2line said of the
 * addresses of the soak's programs so far (heapprof.h), kept there. */
void run_attribute(Run *r, HeapNames *names);

/* What a run's record holds beyond itself (its heap model), given back; runs_release for
 * runs[0..n). Run records are not copied while they hold it (a copy must not release). */
void run_release(Run *r);
void runs_release(Run *runs, int n);

/* Loads and judges (and attributes) every run folder below DIR/runs, in canonical order.
 * Returns how many (at most max), or -1 with a message when DIR has no runs folder. */
int runs_load(const char *dir, Run *runs, int max, const Tolerance *t, char *err, size_t errlen);

/* For each build, its largest GROWING run with growth stacks gets RUN/stacks-over-time.csv
 * (attrib_timeline; a few seconds), unless it has one. */
void runs_timelines(Run *runs, int n, HeapNames *names);

/* The arena's top allocation sites per iteration (n_arena_sites, from its event log) of the
 * longest run of each mode in the build of runs[0] (the canonical order's first: the charts'
 * build), for the sites chart. */
void runs_arena_sites(Run *runs, int n);

/* Whether r's heap profiles hold too few samples to name what grew, and must be run again
 * sampled every 2^*lg bytes (RUN/attrib/, then run_attribute). Only the GROWING run of a
 * mode with heap profiles with the largest count of its build, whose heap grew; and each
 * control run of such a mode (its own). */
int run_needs_finer(const Run *r, const Run *runs, int n, long prof_sample, long *lg);

#endif
