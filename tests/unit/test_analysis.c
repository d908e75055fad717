/* test_analysis: growth slopes and verdicts on synthetic series with known answers. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "rng.h"
#include "runs.h"
#include "verdict.h"

/* Builds samples with columns iter, arena.used_bytes, proc.rss_bytes, malloc.in_use_bytes. */
typedef double (*SeriesFn)(double iter, Rng *r);

static void make_samples(Samples *s, long iters, long every, SeriesFn arena, SeriesFn rss, SeriesFn mall)
{
    const char *names[] = {"iter", "arena.used_bytes", "proc.rss_bytes", "malloc.in_use_bytes"};
    memset(s, 0, sizeof *s);
    s->ncols = 4;
    for (int i = 0; i < 4; i++)
        s->names[i] = strdup(names[i]);
    size_t rows = (size_t)(iters / every + 2);
    s->values = calloc(rows * 4, sizeof(double));
    Rng r;
    rng_seed(&r, 5);
    for (long it = 1; it <= iters; it = it == 1 && every > 1 ? every : it + every) {
        double *row = s->values + s->nrows * 4;
        row[0] = (double)it;
        row[1] = arena(it, &r);
        row[2] = rss(it, &r);
        row[3] = mall(it, &r);
        s->nrows++;
    }
}

static double flat_arena(double it, Rng *r)
{
    (void)it, (void)r;
    return 1113856;
}
static double flat_rss(double it, Rng *r)
{
    (void)it, (void)r;
    return 6.5e6;
}
static double warm_rss(double it, Rng *r)
{
    (void)r;
    return it < 50 ? 5e6 + it * 30000 : 6.5e6;
}
static double noisy_rss(double it, Rng *r)
{
    (void)it;
    return 2e7 + 300000.0 * (rng_uniform(r) - 0.5);
}
static double slow_alloc(double it, Rng *r)
{
    (void)r;
    return 421040 + 8.0 * it;
}
static double creeping_arena(double it, Rng *r)
{
    (void)r;
    return 1113856 + 64.0 * (double)((long)it / 100);
}
static double step_rss(double it, Rng *r)
{
    (void)r;
    return it < 5000 ? 6.5e6 : 10.5e6;
}
static double leak_rss(double it, Rng *r)
{
    (void)r;
    return 6.5e6 + 200.0 * it;
}
/* a program's heap sampled at any moment: a 128-byte record a step, and blocks of up to
 * 64 KiB in use for a moment at some of the samples */
static double record_with_transients(double it, Rng *r)
{
    return 300000 + 144.0 * it + (rng_uniform(r) < 0.6 ? 65536 * rng_uniform(r) : 0);
}
/* a service's heap under its clients' load: connections' memory in use at most samples,
 * and through iterations 7700 to 8900 never fewer than a few (80 KB more even at its
 * quietest moments); growth: 48 bytes a request kept, or none */
static double busy_service(double it, Rng *r, double per_request)
{
    double busy = it >= 7700 && it < 8900 ? 80000 : 0;
    return 700000 + per_request * it + busy + (rng_uniform(r) < 0.7 ? 30000 * rng_uniform(r) : 0);
}
static double busy_keeping(double it, Rng *r)
{
    return busy_service(it, r, 48);
}
static double busy_clean(double it, Rng *r)
{
    return busy_service(it, r, 0);
}
static double g_rate; /* busy_at_rate's bytes a request */
static double busy_at_rate(double it, Rng *r)
{
    return busy_service(it, r, g_rate);
}
/* a Python loop that keeps nothing (pyprog bounded, native 16000): what it holds moves by
 * a few KB from sample to sample (its lowest at one sample in seven), creeps by tens of
 * bytes and steps 3.5 KB up once, late: floors that rise at every span */
static double bounded_python(double it, Rng *r)
{
    (void)r;
    return 2549300 + 0.05 * it + (it >= 6500 ? 3500 : 0) + ((long)it / 50 % 7 ? 6000 : 0);
}
/* a cache that fills for 300 iterations, then stays */
static double plateau_alloc(double it, Rng *r)
{
    (void)r;
    return 300000 + 1024.0 * (it < 300 ? it : 300);
}
/* a buffer grown by realloc, held in size classes a quarter apart */
static double classes_alloc(double it, Rng *r)
{
    (void)r;
    double want = 4096 + 64.0 * it, c = 4096;
    while (c < want)
        c *= 1.25;
    return c;
}

