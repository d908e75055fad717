#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"

SeriesClass series_class(const char *name)
{
    static const char *const exact[] = {COL_EXACT_PREFIXES};
    static const char *const alloc[] = {COL_MALLOC_IN_USE, COL_JE_ALLOCATED};
    /* jemalloc.mapped and .retained are address space, not memory: shown in the charts,
     * not analysed (they step by megabytes as the allocator warms up) */
    static const char *const rss[] = {COL_RSS,      COL_PSS,      COL_JE_ACTIVE, COL_JE_RESIDENT,
                                      COL_TREE_USS, COL_TREE_PSS, COL_USS};
    static const char *const counts[] = {COL_FDS, COL_THREADS, COL_MAPS, COL_TREE_PROCESSES};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (!strcmp(name, counts[i]))
            return SERIES_COUNT;
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

/* The floors of a sampled series: x[0..n) cut into ANALYSIS_SEGMENTS spans of equal
 * iterations and each span into two halves; each half's lowest value and where it was
 * read. 0 when the first or the last span has fewer than ANALYSIS_MIN_POINTS rows, or more
 * than one span between them does: one span between them may have fewer, even none (a
 * pause in sampling: the sampler was not given the core for a moment on a busy machine
 * while a fast program ran on), and its floor is then that of the rows it has, or none
 * (INFINITY). */
static int floors_of(const double *x, const double *y, size_t n, SeriesResult *r)
{
    enum { H = 2 * ANALYSIS_SEGMENTS };
    double lo = x[0], span = x[n - 1] - x[0];
    size_t count[ANALYSIS_SEGMENTS] = {0};
    for (int h = 0; h < H; h++) {
        r->halves[h] = INFINITY;
        r->half_iter[h] = NAN;
    }
    for (size_t i = 0; i < n && span > 0; i++) {
        /* a row whose iteration is below the first row's (a service's progress lines out of
         * order) belongs to the first half, one above the last row's to the last */
        double at = (x[i] - lo) / span * H; /* clamped before it is an int: far beyond the last row */
        int h = x[i] <= lo ? 0 : at >= H ? H - 1 : (int)at;
        count[h / 2]++;
        if (y[i] < r->halves[h]) {
            r->halves[h] = y[i];
            r->half_iter[h] = x[i];
        }
    }
    int sparse = 0;
    for (int k = 0; k < ANALYSIS_SEGMENTS; k++) {
        if (span <= 0)
            return 0;
        if (count[k] < ANALYSIS_MIN_POINTS && (k == 0 || k == ANALYSIS_SEGMENTS - 1 || ++sparse > 1))
            return 0;
        int h = r->halves[2 * k + 1] < r->halves[2 * k] ? 2 * k + 1 : 2 * k; /* an empty half is infinite */
        r->floors[k] = r->halves[h];
        r->floor_iter[k] = r->half_iter[h];
    }
    return 1;
}

/* Steady growth: the memory held rises from nearly every half of the run to the next (all
 * but one of the transitions, by the series' granularity or more): growth that shows in
 * every part of the run. A few first touches of a page or one-off allocations at odd
 * moments (the first evaluation, the first checkpoint) make a few steps, not this.
 * What was held in a half is read as the lowest value of that half or of any later one:
 * memory that is still held later is held then, while a half's own lowest reading is high
 * when the program was never idle in it (a service whose clients kept it busy through a
 * half: keep_requests read FLAT, one busy half's floor above the next). A half whose
 * memory was given back later is as low as what remained: given back is not growth. An
 * empty half is skipped. */
/* What the program held in each half, in order (a half without rows skipped): the lowest
 * floor of that half and of every later one, and where the half's own floor was read.
 * Returns how many. */
static int held_floors(const SeriesResult *r, double *held, double *at)
{
    int n = 0;
    for (int h = 0; h < 2 * ANALYSIS_SEGMENTS; h++)
        if (!isinf(r->halves[h])) {
            at[n] = r->half_iter[h];
            held[n++] = r->halves[h];
        }
    for (int k = n - 2; k >= 0; k--)
        held[k] = fmin(held[k], held[k + 1]);
    return n;
}

static int floors_steady(const SeriesResult *r, double grain)
{
    double held[2 * ANALYSIS_SEGMENTS], at[2 * ANALYSIS_SEGMENTS];
    int n = held_floors(r, held, at), rises = 0;
    for (int k = 1; k < n; k++)
        rises += held[k] - held[k - 1] >= grain;
    return n - 1 >= 2 && rises >= n - 2;
}

/* The rate of a sampled series: the Theil-Sen slope of what it held against where, robust to
 * one step (a table allocated once after the warm-up, a first snapshot) that the rise from
 * the first floor to the last would count in full. And whether that rate stands out of its
 * own scatter: the rise it explains over the run must exceed the range of the held floors
 * about the fitted line (and the grain); a one-off step and a creep of a few hundred bytes
 * (a Python run: 170 KB once at its first snapshot, then 736 bytes over 1600 iterations)
 * does not, a steady growth does. */
static void held_rate(const SeriesResult *r, double grain, double *slope, int *decided)
{
    double held[2 * ANALYSIS_SEGMENTS], at[2 * ANALYSIS_SEGMENTS];
    int n = held_floors(r, held, at);
    *slope = n >= 2 ? theil_sen(at, held, (size_t)n) : 0.0;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < n; k++) {
        lo = fmin(lo, held[k] - *slope * at[k]);
        hi = fmax(hi, held[k] - *slope * at[k]);
    }
    *decided = n >= 2 && *slope * (at[n - 1] - at[0]) > hi - lo + grain;
}

