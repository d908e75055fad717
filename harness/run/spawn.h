/* spawn.h - a run's child process: its start (fork/exec of its argument vector, argv.h, in
 * its own process group, output into the run's folder), the watchdog's stop and its end. */
#ifndef HARNESS_SPAWN_H
#define HARNESS_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "argv.h"
#include "runs.h"

/* Writes DIR/command.txt, opens DIR/stdout.txt and stderr.txt and starts the child in its
 * own process group with env set. 0 (r->pid, r->state, r->t_start set), or -1 after a
 * message on stderr. */
int spawn_run(Run *r, const Argv *a, const char *const *env, int n_env);

/* Stops a child's whole process group. */
void spawn_kill(Run *r, Kill why);

/* Records how the child ended (status and rusage from wait4) into r and run.txt. */
void spawn_finished(Run *r, int status, const struct rusage *ru);

#endif