static RunAnalysis analyze_judging(long iters, long every, SeriesFn a, SeriesFn b, SeriesFn c, int judge_rss)
{
    Samples s;
    make_samples(&s, iters, every, a, b, c);
    Tolerance t = tolerance_defaults();
    RunAnalysis an;
    analyze_run(&s, (uint64_t)iters, &t, judge_rss, &an);
    samples_free(&s);
    return an;
}

static RunAnalysis analyze(long iters, long every, SeriesFn a, SeriesFn b, SeriesFn c)
{
    return analyze_judging(iters, every, a, b, c, 1);
}

static const SeriesResult *series(const RunAnalysis *an, const char *name)
{
    for (int i = 0; i < an->n_series; i++)
        if (!strcmp(an->series[i].name, name))
            return &an->series[i];
    fail_msg("no series %s", name);
    return NULL;
}

static void test_flat(void **state)
{
    (void)state;
    RunAnalysis an = analyze(10000, 50, flat_arena, flat_rss, flat_arena);
    assert_false(an.growing);
    assert_int_equal(an.n_series, 3);
    ASSERT_CLOSE(series(&an, "proc.rss_bytes")->slope, 0, 1e-9, 0, "flat slope");
    assert_int_equal(an.last_iter, 10000);
}

static void test_flat_with_warmup_bump(void **state)
{
    (void)state;
    RunAnalysis an = analyze(1000, 5, flat_arena, warm_rss, flat_arena);
    if (an.growing)
        fail_msg("a warm-up bump read as growth: rss slope %.2f", series(&an, "proc.rss_bytes")->slope);
}

static void test_noisy_plateau_is_flat(void **state)
{
    (void)state;
    /* RSS jitter of +-150 KiB (ASan-like) must not read as growth */
    RunAnalysis an = analyze(10000, 50, flat_arena, noisy_rss, flat_arena);
    const SeriesResult *r = series(&an, "proc.rss_bytes");
    if (an.growing)
        fail_msg("noise read as growth: slope %.2f bytes/iteration, growth %.0f", r->slope, r->growth);
    assert_true(fabs(r->slope) < 20);
}

static void test_slow_linear_growth(void **state)
{
    (void)state;
    /* 8 bytes per iteration over 10000 iterations in an allocator series */
    RunAnalysis an = analyze(10000, 50, flat_arena, flat_rss, slow_alloc);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    ASSERT_CLOSE(m->slope, 8.0, 1e-6, 1e-6, "rate from the floors");
    assert_true(m->growing);
    assert_true(an.growing);
    assert_string_equal(an.series[an.worst].name, "malloc.in_use_bytes");
    /* 200 bytes per iteration of RSS */
    an = analyze(10000, 50, flat_arena, leak_rss, flat_arena);
    assert_true(series(&an, "proc.rss_bytes")->growing);
}

/* ASan mode: RSS that rises (the quarantine filling) is shown but not judged; the
 * allocator's live bytes still are. */
static void test_rss_not_judged_when_asked(void **state)
{
    (void)state;
    RunAnalysis an = analyze_judging(10000, 50, flat_arena, leak_rss, flat_arena, 0);
    assert_false(an.growing);
    assert_false(series(&an, "proc.rss_bytes")->judged);
    assert_true(series(&an, "proc.rss_bytes")->growth > 1e6); /* measured all the same */
    an = analyze_judging(10000, 50, flat_arena, leak_rss, slow_alloc, 0);
    assert_true(an.growing);
    assert_string_equal(an.series[an.worst].name, "malloc.in_use_bytes");
}

static void test_exact_series_tolerate_nothing(void **state)
{
    (void)state;
    /* the arena grows by 64 bytes every 100 iterations: tiny, but the contract is exact */
    RunAnalysis an = analyze(1000, 10, creeping_arena, flat_rss, flat_arena);
    const SeriesResult *a = series(&an, "arena.used_bytes");
    assert_true(a->growing);
    ASSERT_CLOSE(a->growth, 64.0 * 10, 1e-9, 0, "arena growth");
}