/* The smallest steady growth, in bytes per iteration, that floors_steady would have found
 * in this series, its floors as noisy as they were: a growth of g per iteration raises each
 * half's floor by g * (span / halves) over the one before; it rises by the grain at every
 * step, whatever the noise did, once that exceeds the noise's range plus the grain. The
 * noise is what the floors do about their own fitted line (Theil-Sen over the halves), so a
 * series that grows is measured as a flat one would be. span: the iterations its rows cover
 * after warm-up. */
static double floors_sensitivity(const SeriesResult *r, double grain, double span)
{
    double x[2 * ANALYSIS_SEGMENTS], y[2 * ANALYSIS_SEGMENTS];
    size_t n = 0;
    for (int h = 0; h < 2 * ANALYSIS_SEGMENTS; h++)
        if (!isinf(r->halves[h])) {
            x[n] = r->half_iter[h];
            y[n++] = r->halves[h];
        }
    if (n < 2 || span <= 0)
        return NAN;
    double slope = theil_sen(x, y, n), lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, y[i] - slope * x[i]);
        hi = fmax(hi, y[i] - slope * x[i]);
    }
    return (hi - lo + grain) / (span / (2 * ANALYSIS_SEGMENTS));
}

/* Whether a series grows: an exact series when any two of its values differ (changed), a
 * sampled one (allocator, resident) when its floors rise steadily; a series that is not
 * judged never grows. The rule for a run and a soak is verdict.c's; a series' is this. */
static int series_grows(SeriesClass cls, int changed, int steady, int judged)
{
    if (!judged || cls == SERIES_IGNORED)
        return 0;
    return cls == SERIES_EXACT ? changed : steady;
}

/* One column c of s into r (its name and class already set): the rows after warm-up (all
 * rows for an exact series), the rate, the growth and whether it grows. 0 when the
 * column is empty in this build. x, y: scratch of s->nrows. */
static int analyze_series(const Samples *s, int c, double warm_iter, const Tolerance *t, SeriesResult *r,
                          double *x, double *y)
{
    r->min = INFINITY;
    r->max = -INFINITY;
    r->first = r->last = NAN;
    r->sensitivity = NAN;
    size_t n = 0;
    for (size_t i = 0; i < s->nrows; i++) {
        double it = samples_at(s, i, 0), v = samples_at(s, i, c);
        if (isnan(v) || (r->cls != SERIES_EXACT && it < warm_iter))
            continue;
        if (isnan(r->first))
            r->first = v;
        r->last = v;
        r->min = fmin(r->min, v);
        r->max = fmax(r->max, v);
        x[n] = it;
        y[n] = v;
        n++;
    }
    if (n == 0)
        return 0;
    r->points = n;
    if (r->cls == SERIES_EXACT) {
        r->growth = r->last - r->first;
        r->slope = n > 1 && x[n - 1] > x[0] ? r->growth / (x[n - 1] - x[0]) : 0.0;
        /* any change grows: a byte over the run */
        r->sensitivity = n > 1 && x[n - 1] > x[0] ? 1.0 / (x[n - 1] - x[0]) : NAN;
    } else if (n < ANALYSIS_MIN_ROWS || !floors_of(x, y, n, r)) {
        r->short_run = 1;
        r->growth = r->last - r->first;
        r->slope = 0.0;
    } else {
        enum { L = ANALYSIS_SEGMENTS - 1 };
        double grain = r->cls == SERIES_RSS ? t->page_bytes : 1.0;
        r->steady = floors_steady(r, grain);
        if (r->cls != SERIES_COUNT)
            r->sensitivity = floors_sensitivity(r, grain, x[n - 1] - x[0]);
        r->growth = r->floors[L] - r->floors[0];
        held_rate(r, grain, &r->slope, &r->decided);
        /* a rate below the smallest this series could tell from its own noise (its
         * sensitivity, stated with the verdict) is not decided by it: Python loops that keep
         * nothing read 0.4 and 9.7 B/iteration where 2.5 and 25 could hide */
        if (r->decided && !isnan(r->sensitivity) && r->slope < r->sensitivity)
            r->decided = 0;
    }
    r->growing = series_grows(r->cls, r->max != r->min, r->steady, r->judged);
    if (r->cls == SERIES_EXACT || r->cls == SERIES_COUNT) /* any change, one by one: a fact */
        r->decided = 1;
    if (!r->judged || r->cls == SERIES_COUNT)
        r->sensitivity = NAN;
    return 1;
}

