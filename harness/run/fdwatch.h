/* fdwatch.h - what a run's open descriptors are open on, early and late, so that a
 * descriptor leak is named by what it opens (any mode, any target).
 *
 * While the run goes, the watchdog's looks read /proc/PID/fd/ (the links: "/tmp/x.log",
 * "socket:[123]", "pipe:[45]") at 0.05, 0.1, 0.2, 0.4, ... seconds after the start
 * (each time doubled) and every 100 ms for the last look. When the run has ended,
 * fdwatch_finish writes RUN/fds.txt: the targets open more often at the last look than at
 * the look nearest the end of warm-up (a tenth of the run's time), most first:
 *
 *     # open descriptors: 9 at 0.20 s, 48 at 1.40 s (the last look)
 *     39	/dev/null
 *
 * Files are told apart by path; sockets, pipes and anonymous inodes by kind. */
#ifndef HARNESS_FDWATCH_H
#define HARNESS_FDWATCH_H

#include <sys/types.h>

#include "evidence.h"

typedef struct FdWatch FdWatch;

/* A watch of process pid, started now; NULL when out of memory (nothing is then watched). */
FdWatch *fdwatch_start(pid_t pid);

/* One look, when one is due or now (t: seconds since the start). The looks at the end
 * are spaced so that they take a tenth of the time at most: before a process that may
 * end soon is stopped (a service whose load is over), look now. */
void fdwatch_tick(FdWatch *w, double t, int now);

/* Writes DIR/fds.txt for a run that lasted wall seconds and frees w (NULL: nothing). */
void fdwatch_finish(FdWatch *w, const char *dir, double wall);

/* The first line of DIR/fds.txt after its header into *out (count and target). 1 when
 * there is one. */
int fdwatch_read(const char *dir, FdGrowth *out);

#endif
