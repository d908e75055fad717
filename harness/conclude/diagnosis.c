#include "diagnosis.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "attrib.h"
#include "result.h"
#include "util.h"

/* ---- evidence -------------------------------------------------------------------------------- */

/* What one run points at. */
typedef struct Evidence {
    const Run *run;
    Kind kind;
    char function[96], location[160], site[32];
    int reported; /* the function is a tool report's frame, not a sampled stack's */
    int python; /* a Python line: function and location (a def holds many lines) */
    int stack; /* which of the run's growth stacks names it (-1: none, or its primary) */
} Evidence;

/* "fn file:line" -> fn, file:line (the last word is the location when it has a ':'). */
static void split_frame(const char *frame, char *fn, size_t fncap, char *loc, size_t loccap)
{
    const char *sp = strrchr(frame, ' ');
    if (sp && strchr(sp, ':')) {
        snprintf(fn, fncap, "%.*s", (int)(sp - frame), frame);
        snprintf(loc, loccap, "%s", sp + 1);
    } else {
        size_t n = strlen(frame) < fncap ? strlen(frame) : fncap - 1;
        memcpy(fn, frame, n);
        fn[n] = 0;
        loc[0] = 0;
    }
}

static Evidence evidence_of(const Run *r)
{
    Evidence e = {.run = r, .kind = r->kind != KIND_NONE ? r->kind : KIND_CRASH, .stack = -1};
    if (r->kind == KIND_DESCRIPTOR_LEAK &&
        r->fds.frame[0]) { /* memcheck --track-fds: where they were opened */
        split_frame(r->fds.frame, e.function, sizeof e.function, e.location, sizeof e.location);
        e.reported = 1;
    } else if (r->kind == KIND_THREAD_LEAK && r->thread_creator[0]) { /* memcheck: pthread_create's caller */
        split_frame(r->thread_creator, e.function, sizeof e.function, e.location, sizeof e.location);
        e.reported = 1;
    } else if (r->has_finding && r->finding.n_frames) {
        split_frame(r->finding.frames[0], e.function, sizeof e.function, e.location, sizeof e.location);
        e.reported = 1;
    } else if (r->n_stacks &&
               strncmp(r->stacks[0].function, "0x", 2)) { /* an address: jeprof had no symbols */
        snprintf(e.function, sizeof e.function, "%s", r->stacks[0].function);
        snprintf(e.location, sizeof e.location, "%s", r->stacks[0].where);
        e.python = r->stacks[0].python;
    }
    if (r->n_sites)
        snprintf(e.site, sizeof e.site, "%s", r->sites[0].site);
    return e;
}

/* 1 when e is memory that grows and p a leak that does not (a one-time leak at exit, an
 * interpreter's own): the growth is not its evidence, and would make it read as growth. */
static int grows_past(const Problem *p, const Evidence *e)
{
    return p->kind == KIND_ONE_TIME_LEAK && e->kind != KIND_ONE_TIME_LEAK && kind_is_growth(e->kind);
}

/* ---- grouping ----------------------------------------------------------------------------- */

static Problem *problem_new(Diagnosis *d, const char *fault, Kind kind)
{
    if (d->n == DIAG_MAX) {
        d->dropped++;
        return NULL;
    }
    Problem *p = &d->list[d->n++];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    snprintf(p->fault, sizeof p->fault, "%s", fault);
    p->rate = p->rate_min = p->rate_max = p->once_bytes = NAN;
    return p;
}

/* The length of function name f without its parameter list ("ns::Pool::keep(long) const"
 * as a tool's report gives it, "ns::Pool::keep" as a heap profile's short name does). */
static size_t name_len(const char *f)
{
    const char *open = f[0] ? strchr(f + 1, '(') : NULL; /* not "(anonymous namespace)::..." */
    while (open && open[1] == 'a' && !strncmp(open, "(anonymous namespace)", 21))
        open = strchr(open + 21, '(');
    return open ? (size_t)(open - f) : strlen(f);
}

