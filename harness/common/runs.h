/* runs.h - one run of the soak matrix (mode x iteration count x fault, fresh or resumed):
 * the record every stage fills in its turn. The plan says what it is (mode, count, fault,
 * folder); running it says how its process ended (facts.h: RUN/run.txt); judging it says
 * what its files show (judge.h: verdict, kind, evidence); concluding says what it counts
 * for (rules.h: fails, expected); renderers print it (runjson.h: RUN/run.json).
 *
 * A run folder holds: run.txt (key=value facts recorded by the driver: the only input
 * besides the tool outputs, so `soak merge` can re-derive every verdict), command.txt,
 * stdout.txt, stderr.txt, samples.csv, events.bin (native, jemalloc), valgrind.log
 * (valgrind), train.json (train_full --summary), checkpoint.bin, and run.json. */
#ifndef HARNESS_RUNS_H
#define HARNESS_RUNS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "evgrowth.h"
#include "evidence.h"
#include "kinds.h"
#include "modes.h"
#include "verdicts.h"

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
    /* a service (--load, service.h): how it ended (stopped, killed, not-ready, exited),
     * when it was ready, how its load ended */
    int attached; /* a process the user started (--attach, attach.h): iterations are seconds */
    int service;
    int port; /* {port} in the commands: a free port of its own (0: none) */
    char service_end[16];
    double ready_s;
    int load_exit; /* -1: no exit status (killed by a signal, or never ran) */
    int load_signal;
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
    /* why it has its verdict, as the judge recorded it (render/words.h says it in words) */
    RunCause cause;
    char last_words[200]; /* the last line its program (or its load, CAUSE_LOAD_FAILED) wrote
                             on its standard error, for a run that ended badly */
    char samples_err[256]; /* why its samples could not be read (CAUSE_NO_SAMPLES) */
    size_t bad_rows; /* rows of samples.csv that could not be read (CAUSE_BAD_SAMPLES) */
    EvGrowth sites[RUN_MAX_SITES];
    int n_sites;
    double ms_per_iter; /* train.json's median, NAN when absent */
    /* any program (docs/any-program.md) */
    char note[512]; /* what could not be measured, and why (RUN/notes.txt) */
    size_t note_judged; /* its length as run_evaluate left it (run_attribute adds after it) */
    struct HeapModel *heap; /* a jemalloc run's heap profiles, read and named once (judge/attrib.h),
                               NULL when it has none; run_release gives it back */
    char *command; /* RUN/command.txt's line, read by the judge (NULL: none); owned like heap */
    char *excerpt; /* the first lines of its tool's log at the report (NULL: no finding); owned */
    int finer; /* what grew was named from its finer re-run (RUN/attrib: run_source_dir) */
    /* a Python program traced (pyattrib.h): its growing tracebacks folded ("f a.py:3;g
     * a.py:9 BYTES" lines: pygrowth.collapsed), the steps between the two snapshots, and
     * the interpreter (NULL, 0: none); owned like heap */
    char *py_folded;
    double py_span;
    char *py_interpreter;
    /* for the charts, as the judge read them (owned like heap): RUN/samples.csv's text and
     * its parsed samples, the memory each growing function held over the run
     * (stacks-over-time.csv's text, judge.h: runs_timelines), the arena's top allocation
     * sites per iteration (the event log of the longest run of each mode: runs_arena_sites) */
    char *samples_csv;
    struct Samples *samples;
    char *timeline_csv;
    struct {
        char site[32];
        double bytes; /* arena bytes per complete iteration */
    } arena_sites[10];
    int n_arena_sites;
    StackGrowth stacks[ATTRIB_MAX]; /* jemalloc runs that grow: the functions that grew */
    int n_stacks;
    char stacks_why[200]; /* when there are none: why not */
    int stacks_mapped; /* the stacks are of mappings the program made (mapattrib.h), not heap profiles */
    double expect_s; /* what it should take, from its mode's first run (plan_pace); 0: the workload's */
    int stacks_at_exit; /* ... of what a child held at its exit (attrib_child_final), not growth */
    int python_traced; /* a Python program whose allocations tracemalloc traced (pyattrib.h) */
    FdGrowth fds; /* the descriptors that grew most (RUN/fds.txt; memcheck's --track-fds) */
    char thread_creator[256]; /* what started the threads memcheck found at exit ("fn file:line") */
    char grower[96]; /* a --cmd program's tree: the process whose own series grow fastest,
                        "worker (pid 123)" (RUN/procs/), "" when none does */
    int grower_is_child; /* it is not the process the soak started */
    double leak_bytes; /* the tool's leak summary: bytes leaked (NAN: no report) */
    double leak_objects; /* and in how many allocations (NAN: not said) */
    int one_time_leak; /* its leak does not grow with the count (verdict_leaks) */
    long settled_by; /* a GROWING run whose growth stops: the count of the longer run of
                        its mode in which those series are flat (verdict_settle); 0 otherwise */
    char settled_series[48]; /* the series that rose, for the words */
    long confirmed_by; /* a growth that did not stand out of its scatter here (analysis.h),
                          but did in the longer run of this count; 0 otherwise */
    double coarse; /* INCONCLUSIVE: FLAT, but coarser than this --sensitivity (verdict_settle); 0 */
    long longer_of; /* a run the soak added to decide another (soak_run.c): its count */
    /* a control run (plan_controls, docs/soak.md "Controls"): the probe planted KEEP bytes
     * kept and LOSE lost at each step mark (ms 0) or every ms milliseconds */
    int control;
    long prof_sample; /* jemalloc's lg_prof_sample for this run (0: --prof-sample's) */
    long control_keep, control_lose, control_ms, control_until_ms;
    double control_lost; /* the judge's: bytes its tool reported lost in flatmem_control_lose (NAN) */
    long control_plants; /* the judge's: how many times the probe planted (control.csv) */
    /* and what concluding found of it (verdict_controls) */
    int control_caught;
    double control_planted, control_seen; /* bytes per iteration: planted, and seen */
    char control_why[240]; /* caught: how; missed: why the mode is blind */
    double settled_bytes; /* how much it rose in this run */
    int strict_leaks; /* --strict-leaks: a one-time leak fails all the same */
    Kind kind; /* the classification (judge/verdict.c, kinds.h) */
    /* what the soak concluded of it (soak_conclude): renderers print these, decide nothing */
    int fails; /* it counts against the overall verdict */
    int skipped; /* it was not run (interrupted) */
    int unreported; /* it says nothing of memory: skipped, or too short to judge */
    Verdict expected; /* the verdict it should have given (make faults: its cell's) */
} Run;

/* Canonical order of runs (fault none first, then fault, mode, count, fresh before
 * resumed), for qsort. */
int run_cmp_canonical(const void *a, const void *b);

/* Moves the control runs of runs[0..n) after the others (their order kept); how many are
 * not controls. */
int runs_split_controls(Run *runs, int n);

/* The columns of a table of verdicts, mode x count: the counts, a resumed run of a count
 * right after it, as keys (runs_column_key: 2 x count, + 1 when resumed) in order.
 * Returns how many (at most max). */
int runs_columns(const Run *runs, int n, long *keys, int max);
long runs_column_key(const Run *r);

/* Where a run's profiles and growth files are: RUN, or RUN/attrib when what grew was named
 * from its finer re-run (r->finer), into out. */
void run_source_dir(const Run *r, char *out, size_t cap);

/* The run folder's file NAME, whole (at most 4 MiB), or NULL when absent; the caller frees. */
char *run_read_file(const Run *r, const char *name);

/* What a run's count counts, for people: "second" (a process attached to), "request" (a
 * service), "iteration". */
const char *run_step_word(const Run *r);

/* "native 1000", "asan 1000 resumed fault leak": a run for people. */
void run_label(const Run *r, char *out, size_t cap);

#endif
