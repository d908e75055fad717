/* cmdrun.h - the samples of a run of a program that writes none itself (--cmd).
 *
 * While the run goes, the soak reads the process's RSS (/proc/PID/statm) and PSS
 * (/proc/PID/smaps_rollup) every few milliseconds early on and every 100 ms later, into
 * RUN/rss.csv ("t_ns,rss,pss"), and, with --step-regex, reads the program's output as it
 * comes and appends each step it names to RUN/steps.csv ("t_ns,step", the format the
 * probe library writes for include/flatmem.h's step marks). It notes whether the program
 * started child processes (only the started process is measured).
 *
 * When the run has ended, cmdrun_finish merges these with the probe's jemalloc statistics
 * (RUN/probe.csv) into RUN/samples.csv, the file every run has: iter is the step that had
 * ended when the row was taken, or, when the program marks no steps, the row's share of
 * the run's time times the count ("placed by time"). t_ns: CLOCK_MONOTONIC. */
#ifndef HARNESS_CMDRUN_H
#define HARNESS_CMDRUN_H

#include <regex.h>
#include <stdio.h>

#include "procs.h"
#include "runs.h"

/* The run's sampling state (owned by the Run, closed by cmdrun_finish). */
typedef struct CmdSampler {
    FILE *rss; /* RUN/rss.csv */
    FILE *steps; /* RUN/steps.csv, with --step-regex */
    long out_seen; /* bytes of the step lines' file already read */
    const char *step_file; /* where step lines are: stdout.txt, or a service's load.txt */
    double next_s; /* when to sample next (monotonic seconds) */
    double loop_s; /* when its first step was marked (0: not yet): the cadence starts again */
    int children; /* looks that saw child processes */
    ProcWatch procs; /* its process tree (procs.h) */
    int have_regex;
    regex_t regex; /* --step-regex, compiled */
    long last_step; /* the last step line's number */
    long sampled_step; /* last_step when the last sample was taken */
    double next_read_s; /* when to read the step lines next between samples */
    char probe[PATH_MAX]; /* the soak's probe library, in a mode that preloads its tool ("" otherwise) */
    int probe_mapped; /* at the last look at its maps: 1 the probe was mapped, 0 not, -1 no look */
    long looks; /* samples taken */
} CmdSampler;

/* Before run r starts: removes what an earlier soak into the same folder left there that
 * the probe library appends to (steps, statistics, heap profiles). */
void cmdrun_prepare(const Run *r);

/* Starts sampling run r (just spawned): step lines (step_regex) in its output, or in its
 * load's (service). 0, or -1 after a message. */
int cmdrun_start(CmdSampler *c, const Run *r, const char *step_regex, int service);

/* One look at the running process: samples when due, reads new output lines. */
void cmdrun_tick(CmdSampler *c, const Run *r);

/* Appends a line to RUN/notes.txt. */
void cmdrun_note(const Run *r, const char *line);

/* After the process ended: closes the files and writes RUN/samples.csv and RUN/notes.txt.
 * iters: the run's count; exited_ok: it exited 0 (it did its iterations). */
void cmdrun_finish(CmdSampler *c, const Run *r, int exited_ok);

#endif