/* Whether a and b name the same function, a parameter list or none. */
static int same_function(const char *a, const char *b)
{
    size_t la = name_len(a), lb = name_len(b);
    return a[0] && la == lb && !strncmp(a, b, la);
}

static void problem_add(Problem *p, const Evidence *e)
{
    if (!p)
        return;
    if (!p->function[0] && e->function[0]) {
        snprintf(p->function, sizeof p->function, "%s", e->function);
        snprintf(p->location, sizeof p->location, "%s", e->location);
        p->python = e->python;
    }
    if (!p->site[0] && e->site[0])
        snprintf(p->site, sizeof p->site, "%s", e->site);
    if (!p->process[0] && e->run->grower[0] && e->run->grower_is_child)
        snprintf(p->process, sizeof p->process, "%s", e->run->grower);
    if (!p->n_frames && e->run->has_finding) {
        p->n_frames = e->run->finding.n_frames;
        memcpy(p->frames, e->run->finding.frames, sizeof p->frames);
    }
    for (int k = 0; !p->n_frames && k < e->run->n_stacks; k++) {
        const StackGrowth *s = &e->run->stacks[k];
        if (!same_function(s->function, p->function) || (e->stack >= 0 && k != e->stack) ||
            (p->python && strcmp(s->where, p->location)))
            continue;
        snprintf(p->frames[p->n_frames++], sizeof p->frames[0], "%s %s", s->function, s->where);
        snprintf(p->code, sizeof p->code, "%s", s->code);
        p->outside_python = e->run->python_traced && !s->python && !s->traced;
        /* its callers (a Python caller with its place) */
        for (int c = 0; c < s->n_callers && p->n_frames < FINDING_FRAMES; c++)
            snprintf(p->frames[p->n_frames++], sizeof p->frames[0], "%s%s%s", s->callers[c].function,
                     s->python && s->callers[c].where[0] ? " " : "", s->python ? s->callers[c].where : "");
    }
    if (e->kind == KIND_DESCRIPTOR_LEAK && e->run->fds.count > 0 && p->lead == LEAD_NONE) {
        p->lead = LEAD_FDS_OPEN;
        p->lead_run = e->run;
    }
    if (e->kind < p->kind) /* the more telling (kinds.h's order) */
        p->kind = e->kind;
    if (p->n_runs < DIAG_RUNS)
        p->runs[p->n_runs++] = e->run;
}

/* The problem of the same build that names the same function or site. */
static Problem *by_place(Diagnosis *d, const Evidence *e)
{
    for (int i = 0; i < d->n; i++) {
        Problem *p = &d->list[i];
        if (strcmp(p->fault, e->run->fault))
            continue;
        if ((e->function[0] && same_function(p->function, e->function) &&
             (!e->python || !strcmp(p->location, e->location))) ||
            (e->site[0] && !strcmp(p->site, e->site)))
            return p;
    }
    return NULL;
}

/* The function of frame "fn file:line" is name (as split_frame cuts it). */
static int frame_is(const char *frame, const char *name)
{
    char fn[96], loc[160];
    split_frame(frame, fn, sizeof fn, loc, sizeof loc);
    return same_function(fn, name);
}

/* A problem of the build and family whose stack overlaps the run's tool report: one of
 * the report's top frames is the problem's function or one of its frames (two tools that
 * stop one call apart, a worker thread's report one level down). */
static Problem *by_frames(Diagnosis *d, const Evidence *e)
{
    const Finding *f = &e->run->finding;
    for (int i = 0; i < d->n; i++) {
        Problem *p = &d->list[i];
        if (strcmp(p->fault, e->run->fault) || kind_family(p->kind) != kind_family(e->kind))
            continue;
        for (int a = 0; a < f->n_frames; a++) {
            char fn[96], loc[160];
            split_frame(f->frames[a], fn, sizeof fn, loc, sizeof loc);
            int hit = same_function(fn, p->function);
            for (int b = 0; b < p->n_frames && !hit; b++)
                hit = frame_is(p->frames[b], fn);
            if (hit)
                return p;
        }
    }
    return NULL;
}

