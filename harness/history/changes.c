#include "changes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The mean of commit k's values. */
static double commit_mean(const double *vals, const int *start, int k)
{
    double s = 0;
    for (int i = start[k]; i < start[k + 1]; i++)
        s += vals[i];
    return s / (start[k + 1] - start[k]);
}

/* The pooled standard deviation of repeated soaks of one commit. */
static void within_noise(const double *vals, const int *start, const double *means, int n, CpNoise *noise)
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
}

/* The noise between successive commits: the root mean square of their means' differences
 * over sqrt 2, the differences at the steps (step[k]: between commit k and k + 1) left out;
 * and the noise used, the largest of it, within and the resolution. */
static void between_noise(const double *means, int n, const unsigned char *step, const CpParams *p,
                          CpNoise *noise)
{
    double ss = 0;
    int m = 0;
    for (int k = 0; k + 1 < n; k++)
        if (!step[k])
            ss += (means[k + 1] - means[k]) * (means[k + 1] - means[k]), m++;
    noise->between = m >= 3 ? sqrt(ss / (2.0 * m)) : NAN;
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

static double smallest_change(const CpParams *p, double sigma, double level)
{
    double m = 3 * sigma, rel = p->min_pct / 100 * fabs(level);
    if (rel > m)
        m = rel;
    return p->min_abs > m ? p->min_abs : m;
}

typedef struct Search {
    const double *means;
    const int *start; /* commit k's soaks: start[k] .. start[k + 1] */
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
        if (S->start[e] - S->start[b] < 2)
            break; /* one soak after a step is not a step: a moment of a loaded machine looks the same */
        int a0 = b - w > s ? b - w : s, a1 = b + w < e ? b + w : e;
        double before = span_mean(S->means, a0, b), after = span_mean(S->means, b, a1);
        double z = (after - before) / (S->sigma * sqrt(1.0 / (b - a0) + 1.0 / (a1 - b)));
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
    unsigned char *step = calloc((size_t)n, 1), *was = calloc((size_t)n, 1);
    if (!means || !step || !was) {
        free(means), free(step), free(was);
        return 0;
    }
    for (int k = 0; k < n; k++)
        means[k] = commit_mean(vals, start, k);
    within_noise(vals, start, means, n, noise);
    /* the steps are not noise: first the largest difference is taken for one, then those at
     * the change points found, until they settle */
    int big = -1;
    for (int k = 0; k + 1 < n; k++)
        if (big < 0 || fabs(means[k + 1] - means[k]) > fabs(means[big + 1] - means[big]))
            big = k;
    if (big >= 0 && n >= 5)
        step[big] = 1;
    Search S = {means, start, p, 0, out, 0, cap > CP_MAX ? CP_MAX : cap};
    for (int round = 0; round < 6; round++) {
        between_noise(means, n, step, p, noise);
        S.sigma = noise->sigma, S.n = 0;
        if (!(S.sigma > 0))
            break; /* a series that never moves, with no resolution given */
        segment(&S, 0, n);
        memcpy(was, step, (size_t)n);
        memset(step, 0, (size_t)n);
        for (int i = 0; i < S.n; i++)
            step[out[i].at - 1] = 1;
        if (!S.n && big >= 0 && n >= 5)
            step[big] = 1;
        if (!memcmp(was, step, (size_t)n))
            break;
    }
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
    free(means), free(step), free(was);
    return S.n;
}