/* A single step halfway (4 MB taken once and kept) is not growth that goes on: the
 * sweep across counts is what would show it (docs/soak.md). */
static void test_one_step_is_not_steady(void **state)
{
    (void)state;
    RunAnalysis an = analyze(10000, 50, flat_arena, step_rss, flat_arena);
    const SeriesResult *r = series(&an, "proc.rss_bytes");
    if (r->growing || r->steady)
        fail_msg("a single step read as steady growth: floors %.0f %.0f %.0f %.0f", r->floors[0],
                 r->floors[1], r->floors[2], r->floors[3]);
}

/* No band of bytes per run: 128 bytes a step over 200 steps (25 KB) grows, and what is in
 * use for a moment at a sample does not hide it or fake it; the rate is the growth's. */
static void test_slow_short_growth_with_transients(void **state)
{
    (void)state;
    RunAnalysis an = analyze(200, 1, flat_arena, flat_rss, record_with_transients);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    if (!m->growing)
        fail_msg("144 B/iteration over 200 iterations read as flat (floors %.0f %.0f %.0f %.0f)",
                 m->floors[0], m->floors[1], m->floors[2], m->floors[3]);
    ASSERT_CLOSE(m->slope, 144.0, 0, 0.25, "rate from the floors");
    /* the same moments without the growth: flat */
    an = analyze(200, 1, flat_arena, flat_rss, noisy_rss);
    assert_false(series(&an, "malloc.in_use_bytes")->growing);
}

/* Growth that stops (a cache filling up within the run) is not steady; growth in steps of
 * size classes is. */
static void test_plateau_and_size_classes(void **state)
{
    (void)state;
    RunAnalysis an = analyze(1000, 5, flat_arena, flat_rss, plateau_alloc);
    assert_false(series(&an, "malloc.in_use_bytes")->growing);
    an = analyze(2000, 10, flat_arena, flat_rss, classes_alloc);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    assert_true(m->growing);
    ASSERT_CLOSE(m->slope, 64.0, 0, 0.25, "rate of a buffer held in size classes");
}

/* A service kept busy through a whole half of the run: that half's floor is above the
 * next one's, yet what was held rose all along (keep_requests, 48 B a request, read FLAT
 * before what a half held was read as the lowest floor from it on); the same load with
 * nothing kept is flat. */
static void test_busy_half_does_not_hide_growth(void **state)
{
    (void)state;
    RunAnalysis an = analyze(10000, 25, flat_arena, flat_rss, busy_keeping);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    assert_true(m->halves[6] > m->halves[7]); /* the busy half's floor is above the next */
    if (!m->growing)
        fail_msg("48 B/request under a busy half read as flat (floors %.0f %.0f %.0f %.0f)", m->floors[0],
                 m->floors[1], m->floors[2], m->floors[3]);
    ASSERT_CLOSE(m->slope, 48.0, 0, 0.25, "rate from the floors");
    an = analyze(10000, 25, flat_arena, flat_rss, busy_clean);
    assert_false(series(&an, "malloc.in_use_bytes")->growing);
}

/* Too few rows after warm-up to judge a sampled series: not judged, counted as short. */
static void test_too_few_rows_are_not_judged(void **state)
{
    (void)state;
    RunAnalysis an = analyze(9, 1, flat_arena, leak_rss, slow_alloc);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    assert_true(m->short_run);
    assert_false(m->judged);
    assert_false(m->growing);
    assert_int_equal(an.n_short, 2); /* rss and malloc; the exact arena series is judged */
    assert_true(series(&an, "arena.used_bytes")->judged);
}

/* s without its rows of iterations [from, to): a pause in sampling. */
static void drop_rows(Samples *s, double from, double to)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->nrows; i++)
        if (samples_at(s, i, 0) < from || samples_at(s, i, 0) >= to)
            memmove(s->values + kept++ * s->ncols, s->values + i * s->ncols, s->ncols * sizeof(double));
    s->nrows = kept;
}

/* A run of 300 iterations sampled every 3, its allocator series mall(), without the rows
 * of iterations [from, to): analysed. */
