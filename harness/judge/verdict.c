#include "verdict.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "columns.h"
#include "runs.h"

int verdict_in_sweep(const Run *r)
{
    return r->verdict == V_FLAT && !r->resume_from && r->peak_rss_bytes && !r->longer_of;
}

int verdict_sweep_grows(Mode m, const double *x, const double *y, int n, double slope, const Tolerance *t)
{
    if (!mode_spec(m)->judges_memory || n < VERDICT_SWEEP_MIN_COUNTS || slope <= 0)
        return 0;
    for (int i = 1; i < n; i++)
        if (y[i] - y[i - 1] < t->page_bytes)
            return 0;
    return (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2]) >= 0.5 * slope;
}

Verdict verdict_run(const RunEvidence *e, RunCause *cause)
{
    static const struct {
        RunCause cause;
        Verdict verdict;
    } ladder[] = {
        {CAUSE_BUDGET, V_OVER_BUDGET}, {CAUSE_TIMEOUT, V_TIMEOUT},    {CAUSE_INTERRUPT, V_NOT_RUN},
        {CAUSE_FINDING, V_ERROR},      {CAUSE_NOT_READY, V_CRASHED},  {CAUSE_SERVER_EXITED, V_CRASHED},
        {CAUSE_SIGNAL, V_CRASHED},     {CAUSE_EXIT, V_CRASHED},       {CAUSE_LOAD_FAILED, V_LOAD_FAILED},
        {CAUSE_BLIND, V_UNJUDGED},     {CAUSE_NO_SAMPLES, V_CRASHED}, {CAUSE_BAD_SAMPLES, V_CRASHED},
        {CAUSE_SHORT, V_CRASHED},      {CAUSE_UNJUDGED, V_UNJUDGED},  {CAUSE_GROWING, V_GROWING},
        {CAUSE_FLAT, V_FLAT},
    };
    /* a program of the user's that ended before the soak could look after its warm-up has
     * no series to judge: not a crash */
    int ended_unseen = e->is_cmd && e->exit_code == 0 && !e->signal && e->n_series == 0;
    const int applies[] = {
        e->killed == KILL_BUDGET,
        e->killed == KILL_TIMEOUT,
        e->killed == KILL_INTERRUPT,
        e->has_finding,
        e->not_ready,
        e->server_exited,
        e->signal != 0,
        e->exit_code != 0,
        e->load_failed,
        e->blind,
        (!e->have_samples || e->n_series == 0) && !ended_unseen,
        e->bad_rows > 0,
        e->iter_reached != (uint64_t)e->iters,
        e->judges_memory && e->n_judged == 0 && (e->n_short > 0 || ended_unseen),
        e->growing,
        1,
    };
    size_t i = 0;
    while (!applies[i])
        i++;
    *cause = ladder[i].cause;
    return ladder[i].verdict;
}

/* Whether series s is judged and its name starts with one of prefixes. */
static int judged_as(const SeriesResult *s, const char *const *prefixes)
{
    for (int k = 0; prefixes[k]; k++)
        if (!strncmp(s->name, prefixes[k], strlen(prefixes[k])))
            return s->judged;
    return 0;
}

/* Whether a judged series whose name starts with one of prefixes grows. */
static int grows(const RunAnalysis *an, const char *const *prefixes)
{
    for (int i = 0; i < an->n_series; i++)
        if (judged_as(&an->series[i], prefixes) && an->series[i].growing)
            return 1;
    return 0;
}

/* The most a judged series named by prefixes rose, from its first floor after warm-up to
 * its last (0 when none rose). */
static double most_rise(const RunAnalysis *an, const char *const *prefixes)
{
    double most = 0.0;
    for (int i = 0; i < an->n_series; i++)
        if (judged_as(&an->series[i], prefixes) && !an->series[i].short_run && an->series[i].growth > most)
            most = an->series[i].growth;
    return most;
}

/* A judged heap series (prefixes) that rose by half the growth of the resident series that
 * decided, or more. */
static int heap_rose(const RunAnalysis *an, const char *const *prefixes)
{
    const SeriesResult *w = an->worst >= 0 ? &an->series[an->worst] : NULL;
    return w && w->cls == SERIES_RSS && w->growth > 0 && most_rise(an, prefixes) >= 0.5 * w->growth;
}