/* The only problem of the build and family that lacks the kind of name e has (a site-only
 * run's problem when e names a function, and the other way round), or NULL. */
static Problem *by_missing_name(Diagnosis *d, const Evidence *e)
{
    Problem *found = NULL;
    int n = 0;
    for (int i = 0; i < d->n; i++) {
        Problem *p = &d->list[i];
        if (strcmp(p->fault, e->run->fault) || kind_family(p->kind) != kind_family(e->kind))
            continue;
        n++;
        if ((e->function[0] && !p->function[0]) || (!e->function[0] && e->site[0] && !p->site[0]))
            found = p;
    }
    return n == 1 ? found : NULL;
}

/* The problem of the build with the most evidence, of e's family (any family for a crash,
 * a timeout, a run over budget). */
static Problem *by_family(Diagnosis *d, const Evidence *e)
{
    Problem *best = NULL;
    Family f = kind_family(e->kind);
    for (int i = 0; i < d->n; i++) {
        Problem *p = &d->list[i];
        if (strcmp(p->fault, e->run->fault) || kind_family(p->kind) == FAM_SOAK || grows_past(p, e))
            continue;
        if ((f == FAM_PROCESS || kind_family(p->kind) == f) && (!best || p->n_runs > best->n_runs))
            best = p;
    }
    return best;
}

/* A bad access another tool (or thread) reported elsewhere in the same build: one
 * problem (each tool stops at its first report, and with threads the first one seen
 * differs from run to run), the other place noted. */
static void also_at(Problem *p, const Evidence *e)
{
    if (!e->function[0])
        return; /* nowhere to name */
    for (int i = 0; i < p->n_also; i++)
        if (!p->also[i].grew && !strcmp(p->also[i].function, e->function))
            return; /* that place once */
    if (p->n_also == (int)(sizeof p->also / sizeof p->also[0]))
        return;
    p->also[p->n_also].mode = e->run->mode;
    p->also[p->n_also].iters = e->run->iters;
    p->also[p->n_also].grew = 0;
    snprintf(p->also[p->n_also].function, sizeof p->also[0].function, "%s", e->function);
    snprintf(p->also[p->n_also++].location, sizeof p->also[0].location, "%s", e->location);
}

/* The order evidence is placed in, most trusted first: 0 a tool report's frame; 1 an
 * engine site (with or without a sampled stack); 2 only a sampled stack (jemalloc's
 * profiles sample one allocation in 2^17 bytes: at a few hundred iterations their top
 * stack may be another allocation than the one growing); 3 nothing, or a crash (where a
 * program crashed is seldom where the fault is). */
static int evidence_pass(const Evidence *e)
{
    if (kind_family(e->kind) == FAM_PROCESS)
        return 3;
    return e->reported ? 0 : e->site[0] ? 1 : e->function[0] ? 2 : 3;
}

/* The GROWING jemalloc run of a build with growth stacks and the largest count: the one
 * whose profiles hold the most samples. */
static const Run *largest_stacks(const SoakResult *res, const char *fault)
{
    const Run *best = NULL;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (mode_spec(r->mode)->heap_profiles && r->verdict == V_GROWING && r->n_stacks &&
            !strcmp(r->fault, fault) && (!best || r->iters > best->iters))
            best = r;
    }
    return best;
}

/* A run of memory that grows and names no place (a native run: its series grow by the sum
 * of every growth of the build) is evidence of each problem of its family in its build
 * that grows. 1 when it was added to any. */
