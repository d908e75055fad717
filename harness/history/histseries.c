#include "histseries.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const k_figures[FIG_COUNT] = {"peak", "rate", "time"};

const char *hist_figure_name(HistFigure f)
{
    return f >= 0 && f < FIG_COUNT ? k_figures[f] : "?";
}

int hist_figure_parse(const char *s)
{
    for (int f = 0; f < FIG_COUNT; f++)
        if (!strcmp(s, k_figures[f]))
            return f;
    return -1;
}

void hist_figure_fmt(HistFigure f, double v, char *out, size_t cap)
{
    if (!isfinite(v))
        snprintf(out, cap, "-");
    else if (f == FIG_PEAK)
        fmt_bytes(out, cap, v);
    else if (f == FIG_RATE)
        snprintf(out, cap, "%.4g B/step", v);
    else
        snprintf(out, cap, "%.4g ms/step", v);
}

HistParams hist_params_default(void)
{
    return (HistParams){.window = 8, .z_min = 5, .min_pct = {-1, -1, -1}, .figures = (1u << FIG_COUNT) - 1};
}

/* A run's value of figure f (NAN: none). */
static double run_value(const HistRun *r, HistFigure f)
{
    return f == FIG_PEAK ? r->peak : f == FIG_RATE ? r->rate : r->ms;
}

/* The commits in order: the line's that the history holds, or the recorded order. */
static int order_commits(const HistData *d, char (*line)[64], int n_line, HistReport *r)
{
    int cap = 0;
    for (int i = 0; i < (line ? n_line : d->n_soaks); i++) {
        const char *sha = line ? line[i] : d->soaks[i].commit;
        int seen = 0;
        for (int k = 0; k < r->n_commits && !seen; k++)
            seen = !strcmp(r->commits[k].sha, sha);
        const HistSoak *first = NULL;
        for (int s = 0; s < d->n_soaks && !first; s++)
            if (!strcmp(d->soaks[s].commit, sha) && !d->soaks[s].dirty)
                first = &d->soaks[s];
        if (seen || !first || !sha[0])
            continue;
        r->commits = grow_array(r->commits, &cap, r->n_commits + 1, sizeof *r->commits);
        HistCommit *c = &r->commits[r->n_commits++];
        memset(c, 0, sizeof *c);
        snprintf(c->sha, sizeof c->sha, "%s", sha);
        snprintf(c->subject, sizeof c->subject, "%s", first->subject);
        snprintf(c->parent, sizeof c->parent, "%s", first->parent);
    }
    for (int s = 0; s < d->n_soaks; s++) {
        const HistSoak *k = &d->soaks[s];
        int at = -1;
        for (int i = 0; i < r->n_commits && at < 0; i++)
            if (!strcmp(r->commits[i].sha, k->commit))
                at = i;
        if (k->dirty)
            r->dirty_left++;
        else if (at < 0)
            r->off_line_left++;
        else
            r->commits[at].n_soaks++, r->commits[at].soak = k->id;
    }
    return 0;
}

/* Each run's soak and commit index (-1: dirty, off the line), found once. */
typedef struct RunPlace {
    const HistSoak **soak;
    int *commit;
} RunPlace;

static int place_runs(const HistData *d, const HistReport *r, RunPlace *pl)
{
    pl->soak = calloc((size_t)d->n_runs + 1, sizeof *pl->soak);
    pl->commit = calloc((size_t)d->n_runs + 1, sizeof *pl->commit);
    if (!pl->soak || !pl->commit)
        return -1;
    int *of_soak = malloc(((size_t)d->n_soaks + 1) * sizeof *of_soak); /* soak index -> commit */
    if (!of_soak)
        return -1;
    for (int s = 0; s < d->n_soaks; s++) {
        of_soak[s] = -1;
        for (int i = 0; i < r->n_commits && of_soak[s] < 0 && !d->soaks[s].dirty; i++)
            if (!strcmp(r->commits[i].sha, d->soaks[s].commit))
                of_soak[s] = i;
    }
    for (int i = 0, s = 0; i < d->n_runs; i++) { /* both in id order */
        while (s < d->n_soaks && d->soaks[s].id < d->runs[i].soak)
            s++;
        int found = s < d->n_soaks && d->soaks[s].id == d->runs[i].soak;
        pl->soak[i] = found ? &d->soaks[s] : NULL;
        pl->commit[i] = found ? of_soak[s] : -1;
    }
    free(of_soak);
    return 0;
}

