/* options.h - the soak's command line: one table that both parses and prints --help (as
 * app/train_cli.c does for train_full).
 *
 * Every name a user gives (a mode, a fault, a workload) is checked here against its table
 * (modes.c, faults.c, workload.c) before anything builds or runs; an unknown one is an
 * error naming the valid ones. Strings point into argv. */
#ifndef HARNESS_OPTIONS_H
#define HARNESS_OPTIONS_H

#include <stdio.h>

#include "evidence.h"
#include "verdicts.h"
#include "workload.h"

/* `flatmem --version`: bumped with each change users see (docs/soak.md, "Changes") */
#define FLATMEM_VERSION "0.23.0"

#define MAX_ITERS 16
#define MAX_FAULTS 16

typedef struct Options {
    long iters[MAX_ITERS];
    int n_iters;
    Mode modes[MODE_COUNT];
    int n_modes;
    const char *faults[MAX_FAULTS]; /* into fault_names, or literals */
    int n_faults;
    char fault_names[MAX_FAULTS][32]; /* --faults' names */
    const char *config; /* the workload's name */
    const Workload *wl; /* ... and the workload */
    long resume_iters[MAX_ITERS];
    int n_resume;
    int resume_given; /* --resume-iters was given (else: the workload's default) */
    const char *data;
    const char *out;
    const char *build; /* the folder of the variants' folders */
    const char *native_variant; /* the build native mode runs: release or coverage */
    const char *program; /* test hook: run this instead of train_full */
    long budget_mb;
    double timeout_s; /* 0: from the workload */
    long jobs;
    long shard_k, shard_n;
    char shard_source[16]; /* "option" for --shard K/N; --shard auto: where (plan/shard.h) */
    char shard_how[200]; /* --shard auto: the variables it came from */
    int no_events; /* no event logs (no site attribution) */
    Tolerance tol;
    const char *baseline; /* a summary.json to compare with */
    double base_peak_pct, base_time_pct;
    const char *history; /* --history FILE.db (or FLATMEM_HISTORY): the soak appended there */
    const char *templates; /* the gnuplot chart templates (templates_found by default) */
    char templates_found[PATH_MAX];
    int expect_faults;
    int help;
    int version; /* --version: print it and stop */
    /* any program (docs/any-program.md) */
    const char *cmd; /* --cmd: the command template ({iters}); NULL: train_full */
    const char *asan_cmd; /* --asan-cmd: the same program built with ASan */
    const char *step_regex; /* --step-regex: one capture group, the step number */
    /* a service (--load: service.h) */
    const char *load; /* --load: the load command template ({iters}: requests) */
    long ready_port; /* --ready-port: ready when 127.0.0.1:PORT accepts */
    const char *ready_regex; /* --ready-regex: ready when a line of its output matches */
    double ready_timeout_s; /* --ready-timeout (30) */
    double stop_grace_s; /* --stop-grace: SIGTERM to SIGKILL (10; x3 under memcheck) */
    /* a running process (--attach: attach.h) */
    long attach_pid; /* --attach PID: sample it, start nothing (0: not) */
    double duration_s; /* --duration S: for how long */
    int iters_given; /* --iters was given */
    int strict_leaks; /* --strict-leaks: a one-time leak fails too */
    const char *lsan_suppressions, *valgrind_suppressions;
    long prof_sample; /* jemalloc's lg_prof_sample: 2^N bytes between samples (17) */
    long py_frames; /* a Python program's tracemalloc traceback depth (16) */
    int annotate; /* --annotate github (default: GITHUB_ACTIONS=true): ci.h */
    int modes_given; /* --modes was given */
    int no_control; /* --no-control: no control run per mode */
    long longer; /* --longer N: rounds of longer runs to decide a mode (2; 0: none) */
    int config_given; /* --config was given */
} Options;

/* Parses `soak [options]` (argv[1..]). 0, or 2 after a message on stderr naming the
 * option, what is wrong and the valid values. */
int options_parse(int argc, char **argv, Options *o);

/* The --help text. */
void options_usage(FILE *f, const char *prog);

/* Splits a comma/space list into at most max tokens of out; returns how many, -1 when
 * there are more or one is longer than 31 characters. */
int split_list(const char *s, char out[][32], int max);

#endif