static int add_to_family(Diagnosis *d, const Evidence *e)
{
    Family f = kind_family(e->kind);
    int added = 0;
    /* a child of the command that grows, unnamed here (a mode without heap profiles): the
     * problem another mode named in a process of the same name (its own run's pid differs) */
    const char *pid = e->run->grower_is_child ? strstr(e->run->grower, " (pid ") : NULL;
    for (int i = 0; pid && e->kind == KIND_UNEXPLAINED_GROWTH && i < d->n; i++) {
        Problem *p = &d->list[i];
        size_t len = (size_t)(pid - e->run->grower);
        if (!strcmp(p->fault, e->run->fault) &&
            (kind_family(p->kind) == FAM_HEAP || f == kind_family(p->kind)) &&
            !strncmp(p->process, e->run->grower, len) && !strncmp(p->process + len, " (pid ", 6)) {
            problem_add(p, e);
            return 1;
        }
    }
    /* resident memory that grows with no heap figure to tell which (unexplained: a run whose
     * probe took no allocator statistics) is evidence of the heap's problems as much as of
     * the pages' (a short jemalloc run under load, its statistics never sampled, once made
     * a second problem beside the leak every other mode saw) */
    for (int i = 0; (f == FAM_HEAP || f == FAM_PAGES) && i < d->n; i++)
        if (!strcmp(d->list[i].fault, e->run->fault) &&
            (kind_family(d->list[i].kind) == f ||
             (e->kind == KIND_UNEXPLAINED_GROWTH && kind_family(d->list[i].kind) == FAM_HEAP)) &&
            !grows_past(&d->list[i], e)) {
            problem_add(&d->list[i], e);
            added = 1;
        }
    return added;
}

/* The bad access a tool reported in e's build, if any: memory that grows in a run of that
 * build where nothing checks accesses and nothing names a place is what the bad access
 * left behind (garbage read as sizes), not a problem of its own. */
static Problem *access_problem(Diagnosis *d, const Evidence *e)
{
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->list[i].fault, e->run->fault) && kind_family(d->list[i].kind) == FAM_ACCESS)
            return &d->list[i];
    return NULL;
}

static void also_grew(Problem *p, const Evidence *e)
{
    if (p->n_also == (int)(sizeof p->also / sizeof p->also[0]))
        return;
    p->also[p->n_also].mode = e->run->mode;
    p->also[p->n_also].iters = e->run->iters;
    p->also[p->n_also].grew = 1;
    p->also[p->n_also].function[0] = p->also[p->n_also].location[0] = 0;
    p->n_also++;
}

/* The leak problem of run r's build whose leak reports (its largest run's bytes over its
 * count) account for nine tenths or more of what r's memory grew by: r's heap grew by that
 * leak, whatever its profiles name the allocation (a leak checker's frame and a heap
 * profile's symbol of a library without symbols differ: libffi.so.8+0x6f79 against
 * ffi_prep_go_closure). NULL when none does, or when another problem's leak could. */
static Problem *leak_explaining(Diagnosis *d, const Run *r)
{
    const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
    Problem *found = NULL;
    for (int i = 0; w && w->slope > 0 && i < d->n; i++) {
        Problem *p = &d->list[i];
        const Run *big = NULL;
        for (int k = 0; k < p->n_runs; k++) {
            const Run *q = p->runs[k];
            if (q->kind == KIND_LEAK && !q->one_time_leak && !q->resume_from && !isnan(q->leak_bytes) &&
                (!big || q->iters > big->iters))
                big = q;
        }
        if (strcmp(p->fault, r->fault) || p->kind != KIND_LEAK || !big)
            continue;
        double rate = big->leak_bytes / (double)big->iters;
        if (w->slope - rate < 0.1 * w->slope && rate < 1.25 * w->slope) {
            if (found)
                return NULL;
            found = p;
        }
    }
    return found;
}

/* The growing stacks of the build's longest jemalloc run (the one with the most samples),
 * each holding a tenth of the growth or more (and, past the first, seen grown in more than
 * one heap profile): a problem each, unless one names the same function already (its first stack is placed
 * with the rest of its evidence when the run has a tool report or an engine site: first). */