static RunAnalysis analyze_paused(SeriesFn mall, double from, double to)
{
    Tolerance t = tolerance_defaults();
    RunAnalysis an;
    Samples s;
    make_samples(&s, 300, 3, flat_arena, flat_rss, mall);
    drop_rows(&s, from, to);
    analyze_run(&s, 300, &t, 1, &an);
    samples_free(&s);
    return an;
}

/* A pause in sampling (the sampler not given the core on a busy machine while a fast
 * program ran on) that leaves one span between the first and the last without samples:
 * the run is judged from the others, and its growth is seen. Two such spans: too short to
 * judge. */
static void test_one_pause_in_sampling_is_judged(void **state)
{
    (void)state;
    /* after the warm-up (30), spans of 67.5 iterations: the second, [97.5, 165), empty */
    RunAnalysis an = analyze_paused(slow_alloc, 90, 170);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    assert_false(m->short_run);
    assert_true(m->growing);
    ASSERT_CLOSE(m->slope, 8.0, 1e-6, 1e-6, "rate from the floors around the pause");
    an = analyze_paused(slow_alloc, 90, 240); /* the second and third */
    assert_true(series(&an, "malloc.in_use_bytes")->short_run);
    /* and a clean run with the same pause stays flat */
    an = analyze_paused(flat_arena, 90, 170);
    assert_false(an.growing);
}

/* Rows whose iterations go back (a service's progress lines out of order) below the first
 * row's: counted in the first half, nothing written outside the floors (the asan variant
 * runs this), and a growth still seen. */
static void test_iterations_that_go_back(void **state)
{
    (void)state;
    Tolerance t = tolerance_defaults();
    RunAnalysis an;
    Samples s;
    make_samples(&s, 1000, 10, flat_arena, flat_rss, slow_alloc);
    /* after the warm-up (100): the first rows read 250, then 240 ... 110, then on */
    for (size_t i = 0; i < s.nrows && samples_at(&s, i, 0) < 250; i++)
        if (samples_at(&s, i, 0) >= 100)
            s.values[i * s.ncols] = 350 - samples_at(&s, i, 0);
    analyze_run(&s, 1000, &t, 1, &an);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    assert_false(m->short_run);
    assert_true(m->growing);
    samples_free(&s);
}

/* Counts of resources, one row per 10 iterations of 2000: descriptors that leak one per 50
 * iterations (and the bytes of their buffers), threads of a pool that fills to 4 and then
 * stays with a short-lived helper now and then, mappings that follow the heap. */
static void resource_samples(Samples *s)
{
    const char *names[] = {"iter", "proc.fds", "proc.threads", "proc.maps", "malloc.in_use_bytes"};
    memset(s, 0, sizeof *s);
    s->ncols = 5;
    for (int i = 0; i < 5; i++)
        s->names[i] = strdup(names[i]);
    s->values = calloc(201 * 5, sizeof(double));
    for (long it = 10; it <= 2000; it += 10) {
        double *row = s->values + s->nrows++ * 5;
        row[0] = (double)it;
        row[1] = 5 + (double)(it / 50);
        row[2] = 1 + (it < 300 ? (double)(it / 100) : 3) + (it % 170 == 0); /* a helper, at times */
        row[3] = 40 + (double)(it / 100);
        row[4] = 9000 + 4.6 * (double)it;
    }
}

static void test_resource_counts(void **state)
{
    (void)state;
    Samples s;
    resource_samples(&s);
    Tolerance t = tolerance_defaults();
    RunAnalysis an;
    analyze_run(&s, 2000, &t, 0, &an); /* a mode whose resident memory is not judged */
    const SeriesResult *fds = series(&an, "proc.fds");
    assert_int_equal(fds->cls, SERIES_COUNT);
    assert_true(fds->judged && fds->growing);
    ASSERT_CLOSE(fds->slope, 0.02, 0, 0.1, "descriptors per iteration");
    assert_string_equal(an.series[an.worst].name, "proc.fds"); /* before the bytes of their buffers */
    assert_false(series(&an, "proc.threads")->growing); /* a pool that fills, a helper at times */
    assert_false(series(&an, "proc.maps")->judged); /* follows memory: judged with resident memory */
    analyze_run(&s, 2000, &t, 1, &an);
    assert_true(series(&an, "proc.maps")->judged && series(&an, "proc.maps")->growing);
    assert_string_equal(an.series[an.worst].name, "proc.fds");
    samples_free(&s);
}

