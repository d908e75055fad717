/* attach.h - a run of a process the user started (--attach PID --duration S): nothing is
 * started, preloaded or stopped; the soak samples what /proc shows of it (cmdrun.h: RSS,
 * PSS, descriptors, threads, mappings; fdwatch.h: what its descriptors are open on) for S
 * seconds, and its "iterations" are seconds: growth is judged per second.
 *
 * What attaching cannot see, and the run's note says: no leak checker, no allocator
 * statistics, no heap profiles, no step marks (each needs the program started under the
 * soak); the memory of its children; anything before the soak attached. The process is
 * left as it was found: not signalled, not waited for, not stopped at the end. */
#ifndef HARNESS_ATTACH_H
#define HARNESS_ATTACH_H

#include "options.h"
#include "runs.h"

/* Checks, before anything runs, that the process is there and its /proc can be read. 0,
 * or 2 after a message saying what to do. */
int attach_check(const Options *o);

/* "Starts" run r: its folder (command.txt naming the process, empty stdout.txt and
 * stderr.txt, notes.txt saying what attaching cannot see), r->pid, r->t_start. 0 or -1. */
int attach_start(const Options *o, Run *r);

/* 1 while the process is there (not a zombie). */
int attach_alive(const Run *r);

#endif
