#include "faults.h"

#include <string.h>

/* The detection matrix of docs/faults.md: what each fault build must give in each mode
 * (V_NOT_RUN: nothing required: a native run of a use-after-reset may crash or compute
 * garbage quietly). tests/test_soak.c walks this table and docs/faults.md's, and checks
 * that they are the same. */
static const struct {
    const char *fault;
    Verdict v[MODE_COUNT]; /* native, asan, valgrind, jemalloc, lsan */
    long min_iters; /* required from this count on (0: at every count) */
} k_faults[] = {
    {"none", {V_FLAT, V_FLAT, V_FLAT, V_FLAT, V_FLAT}, 0},
    {"early_reset", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN, V_NOT_RUN}, 0},
    {"stack_inputs", {V_NOT_RUN, V_ERROR, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN}, 0},
    {"tape_keep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}, 0},
    {"leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}, 0},
    {"creep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}, 0},
    {"par_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}, 0},
    {"split_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}, 0},
    {"eval_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}, 0},
    {"stale_probs", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN, V_NOT_RUN}, 0},
    {"kv_grow", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}, 0},
    {"arena_creep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}, 0},
    /* a one-time leak on the resume path: reported as such, not failing (test_soak.c) */
    {"load_leak", {V_NOT_RUN, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN}, 0},
    /* one descriptor per checkpoint, every 50 iterations: the 2 of 100 iterations are not
     * told from files a program opens once; from 1000 (20) the count rises steadily */
    {"fd_leak", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}, 1000},
};
#define N_FAULTS ((int)(sizeof k_faults / sizeof k_faults[0]))

int fault_count(void)
{
    return N_FAULTS;
}

const char *fault_name(int i)
{
    return i >= 0 && i < N_FAULTS ? k_faults[i].fault : NULL;
}

int fault_known(const char *name)
{
    for (int i = 0; i < N_FAULTS; i++)
        if (!strcmp(k_faults[i].fault, name))
            return 1;
    return 0;
}

Verdict verdict_required(const char *fault, Mode m)
{
    for (int i = 0; i < N_FAULTS && m < MODE_COUNT; i++)
        if (!strcmp(k_faults[i].fault, fault))
            return k_faults[i].v[m];
    return V_NOT_RUN;
}

long fault_min_iters(const char *fault)
{
    for (int i = 0; i < N_FAULTS; i++)
        if (!strcmp(k_faults[i].fault, fault))
            return k_faults[i].min_iters;
    return 0;
}

Verdict verdict_required_at(const char *fault, Mode m, long iters)
{
    return iters < fault_min_iters(fault) ? V_NOT_RUN : verdict_required(fault, m);
}
