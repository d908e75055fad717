/* argv.h - argument vectors, and a command run to its end: what the soak starts (a run's
 * program, gnuplot, jeprof, the checkpoint for resumed runs) is always an argument vector
 * exec'd as it is, never a shell; argv_line gives the same command quoted for a POSIX shell,
 * for command.txt and the report.
 *
 * An Argv holds its strings in itself (ARGV_BYTES in all); it must not be copied by value
 * (its pointers point into it). */
#ifndef HARNESS_ARGV_H
#define HARNESS_ARGV_H

#include <stddef.h>

#define ARGV_MAX 64
#define ARGV_BYTES 32768

typedef struct Argv {
    char *v[ARGV_MAX + 1]; /* NULL-terminated */
    int n;
    size_t used;
    char buf[ARGV_BYTES];
} Argv;

/* A new, empty Argv on the heap (it is large: ARGV_BYTES); exits with a message when out
 * of memory. argv_free gives it back. */
Argv *argv_new(void);
void argv_free(Argv *a);

/* Appends one argument, formatted; dropped when it does not fit (ARGV_MAX arguments,
 * ARGV_BYTES in all). An Argv whose n is 0 starts afresh. */
__attribute__((format(printf, 2, 3))) void argv_add(Argv *a, const char *fmt, ...);

/* env[0..n_env) ("NAME=value") and the arguments, quoted for a shell, into out. */
void argv_line(const Argv *a, const char *const *env, int n_env, char *out, size_t cap);

/* How argv_start starts a child. */
enum {
    ARGV_OWN_GROUP = 1, /* in a process group of its own (a watchdog kills it and its children) */
    ARGV_FLATMEM_PID = 2, /* FLATMEM_PID=its pid: the probe library acts in it, not its children */
};

/* Starts a (the first word found on PATH) with env[0..n_env) ("NAME=value") added to the
 * environment, standard input from /dev/null, standard output to fd out and standard
 * error to fd err, SIGINT and SIGTERM as by default; flags are ARGV_* bits. Returns its
 * pid, or -1 (with errno) when fork failed; a command that cannot be run exits 127 after
 * saying so on its standard error. */
int argv_start(const Argv *a, const char *const *env, int n_env, int out, int err, int flags);

/* Runs a (the first word found on PATH) to its end, standard input from /dev/null, its
 * standard output into the file out and its standard error into err (NULL: /dev/null; err
 * the same path as out: both into one file; each file truncated first, or appended to with
 * append). Returns its exit status, or -1 when it could not start or a signal ended it. */
int argv_run(const Argv *a, const char *out, const char *err, int append);

#endif
