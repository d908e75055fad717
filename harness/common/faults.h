/* faults.h - the fault builds the soak knows, and what each must give in each mode: the
 * detection matrix of docs/faults.md as a table (tests/e2e/test_soak.c checks that the two are
 * the same). Reads: nothing. Owns: static data. */
#ifndef HARNESS_FAULTS_H
#define HARNESS_FAULTS_H

#include "modes.h"
#include "verdicts.h"

/* The fault builds, "none" (the clean build) first: 0 <= i < fault_count(). */
int fault_count(void);
const char *fault_name(int i);

/* 1 when name is a fault build the Makefile knows. */
int fault_known(const char *name);

/* The verdict docs/faults.md requires of fault in mode m, or V_NOT_RUN when none is. */
Verdict verdict_required(const char *fault, Mode m);

/* The smallest count at which the verdict is required (a runs of fewer iterations than it
 * takes to show the fault requires nothing): 0 for most. */
long fault_min_iters(const char *fault);

/* What a run of fault in mode m at count iters must give: verdict_required, or V_NOT_RUN
 * below the fault's fault_min_iters. */
Verdict verdict_required_at(const char *fault, Mode m, long iters);

#endif
