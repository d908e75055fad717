#include "faults.h"

#include <string.h>

/* The detection matrix of docs/faults.md: what each fault build must give in each mode
 * (V_NOT_RUN: nothing required: a native run of a use-after-reset may crash or compute
 * garbage quietly). tests/test_soak.c walks this table and docs/faults.md's, and checks
 * that they are the same. */
static const struct {
    const char *fault;
    Verdict v[MODE_COUNT]; /* native, asan, valgrind, jemalloc, lsan */
} k_faults[] = {
    {"none", {V_FLAT, V_FLAT, V_FLAT, V_FLAT, V_FLAT}},
    {"early_reset", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN, V_NOT_RUN}},
    {"stack_inputs", {V_NOT_RUN, V_ERROR, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN}},
    {"tape_keep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}},
    {"leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}},
    {"creep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}},
    {"par_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}},
    {"split_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}},
    {"eval_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING, V_ERROR}},
    {"stale_probs", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN, V_NOT_RUN}},
    {"kv_grow", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}},
    {"arena_creep", {V_GROWING, V_GROWING, V_GROWING, V_GROWING, V_GROWING}},
    /* a one-time leak on the resume path: reported as such, not failing (test_soak.c) */
    {"load_leak", {V_NOT_RUN, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN, V_NOT_RUN}},
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
