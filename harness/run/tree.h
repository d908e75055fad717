/* tree.h - every process a run started, and its end with the run.
 *
 * A run's program may start others: a shell's background job, a worker pool, a daemon that
 * leaves the process group (setsid) and the process tree (its parent exits). The soak is
 * a subreaper (prctl PR_SET_CHILD_SUBREAPER): an orphan of a run is handed to the soak,
 * not to init, and the soak reaps it. Each run's process is started with
 * FLATMEM_RUN=<soak pid>:<run folder> in its environment, which its descendants inherit,
 * so that they can be found by it wherever they went (/proc/PID/environ); with the run's
 * process group that finds them.
 *
 * When a run has ended (done, timeout, budget, interrupt), tree_end stops what is left of
 * it: SIGTERM, then SIGKILL after a grace of TREE_GRACE_S, reaps the ones handed to the
 * soak, and appends to RUN/notes.txt what outlived the command. A process that cleared its
 * environment and left the process group is not found (docs/any-program.md). */
#ifndef HARNESS_TREE_H
#define HARNESS_TREE_H

#include <sys/types.h>

#include "runs.h"

#define TREE_GRACE_S 1.0
#define TREE_ENV "FLATMEM_RUN"

/* Makes the soak a subreaper. Once, before any run starts. */
void tree_init(void);

/* "FLATMEM_RUN=<soak pid>:<dir>" for run r, into out. */
void tree_tag(const Run *r, char *out, size_t cap);

/* Stops and reaps every process left of run r (whose own process has been waited for).
 * keep[0..n_keep): pids of runs still running, which are never reaped here. Returns how
 * many processes outlived the command. */
int tree_end(const Run *r, const pid_t *keep, int n_keep);

#endif
