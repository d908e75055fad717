#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "verdict.h"

Tolerance tolerance_defaults(void)
{
    return (Tolerance){.rss_bytes = 1024.0 * 1024.0, .alloc_bytes = 64.0 * 1024.0, .warmup_frac = 0.1};
}

SeriesClass series_class(const char *name)
{
    static const char *const exact[] = {COL_EXACT_PREFIXES};
    static const char *const alloc[] = {COL_MALLOC_IN_USE, COL_JE_ALLOCATED};
    /* jemalloc.mapped and .retained are address space, not memory: shown in the charts,
     * not analysed (they step by megabytes as the allocator warms up) */
    static const char *const rss[] = {COL_RSS, COL_PSS, COL_JE_ACTIVE, COL_JE_RESIDENT};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
        if (!strncmp(name, exact[i], strlen(exact[i])))
            return SERIES_EXACT;
    for (size_t i = 0; i < sizeof alloc / sizeof alloc[0]; i++)
        if (!strcmp(name, alloc[i]))
            return SERIES_ALLOC;
    for (size_t i = 0; i < sizeof rss / sizeof rss[0]; i++)
        if (!strcmp(name, rss[i]))
            return SERIES_RSS;
    return SERIES_IGNORED;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (n >= 1); sorts a copy. */
static double median_of(const double *v, size_t n)
{
    double tmp[512];
    if (n > 512) {
        v += (n - 512) / 2;
        n = 512;
    }
    memcpy(tmp, v, n * sizeof *tmp);
    qsort(tmp, n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

#define TS_MAX_POINTS 400 /* above this, every k-th point: the pair count stays ~80000 */

double theil_sen(const double *x, const double *y, size_t n)
{
    size_t idx[TS_MAX_POINTS], m = 0;
    size_t step = n > TS_MAX_POINTS ? (n + TS_MAX_POINTS - 1) / TS_MAX_POINTS : 1;
    for (size_t i = 0; i < n && m < TS_MAX_POINTS; i += step)
        if (!isnan(x[i]) && !isnan(y[i]))
            idx[m++] = i;
    if (m < 2)
        return 0.0;
    double *s = malloc(m * (m - 1) / 2 * sizeof(double));
    if (!s)
        return NAN;
    size_t k = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            double dx = x[idx[j]] - x[idx[i]];
            if (dx != 0.0)
                s[k++] = (y[idx[j]] - y[idx[i]]) / dx;
        }
    double med = 0.0;
    if (k) {
        qsort(s, k, sizeof *s, cmp_double);
        med = k % 2 ? s[k / 2] : 0.5 * (s[k / 2 - 1] + s[k / 2]);
    }
    free(s);
    return med;
}

/* One column c of s into r (its name and class already set): the rows after warm-up (all
 * rows for an exact series), the slope, the growth and whether it grows. 0 when the
 * column is empty in this build. x, y: scratch of s->nrows. */
static int analyze_series(const Samples *s, int c, double warm_iter, const Tolerance *t, SeriesResult *r, double *x,
                          double *y)
{
    r->min = INFINITY;
    r->max = -INFINITY;
    r->first = r->last = NAN;
    size_t n = 0;
    double first_iter = NAN, last_iter = NAN;
    for (size_t i = 0; i < s->nrows; i++) {
        double it = samples_at(s, i, 0), v = samples_at(s, i, c);
        if (isnan(v) || (r->cls != SERIES_EXACT && it < warm_iter))
            continue;
        if (isnan(r->first)) {
            r->first = v;
            first_iter = it;
        }
        r->last = v;
        last_iter = it;
        r->min = fmin(r->min, v);
        r->max = fmax(r->max, v);
        x[n] = it;
        y[n] = v;
        n++;
    }
    if (n == 0)
        return 0;
    r->points = n;
    r->slope = theil_sen(x, y, n);
    if (r->cls == SERIES_EXACT) {
        r->growth = r->last - r->first;
    } else {
        /* Theil-Sen sees a trend but not a single step (half the pairs straddle it); the
         * shift between the medians of the first and last quarter sees a step */
        size_t q = n / 4 ? n / 4 : 1;
        double shift = median_of(y + n - q, q) - median_of(y, q);
        r->growth = fmax(r->slope * (last_iter - first_iter), shift);
    }
    r->growing = verdict_series_grows(r->cls, r->max != r->min, r->growth, r->judged, t);
    return 1;
}

/* The largest value of a column over every row (warm-up included), or NAN. */
static double column_max(const Samples *s, int c)
{
    double m = NAN;
    for (size_t i = 0; i < s->nrows; i++) {
        double v = samples_at(s, i, c);
        if (!isnan(v) && (isnan(m) || v > m))
            m = v;
    }
    return m;
}

void analyze_run(const Samples *s, uint64_t iterations, const Tolerance *t, int judge_rss, RunAnalysis *out)
{
    memset(out, 0, sizeof *out);
    out->worst = -1;
    out->peak_rss = NAN;
    if (!s->nrows)
        return;
    out->last_iter = (uint64_t)samples_at(s, s->nrows - 1, 0);
    double warm_iter = fmax(2.0, t->warmup_frac * (double)iterations);
    double *x = malloc(s->nrows * sizeof(double)), *y = malloc(s->nrows * sizeof(double));
    int rss_index = -1;
    for (int c = 1; x && y && c < s->ncols && out->n_series < ANALYSIS_MAX_SERIES; c++) {
        SeriesResult *r = &out->series[out->n_series];
        memset(r, 0, sizeof *r);
        snprintf(r->name, sizeof r->name, "%s", s->names[c]);
        r->cls = series_class(s->names[c]);
        /* shown, not judged: PSS moves when another process sharing the same pages
         * (libraries) starts or ends, with nothing held by this one; jemalloc's resident
         * counts its metadata, the heap profiler's tables included (a step of ~2 MiB at
         * the first profile dump) */
        r->judged = (r->cls != SERIES_RSS || judge_rss) && strcmp(r->name, COL_PSS) && strcmp(r->name, COL_JE_RESIDENT);
        if (!strcmp(r->name, COL_RSS))
            out->peak_rss = column_max(s, c);
        if (r->cls == SERIES_IGNORED || !analyze_series(s, c, warm_iter, t, r, x, y))
            continue; /* not a memory series, or an empty column: not measured in this build */
        if (!strcmp(r->name, COL_RSS))
            rss_index = out->n_series;
        out->n_judged += r->judged;
        if (r->growing) { /* the series that decides: the most exact class, then the fastest */
            out->growing = 1;
            const SeriesResult *w = out->worst >= 0 ? &out->series[out->worst] : NULL;
            if (!w || r->cls < w->cls || (r->cls == w->cls && r->slope > w->slope))
                out->worst = out->n_series;
        }
        out->n_series++;
    }
    if (out->worst < 0)
        out->worst = rss_index;
    free(x);
    free(y);
}