/* The series' parameters for changes.h. */
static CpParams series_params(const HistParams *p, const HistSeriesOut *s, const HistData *d,
                              const RunPlace *pl)
{
    CpParams c = {.window = p->window, .z_min = p->z_min, .min_pct = p->min_pct[s->fig]};
    if (s->fig == FIG_PEAK) {
        c.resolution = 4096; /* a page */
        if (c.min_pct < 0)
            c.min_pct = 5;
    } else if (s->fig == FIG_TIME) {
        c.resolution = 1e-4;
        if (c.min_pct < 0)
            c.min_pct = 10;
    } else { /* rate: a change no soak of it could have seen is none */
        double worst = 0;
        for (int i = 0; i < d->n_runs; i++) {
            const HistRun *h = &d->runs[i];
            const HistSoak *k = pl->soak[i];
            if (k && !strcmp(k->workload, s->workload) && !strcmp(h->mode, s->mode) && h->count == s->count &&
                isfinite(h->sensitivity) && h->sensitivity > worst)
                worst = h->sensitivity;
        }
        c.resolution = worst > 0 ? worst : 1;
        c.min_abs = worst;
        if (c.min_pct < 0)
            c.min_pct = 0;
    }
    return c;
}

typedef struct Point {
    int commit;
    long soak;
    double v;
} Point;

static int cmp_point(const void *a, const void *b)
{
    const Point *x = a, *y = b;
    return x->commit != y->commit ? x->commit - y->commit : (x->soak > y->soak) - (x->soak < y->soak);
}

/* One series: every clean soak's value of f for (workload, mode, count), by commit. */
static int fill_series(const HistData *d, const HistReport *r, const RunPlace *pl, HistSeriesOut *s)
{
    Point *pts = malloc(((size_t)d->n_runs + 1) * sizeof *pts);
    s->vals = malloc(((size_t)d->n_runs + 1) * sizeof *s->vals);
    s->soaks = malloc(((size_t)d->n_runs + 1) * sizeof *s->soaks);
    s->commit = malloc(((size_t)r->n_commits + 1) * sizeof *s->commit);
    s->start = malloc(((size_t)r->n_commits + 2) * sizeof *s->start);
    if (!pts || !s->vals || !s->soaks || !s->commit || !s->start) {
        free(pts);
        return -1;
    }
    int m = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const HistRun *h = &d->runs[i];
        double v = run_value(h, s->fig);
        if (pl->commit[i] >= 0 && isfinite(v) && h->count == s->count && !strcmp(h->mode, s->mode) &&
            !strcmp(pl->soak[i]->workload, s->workload))
            pts[m++] = (Point){pl->commit[i], h->soak, v};
    }
    qsort(pts, (size_t)m, sizeof *pts, cmp_point);
    for (int i = 0; i < m; i++) {
        if (!i || pts[i].commit != pts[i - 1].commit)
            s->commit[s->n] = pts[i].commit, s->start[s->n++] = i;
        s->vals[i] = pts[i].v, s->soaks[i] = pts[i].soak;
    }
    s->start[s->n] = m;
    free(pts);
    return 0;
}

/* Adds the regressions of series si that the newest commits hold, by commit. */
static void group_regressions(HistReport *r, int si)
{
    const HistSeriesOut *s = &r->series[si];
    for (int k = 0; k < s->n_cps; k++) {
        if (!s->cps[k].held)
            continue;
        int at = s->commit[s->cps[k].at], good = s->commit[s->cps[k].at - 1];
        HistRegression *g = NULL;
        for (int i = 0; i < r->n_regs && !g; i++)
            if (r->regs[i].at == at)
                g = &r->regs[i];
        if (!g && r->n_regs < (int)(sizeof r->regs / sizeof r->regs[0])) {
            g = &r->regs[r->n_regs++];
            *g = (HistRegression){.at = at, .good = good};
        }
        if (!g)
            continue;
        if (good > g->good)
            g->good = good; /* the nearest soaked commit before it of any series */
        if (g->n_series < 16)
            g->series[g->n_series] = si, g->cp[g->n_series++] = k;
    }
}

