#include "rules.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"
#include "faults.h"
#include "result.h"

Cell verdict_cell(const Run *runs, int n, const char *fault, Mode m)
{
    Cell c = {
        .fault = fault, .mode = m, .worst = V_FLAT, .required = verdict_required(fault, m), .caught = 1};
    int judged = 0; /* runs long enough for the requirement (faults.h: fault_min_iters) */
    for (int i = 0; i < n; i++) {
        const Run *r = &runs[i];
        if (r->mode != m || strcmp(r->fault, fault))
            continue;
        if (!c.example || r->verdict > c.worst) {
            c.worst = r->verdict;
            c.example = r;
        }
        if (r->iters < fault_min_iters(fault))
            continue;
        judged++;
        if (c.required != V_NOT_RUN && r->verdict != c.required)
            c.caught = 0;
    }
    if (!judged)
        c.required = V_NOT_RUN; /* too short to require anything of it */
    c.missed = verdict_cell_missed(&c);
    return c;
}

/* A leak report (its kind may already say one-time: verdict_leaks marks run by run). */
static int is_leak(const Run *r)
{
    return (r->kind == KIND_LEAK || r->kind == KIND_ONE_TIME_LEAK) && !isnan(r->leak_bytes);
}

/* What a fresh run of mode m and fault f says a leak weighs at its count: its report's
 * objects (bytes when the tool gives no count), 0 for a run of a leak-checking mode that
 * ended without any report; -1 when it says nothing (another error, a crash). */
static double leak_size(const Run *q)
{
    if (is_leak(q))
        return isnan(q->leak_objects) ? q->leak_bytes : q->leak_objects;
    int clean = q->verdict == V_FLAT || q->verdict == V_UNJUDGED || q->verdict == V_INCONCLUSIVE ||
                q->verdict == V_GROWING;
    return mode_spec(q->mode)->checks_leaks && clean && !q->has_finding
               ? 0.0
               : -1.0; /* no report: nothing leaked */
}

/* 1 when the leaks of the fresh runs of mode m and fault f grow with the count: at least
 * two more objects at the largest count than at the smallest, and never fewer at a
 * larger count than at a smaller one; also when a single count leaked (nothing to tell it
 * by). 0 when they do not; -1 when no fresh run of the mode leaked. */
static int leaks_grow(const SoakResult *res, Mode m, const char *fault)
{
    double x[64], y[64];
    int n = 0, leaked = 0;
    for (int j = 0; j < res->n_runs && n < 64; j++) {
        const Run *q = &res->runs[j];
        double v = q->mode == m && !strcmp(q->fault, fault) && !q->resume_from ? leak_size(q) : -1.0;
        if (v < 0)
            continue;
        leaked |= v > 0;
        int k = n++;
        for (; k > 0 && x[k - 1] > (double)q->iters; k--) { /* by count */
            x[k] = x[k - 1];
            y[k] = y[k - 1];
        }
        x[k] = (double)q->iters;
        y[k] = v;
    }
    if (!leaked)
        return -1;
    if (x[n - 1] == x[0])
        return 1;
    for (int k = 1; k < n; k++)
        if (x[k] > x[k - 1] && y[k] < y[k - 1])
            return 0;
    return y[n - 1] - y[0] >= 2.0;
}

void verdict_leaks(SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++) {
        Run *r = &res->runs[i];
        if (!is_leak(r))
            continue;
        int grows = leaks_grow(res, r->mode, r->fault);
        /* a resumed run's leak that fresh runs of its mode do not have (or have once): made
         * on the way in (loading the checkpoint), once */
        int fresh_ran = 0;
        for (int j = 0; j < res->n_runs; j++)
            fresh_ran |= res->runs[j].mode == r->mode && !strcmp(res->runs[j].fault, r->fault) &&
                         !res->runs[j].resume_from && leak_size(&res->runs[j]) >= 0;
        r->one_time_leak = r->resume_from ? fresh_ran && grows != 1 : grows == 0;
        if (r->one_time_leak)
            r->kind = KIND_ONE_TIME_LEAK;
    }
}

