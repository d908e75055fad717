#include "changes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The mean of commit k's values. */
static double commit_mean(const double *vals, const int *start, int k)
{
    double s = 0;
    for (int i = start[k]; i < start[k + 1]; i++)
        s += vals[i];
    return s / (start[k + 1] - start[k]);
}

static void measure_noise(const double *vals, const int *start, const double *means, int n, const CpParams *p,
                          CpNoise *noise)
{
    double ss = 0;
    int df = 0;
    for (int k = 0; k < n; k++) {
        for (int i = start[k]; i < start[k + 1]; i++)
            ss += (vals[i] - means[k]) * (vals[i] - means[k]);
        df += start[k + 1] - start[k] - 1;
    }
    noise->within_df = df;
    noise->within = df > 0 ? sqrt(ss / df) : NAN;
    noise->between = NAN;
    if (n >= 4) { /* three differences at least */
        double *d = malloc((size_t)(n - 1) * sizeof *d);
        if (d) {
            for (int k = 0; k + 1 < n; k++)
                d[k] = fabs(means[k + 1] - means[k]);
            qsort(d, (size_t)(n - 1), sizeof *d, cmp_double);
            double med = (n - 1) % 2 ? d[(n - 1) / 2] : (d[(n - 1) / 2 - 1] + d[(n - 1) / 2]) / 2;
            noise->between = 1.4826 * med / sqrt(2.0);
            free(d);
        }
    }
    double s = p->resolution > 0 ? p->resolution : 0;
    if (isfinite(noise->within) && noise->within > s)
        s = noise->within;
    if (isfinite(noise->between) && noise->between > s)
        s = noise->between;
    noise->sigma = s;
}

/* The mean of the commit means of [a, b). */
static double span_mean(const double *means, int a, int b)
{
    double s = 0;
    for (int k = a; k < b; k++)
        s += means[k];
    return s / (b - a);
}

/* The scatter of the commits' means about their own window's mean, [a, b) and [b, c)
 * pooled (0 when the windows hold a commit each): the windows' own noise, as a t-test has. */
static double pooled_sd(const double *means, int a, int b, int c, double before, double after)
{
    if (c - a <= 2)
        return 0;
    double ss = 0;
    for (int k = a; k < c; k++) {
        double m = k < b ? before : after;
        ss += (means[k] - m) * (means[k] - m);
    }
    return sqrt(ss / (c - a - 2));
}

static double smallest_change(const CpParams *p, double sigma, double level)
{
    double m = 3 * sigma, rel = p->min_pct / 100 * fabs(level);
    if (rel > m)
        m = rel;
    return p->min_abs > m ? p->min_abs : m;
}

typedef struct Search {
    const double *means;
    const CpParams *p;
    double sigma;
    ChangePoint *out;
    int n, cap;
} Search;

/* The strongest change in [s, e), then each side of it. */
static void segment(Search *S, int s, int e)
{
    if (e - s < 2 || S->n >= S->cap)
        return;
    int w = S->p->window > 0 ? S->p->window : 8, best = -1;
    double best_z = 0, best_before = 0, best_after = 0;
    for (int b = s + 1; b < e; b++) {
        int a0 = b - w > s ? b - w : s, a1 = b + w < e ? b + w : e;
        double before = span_mean(S->means, a0, b), after = span_mean(S->means, b, a1);
        double sd = pooled_sd(S->means, a0, b, a1, before, after), sigma = sd > S->sigma ? sd : S->sigma;
        double z = (after - before) / (sigma * sqrt(1.0 / (b - a0) + 1.0 / (a1 - b)));
        if (fabs(z) > fabs(best_z)) {
            best_z = z, best = b;
            best_before = before, best_after = after;
        }
    }
    if (best < 0 || fabs(best_z) < S->p->z_min)
        return;
    double need = smallest_change(S->p, S->sigma, best_before);
    if (fabs(best_after - best_before) < need)
        return;
    S->out[S->n++] = (ChangePoint){.at = best,
                                   .before = best_before,
                                   .after = best_after,
                                   .z = best_z,
                                   .min_change = need,
                                   .regression = best_after > best_before};
    segment(S, s, best);
    segment(S, best, e);
}

static int cmp_at(const void *a, const void *b)
{
    return ((const ChangePoint *)a)->at - ((const ChangePoint *)b)->at;
}

int cp_find(const double *vals, const int *start, int n, const CpParams *p, CpNoise *noise, ChangePoint *out,
            int cap)
{
    memset(noise, 0, sizeof *noise);
    noise->within = noise->between = NAN;
    if (n < 1)
        return 0;
    double *means = malloc((size_t)n * sizeof *means);
    if (!means)
        return 0;
    for (int k = 0; k < n; k++)
        means[k] = commit_mean(vals, start, k);
    measure_noise(vals, start, means, n, p, noise);
    if (!(noise->sigma > 0)) { /* a series that never moves, with no resolution given */
        free(means);
        return 0;
    }
    Search S = {means, p, noise->sigma, out, 0, cap > CP_MAX ? CP_MAX : cap};
    segment(&S, 0, n);
    qsort(out, (size_t)S.n, sizeof *out, cmp_at);
    /* the segments between the changes: each change's level before and after is its
     * segments' mean (the windows above only found it); held: the newest segment is still
     * above the level before by the smallest change */
    for (int i = 0; i < S.n; i++) {
        int a = i ? out[i - 1].at : 0, b = out[i].at, c = i + 1 < S.n ? out[i + 1].at : n;
        out[i].before = span_mean(means, a, b);
        out[i].after = span_mean(means, b, c);
    }
    double newest = S.n ? span_mean(means, out[S.n - 1].at, n) : 0;
    for (int i = 0; i < S.n; i++)
        out[i].held = out[i].regression && newest - out[i].before >= out[i].min_change;
    free(means);
    return S.n;
}