/* Workload, mode, count, figure: the table's order. */
static int cmp_series(const void *a, const void *b)
{
    const HistSeriesOut *x = a, *y = b;
    int c = strcmp(x->workload, y->workload);
    if (!c)
        c = strcmp(x->mode, y->mode);
    if (!c)
        c = (x->count > y->count) - (x->count < y->count);
    return c ? c : (int)x->fig - (int)y->fig;
}

static int cmp_reg(const void *a, const void *b)
{
    return ((const HistRegression *)a)->at - ((const HistRegression *)b)->at;
}

/* The distinct (workload, mode, count) keys, each with every figure asked for. */
static int make_series(const HistData *d, const RunPlace *pl, const HistParams *p, HistReport *r)
{
    int cap = 0;
    for (int i = 0; i < d->n_runs; i++) {
        const HistRun *h = &d->runs[i];
        const HistSoak *k = pl->soak[i];
        if (pl->commit[i] < 0)
            continue;
        for (int f = 0; f < FIG_COUNT; f++) {
            int seen = 0;
            for (int j = 0; j < r->n_series && !seen; j++)
                seen = r->series[j].fig == (HistFigure)f && r->series[j].count == h->count &&
                       !strcmp(r->series[j].mode, h->mode) && !strcmp(r->series[j].workload, k->workload);
            if (seen || !(p->figures & (1u << f)))
                continue;
            r->series = grow_array(r->series, &cap, r->n_series + 1, sizeof *r->series);
            HistSeriesOut *s = &r->series[r->n_series++];
            memset(s, 0, sizeof *s);
            snprintf(s->workload, sizeof s->workload, "%s", k->workload);
            snprintf(s->mode, sizeof s->mode, "%s", h->mode);
            s->count = h->count;
            s->fig = (HistFigure)f;
        }
    }
    return 0;
}

int hist_analyze(const HistData *d, char (*line)[64], int n_line, const char *order_from, const HistParams *p,
                 HistReport *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->order_from, sizeof r->order_from, "%s", order_from);
    order_commits(d, line, n_line, r);
    RunPlace pl;
    if (place_runs(d, r, &pl) != 0) {
        free(pl.soak), free(pl.commit);
        return -1;
    }
    make_series(d, &pl, p, r);
    int rc = 0;
    for (int i = 0; i < r->n_series && !rc; i++) {
        HistSeriesOut *s = &r->series[i];
        if ((rc = fill_series(d, r, &pl, s)) != 0)
            break;
        if (!s->n) { /* a figure no soak of it measured (the time per step of a program of one's own) */
            free(s->commit), free(s->start), free(s->vals), free(s->soaks);
            r->series[i--] = r->series[--r->n_series];
            continue;
        }
        CpParams cp = series_params(p, s, d, &pl);
        s->n_cps = cp_find(s->vals, s->start, s->n, &cp, &s->noise, s->cps, CP_MAX);
    }
    qsort(r->series, (size_t)r->n_series, sizeof *r->series, cmp_series);
    for (int i = 0; i < r->n_series; i++)
        group_regressions(r, i);
    free(pl.soak), free(pl.commit);
    qsort(r->regs, (size_t)r->n_regs, sizeof r->regs[0], cmp_reg);
    return rc;
}

void hist_report_free(HistReport *r)
{
    for (int i = 0; i < r->n_series; i++) {
        free(r->series[i].commit);
        free(r->series[i].start);
        free(r->series[i].vals);
        free(r->series[i].soaks);
    }
    free(r->series);
    free(r->commits);
    memset(r, 0, sizeof *r);
}