static void add_stacks(Diagnosis *d, const SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = largest_stacks(res, res->runs[i].fault);
        if (r != &res->runs[i])
            continue;
        Evidence primary = evidence_of(r);
        for (int k = evidence_pass(&primary) == 2 ? 0 : 1; k < r->n_stacks; k++) {
            const StackGrowth *g = &r->stacks[k];
            if (g->share < DIAG_STACK_SHARE || !strncmp(g->function, "0x", 2) || g->traced ||
                (k > 0 && (g->one_profile || g->recurs)))
                continue; /* (traced: memory a Python line above holds) */
            Evidence e = {
                .run = r, .kind = r->kind != KIND_NONE ? r->kind : KIND_REACHABLE_GROWTH, .stack = k};
            snprintf(e.function, sizeof e.function, "%s", g->function);
            snprintf(e.location, sizeof e.location, "%s", g->where);
            e.python = g->python;
            Problem *p = by_place(d, &e);
            if (!p && k == 0)
                p = leak_explaining(d, r);
            problem_add(p ? p : problem_new(d, r->fault, e.kind), &e);
        }
    }
}

static void group_runs(Diagnosis *d, const SoakResult *res)
{
    for (int pass = 0; pass < 4; pass++) {
        if (pass == 2)
            add_stacks(d, res);
        for (int i = 0; i < res->n_runs; i++) {
            const Run *r = &res->runs[i];
            if (r->verdict == V_FLAT || r->verdict == V_UNJUDGED || r->verdict == V_INCONCLUSIVE ||
                r->skipped)
                continue;
            Evidence e = evidence_of(r);
            if (evidence_pass(&e) != pass || (pass == 2 && r == largest_stacks(res, r->fault)))
                continue;
            Problem *p = pass < 3 ? by_place(d, &e) : NULL;
            if (!p && pass == 0)
                p = by_frames(d, &e);
            if (!p && pass == 0 && kind_family(e.kind) == FAM_ACCESS && (p = by_family(d, &e)))
                also_at(p, &e);
            if (!p && pass > 0 && pass < 3)
                p = by_missing_name(d, &e);
            if (!p && pass == 3 && add_to_family(d, &e))
                continue;
            if (!p && pass == 3 && kind_is_growth(e.kind) && (p = access_problem(d, &e)))
                also_grew(p, &e);
            if (!p && pass >= 2) /* a sampled stack alone does not make a second problem of a family */
                p = by_family(d, &e);
            problem_add(p ? p : problem_new(d, r->fault, e.kind), &e);
        }
    }
}

/* ---- figures ----------------------------------------------------------------------------- */

static unsigned modes_run(const SoakResult *res, const char *fault)
{
    unsigned bits = 0;
    for (int i = 0; i < res->n_runs; i++)
        if (!strcmp(res->runs[i].fault, fault) && !res->runs[i].skipped)
            bits |= 1u << res->runs[i].mode;
    return bits;
}

/* ---- how fast: the rate from the most exact evidence ------------------------------------- */

/* Kinds of evidence for a rate, most exact first. */
typedef enum RateSource {
    RS_LEAKS,
    RS_EXACT,
    RS_TRACED,
    RS_ALLOC,
    RS_STACKS,
    RS_RESIDENT,
    RS_NONE
} RateSource;

/* The average block of q's leaks (its leak report at the largest count), or NAN. */
static double leak_block(const Problem *q)
{
    const Run *best = NULL;
    for (int k = 0; k < q->n_runs; k++) {
        const Run *r = q->runs[k];
        if (r->kind == KIND_LEAK && !r->resume_from && r->leak_objects > 0 && r->leak_bytes > 0 &&
            (!best || r->iters > best->iters))
            best = r;
    }
    return best ? best->leak_bytes / best->leak_objects : NAN;
}

/* What the other problems that hold run r grow by, when each has a rate of its own from
 * leak reports (exact): 0 when r is p's alone, NAN when another's rate is not known. Run
 * r's series grow by the sum of the problems it holds, as r's allocator holds their blocks
 * (a lost 200-byte block is 208 bytes of glibc's, 224 of jemalloc's: a kept 128-byte
 * record read 162 beside it, less the bare 200); *charged is 0 when a block's size is not
 * known (its bytes are then counted bare). */
static double others_rate(const Diagnosis *d, const Problem *p, const Run *r, int *charged)
{
    double sum = 0;
    *charged = 1;
    for (int i = 0; i < d->n; i++) {
        const Problem *q = &d->list[i];
        int holds = 0;
        for (int k = 0; q != p && k < q->n_runs; k++)
            holds |= q->runs[k] == r;
        if (holds && (isnan(q->rate) || !q->from_leaks))
            return NAN;
        if (!holds)
            continue;
        double block = leak_block(q);
        *charged &= !isnan(block);
        sum += isnan(block) ? q->rate : q->rate * mode_block_charge(r->mode, block) / block;
    }
    return sum;
}

