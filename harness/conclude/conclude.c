#include "conclude.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diagnosis.h"
#include "rules.h"
#include "util.h"
#include "verdict.h"

/* The sweep of (mode, fault): the peak RSS of its FLAT runs trained from scratch against
 * the count (a resumed run did fewer iterations than its count says), one point per count
 * (the largest peak of that count), in order of count. */
static void sweep_of(SoakResult *res, Sweep *s)
{
    double x[64], y[64];
    int n = 0;
    for (int j = 0; j < res->n_runs; j++) {
        const Run *q = &res->runs[j];
        if (q->mode != s->mode || strcmp(q->fault, s->fault) || !verdict_in_sweep(q))
            continue;
        int k = 0;
        while (k < n && x[k] != (double)q->iters)
            k++;
        if (k == n && n == 64)
            continue;
        if (k == n) {
            x[n] = (double)q->iters;
            y[n++] = (double)q->peak_rss_bytes;
        } else
            y[k] = fmax(y[k], (double)q->peak_rss_bytes);
    }
    for (int a = 1; a < n; a++) /* by count */
        for (int b = a; b > 0 && x[b] < x[b - 1]; b--) {
            double tx = x[b], ty = y[b];
            x[b] = x[b - 1];
            y[b] = y[b - 1];
            x[b - 1] = tx;
            y[b - 1] = ty;
        }
    s->points = n;
    s->slope = n >= 2 ? theil_sen(x, y, (size_t)n) : 0.0;
    s->growth = n >= 2 ? s->slope * (x[n - 1] - x[0]) : 0.0;
    s->judged = mode_spec(s->mode)->judges_memory && n >= VERDICT_SWEEP_MIN_COUNTS;
    if (!mode_spec(s->mode)->judges_memory)
        snprintf(s->why_not_judged, sizeof s->why_not_judged, "the tool holds freed blocks back");
    else if (!s->judged)
        snprintf(s->why_not_judged, sizeof s->why_not_judged, "FLAT runs at %d count%s, a sweep needs %d", n,
                 n == 1 ? "" : "s", VERDICT_SWEEP_MIN_COUNTS);
    s->growing = verdict_sweep_grows(s->mode, x, y, n, s->slope, &res->tol);
}

/* One entry per (mode, fault) present, in the order the runs come. */
static void conclude_sweeps(SoakResult *res)
{
    res->n_sweeps = 0;
    for (int i = 0; i < res->n_runs && res->n_sweeps < SOAK_MAX_CELLS; i++) {
        const Run *r = &res->runs[i];
        int seen = 0;
        for (int k = 0; k < res->n_sweeps; k++)
            seen |= res->sweeps[k].mode == r->mode && !strcmp(res->sweeps[k].fault, r->fault);
        if (seen)
            continue;
        Sweep *s = &res->sweeps[res->n_sweeps++];
        memset(s, 0, sizeof *s);
        s->mode = r->mode;
        snprintf(s->fault, sizeof s->fault, "%s", r->fault);
        sweep_of(res, s);
    }
}

/* The detection matrix, when a fault build ran: one cell per (fault, mode) present. */
static void conclude_cells(SoakResult *res)
{
    res->n_cells = 0;
    int any_fault = 0;
    for (int i = 0; i < res->n_runs; i++)
        any_fault |= strcmp(res->runs[i].fault, "none") != 0;
    for (int i = 0; any_fault && i < res->n_sweeps; i++) /* a sweep per (mode, fault) present */
        res->cells[res->n_cells++] =
            verdict_cell(res->runs, res->n_runs, res->sweeps[i].fault, res->sweeps[i].mode);
}

/* The FLAT run of the program whose judged series could have seen the smallest growth. */
static const Run *most_sensitive(const SoakResult *res)
{
    const Run *best = NULL;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (r->verdict != V_FLAT || strcmp(r->fault, "none") || !mode_spec(r->mode)->judges_memory ||
            r->an.sensitive < 0)
            continue;
        if (!best ||
            r->an.series[r->an.sensitive].sensitivity < best->an.series[best->an.sensitive].sensitivity)
            best = r;
    }
    return best;
}

void soak_conclude(SoakResult *res)
{
    for (int i = 0; i < res->n_runs; i++)
        res->runs[i].strict_leaks = res->strict_leaks;
    verdict_settle(res);
    verdict_controls(res);
    verdict_leaks(res);
    verdict_unchecked_heap(res);
    conclude_sweeps(res);
    conclude_cells(res);
    for (int i = 0; i < res->n_runs; i++) { /* what renderers print, decided once */
        Run *r = &res->runs[i];
        r->fails = verdict_run_fails(r, res->expect_faults);
        r->skipped = verdict_run_skipped(r);
        r->unreported = verdict_run_unreported(r);
        r->expected = verdict_expected(r, res->expect_faults);
    }
    for (int i = 0; i < res->n_sweeps; i++)
        res->sweeps[i].fails =
            verdict_sweep_fails(res->sweeps[i].fault, res->sweeps[i].growing, res->expect_faults);
    res->sensitive = most_sensitive(res);
    res->unjudged_modes = 0;
    for (int m = 0; m < MODE_COUNT; m++)
        res->unjudged_modes |= (unsigned)verdict_mode_unjudged(res, (Mode)m) << m;
    res->overall = verdict_overall(res);
    res->exit_status = verdict_exit_status(res->overall);
    diagnosis_build(&res->diag, res);
}
