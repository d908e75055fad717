/* changes.h - step changes in a figure over commits (docs/history.md, "How a change is found").
 *
 * A series is one figure (peak memory, growth rate, time per step) of one workload, mode
 * and count, over the commits in first-parent order, each commit with the values of its
 * soaks (repeated soaks of a commit give several). Its noise is measured from the series
 * itself: the pooled standard deviation of repeated soaks of one commit (within), and the
 * root mean square of successive commits' differences over sqrt 2 (between), the
 * differences at the steps left out (first the largest, then those at the change points
 * found, until they settle); the larger counts, never below the figure's resolution. A
 * machine whose speed wanders from soak to soak shows it in this between-commit noise.
 *
 * Change points are found by binary segmentation with a two-sample test over windows, as
 * Perfherder compares the pushes before and after one: for each boundary of a segment, the
 * means of up to `window` commits on each side; z = (after - before) / (noise x sqrt(1/nb
 * + 1/na)); the boundary with the largest |z| is a change when |z| >= z_min and the step is
 * at least the smallest change (3 x noise, min_pct of the level before, min_abs), then each
 * side is searched again. A boundary needs at least two soaks after it (two commits, or the
 * newest soaked twice): one soak alone, high because the machine was busy for a moment,
 * looks like a step at the newest commit (a time per step of +52% at z 7 in a test, from
 * one soak). A change upwards is a regression (every figure here is better
 * lower); it is held when the newest segment is still above the level before it by the
 * smallest change. */
#ifndef HARNESS_CHANGES_H
#define HARNESS_CHANGES_H

typedef struct CpParams {
    int window; /* commits on each side of a boundary (8) */
    double z_min; /* the test's threshold (5) */
    double min_pct; /* the smallest change, percent of the level before */
    double min_abs; /* ... and in the figure's units */
    double resolution; /* the noise is never taken below this */
} CpParams;

typedef struct CpNoise {
    double within; /* pooled sd of repeated soaks of one commit (NAN: none repeated) */
    int within_df; /* its degrees of freedom: soaks beyond the first of each commit */
    double between; /* sd from successive commits' means, steps left out (NAN: fewer than 3 differences) */
    double sigma; /* the noise used */
} CpNoise;

typedef struct ChangePoint {
    int at; /* the first commit (index) after the step */
    double before, after; /* the means of the segments on either side */
    double z;
    double min_change; /* the smallest change it had to reach */
    int regression; /* upwards */
    int held; /* a regression the newest commits still hold */
} ChangePoint;

#define CP_MAX 32

/* Commits 0 .. n-1, commit k's values at vals[start[k] .. start[k + 1]) (start has n + 1
 * entries, every commit at least one value). Fills noise and out (by commit, oldest
 * first); returns how many change points. */
int cp_find(const double *vals, const int *start, int n, const CpParams *p, CpNoise *noise, ChangePoint *out,
            int cap);

#endif