/* What run r says of p's rate, from evidence of kind src: the rate, or NAN; *from names it. */
static double run_rate(const Diagnosis *d, const Problem *p, const Run *r, RateSource src, int alone,
                       char *from, size_t cap)
{
    if (src == RS_TRACED) { /* a Python line: the sizes of the objects it keeps, exactly */
        for (int k = 0; p->python && k < r->n_stacks; k++)
            if (r->stacks[k].python && !strcmp(r->stacks[k].function, p->function) &&
                !strcmp(r->stacks[k].where, p->location)) {
                snprintf(from, cap, "tracemalloc, %s %ld", mode_name(r->mode), r->iters);
                return r->stacks[k].bytes_per_iter;
            }
        return NAN;
    }
    if (src == RS_STACKS) {
        for (int k = 0; p->function[0] && k < r->n_stacks; k++)
            if (same_function(r->stacks[k].function, p->function)) {
                snprintf(from, cap, "%s, %s %ld",
                         r->stacks_mapped ? "the mappings it made (recorded)"
                                          : "jemalloc heap profiles (sampled)",
                         mode_name(r->mode), r->iters);
                return r->stacks[k].bytes_per_iter;
            }
        return NAN;
    }
    /* a count of descriptors or threads is its own, not shared with the bytes of leaks */
    int counts = kind_unit(p->kind) != NULL, charged = 1;
    double others = counts ? 0 : others_rate(d, p, r, &charged);
    if (r->verdict != V_GROWING || r->an.worst < 0 || isnan(others) || r->resume_from || (alone && !charged))
        return NAN;
    const SeriesResult *w = &r->an.series[r->an.worst];
    RateSource have = w->cls == SERIES_EXACT || w->cls == SERIES_COUNT ? RS_EXACT
                      : w->cls == SERIES_ALLOC                         ? RS_ALLOC
                                                                       : RS_RESIDENT;
    /* the rate counts what the kind counts: bytes, or descriptors (a growing count of
     * mappings follows memory and is no rate of bytes) */
    if (counts != (w->cls == SERIES_COUNT) || have != src || w->slope - others <= 0)
        return NAN;
    char less[48] = "";
    if (others > 0)
        fmt_bytes(less, sizeof less, others);
    snprintf(from, cap, "%s, %s %ld%s%s%s", w->name, mode_name(r->mode), r->iters,
             others > 0 ? ", less " : "", less, others > 0 ? "/iteration of leaks" : "");
    return w->slope - others;
}

/* The leak reports of p's fresh runs in one mode, across counts: bytes per iteration (the
 * Theil-Sen slope of bytes against the count; one count: its bytes over its count). The
 * mode with the most counts, then the largest. NAN when p has no per-iteration leak. */
static double leak_rate(const Problem *p, char *from, size_t cap, int *n_out)
{
    double best = NAN;
    int best_n = 0;
    long best_hi = 0;
    for (int m = 0; m < MODE_COUNT; m++) {
        double x[DIAG_RUNS], y[DIAG_RUNS];
        int n = 0;
        long lo = 0, hi = 0;
        for (int k = 0; k < p->n_runs; k++) {
            const Run *r = p->runs[k];
            if (r->mode != (Mode)m || r->resume_from || r->one_time_leak || isnan(r->leak_bytes) ||
                r->kind != KIND_LEAK)
                continue;
            x[n] = (double)r->iters;
            y[n++] = r->leak_bytes;
            lo = !lo || r->iters < lo ? r->iters : lo;
            hi = r->iters > hi ? r->iters : hi;
        }
        if (!n || n < best_n || (n == best_n && hi <= best_hi))
            continue;
        best_n = n;
        best_hi = hi;
        if (hi > lo) {
            best = theil_sen(x, y, (size_t)n);
            snprintf(from, cap, "%s leak reports at %ld to %ld iterations", mode_name((Mode)m), lo, hi);
        } else {
            best = y[0] / x[0];
            snprintf(from, cap, "%s leak report over %ld iterations", mode_name((Mode)m), hi);
        }
    }
    *n_out = best_n;
    return best_n && best > 0 ? best : NAN;
}