/* Whether run r's leak checker ran at its program's end. */
static int leak_checked(const Run *r)
{
    return mode_spec(r->mode)->checks_leaks && r->state == RUN_DONE && r->cause != CAUSE_BLIND &&
           r->verdict != V_NOT_RUN && !r->signal && r->killed == KILL_NONE;
}

void verdict_unchecked_heap(SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++) {
        Run *r = &res->runs[i];
        if (r->kind != KIND_REACHABLE_GROWTH)
            continue;
        int checked = 0;
        for (int j = 0; j < res->n_runs && !checked; j++)
            checked = !strcmp(res->runs[j].fault, r->fault) && leak_checked(&res->runs[j]);
        if (!checked)
            r->kind = KIND_HEAP_GROWTH;
    }
}

/* The judged run trained from scratch with the largest count of r's mode and fault, if its
 * count is larger than r's; else NULL. */
static const Run *longest_judged(const SoakResult *res, const Run *r)
{
    const Run *best = NULL;
    for (int j = 0; j < res->n_runs; j++) {
        const Run *q = &res->runs[j];
        if (q->mode == r->mode && !strcmp(q->fault, r->fault) && !q->resume_from &&
            (q->verdict == V_FLAT || q->verdict == V_GROWING) && (!best || q->iters > best->iters))
            best = q;
    }
    return best && best->iters > r->iters ? best : NULL;
}

/* 1 when series s of run r is judged and flat in run l. */
static int flat_in(const Run *l, const SeriesResult *s)
{
    for (int k = 0; k < l->an.n_series; k++)
        if (!strcmp(l->an.series[k].name, s->name))
            return l->an.series[k].judged && !l->an.series[k].growing;
    return 0;
}

void verdict_settle(SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++) {
        Run *r = &res->runs[i];
        const Run *l = r->verdict == V_GROWING ? longest_judged(res, r) : NULL;
        int settles = l != NULL, worst = -1;
        for (int k = 0; settles && k < r->an.n_series; k++) {
            const SeriesResult *s = &r->an.series[k];
            if (!s->growing)
                continue;
            settles &= s->cls != SERIES_EXACT && flat_in(l, s);
            if (worst < 0 || s->growth > r->an.series[worst].growth)
                worst = k;
        }
        if (!settles || worst < 0)
            continue;
        r->verdict = V_FLAT;
        r->kind = verdict_kind(r);
        r->settled_by = l->iters;
        snprintf(r->settled_series, sizeof r->settled_series, "%s", r->an.series[worst].name);
        r->settled_bytes = r->an.series[worst].growth;
    }
    /* a growth that does not stand out of its scatter (analysis.h): decided by a longer run
     * of the mode that grows beyond its own, else INCONCLUSIVE (all decided first) */
    char *inconclusive = calloc((size_t)res->n_runs + 1, 1);
    for (int i = 0; inconclusive && i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        const Run *l = r->verdict == V_GROWING && r->an.undecided ? longest_judged(res, r) : NULL;
        inconclusive[i] =
            r->verdict == V_GROWING && r->an.undecided && !(l && l->verdict == V_GROWING && !l->an.undecided);
        res->runs[i].confirmed_by = l && !inconclusive[i] ? l->iters : 0;
    }
    for (int i = 0; inconclusive && i < res->n_runs; i++)
        if (inconclusive[i]) {
            res->runs[i].verdict = V_INCONCLUSIVE;
            res->runs[i].kind = KIND_NONE;
        }
    free(inconclusive);
    for (int i = 0; res->tol.sensitivity > 0 && i < res->n_runs;
         i++) { /* --sensitivity: FLAT, but blind below */
        Run *r = &res->runs[i];
        const Run *l = longest_judged(res, r);
        if (r->verdict == V_FLAT && !l && !r->resume_from && mode_spec(r->mode)->judges_memory &&
            (r->an.sensitive < 0 || r->an.series[r->an.sensitive].sensitivity > res->tol.sensitivity)) {
            r->verdict = V_INCONCLUSIVE;
            r->coarse = res->tol.sensitivity;
        }
    }
}

