/* spawn.h - a run's child process: its argument vector, its start (fork/exec, its own
 * process group, output into the run's folder), the watchdog's readings and its end.
 *
 * Never a shell: the argument vector is exec'd as it is; argv_line gives the same
 * command quoted for a POSIX shell, for command.txt and the report. */
#ifndef HARNESS_SPAWN_H
#define HARNESS_SPAWN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "runs.h"

#define ARGV_MAX 64

typedef struct Argv {
    char *v[ARGV_MAX + 1]; /* NULL-terminated */
    int n;
    char store[ARGV_MAX][PATH_MAX + 64];
} Argv;

/* Appends one argument, formatted (dropped beyond ARGV_MAX). */
__attribute__((format(printf, 2, 3))) void argv_add(Argv *a, const char *fmt, ...);

/* env[0..n_env) ("NAME=value") and the arguments, quoted for a shell, into out. */
void argv_line(const Argv *a, const char *const *env, int n_env, char *out, size_t cap);

/* Writes DIR/command.txt, opens DIR/stdout.txt and stderr.txt and starts the child in its
 * own process group with env set. 0 (r->pid, r->state, r->t_start set), or -1 after a
 * message on stderr. */
int spawn_run(Run *r, const Argv *a, const char *const *env, int n_env);

/* Stops a child's whole process group. */
void spawn_kill(Run *r, Kill why);

/* Records how the child ended (status and rusage from wait4) into r and run.txt. */
void spawn_finished(Run *r, int status, const struct rusage *ru);

#endif