/* p's rate from its leak reports (first, for every problem: others_rate needs them). */
static void problem_leak_rate(Problem *p)
{
    Family fam = kind_family(p->kind);
    if ((fam != FAM_HEAP && fam != FAM_PAGES) || p->kind == KIND_ONE_TIME_LEAK)
        return;
    int n = 0;
    double v = leak_rate(p, p->rate_from, sizeof p->rate_from, &n);
    if (!isnan(v)) {
        p->rate = p->rate_min = p->rate_max = v;
        p->n_rates = n;
        p->from_leaks = 1;
    }
}

/* Otherwise: from the most exact kind of evidence its runs hold, the run with the largest
 * count; of two runs of one count, the smaller rate. Both allocators count more than the
 * program asked for, never less: glibc each block with its 8-byte header in steps of 16
 * (a 29-byte strdup holds 48), jemalloc in size classes (up to a quarter more) and, under
 * its heap profiler, each sampled block that is kept at a large size class (+13% to +28%
 * measured on kept blocks of 64 to 200 bytes): the smaller is the tighter bound. Min and
 * max over the runs of that kind. */
/* p's rate from evidence of kind src (problem_rate): 1 when there was some. */
static int rate_from_source(Problem *p, const Diagnosis *d, RateSource src, int alone)
{
    const Run *best = NULL;
    for (int k = 0; k < p->n_runs; k++) {
        const Run *r = p->runs[k];
        char from[120];
        double v = run_rate(d, p, r, src, alone, from, sizeof from);
        if (isnan(v) || v <= 0)
            continue;
        p->rate_min = p->n_rates ? fmin(p->rate_min, v) : v;
        p->rate_max = p->n_rates ? fmax(p->rate_max, v) : v;
        p->n_rates++;
        if (!best || r->iters > best->iters || (r->iters == best->iters && v < p->rate)) {
            best = r;
            p->rate = v;
            snprintf(p->rate_from, sizeof p->rate_from, "%s", from);
        }
    }
    return p->n_rates > 0;
}

static void problem_rate(Problem *p, const Diagnosis *d)
{
    Family fam = kind_family(p->kind);
    if ((fam != FAM_HEAP && fam != FAM_PAGES && fam != FAM_RESOURCE) || p->kind == KIND_ONE_TIME_LEAK ||
        p->from_leaks)
        return;
    /* first from series that grow by p alone, or less other problems' leaks whose blocks
     * the allocator's charge is known of (others_rate); then less leaks of unknown blocks
     * too, which keeps the allocator's headers of them in p's rate */
    for (int pass = 0; pass < 2; pass++)
        for (RateSource src = RS_EXACT; src < RS_NONE; src++)
            if (rate_from_source(p, d, src, !pass))
                return;
}

/* 1 when every frame of p is the Python interpreter's ("_PyCode_New", "python3.11+0x50046f",
 * "libpython3.11.so.1.0+0x1f2"): a one-time leak CPython leaves at exit by design. */
static int interpreter_own(const Problem *p)
{
    for (int k = 0; k < p->n_frames; k++)
        if (strncmp(p->frames[k], "Py", 2) && strncmp(p->frames[k], "_Py", 3) &&
            strncmp(p->frames[k], "python", 6) && strncmp(p->frames[k], "libpython", 9))
            return 0;
    return p->n_frames > 0;
}