/* The bytes per iteration the probe planted in control run c: at each step mark, or every
 * control_ms over the run's time. */
static double control_planted(const Run *c, long bytes)
{
    return (double)bytes * (double)c->control_plants / (double)(c->iters > 0 ? c->iters : 1);
}

/* The rate of series name in the run of res the control c copies (its mode and count), when
 * it grew there: the program's own growth, beside what was planted; else 0. */
static double own_rate(const SoakResult *res, const Run *c, const char *name)
{
    for (int i = 0; i < res->n_runs; i++) {
        const Run *q = &res->runs[i];
        if (q->mode != c->mode || q->iters != c->iters || q->resume_from || strcmp(q->fault, "none"))
            continue;
        for (int k = 0; k < q->an.n_series; k++)
            if (!strcmp(q->an.series[k].name, name) && q->an.series[k].growing)
                return q->an.series[k].slope;
    }
    return 0;
}

static void control_check(const SoakResult *res, Run *c)
{
    const ModeSpec *m = mode_spec(c->mode);
    const char *unit = run_step_word(c);
    c->control_caught = 0;
    c->control_seen = NAN;
    if (c->control == 2) { /* plan_control_longer: the longer one decides */
        c->control_planted = control_planted(c, c->control_keep + c->control_lose);
        snprintf(c->control_why, sizeof c->control_why, "too short to judge: run again at twice the count");
        return;
    }
    if (c->cause == CAUSE_BLIND) {
        c->control_planted = control_planted(c, c->control_keep + c->control_lose);
        snprintf(c->control_why, sizeof c->control_why, "blind: its tool never reached the program");
        return;
    }
    if (!c->control_plants) { /* no control.csv: the probe never ran in the program */
        c->control_planted = 0;
        snprintf(c->control_why, sizeof c->control_why,
                 "missed: nothing was planted: the soak's probe never ran in the program (statically linked, "
                 "or its LD_PRELOAD replaced on the way)");
        return;
    }
    if (m->checks_leaks && c->control_lose) {
        c->control_planted = control_planted(c, c->control_lose);
        c->control_seen = isnan(c->control_lost) ? NAN : c->control_lost / (double)c->iters;
        if (isnan(c->control_seen)) {
            snprintf(c->control_why, sizeof c->control_why,
                     "missed: no leak report names flatmem_control_lose (%.0f bytes/%s lost)",
                     c->control_planted, unit);
            return;
        }
    } else {
        c->control_planted = control_planted(c, c->control_keep);
        /* the deciding series, unless it counts descriptors or threads (no figure of the
         * planted blocks): then the most exact growing series of bytes */
        const SeriesResult *w = c->an.worst >= 0 ? &c->an.series[c->an.worst] : NULL;
        if (w && w->cls == SERIES_COUNT) {
            w = NULL;
            for (int k = 0; k < c->an.n_series; k++) {
                const SeriesResult *q = &c->an.series[k];
                if (q->growing && q->cls < SERIES_COUNT && (!w || q->cls < w->cls))
                    w = q;
            }
        }
        int named = -1;
        for (int k = 0; m->heap_profiles && k < c->n_stacks && named < 0; k++)
            if (!strncmp(c->stacks[k].function, "flatmem_control_keep", 20))
                named = k;
        if (c->verdict != V_GROWING || !w) {
            snprintf(c->control_why, sizeof c->control_why, "missed: %s with %.0f bytes/%s kept",
                     verdict_name(c->verdict), c->control_planted, unit);
            return;
        }
        if (m->heap_profiles && named < 0) {
            snprintf(c->control_why, sizeof c->control_why,
                     "missed: GROWING, but no grown stack names flatmem_control_keep");
            return;
        }
        /* the rate of its deciding series, less the program's own growth in it (the run it copies) */
        c->control_seen = w->slope - own_rate(res, c, w->name);
    }
    /* planted at step marks, its rate is exact and must be met; planted by time, samples
     * placed by time cannot tell the program's start-up from its loop: the rate is shown */
    double off = fabs(c->control_seen - c->control_planted) / c->control_planted;
    c->control_caught = off <= 0.25 || c->control_ms;
    snprintf(c->control_why, sizeof c->control_why, "%s: planted %.0f bytes/%s%s in %s, seen %.0f (%+.0f%%)",
             c->control_caught ? "caught" : "missed: its rate is off by more than 25%", c->control_planted,
             unit, c->control_ms ? " by time" : "",
             m->checks_leaks && c->control_lose ? "flatmem_control_lose" : "flatmem_control_keep",
             c->control_seen, 100.0 * (c->control_seen - c->control_planted) / c->control_planted);
}

