#include "verdict.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "summary.h"

static const char *const k_verdicts[V_COUNT] = {"FLAT", "GROWING", "ERROR", "CRASHED", "TIMEOUT", "OVER_BUDGET",
                                                "NOT_RUN"};

const char *verdict_name(Verdict v)
{
    return v < V_COUNT ? k_verdicts[v] : "?";
}

const char *overall_name(Overall o)
{
    return o == OVERALL_PASS ? "PASS" : o == OVERALL_FAIL ? "FAIL" : "INCOMPLETE";
}

int mode_judges_rss(Mode m)
{
    return m == MODE_NATIVE || m == MODE_JEMALLOC;
}

int verdict_series_grows(SeriesClass cls, int changed, double growth, int judged, const Tolerance *t)
{
    if (!judged || cls == SERIES_IGNORED)
        return 0;
    if (cls == SERIES_EXACT)
        return changed;
    return growth > (cls == SERIES_ALLOC ? t->alloc_bytes : t->rss_bytes);
}

int verdict_in_sweep(const Run *r)
{
    return r->verdict == V_FLAT && !r->resume_from && r->peak_rss_bytes;
}

int verdict_sweep_grows(Mode m, int points, double growth, const Tolerance *t)
{
    return mode_judges_rss(m) && points >= 2 && growth > t->rss_bytes;
}

Verdict verdict_run(const RunEvidence *e, RunCause *cause)
{
    static const struct {
        RunCause cause;
        Verdict verdict;
    } ladder[] = {
        {CAUSE_BUDGET, V_OVER_BUDGET}, {CAUSE_TIMEOUT, V_TIMEOUT},     {CAUSE_INTERRUPT, V_NOT_RUN},
        {CAUSE_FINDING, V_ERROR},      {CAUSE_SIGNAL, V_CRASHED},      {CAUSE_EXIT, V_CRASHED},
        {CAUSE_NO_SAMPLES, V_CRASHED}, {CAUSE_BAD_SAMPLES, V_CRASHED}, {CAUSE_SHORT, V_CRASHED},
        {CAUSE_GROWING, V_GROWING},    {CAUSE_FLAT, V_FLAT},
    };
    const int applies[] = {
        e->killed == KILL_BUDGET,
        e->killed == KILL_TIMEOUT,
        e->killed == KILL_INTERRUPT,
        e->has_finding,
        e->signal != 0,
        e->exit_code != 0,
        !e->have_samples || e->n_series == 0,
        e->bad_rows > 0,
        e->iter_reached != (uint64_t)e->iters,
        e->growing,
        1,
    };
    size_t i = 0;
    while (!applies[i])
        i++;
    *cause = ladder[i].cause;
    return ladder[i].verdict;
}

Verdict verdict_unstarted(void)
{
    return V_CRASHED;
}

/* Whether a series whose name starts with one of prefixes grows (want 1) or was measured
 * and is flat (want 0). */
static int series_state(const RunAnalysis *an, const char *const *prefixes, int want)
{
    for (int i = 0; i < an->n_series; i++)
        for (int k = 0; prefixes[k]; k++)
            if (!strncmp(an->series[i].name, prefixes[k], strlen(prefixes[k])) && an->series[i].judged &&
                an->series[i].growing == want)
                return 1;
    return 0;
}

static const char *growth_kind(const RunAnalysis *an)
{
    static const char *const engine[] = {"tape.", "arena.", NULL};
    static const char *const heap[] = {"mem.", "malloc.", "jemalloc.allocated", "persistent.", "tensors.", NULL};
    static const char *const pages[] = {"jemalloc.active", NULL};
    if (series_state(an, engine, 1))
        return "tape-or-arena-growth";
    if (series_state(an, heap, 1))
        return "reachable-growth";
    if (series_state(an, pages, 1))
        return "allocator-retention";
    return series_state(an, heap, 0) ? "non-heap-growth" : "unexplained-growth";
}