/* Which growing series decides a run, lowest first: descriptors and threads (a resource
 * that runs out, whatever the bytes do), then by class, the most exact first; mappings
 * last (they follow the memory the other series measure). */
static int decides_rank(const SeriesResult *r)
{
    if (!strcmp(r->name, COL_FDS) || !strcmp(r->name, COL_THREADS) || !strcmp(r->name, COL_TREE_PROCESSES))
        return -1;
    return !strcmp(r->name, COL_MAPS) ? SERIES_IGNORED : (int)r->cls;
}

/* Whether a series is judged in a run: resident series only where the mode's allocator
 * lets them speak (judge_rss), and mappings with them; descriptors and threads always. PSS
 * and jemalloc's resident are shown, not judged: PSS moves when another process sharing
 * the same pages (libraries) starts or ends, with nothing held by this one; jemalloc's
 * resident counts its metadata, the heap profiler's tables included (a step of ~2 MiB at
 * the first profile dump). */
static int series_judged(const SeriesResult *r, int judge_rss)
{
    if (!strcmp(r->name, COL_PSS) || !strcmp(r->name, COL_TREE_PSS) || !strcmp(r->name, COL_JE_RESIDENT))
        return 0;
    if (r->cls == SERIES_RSS || !strcmp(r->name, COL_MAPS))
        return judge_rss;
    return 1;
}

/* Whether r states a run's sensitivity better than best (NULL: none yet): a series of the
 * whole process (allocator, resident) before the engine's own counts (exact: they see only
 * what goes through its hooks), then the smaller figure. */
static int sensitivity_better(const SeriesResult *r, const SeriesResult *best)
{
    if (isnan(r->sensitivity))
        return 0;
    if (!best || (best->cls == SERIES_EXACT) != (r->cls == SERIES_EXACT))
        return !best || best->cls == SERIES_EXACT;
    return r->sensitivity < best->sensitivity;
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
    out->sensitive = -1;
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
        r->judged = series_judged(r, judge_rss);
        if (!strcmp(r->name, COL_RSS))
            out->peak_rss = column_max(s, c);
        if (r->cls == SERIES_IGNORED || !analyze_series(s, c, warm_iter, t, r, x, y))
            continue; /* not a memory series, or an empty column: not measured in this build */
        if (r->short_run && r->judged) { /* it would decide, but its rows are too few */
            r->judged = 0;
            out->min_rows = out->n_short++ == 0 || r->points < out->min_rows ? r->points : out->min_rows;
        }
        if (!strcmp(r->name, COL_RSS))
            rss_index = out->n_series;
        if (r->short_run || !r->judged)
            r->sensitivity = NAN;
        if (sensitivity_better(r, out->sensitive >= 0 ? &out->series[out->sensitive] : NULL))
            out->sensitive = out->n_series;
        out->n_judged += r->judged;
        if (r->growing) { /* the series that decides: the most exact class, then the fastest */
            out->undecided = out->growing ? out->undecided && !r->decided : !r->decided;
            out->growing = 1;
            const SeriesResult *w = out->worst >= 0 ? &out->series[out->worst] : NULL;
            int rank = decides_rank(r), w_rank = w ? decides_rank(w) : 0;
            if (!w || rank < w_rank || (rank == w_rank && r->slope > w->slope))
                out->worst = out->n_series;
        }
        out->n_series++;
    }
    if (out->worst < 0)
        out->worst = rss_index;
    free(x);
    free(y);
}