/* A Python run seen by jemalloc (pysite, 2026-12-05): 170 KB taken once just after the
 * warm-up (its first snapshot), then a creep of 736 bytes over 1600 iterations, its
 * floors never going down: steady, but the rise its rate explains (under a byte an
 * iteration) is far inside the scatter the step makes: not decided, a rate of the creep
 * (not 112 bytes/iteration from the step), and a sensitivity that says so. */
static double step_then_creep(double it, Rng *r)
{
    return 4775832 + (it >= 260 ? 168700 + 0.46 * (it - 260) : 0) +
           (rng_uniform(r) < 0.5 ? 1.2e6 * rng_uniform(r) : 0);
}
static void test_one_step_and_a_creep_is_undecided(void **state)
{
    (void)state;
    RunAnalysis an = analyze(2000, 2, flat_arena, flat_rss, step_then_creep);
    const SeriesResult *m = series(&an, "malloc.in_use_bytes");
    if (!m->growing || m->decided || !an.undecided)
        fail_msg("a step and a creep: growing %d, decided %d (%.1f B/iteration)", m->growing, m->decided,
                 m->slope);
    ASSERT_CLOSE(m->slope, 0.46, 0, 1.0, "the creep's rate, not the step's");
    if (!(m->sensitivity > 100))
        fail_msg("sensitivity %.1f B/iteration: the step's scatter hides growth below ~700", m->sensitivity);
    /* a steady growth of a few bytes beside the same transients, no step: decided */
    an = analyze(2000, 2, flat_arena, flat_rss, record_with_transients);
    m = series(&an, "malloc.in_use_bytes");
    assert_true(m->growing && m->decided && !an.undecided);
}

/* What a FLAT run could have seen: an exact series a byte over the run; a sampled one the
 * scatter of its floors over a half (a steady growth of that rate would have been found:
 * tried at 1.2 times it). */
static void test_sensitivity_is_what_would_be_found(void **state)
{
    (void)state;
    RunAnalysis an = analyze(10000, 50, flat_arena, flat_rss, busy_clean);
    const SeriesResult *a = series(&an, "arena.used_bytes"), *m = series(&an, "malloc.in_use_bytes");
    ASSERT_CLOSE(a->sensitivity, 1.0 / (10000 - 1000), 0, 0.1, "an exact series: a byte over the run");
    if (m->growing || !(m->sensitivity > 1 && m->sensitivity < 200))
        fail_msg("busy service: growing %d, sensitivity %.2f B/iteration", m->growing, m->sensitivity);
    assert_int_equal(an.sensitive >= 0 && an.series[an.sensitive].cls != SERIES_EXACT, 1);
    g_rate = 1.2 * m->sensitivity;
    an = analyze(10000, 50, flat_arena, flat_rss, busy_at_rate);
    m = series(&an, "malloc.in_use_bytes");
    if (!m->growing || !m->decided)
        fail_msg("a growth of %.1f B/iteration (1.2 x the stated sensitivity): growing %d, decided %d",
                 g_rate, m->growing, m->decided);
    /* a rise below the stated sensitivity is not decided by the series that states it: the
     * soak runs it longer, or calls it INCONCLUSIVE */
    an = analyze(10000, 50, flat_arena, flat_rss, bounded_python);
    m = series(&an, "malloc.in_use_bytes");
    if (!m->growing || m->decided)
        fail_msg(
            "floors rising at every span by %.2f B/iteration where %.2f could hide: growing %d, decided %d",
            m->slope, m->sensitivity, m->growing, m->decided);
}

static void test_theil_sen_ignores_outliers(void **state)
{
    (void)state;
    double x[50], y[50];
    for (int i = 0; i < 50; i++) {
        x[i] = i;
        y[i] = 3.0 * i + 7 + (i % 10 == 0 ? 1e6 : 0); /* 10% wild outliers */
    }
    ASSERT_CLOSE(theil_sen(x, y, 50), 3.0, 1e-9, 1e-6, "slope with outliers");
    ASSERT_CLOSE(theil_sen(x, y, 1), 0.0, 0, 0, "one point");
}