const char *verdict_kind(const Run *r)
{
    switch (r->verdict) {
    case V_GROWING: return growth_kind(&r->an);
    case V_ERROR:
        if (!strcmp(r->finding.kind, "leak") || !strcmp(r->finding.kind, "definitely-lost"))
            return "leak";
        if (isupper((unsigned char)r->finding.kind[0])) /* "SEGV", "BUS": the tool's signal handler */
            return "crash";
        return !strcmp(r->finding.tool, "ubsan") ? "undefined-behavior" : "invalid-access";
    case V_CRASHED: return "crash";
    case V_TIMEOUT: return "timeout";
    case V_OVER_BUDGET: return "over-budget";
    default: return "";
    }
}

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

Cell verdict_cell(const Run *runs, int n, const char *fault, Mode m)
{
    Cell c = {.fault = fault, .mode = m, .worst = V_FLAT, .required = verdict_required(fault, m), .caught = 1};
    for (int i = 0; i < n; i++) {
        const Run *r = &runs[i];
        if (r->mode != m || strcmp(r->fault, fault))
            continue;
        if (!c.example || r->verdict > c.worst) {
            c.worst = r->verdict;
            c.example = r;
        }
        if (c.required != V_NOT_RUN && r->verdict != c.required)
            c.caught = 0;
    }
    return c;
}

void verdict_leaks(SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++) {
        Run *r = &res->runs[i];
        if (strcmp(r->kind ? r->kind : "", "leak") || isnan(r->leak_bytes) || r->resume_from)
            continue;
        double x[64], y[64], lo = INFINITY, hi = -INFINITY;
        int n = 0;
        for (int j = 0; j < res->n_runs && n < 64; j++) {
            const Run *q = &res->runs[j];
            if (q->mode == r->mode && !strcmp(q->fault, r->fault) && !isnan(q->leak_bytes) && !q->resume_from) {
                x[n] = (double)q->iters, y[n++] = q->leak_bytes;
                lo = fmin(lo, (double)q->iters), hi = fmax(hi, (double)q->iters);
            }
        }
        int counts = hi > lo;
        r->one_time_leak = counts && fabs(theil_sen(x, y, (size_t)n)) * (hi - lo) <= res->tol.alloc_bytes;
        if (r->one_time_leak)
            r->kind = "one-time-leak";
    }
}

int verdict_run_skipped(const Run *r)
{
    return r->verdict == V_NOT_RUN;
}

int verdict_run_fails(const Run *r, int expect_faults)
{
    if (verdict_run_skipped(r) || (r->one_time_leak && !r->strict_leaks))
        return 0;
    if (expect_faults && strcmp(r->fault, "none")) {
        Verdict want = verdict_required(r->fault, r->mode);
        return want != V_NOT_RUN && r->verdict != want;
    }
    return r->verdict != V_FLAT;
}

Verdict verdict_expected(const Run *r, int expect_faults)
{
    Verdict want = expect_faults ? verdict_required(r->fault, r->mode) : V_FLAT;
    return want == V_NOT_RUN ? r->verdict : want;
}

int verdict_cell_missed(const Cell *c)
{
    return c->required != V_NOT_RUN && !c->caught;
}

int verdict_exit_status(Overall o)
{
    return o == OVERALL_PASS ? 0 : 1;
}

int verdict_sweep_fails(const char *fault, int growing, int expect_faults)
{
    return growing && (!expect_faults || !strcmp(fault, "none"));
}

Overall verdict_overall(const SoakResult *res)
{
    int missing = res->interrupted, failed = res->base.n_regressions > 0;
    for (int i = 0; i < res->n_runs; i++) {
        missing |= verdict_run_skipped(&res->runs[i]) || res->runs[i].state != 2;
        failed |= verdict_run_fails(&res->runs[i], res->expect_faults);
    }
    for (int i = 0; i < res->n_sweeps; i++)
        failed |= verdict_sweep_fails(res->sweeps[i].fault, res->sweeps[i].growing, res->expect_faults);
    return missing ? OVERALL_INCOMPLETE : failed ? OVERALL_FAIL : OVERALL_PASS;
}
