/* target.h - what a run starts, and how its mode wraps it so that the mode's tool sees it.
 *
 * The target is either the built-in training program (BUILD/<variant>[-fault-NAME]/
 * train_full with the workload's arguments) or a command given with --cmd: its words,
 * {iters} replaced by the run's count, run without a shell. A mode wraps the start:
 *   native    nothing
 *   jemalloc  the built-in jemalloc build, or LD_PRELOAD of Debian's libjemalloc.so.2;
 *             either way with jemalloc's heap profiler on (MALLOC_CONF), for jeprof
 *   lsan      LD_PRELOAD of liblsan.so.0 (leaks with stacks, no rebuild)
 *   valgrind  memcheck in front (the built-in target runs its valgrind build)
 *   asan      the built-in ASan build, or the user's ASan build (--asan-cmd)
 * and in every mode but asan the soak's probe library (libflatmem-probe.so) is preloaded
 * too: it records the program's step marks (include/flatmem.h) and, with jemalloc, its
 * statistics and heap-profile dumps into the run folder (docs/any-program.md).
 *
 * Reads: the options. Owns: nothing; a Launch holds its strings. */
#ifndef HARNESS_TARGET_H
#define HARNESS_TARGET_H

#include <stddef.h>

#include "options.h"
#include "paths.h"
#include "runs.h"
#include "spawn.h"

typedef struct Launch {
    Argv argv;
    Argv env; /* "NAME=value" to set in the child */
} Launch;

/* 1 when the target is a command (--cmd), 0 for the built-in program. */
int target_is_cmd(const Options *o);

/* 1 when its command runs a Python interpreter (its program's name, or a script's "#!"
 * line; through `env` too): the modes that trace Python do (modes.h: env_python). */
int target_is_python(const Options *o);

/* Checks, before anything runs, that every run can start: the built-in programs exist
 * (saying how to build them), a command has {iters} and its program runs, the preload
 * libraries are installed (naming their Debian package). 0, or 2 after a message. */
int target_check(const Options *o, const Run *runs, int n);

/* The argument vector and environment of run r. */
void target_launch(const Options *o, const Run *r, Launch *l);

/* The load command of a service run r (--load, its {iters} the run's count). */
void target_load(const Options *o, const Run *r, Argv *a);

/* The program file run r executes (the one jeprof reads symbols from), as an absolute
 * path: train_full, or
 * the command's first word found on PATH. "" when it cannot be found. */
void target_program(const Options *o, const Run *r, char *out, size_t cap);

/* The built-in program's plain build (--native-variant, no fault): what makes the
 * checkpoint resumed runs start from. */
void target_plain_program(const Options *o, char *out, size_t cap);

/* A note on what could not be measured for the program (statically linked: nothing can
 * be preloaded), "" when nothing; for --cmd runs. */
void target_limits(const Options *o, const Run *r, char *out, size_t cap);

#endif
