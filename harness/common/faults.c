#include "faults.h"

#include <string.h>

/* The detection matrix of docs/faults.md: what each fault build must give in each mode,
 * keyed by the mode's name (a mode not named requires nothing: V_NOT_RUN, as for a native
 * run of a use-after-reset, which may crash or compute garbage quietly). A new mode is
 * required to give nothing until it is named here. tests/e2e/test_soak.c walks this table
 * and docs/faults.md's, and checks that they are the same. */
#define FAULT_MODES 8
typedef struct Required {
    const char *mode;
    Verdict v;
} Required;
#define ALL5(v)                                                       \
    {                                                                 \
        {"native", v}, {"asan", v}, {"valgrind", v}, {"jemalloc", v}, \
        {                                                             \
            "lsan", v                                                 \
        }                                                             \
    }
#define CHECKERS(native_jemalloc, checkers)                                      \
    {                                                                            \
        {"native", native_jemalloc}, {"asan", checkers}, {"valgrind", checkers}, \
            {"jemalloc", native_jemalloc},                                       \
        {                                                                        \
            "lsan", checkers                                                     \
        }                                                                        \
    }
static const struct {
    const char *fault;
    Required v[FAULT_MODES];
    long min_iters; /* required from this count on (0: at every count) */
} k_faults[] = {
    {"none", ALL5(V_FLAT), 0},
    {"early_reset", {{"asan", V_ERROR}, {"valgrind", V_ERROR}}, 0},
    {"stack_inputs", {{"asan", V_ERROR}}, 0},
    {"tape_keep", ALL5(V_GROWING), 0},
    {"leak", CHECKERS(V_GROWING, V_ERROR), 0},
    {"creep", ALL5(V_GROWING), 0},
    {"par_leak", CHECKERS(V_GROWING, V_ERROR), 0},
    {"split_leak", CHECKERS(V_GROWING, V_ERROR), 0},
    {"eval_leak", CHECKERS(V_GROWING, V_ERROR), 0},
    {"stale_probs", {{"asan", V_ERROR}, {"valgrind", V_ERROR}}, 0},
    {"kv_grow", ALL5(V_GROWING), 0},
    {"arena_creep", ALL5(V_GROWING), 0},
    /* a one-time leak on the resume path: reported as such, not failing (test_soak.c) */
    {"load_leak", {{NULL, V_NOT_RUN}}, 0},
    /* one descriptor per checkpoint, every 50 iterations: the 2 of 100 iterations are not
     * told from files a program opens once; from 1000 (20) the count rises steadily */
    {"fd_leak", ALL5(V_GROWING), 1000},
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
    const char *name = mode_name(m);
    for (int i = 0; i < N_FAULTS; i++)
        if (!strcmp(k_faults[i].fault, fault))
            for (int k = 0; k < FAULT_MODES && k_faults[i].v[k].mode; k++)
                if (!strcmp(k_faults[i].v[k].mode, name))
                    return k_faults[i].v[k].v;
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
