/* procs.h - every process a command's run started, measured (process trees).
 *
 * At each of the soak's looks at a --cmd run (cmdrun.h), the tree of the run's process is
 * walked (/proc/PID/task/TID/children, down to PROCS_MAX processes). Once it has a child,
 * every member is read, the run's own process included: resident memory (statm), its
 * private and proportional memory (smaps_rollup: Private_Clean + Private_Dirty, the pages
 * no other process shares, and Pss), descriptors and threads, one row each into
 * RUN/procs.csv ("t_ns,pid,rss,uss,pss,fds,threads", t_ns the look's), and each new
 * member's name into RUN/procs-names.txt ("pid ppid comm").
 *
 * Summed over the tree, private memory counts no page twice (a page two processes share
 * is nobody's private page; a page a forked child writes becomes its own): cmdrun.h
 * writes the sums as samples.csv's tree.* columns, and each member's own series as
 * RUN/procs/PID.csv, in the samples format, for judging to name the process that grows. */
#ifndef HARNESS_PROCS_H
#define HARNESS_PROCS_H

#include <stdint.h>
#include <stdio.h>

#define PROCS_MAX 64

typedef struct ProcWatch {
    FILE *rows; /* RUN/procs.csv, opened at the first child */
    FILE *names; /* RUN/procs-names.txt */
    int seen[PROCS_MAX * 4]; /* pids named already */
    int n_seen;
    int had_children;
} ProcWatch;

/* One look at the tree of process root at time t_ns; dir: the run folder. Returns how
 * many children (all descendants) it has now. */
int procs_tick(ProcWatch *w, const char *dir, int root, uint64_t t_ns);

/* Closes the files. */
void procs_close(ProcWatch *w);

#endif