void verdict_controls(SoakResult *res)
{
    for (int i = 0; i < res->n_controls; i++)
        control_check(res, &res->controls[i]);
}

int verdict_run_skipped(const Run *r)
{
    return r->verdict == V_NOT_RUN;
}

int verdict_run_unreported(const Run *r)
{
    return verdict_run_skipped(r) || r->verdict == V_UNJUDGED || r->verdict == V_INCONCLUSIVE;
}

int verdict_run_fails(const Run *r, int expect_faults)
{
    if (verdict_run_skipped(r) || (r->one_time_leak && !r->strict_leaks))
        return 0;
    if (r->verdict == V_UNJUDGED || r->verdict == V_INCONCLUSIVE)
        return 0; /* nothing could be judged, or decided: verdict_overall says so */
    if (expect_faults && strcmp(r->fault, "none")) {
        Verdict want = verdict_required_at(r->fault, r->mode, r->iters);
        return want != V_NOT_RUN && r->verdict != want;
    }
    return r->verdict != V_FLAT;
}

Verdict verdict_expected(const Run *r, int expect_faults)
{
    Verdict want = expect_faults ? verdict_required_at(r->fault, r->mode, r->iters) : V_FLAT;
    return want == V_NOT_RUN ? r->verdict : want;
}

int verdict_cell_missed(const Cell *c)
{
    return c->required != V_NOT_RUN && !c->caught;
}

int verdict_exit_status(Overall o)
{
    return o == OVERALL_PASS ? 0 : o == OVERALL_INCONCLUSIVE ? 3 : 1;
}

int verdict_sweep_fails(const char *fault, int growing, int expect_faults)
{
    return growing && (!expect_faults || !strcmp(fault, "none"));
}

int verdict_mode_unjudged(const SoakResult *res, Mode m)
{
    int unjudged = 0, judged = 0;
    for (int i = 0; i < res->n_runs; i++)
        if (res->runs[i].mode == m) {
            unjudged |= res->runs[i].verdict == V_UNJUDGED;
            judged |= res->runs[i].verdict != V_UNJUDGED && !verdict_run_skipped(&res->runs[i]);
        }
    return unjudged && !judged;
}

Overall verdict_overall(const SoakResult *res)
{
    int missing = res->interrupted, failed = res->base.n_regressions > 0, undecided = 0;
    for (int i = 0; i < res->n_runs; i++) {
        undecided |= res->runs[i].verdict == V_INCONCLUSIVE;
        missing |= res->runs[i].cause == CAUSE_BLIND; /* its tool never loaded: nothing it measures was */
        missing |= verdict_run_skipped(&res->runs[i]) || res->runs[i].state != RUN_DONE;
        failed |= verdict_run_fails(&res->runs[i], res->expect_faults);
    }
    for (int m = 0; m < MODE_COUNT; m++)
        missing |= verdict_mode_unjudged(res, (Mode)m);
    for (int i = 0; i < res->n_controls; i++)
        missing |= !res->controls[i].control_caught && res->controls[i].control != 2; /* it is blind */
    for (int i = 0; i < res->n_sweeps; i++)
        failed |= verdict_sweep_fails(res->sweeps[i].fault, res->sweeps[i].growing, res->expect_faults);
    return missing     ? OVERALL_INCOMPLETE
           : failed    ? OVERALL_FAIL
           : undecided ? OVERALL_INCONCLUSIVE
                       : OVERALL_PASS;
}