/* A judged allocator series into an (its floors' rise and whether they rose steadily). */
static void add_series(RunAnalysis *an, const char *name, double growth, int steady)
{
    SeriesResult *r = &an->series[an->n_series++];
    snprintf(r->name, sizeof r->name, "%s", name);
    r->cls = SERIES_ALLOC;
    r->judged = 1;
    r->growth = growth;
    r->steady = r->growing = steady;
}

/* A GROWING run: jemalloc.allocated (rose by heap, not steadily) beside the steadily
 * growing series that decided (name, rose by growth). */
static void growing_beside_heap(Run *r, double heap, const char *name, double growth)
{
    r->verdict = V_GROWING;
    add_series(&r->an, "jemalloc.allocated", heap, 0);
    add_series(&r->an, name, growth, 1);
    r->an.worst = 1;
}

/* jemalloc's pages grow: the allocator's retention only while what the program holds is
 * flat. Allocated rising by 120 KB with the pages' 176 KB, but not at every floor (a thread
 * cache refilled and flushed between them), is the program's growth: a soak under load
 * once called the shim's reachable growth the allocator's. */
static void test_pages_grow_with_the_heap(void **state)
{
    (void)state;
    static Run r;
    growing_beside_heap(&r, 121856.0, "jemalloc.active", 176128.0);
    assert_string_equal(kind_name(verdict_kind(&r)), "reachable-growth");
    r.an.series[0].growth = 4096.0; /* what it holds flat, the pages growing: retention */
    r.an.series[1].slope = 300.0;
    r.an.series[0].sensitivity = 40.0;
    assert_string_equal(kind_name(verdict_kind(&r)), "allocator-retention");
    r.an.series[0].sensitivity = 500.0; /* flat, but 300 B/iteration could hide in it */
    assert_string_equal(kind_name(verdict_kind(&r)), "unexplained-growth");
}

/* Resident memory grows and the heap reads flat: "non-heap" only when the heap figure would
 * have seen half that growth (its sensitivity); a coarser one cannot say where it is. */
static void test_non_heap_needs_a_fine_heap(void **state)
{
    (void)state;
    static Run r;
    growing_beside_heap(&r, 0.0, "proc.rss_bytes", 180000.0);
    r.an.series[1].cls = SERIES_RSS;
    r.an.series[1].slope = 300.0;
    r.an.worst = 1;
    r.an.series[0].sensitivity = 500.0; /* a growth of 300 B/iteration could hide in it */
    assert_string_equal(kind_name(verdict_kind(&r)), "unexplained-growth");
    r.an.series[0].sensitivity = 40.0;
    assert_string_equal(kind_name(verdict_kind(&r)), "non-heap-growth");
    r.an.series[0].sensitivity = NAN; /* not known: not seen flat */
    assert_string_equal(kind_name(verdict_kind(&r)), "unexplained-growth");
    r.an.series[1].cls = SERIES_COUNT; /* mappings decided: no bytes to compare the heap's with */
    assert_string_equal(kind_name(verdict_kind(&r)), "non-heap-growth");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat),
        cmocka_unit_test(test_flat_with_warmup_bump),
        cmocka_unit_test(test_noisy_plateau_is_flat),
        cmocka_unit_test(test_slow_linear_growth),
        cmocka_unit_test(test_rss_not_judged_when_asked),
        cmocka_unit_test(test_exact_series_tolerate_nothing),
        cmocka_unit_test(test_one_step_is_not_steady),
        cmocka_unit_test(test_slow_short_growth_with_transients),
        cmocka_unit_test(test_plateau_and_size_classes),
        cmocka_unit_test(test_busy_half_does_not_hide_growth),
        cmocka_unit_test(test_too_few_rows_are_not_judged),
        cmocka_unit_test(test_one_pause_in_sampling_is_judged),
        cmocka_unit_test(test_iterations_that_go_back),
        cmocka_unit_test(test_theil_sen_ignores_outliers),
        cmocka_unit_test(test_resource_counts),
        cmocka_unit_test(test_one_step_and_a_creep_is_undecided),
        cmocka_unit_test(test_sensitivity_is_what_would_be_found),
        cmocka_unit_test(test_pages_grow_with_the_heap),
        cmocka_unit_test(test_non_heap_needs_a_fine_heap),
    };
    return cmocka_run_group_tests_name("analysis", tests, NULL, NULL);
}
