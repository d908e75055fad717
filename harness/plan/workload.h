/* workload.h - what a soak run trains: the table of workloads (soak --config NAME).
 *
 * A workload is a train_full preset plus the arguments that make the run exercise the
 * paths users train with, the engine threads each run gets, whether runs write
 * checkpoints (and the sweep adds runs that resume from one), and a rough cost per
 * iteration in each mode (to start the longest runs first and to set timeouts).
 * The table is the one place a --config name is checked against. */
#ifndef HARNESS_WORKLOAD_H
#define HARNESS_WORKLOAD_H

#include <stdio.h>

#include "runs.h"

#define WORKLOAD_MAX_ARGS 24
#define WORKLOAD_MAX_MODES 8

typedef struct Workload {
    const char *name; /* --config NAME */
    const char *args[WORKLOAD_MAX_ARGS]; /* train_full arguments before ITERS, NULL-ended */
    int threads; /* engine threads per run; 0: cores / jobs */
    int checkpoints; /* 1: --save in each run, and resume runs */
    /* rough ms per iteration in each mode, keyed by the mode's name ("native", ...): a mode
     * not named here costs what the most costly named one does (workload_ms) */
    struct {
        const char *mode;
        double ms;
    } cost[WORKLOAD_MAX_MODES];
    const char *about; /* one line for --help and the report */
    const char *iters; /* its counts unless --iters says (NULL: the soak's, 100 to 10000) */
    const char *modes; /* its modes unless --modes says (NULL: the soak's) */
} Workload;

/* The workload called name, or NULL. */
const Workload *workload_find(const char *name);

/* "soak, tiny, small, medium": the valid names, for messages: into out, which it returns. */
const char *workload_names(char *out, size_t cap);

/* Writes one line per workload (name and what it runs) for --help. */
void workload_list(FILE *f);

/* Rough ms per iteration of workload w in mode m (above). */
double workload_ms(const Workload *w, Mode m);

/* Iterations a checkpoint for resume runs is trained before it is saved. */
#define WORKLOAD_RESUME_FROM 10

#endif