static void problem_figures(Problem *p, const SoakResult *res)
{
    long once_iters = -1;
    for (int k = 0; k < p->n_runs; k++) {
        const Run *r = p->runs[k];
        p->seen |= 1u << r->mode;
        p->fails |= r->fails;
        if (r->one_time_leak && !isnan(r->leak_bytes) && r->iters > once_iters) {
            once_iters = r->iters;
            p->once_bytes = r->leak_bytes;
        }
        if (mode_spec(r->mode)->heap_profiles && r->n_stacks && p->function[0] &&
            (!p->stacks || r->iters > p->stacks->iters))
            for (int s = 0; s < r->n_stacks; s++)
                p->stacks = same_function(r->stacks[s].function, p->function) ? r : p->stacks;
    }
    p->blind = modes_run(res, p->fault) & ~p->seen;
    if (p->kind == KIND_ONE_TIME_LEAK && interpreter_own(p) && p->lead == LEAD_NONE && !p->n_also)
        p->lead = LEAD_INTERPRETER_OWN;
    p->expected = res->expect_faults && strcmp(p->fault, "none") != 0;
}

/* Peak memory that grows across a sweep, per build: one problem, a mode each. */
static void add_sweeps(Diagnosis *d, const SoakResult *res)
{
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        if (!s->fails)
            continue;
        Problem *p = NULL;
        for (int k = 0; k < d->n && !p; k++)
            p = d->list[k].kind == KIND_PEAK_GROWTH && !strcmp(d->list[k].fault, s->fault) ? &d->list[k]
                                                                                           : NULL;
        if (!p && !(p = problem_new(d, s->fault, KIND_PEAK_GROWTH)))
            continue;
        p->seen |= 1u << s->mode;
        p->fails = 1;
        double r = s->slope;
        p->rate = p->n_rates++ ? p->rate : r;
        p->rate_min = isnan(p->rate_min) ? r : fmin(p->rate_min, r);
        p->rate_max = isnan(p->rate_max) ? r : fmax(p->rate_max, r);
        snprintf(p->rate_from, sizeof p->rate_from, "peak RSS across the counts, %s", mode_name(s->mode));
        p->lead = LEAD_PEAK_SWEEP;
        p->lead_mode = s->mode;
        p->lead_growth = s->growth;
        p->n_also = 0;
    }
}

static void add_baseline(Diagnosis *d, const SoakResult *res)
{
    const BaselineCompare *b = &res->base;
    Problem *p = b->n_regressions ? problem_new(d, "none", KIND_BASELINE_REGRESSION) : NULL;
    if (!p)
        return;
    p->fails = 1;
    p->lead = LEAD_BASELINE;
    p->lead_count = b->n_regressions;
    p->lead_first = b->regressions[0];
    p->lead_path = b->path;
}

/* Failing first, then the most telling kind; the build's order otherwise. */
static int cmp_problem(const void *a, const void *b)
{
    const Problem *x = a, *y = b;
    if (x->fails != y->fails)
        return y->fails - x->fails;
    int c = strcmp(x->fault, y->fault);
    if (c)
        return strcmp(x->fault, "none") ? (strcmp(y->fault, "none") ? c : 1) : -1;
    return (int)x->kind - (int)y->kind;
}

void diagnosis_build(Diagnosis *d, const SoakResult *res)
{
    d->n = d->dropped = 0;
    group_runs(d, res);
    for (int i = 0; i < d->n; i++)
        problem_figures(&d->list[i], res);
    for (int i = 0; i < d->n; i++)
        problem_leak_rate(&d->list[i]);
    for (int i = 0; i < d->n; i++)
        problem_rate(&d->list[i], d);
    add_sweeps(d, res);
    add_baseline(d, res);
    qsort(d->list, (size_t)d->n, sizeof d->list[0], cmp_problem);
}

int diagnosis_read_bisect(Diagnosis *d, const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bisect.json", dir);
    json_t *doc = json_load_file(path, 0, NULL);
    const char *sha = json_string_value(json_object_get(doc, "first_bad"));
    const char *subject = json_string_value(json_object_get(doc, "subject"));
    if (sha) {
        snprintf(d->first_bad, sizeof d->first_bad, "%s", sha);
        snprintf(d->first_bad_subject, sizeof d->first_bad_subject, "%s", subject ? subject : "");
    }
    json_decref(doc);
    return sha ? 0 : -1;
}
