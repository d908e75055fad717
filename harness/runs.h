/* runs.h - one run of the soak matrix (mode x iteration count x fault, fresh or resumed):
 * its folder, how its process ended, and the evidence its files hold.
 *
 * A run folder holds: run.txt (key=value facts recorded by the driver: the only input
 * besides the tool outputs, so `soak merge` can re-derive every verdict), command.txt,
 * stdout.txt, stderr.txt, samples.csv, events.bin (native, jemalloc), valgrind.log
 * (valgrind), train.json (train_full --summary), checkpoint.bin, and run.json (what was
 * concluded; written by run_evaluate). The verdict itself is decided by verdict.c; this
 * module gathers the evidence and words the reason. */
#ifndef HARNESS_RUNS_H
#define HARNESS_RUNS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "analysis.h"
#include "attrib.h"
#include "evgrowth.h"
#include "findings.h"
#include "verdict.h"

#define RUN_MAX_SITES 5

typedef enum RunState { RUN_PENDING, RUN_RUNNING, RUN_DONE } RunState;

typedef struct Run {
    /* what */
    Mode mode;
    long iters;
    long resume_from; /* 0: trained from scratch; else resumed from a checkpoint of this step */
    char fault[32]; /* "none" or a FAULT build name */
    char config[16]; /* the workload (workload.h) */
    char dir[PATH_MAX];
    char name[96]; /* folder name below runs/: <mode>-<iters>[-resume][-<fault>] */
    /* how it ended (run.txt) */
    int exit_code; /* -1 if killed by a signal */
    int signal;
    Kill killed;
    double wall_s;
    uint64_t peak_rss_bytes;
    uint64_t budget_bytes;
    /* the driver's */
    pid_t pid;
    RunState state;
    double t_start;
    /* evidence and conclusion */
    Verdict verdict;
    int has_finding;
    Finding finding;
    RunAnalysis an;
    uint64_t iter_reached;
    char detail[512]; /* one line saying why */
    EvGrowth sites[RUN_MAX_SITES];
    int n_sites;
    double ms_per_iter; /* train.json's median, NAN when absent */
    /* any program (docs/any-program.md) */
    char note[512]; /* what could not be measured, and why (RUN/notes.txt) */
    StackGrowth stacks[ATTRIB_MAX]; /* jemalloc runs that grow: the functions that grew */
    int n_stacks;
    char stacks_why[200]; /* when there are none: why not */
    double leak_bytes; /* the tool's leak summary: bytes leaked (NAN: no report) */
    double leak_objects; /* and in how many allocations (NAN: not said) */
    int one_time_leak; /* its leak does not grow with the count (verdict_leaks) */
    long settled_by; /* a GROWING run whose growth stops: the count of the longer run of
                        its mode in which those series are flat (verdict_settle); 0 otherwise */
    char settled_series[48]; /* the series that rose, for the words */
    double settled_bytes; /* how much it rose in this run */
    int strict_leaks; /* --strict-leaks: a one-time leak fails all the same */
    Kind kind; /* the classification (verdict.c, kinds.h) */
    /* what the soak concluded of it (soak_conclude): renderers print these, decide nothing */
    int fails;        /* it counts against the overall verdict */
    int skipped;      /* it was not run (interrupted) */
    int unreported;   /* it says nothing of memory: skipped, or too short to judge */
    Verdict expected; /* the verdict it should have given (make faults: its cell's) */
} Run;

/* Writes run.txt from the fields above. 0 or -1 (errno). */
int run_write_facts(const Run *r);

/* Reads run.txt from dir into r (what, how it ended). 0, or -1 with a message in err. */
int run_read_facts(Run *r, const char *dir, char *err, size_t errlen);

/* Gathers the evidence of the run's files (samples, tool log, events, train.json), has
 * verdict.c decide, words the reason into r->detail and writes run.json. */
void run_evaluate(Run *r, const Tolerance *t);

/* For a run verdict_settle made FLAT: the words of its detail, and run.json again. */
void run_reword_settled(Run *r);

/* For a GROWING jemalloc run: the functions that grew, from jemalloc's heap profiles
 * (attrib.h; a second or so per run: done once the runs are over, so that it never holds
 * up the sampling of runs still going). Updates the detail and run.json. */
void run_attribute(Run *r);

/* Loads and evaluates (and attributes) every run folder below DIR/runs, in canonical order. Returns how
 * many (at most max), or -1 with a message when DIR has no runs folder. */
int runs_load(const char *dir, Run *runs, int max, const Tolerance *t, char *err, size_t errlen);

/* For each build, its largest GROWING jemalloc run with growth stacks gets
 * RUN/stacks-over-time.csv (attrib_timeline; a few seconds), unless it has one. */
void runs_timelines(const Run *runs, int n);

/* Canonical order of runs (fault none first, then fault, mode, count, fresh before
 * resumed), for qsort. */
int run_cmp_canonical(const void *a, const void *b);

/* The columns of a table of verdicts, mode x count: the counts, a resumed run of a count
 * right after it, as keys (runs_column_key: 2 x count, + 1 when resumed) in order.
 * Returns how many (at most max). */
int runs_columns(const Run *runs, int n, long *keys, int max);
long runs_column_key(const Run *r);

/* The run folder's file NAME, whole (at most 4 MiB), or NULL when absent; the caller frees. */
char *run_read_file(const Run *r, const char *name);

/* "native 1000", "asan 1000 resumed fault leak": a run for people. */
void run_label(const Run *r, char *out, size_t cap);

#endif
