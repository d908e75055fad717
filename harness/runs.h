/* runs.h - one run of the soak matrix (mode x iteration count x fault): its folder, how
 * its process ended, and the verdict drawn from its files.
 *
 * A run folder holds: run.txt (key=value facts recorded by the driver: the only input
 * besides the tool outputs, so `soak merge` can re-derive every verdict), command.txt,
 * stdout.txt, stderr.txt, samples.csv, events.bin (native, jemalloc), valgrind.log
 * (valgrind), train.json (train_full --summary) and run.json (the verdict). */
#ifndef HARNESS_RUNS_H
#define HARNESS_RUNS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "analysis.h"
#include "evgrowth.h"
#include "findings.h"

typedef enum Mode { MODE_NATIVE, MODE_ASAN, MODE_VALGRIND, MODE_JEMALLOC, MODE_COUNT } Mode;

typedef enum Verdict {
    V_FLAT, V_GROWING, V_ERROR, V_CRASHED, V_TIMEOUT, V_OVER_BUDGET, V_NOT_RUN, V_COUNT
} Verdict;

typedef enum Kill { KILL_NONE, KILL_BUDGET, KILL_TIMEOUT, KILL_INTERRUPT } Kill;

const char *mode_name(Mode m);
const char *mode_variant(Mode m);      /* build variant: release, asan, valgrind, jemalloc */
int mode_parse(const char *s, Mode *m); /* 1 on success */
const char *verdict_name(Verdict v);

/* 1 when resident memory (RSS, and peak RSS across the sweep) decides verdicts in mode m:
 * native and jemalloc. Under ASan and memcheck the tools hold freed blocks back (ASan's
 * quarantine, up to 256 MiB; memcheck's freelist, 20 MB) so RSS rises with every
 * malloc/free until the queue is full: it is shown there, not judged. */
int mode_judges_rss(Mode m);

#define RUN_MAX_SITES 5

typedef struct Run {
    /* what */
    Mode mode;
    long iters;
    char fault[32];   /* "none" or a FAULT build name */
    char config[16];  /* the workload (workload.h): soak, tiny, small, medium */
    long resume_from; /* 0: trained from scratch; else resumed from a checkpoint of this step */
    char dir[PATH_MAX];
    char name[96];    /* folder name below runs/ */
    /* how it ended (run.txt) */
    int exit_code;    /* -1 if killed by a signal */
    int signal;
    Kill killed;
    double wall_s;
    uint64_t peak_rss_bytes;
    uint64_t budget_bytes;
    /* driver state */
    pid_t pid;
    int state;        /* 0 pending, 1 running, 2 done */
    double t_start;
    /* verdict */
    Verdict verdict;
    int has_finding;
    Finding finding;
    RunAnalysis an;
    uint64_t iter_reached;
    char detail[512];  /* one line saying why */
    EvGrowth sites[RUN_MAX_SITES];
    int n_sites;
} Run;

/* Writes run.txt from the fields above. 0 or -1 (errno). */
int run_write_facts(const Run *r);

/* Reads run.txt from dir into r (what, how it ended). 0, or -1 with a message in err. */
int run_read_facts(Run *r, const char *dir, char *err, size_t errlen);

/* Draws the verdict from the run's files (samples, tool logs, events) and writes run.json. */
void run_evaluate(Run *r, const Tolerance *t);

/* Loads and evaluates every run folder below DIR/runs (sorted: fault none first, then by
 * mode and count). Returns how many (at most max), or -1 with a message when DIR has no
 * runs folder. */
int runs_load(const char *dir, Run *runs, int max, const Tolerance *t, char *err, size_t errlen);

/* Canonical order of runs (fault none first, then fault, mode, count), for qsort. */
int run_cmp_canonical(const void *a, const void *b);

/* A number from a run's train.json (train_full --summary), or NAN. */
double run_train_value(const Run *r, const char *key);

#endif