/* A judged heap series (prefixes) that is flat and would have been judged growing at half
 * the rate of the series that decided (its sensitivity, analysis.h): only then does the
 * heap not hold the growth. A heap figure too coarse for that (a short run's few floors, a
 * thread cache's steps) cannot say where the growth is: "non-heap" or "the allocator's"
 * would be stronger than the evidence (a short soak under load once called a preloaded
 * library's 256 bytes a step non-heap growth). */
static int heap_seen_flat(const RunAnalysis *an, const char *const *prefixes)
{
    const SeriesResult *w = an->worst >= 0 ? &an->series[an->worst] : NULL;
    /* (a count that decided, mappings say, has no bytes to compare with) */
    double need = w && w->cls != SERIES_COUNT && w->slope > 0 ? 0.5 * w->slope : INFINITY;
    for (int i = 0; i < an->n_series; i++) {
        const SeriesResult *s = &an->series[i];
        if (judged_as(s, prefixes) && !s->growing && !s->short_run &&
            (isinf(need) || (!isnan(s->sensitivity) && s->sensitivity <= need)))
            return 1;
    }
    return 0;
}

static Kind growth_kind(const RunAnalysis *an)
{
    static const char *const fds[] = {COL_FDS, NULL};
    static const char *const threads[] = {COL_THREADS, NULL};
    if (grows(an, fds))
        return KIND_DESCRIPTOR_LEAK;
    if (grows(an, threads))
        return KIND_THREAD_LEAK;
    static const char *const procs[] = {COL_TREE_PROCESSES, NULL};
    static const char *const tree[] = {COL_TREE_USS, NULL};
    static const char *const own[] = {COL_RSS, NULL};
    if (grows(an, procs))
        return KIND_PROCESS_LEAK;
    /* another process of the tree grows: its heap figures are not measured (the probe acts
     * in the process the soak started) */
    if (grows(an, tree) && !grows(an, own))
        return KIND_UNEXPLAINED_GROWTH;
    static const char *const engine[] = {"tape.", "arena.", NULL};
    static const char *const heap[] = {"mem.",        "malloc.",  "jemalloc.allocated",
                                       "persistent.", "tensors.", NULL};
    static const char *const pages[] = {"jemalloc.active", NULL};
    if (grows(an, engine))
        return KIND_TAPE_OR_ARENA_GROWTH;
    if (grows(an, heap))
        return KIND_REACHABLE_GROWTH;
    /* the allocator's pages grow: its own doing only while what the program holds is flat; a
     * heap figure that rose by half as much, not steadily (a thread cache's refills and
     * flushes between its floors), is the program's growth */
    if (grows(an, pages)) {
        if (most_rise(an, heap) >= 0.5 * most_rise(an, pages))
            return KIND_REACHABLE_GROWTH;
        return heap_seen_flat(an, heap) ? KIND_ALLOCATOR_RETENTION : KIND_UNEXPLAINED_GROWTH;
    }
    /* resident memory grows; a heap figure that rose by half as much, in steps rather than
     * steadily (hash tables doubling as they fill), is the heap all the same */
    if (heap_rose(an, heap))
        return KIND_REACHABLE_GROWTH;
    return heap_seen_flat(an, heap) ? KIND_NON_HEAP_GROWTH : KIND_UNEXPLAINED_GROWTH;
}

Kind verdict_kind(const Run *r)
{
    switch (r->verdict) {
    case V_GROWING: return growth_kind(&r->an);
    case V_ERROR:
        if (!strcmp(r->finding.kind, "leak") || !strcmp(r->finding.kind, "definitely-lost"))
            return KIND_LEAK;
        if (isupper((unsigned char)r->finding.kind[0])) /* "SEGV", "BUS": the tool's signal handler */
            return KIND_CRASH;
        return !strcmp(r->finding.tool, "ubsan") ? KIND_UNDEFINED_BEHAVIOR : KIND_INVALID_ACCESS;
    case V_CRASHED: return KIND_CRASH;
    case V_LOAD_FAILED: return KIND_LOAD_FAILED;
    case V_TIMEOUT: return KIND_TIMEOUT;
    case V_OVER_BUDGET: return KIND_OVER_BUDGET;
    default: return KIND_NONE;
    }
}
