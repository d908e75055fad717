/* test_conclude: the judging and concluding stages alone, on run folders this test writes
 * (run.txt, samples.csv, a tool's log): no program is run, so a rule can be changed and
 * checked in a second (make check). Each case is a small soak the way the runner leaves it
 * on disk; runs_load judges it (judge.h) and soak_conclude concludes it (conclude.h); the
 * test reads the concluded result that every output prints.
 *
 * Covered: a flat soak passes; steady growth of the heap fails, with its rate; a run too
 * short is UNJUDGED and a mode with nothing judged makes the soak INCOMPLETE; growth that
 * stops is settled by the longer run; a leak that grows with the count fails, one that
 * does not is a one-time leak that fails only with --strict-leaks; a sweep whose peak rises
 * with the count fails although every run is flat; a crash fails; under make faults a
 * fault build caught as required passes and one missed fails. */
#include "testutil.h"

#include <math.h>

#include "conclude.h"
#include "judge.h"
#include "words.h"

/* A series of a fixture run: its value at iteration it of iters. */
typedef double (*SeriesFn)(long it, long iters);

static double flat_heap(long it, long iters)
{
    (void)it;
    (void)iters;
    return 1 << 20;
}

static double flat_rss(long it, long iters)
{
    (void)it;
    (void)iters;
    return 8 << 20;
}

static double heap_64_per_iter(long it, long iters)
{
    (void)iters;
    return (1 << 20) + 64.0 * (double)it;
}

/* Rises 64 B/iteration until iteration 1000, then stays (a cache filling). */
static double heap_fills_to_1000(long it, long iters)
{
    (void)iters;
    return (1 << 20) + 64.0 * (double)(it < 1000 ? it : 1000);
}

/* 170 KB once just after the warm-up, then a creep of half a byte an iteration and
 * transients at some samples: steady, not decided (test_analysis) */
static double heap_step_then_creep(long it, long iters)
{
    double transient = (it * 7919) % 3 == 0 ? 900000.0 * (double)((it * 104729) % 1000) / 1000 : 0;
    return 4775832 + (it >= iters / 8 ? 168700 + 0.46 * (double)(it - iters / 8) : 0) + transient;
}

/* A run of mode and count whose heap is heap(); more fields as designated initializers. */
#define FX(mode_, iters_, heap_, ...) \
    (&(Fixture){.mode = (mode_), .iters = (iters_), .heap = (heap_), __VA_ARGS__})

typedef struct Fixture {
    const char *mode; /* "native", "lsan", ... */
    long iters;
    SeriesFn heap; /* malloc.in_use_bytes */
    const char *fault; /* NULL: "none" */
    SeriesFn rss; /* proc.rss_bytes (NULL: flat) */
    int rows; /* samples.csv rows (101: one per hundredth of the run) */
    const char *log; /* stderr.txt (a tool's report), or NULL */
    int exit_code, signal;
    double peak_rss; /* run.txt's peak_rss_bytes (0: the rss series' largest value) */
} Fixture;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* SOAK/runs/<mode>-<iters>[-fault] as the runner leaves it: run.txt, samples.csv (a
 * program of one's own: --cmd's columns), the tool's log. */
static void write_run(const char *soak, const Fixture *fx)
{
    Fixture x_ = *fx, *x = &x_;
    x->fault = x->fault ? x->fault : "none";
    x->rss = x->rss ? x->rss : flat_rss;
    char dir[PATH_MAX], path[PATH_MAX + 32];
    int rows = x->rows ? x->rows : 101;
    snprintf(dir, sizeof dir, "%s/%s/runs/%s-%ld%s%s", test_tmpdir(), soak, x->mode, x->iters,
             strcmp(x->fault, "none") ? "-" : "", strcmp(x->fault, "none") ? x->fault : "");
    assert_int_equal(test_sh("mkdir -p '%s'", dir), 0);
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "iter,time_s,proc.rss_bytes,malloc.in_use_bytes\n");
    double peak = 0;
    for (int i = 0; i < rows; i++) {
        long it = i == 0 ? 1 : (long)((double)x->iters * i / (rows - 1));
        double rss = x->rss(it, x->iters);
        peak = rss > peak ? rss : peak;
        double heap = x->heap(it, x->iters);
        fprintf(f, "%ld,%.3f,%.0f,", it, 0.001 * (double)it, rss);
        if (!isnan(heap)) /* (NAN: not measured, an empty field) */
            fprintf(f, "%.0f", heap);
        fputc('\n', f);
    }
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/run.txt", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "mode=%s\niterations=%ld\nresume_from=0\nfault=%s\nconfig=cmd\nexit_code=%d\nsignal=%d\n"
            "killed=none\nwall_s=1.000\npeak_rss_bytes=%.0f\nbudget_bytes=3159359488\n",
            x->mode, x->iters, x->fault, x->exit_code, x->signal, x->peak_rss ? x->peak_rss : peak);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    write_text(path, x->log ? x->log : "");
    snprintf(path, sizeof path, "%s/span.csv", dir); /* the probe reached it (else: blind) */
    write_text(path, "1000,0\n2000,1\n");
}

/* LeakSanitizer's report of `objects` leaked blocks of 32 bytes, allocated by keep_record. */
static const char *lsan_report(int objects)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "=================================================================\n"
             "==4242==ERROR: LeakSanitizer: detected memory leaks\n\n"
             "Direct leak of %d byte(s) in %d object(s) allocated from:\n"
             "    #0 0x7f0 in malloc ../../../../src/libsanitizer/lsan/lsan_interceptors.cpp:75\n"
             "    #1 0x55d in keep_record /src/prog.c:12\n"
             "    #2 0x55e in main /src/prog.c:30\n\n"
             "SUMMARY: AddressSanitizer: %d byte(s) leaked in %d allocation(s).\n",
             32 * objects, objects, 32 * objects, objects);
    return text;
}

static Run g_runs[64];
static SoakResult g_res;

/* Judges and concludes SOAK (its run folders), as `soak report` would. */
static const SoakResult *conclude(const char *soak, int expect_faults, int strict_leaks)
{
    char dir[PATH_MAX], err[512];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), soak);
    Tolerance tol = tolerance_defaults();
    runs_release(g_runs, g_res.n_runs); /* the previous test's */
    g_res.n_runs = 0;
    int n = runs_load(dir, g_runs, 64, &tol, err, sizeof err);
    if (n <= 0)
        fail_msg("%s: %s", soak, n < 0 ? err : "no runs");
    memset(&g_res, 0, sizeof g_res);
    g_res.runs = g_runs;
    g_res.n_runs = n;
    g_res.tol = tol;
    g_res.expect_faults = expect_faults;
    g_res.strict_leaks = strict_leaks;
    snprintf(g_res.config, sizeof g_res.config, "cmd");
    soak_conclude(&g_res);
    return &g_res;
}

static const Run *run_of(const SoakResult *res, const char *mode, long iters)
{
    for (int i = 0; i < res->n_runs; i++)
        if (!strcmp(mode_name(res->runs[i].mode), mode) && res->runs[i].iters == iters)
            return &res->runs[i];
    fail_msg("no run %s-%ld", mode, iters);
    return NULL;
}

/* The run's verdict is want; prints its detail when not. */
static void expect_verdict(const SoakResult *res, const char *mode, long iters, Verdict want)
{
    const Run *r = run_of(res, mode, iters);
    char detail[RUN_DETAIL_MAX];
    run_detail(r, detail, sizeof detail);
    if (r->verdict != want)
        fail_msg("%s-%ld: %s, expected %s (%s)", mode, iters, verdict_name(r->verdict), verdict_name(want),
                 detail);
}

/* What each mode's heap series count for a block: the rate of a growth beside a leak is the
 * series less the leak's blocks as that allocator holds them (diagnosis.c: others_rate). */
static void test_block_charge_per_allocator(void **state)
{
    (void)state;
    static const struct {
        Mode m;
        double asked, held;
    } cases[] = {{MODE_NATIVE, 1, 32},      {MODE_NATIVE, 24, 32},     {MODE_NATIVE, 25, 48},
                 {MODE_NATIVE, 128, 144},   {MODE_NATIVE, 200, 208},   {MODE_JEMALLOC, 1, 8},
                 {MODE_JEMALLOC, 9, 16},    {MODE_JEMALLOC, 128, 128}, {MODE_JEMALLOC, 129, 160},
                 {MODE_JEMALLOC, 200, 224}, {MODE_JEMALLOC, 257, 320}, {MODE_JEMALLOC, 4097, 5120},
                 {MODE_LSAN, 200, 200}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (mode_block_charge(cases[i].m, cases[i].asked) != cases[i].held)
            fail_msg("%s: a block of %.0f bytes is held as %.0f, expected %.0f", mode_name(cases[i].m),
                     cases[i].asked, mode_block_charge(cases[i].m, cases[i].asked), cases[i].held);
}

static void test_flat_soak_passes(void **state)
{
    (void)state;
    long counts[] = {200, 2000, 20000};
    for (int i = 0; i < 3; i++)
        write_run("flat", FX("native", counts[i], flat_heap));
    const SoakResult *res = conclude("flat", 0, 0);
    for (int i = 0; i < 3; i++)
        expect_verdict(res, "native", counts[i], V_FLAT);
    assert_int_equal(res->overall, OVERALL_PASS);
    assert_int_equal(res->exit_status, 0);
    assert_int_equal(res->diag.n, 0);
    assert_int_equal(res->n_sweeps, 1);
    assert_true(res->sweeps[0].judged);
    assert_false(res->sweeps[0].growing);
}

/* The same growth where LeakSanitizer ran to the program's end and reported nothing: then,
 * and only then, it is memory still pointed to (reachable-growth); a leak checker ended by a
 * signal, before its check at exit, says nothing (heap-growth). */
static void test_reachable_only_where_a_leak_checker_ran(void **state)
{
    (void)state;
    write_run("reach", FX("native", 2000, heap_64_per_iter));
    write_run("reach", FX("native", 20000, heap_64_per_iter));
    write_run("reach", FX("lsan", 2000, flat_heap));
    const SoakResult *res = conclude("reach", 0, 0);
    assert_int_equal(run_of(res, "native", 20000)->kind, KIND_REACHABLE_GROWTH);
    assert_int_equal(res->diag.list[0].kind, KIND_REACHABLE_GROWTH);
    write_run("signalled", FX("native", 2000, heap_64_per_iter));
    write_run("signalled", FX("native", 20000, heap_64_per_iter));
    write_run("signalled", FX("lsan", 2000, flat_heap, .signal = SIGTERM));
    res = conclude("signalled", 0, 0);
    assert_int_equal(run_of(res, "native", 20000)->kind, KIND_HEAP_GROWTH);
}

/* A run whose mode preloads the probe is blind when the probe did not reach the program:
 * the end it marks at the program's exit says it did, whatever the soak's last look at the
 * maps read (one taken as the process ended once saw them without it); without that mark,
 * the last look decides. */
static void test_blind_only_without_the_probes_end(void **state)
{
    (void)state;
    char path[PATH_MAX + 64];
    write_run("seen", FX("lsan", 2000, flat_heap));
    snprintf(path, sizeof path, "%s/seen/runs/lsan-2000/preload.txt", test_tmpdir());
    write_text(path, "probe_mapped=0\n");
    expect_verdict(conclude("seen", 0, 0), "lsan", 2000, V_FLAT);
    snprintf(path, sizeof path, "%s/seen/runs/lsan-2000/span.csv", test_tmpdir());
    write_text(path, "1000,0\n"); /* a wrapper's start, then an exec without the probe */
    const SoakResult *res = conclude("seen", 0, 0);
    expect_verdict(res, "lsan", 2000, V_UNJUDGED);
    assert_int_equal(res->overall, OVERALL_INCOMPLETE);
}

static void test_steady_heap_growth_fails_with_its_rate(void **state)
{
    (void)state;
    write_run("grow", FX("native", 2000, heap_64_per_iter));
    write_run("grow", FX("native", 20000, heap_64_per_iter));
    const SoakResult *res = conclude("grow", 0, 0);
    expect_verdict(res, "native", 20000, V_GROWING);
    /* no leak checker ran: heap-growth, not reachable-growth (nothing said it is pointed to) */
    assert_int_equal(run_of(res, "native", 20000)->kind, KIND_HEAP_GROWTH);
    assert_true(run_of(res, "native", 20000)->fails);
    assert_int_equal(res->overall, OVERALL_FAIL);
    assert_int_equal(res->exit_status, 1);
    assert_int_equal(res->diag.n, 1);
    const Problem *p = &res->diag.list[0];
    assert_int_equal(p->kind, KIND_HEAP_GROWTH);
    assert_true(p->fails);
    ASSERT_CLOSE(p->rate, 64.0, 0, 0.05, "bytes/iteration of the heap's growth");
    /* two counts: the sweep is shown, with the reason it is not judged */
    assert_false(res->sweeps[0].judged);
    assert_string_equal(res->sweeps[0].why_not_judged, "FLAT runs at 0 counts, a sweep needs 3");
}

/* The stack a run's heap profiles name, of share of the growth; one_profile: grown in the
 * last profile only. */
static StackGrowth stack(const char *function, double share, int one_profile)
{
    StackGrowth g = {.bytes = share * 64000.0, .bytes_per_iter = share * 64.0, .share = share};
    snprintf(g.function, sizeof g.function, "%s", function);
    snprintf(g.where, sizeof g.where, "/src/prog.c:%d", one_profile ? 40 : 12);
    g.one_profile = one_profile;
    return g;
}

/* A second function that grew makes a problem of its own only when it grew in more than
 * one heap profile, and held more at the last than at the first late one: one seen in the
 * last only, or the same at several dumps, may be a block that was live at that dump (a
 * file's buffer while a checkpoint is written), not growth. */
static void test_second_stack_needs_two_profiles(void **state)
{
    (void)state;
    write_run("stacks", FX("jemalloc", 2000, heap_64_per_iter));
    write_run("stacks", FX("jemalloc", 20000, heap_64_per_iter));
    SoakResult *res = (SoakResult *)conclude("stacks", 0, 0);
    Run *r = (Run *)run_of(res, "jemalloc", 20000);
    r->n_stacks = 2;
    r->stacks[0] = stack("keep_record", 0.6, 0);
    r->stacks[1] = stack("write_buffer", 0.4, 1);
    diagnosis_build(&res->diag, res);
    assert_int_equal(res->diag.n, 1);
    assert_string_equal(res->diag.list[0].function, "keep_record");
    r->stacks[1].one_profile = 0; /* grown in two profiles: a second problem */
    diagnosis_build(&res->diag, res);
    assert_int_equal(res->diag.n, 2);
    r->stacks[1].recurs = 1; /* but held as much at the first late dump as at the last */
    diagnosis_build(&res->diag, res);
    assert_int_equal(res->diag.n, 1);
    r->stacks[1].recurs = 0;
    /* the first function still names its run's problem when it too grew in one profile */
    r->n_stacks = 1;
    r->stacks[0].one_profile = 1;
    diagnosis_build(&res->diag, res);
    assert_int_equal(res->diag.n, 1);
    assert_string_equal(res->diag.list[0].function, "keep_record");
}

static void test_too_short_is_unjudged_and_incomplete(void **state)
{
    (void)state;
    write_run("short", FX("native", 20, heap_64_per_iter, .rows = 5));
    const SoakResult *res = conclude("short", 0, 0);
    expect_verdict(res, "native", 20, V_UNJUDGED);
    const Run *r = run_of(res, "native", 20);
    assert_false(r->fails);
    assert_false(r->skipped); /* it ran */
    assert_true(r->unreported); /* junit.xml: a skipped case, with the reason */
    assert_true(res->unjudged_modes & (1u << MODE_NATIVE));
    assert_int_equal(res->overall, OVERALL_INCOMPLETE);
    assert_int_not_equal(res->exit_status, 0);
}

/* A growth within its own scatter is neither FAIL nor PASS: INCONCLUSIVE (exit 3), with
 * the figure it would have shown; a longer run that grows beyond its scatter decides it
 * GROWING, one that is flat settles it FLAT. */
static void test_undecided_growth_is_inconclusive(void **state)
{
    (void)state;
    write_run("undecided", FX("jemalloc", 2000, heap_step_then_creep, .rows = 400));
    const SoakResult *res = conclude("undecided", 0, 0);
    expect_verdict(res, "jemalloc", 2000, V_INCONCLUSIVE);
    assert_int_equal(res->overall, OVERALL_INCONCLUSIVE);
    assert_int_equal(res->exit_status, 3);
    char d[RUN_DETAIL_MAX];
    run_detail(run_of(res, "jemalloc", 2000), d, sizeof d);
    if (!strstr(d, "undecided") || !strstr(d, "growth above"))
        fail_msg("the words of an undecided run: %s", d);
    write_run("undecided", FX("jemalloc", 4000, heap_64_per_iter));
    res = conclude("undecided", 0, 0);
    expect_verdict(res, "jemalloc", 2000, V_GROWING);
    assert_int_equal(run_of(res, "jemalloc", 2000)->confirmed_by, 4000);
    assert_int_equal(res->overall, OVERALL_FAIL);
    write_run("undecided", FX("jemalloc", 4000, flat_heap));
    res = conclude("undecided", 0, 0);
    expect_verdict(res, "jemalloc", 2000, V_FLAT);
    assert_int_equal(res->overall, OVERALL_PASS);
}

static void test_growth_that_stops_is_settled(void **state)
{
    (void)state;
    /* the 1000-iteration run rises all through; the 20000-iteration one stops at 1000 */
    write_run("settle", FX("native", 1000, heap_fills_to_1000));
    write_run("settle", FX("native", 20000, heap_fills_to_1000));
    const SoakResult *res = conclude("settle", 0, 0);
    const Run *r = run_of(res, "native", 1000);
    expect_verdict(res, "native", 1000, V_FLAT);
    assert_int_equal(r->settled_by, 20000);
    char detail[RUN_DETAIL_MAX];
    run_detail(r, detail, sizeof detail);
    assert_non_null(strstr(detail, "then stops"));
    expect_verdict(res, "native", 20000, V_FLAT);
    assert_int_equal(res->overall, OVERALL_PASS);
}

/* A run whose resident memory grows with no heap figure beside it (its allocator's
 * statistics never taken) is unexplained-growth: evidence of the build's heap problem (the
 * leak every other mode saw), not a second problem. */
static double no_heap(long it, long iters)
{
    (void)it;
    (void)iters;
    return NAN;
}

static double rss_64_per_iter(long it, long iters)
{
    (void)iters;
    return (8 << 20) + floor(64.0 * (double)it / 4096.0) * 4096.0; /* in pages */
}

static void test_unexplained_growth_joins_the_leak(void **state)
{
    (void)state;
    write_run("joined", FX("lsan", 200, flat_heap, .log = lsan_report(200), .exit_code = 23));
    write_run("joined", FX("lsan", 2000, flat_heap, .log = lsan_report(2000), .exit_code = 23));
    write_run("joined", FX("jemalloc", 2000, no_heap, .rss = rss_64_per_iter));
    const SoakResult *res = conclude("joined", 0, 0);
    expect_verdict(res, "jemalloc", 2000, V_GROWING);
    assert_string_equal(kind_name(run_of(res, "jemalloc", 2000)->kind), "unexplained-growth");
    if (res->diag.n != 1)
        fail_msg("%d problems, expected one (the leak): the second is %s", res->diag.n,
                 kind_name(res->diag.list[res->diag.n - 1].kind));
    assert_int_equal(res->diag.list[0].kind, KIND_LEAK);
}

static void test_leak_growing_with_the_count_fails(void **state)
{
    (void)state;
    write_run("leak", FX("lsan", 100, flat_heap, .log = lsan_report(100), .exit_code = 23));
    write_run("leak", FX("lsan", 1000, flat_heap, .log = lsan_report(1000), .exit_code = 23));
    const SoakResult *res = conclude("leak", 0, 0);
    const Run *r = run_of(res, "lsan", 1000);
    assert_int_equal(r->kind, KIND_LEAK);
    assert_false(r->one_time_leak);
    assert_true(r->fails);
    assert_int_equal(res->overall, OVERALL_FAIL);
    assert_int_equal(res->diag.n, 1);
    assert_string_equal(res->diag.list[0].function, "keep_record");
    ASSERT_CLOSE(res->diag.list[0].rate, 32.0, 0, 0.01, "leak reports across counts: 32 B a step");
}

static void test_one_time_leak_fails_only_when_strict(void **state)
{
    (void)state;
    write_run("once", FX("lsan", 100, flat_heap, .log = lsan_report(3), .exit_code = 23));
    write_run("once", FX("lsan", 1000, flat_heap, .log = lsan_report(3), .exit_code = 23));
    const SoakResult *res = conclude("once", 0, 0);
    const Run *r = run_of(res, "lsan", 1000);
    assert_true(r->one_time_leak);
    assert_int_equal(r->kind, KIND_ONE_TIME_LEAK);
    assert_false(r->fails);
    assert_int_equal(res->overall, OVERALL_PASS);
    res = conclude("once", 0, 1);
    assert_true(run_of(res, "lsan", 1000)->fails);
    assert_int_equal(res->overall, OVERALL_FAIL);
}

/* Every run flat, but the peak rises by pages from each count to the next. */
static void test_sweep_peak_growth_fails(void **state)
{
    (void)state;
    long counts[] = {1000, 2000, 4000, 8000};
    for (int i = 0; i < 4; i++)
        write_run("sweep",
                  FX("native", counts[i], flat_heap, .peak_rss = (8 << 20) + 64.0 * (double)counts[i]));
    const SoakResult *res = conclude("sweep", 0, 0);
    for (int i = 0; i < 4; i++)
        expect_verdict(res, "native", counts[i], V_FLAT);
    assert_int_equal(res->n_sweeps, 1);
    assert_true(res->sweeps[0].judged);
    assert_true(res->sweeps[0].growing);
    assert_true(res->sweeps[0].fails);
    ASSERT_CLOSE(res->sweeps[0].slope, 64.0, 0, 0.01, "the sweep's slope");
    assert_int_equal(res->overall, OVERALL_FAIL);
    int peak = 0;
    for (int i = 0; i < res->diag.n; i++)
        peak |= res->diag.list[i].kind == KIND_PEAK_GROWTH;
    assert_true(peak);
}

static void test_crash_fails(void **state)
{
    (void)state;
    write_run("crash", FX("native", 2000, flat_heap, .rows = 40, .signal = 11));
    const SoakResult *res = conclude("crash", 0, 0);
    expect_verdict(res, "native", 2000, V_CRASHED);
    assert_int_equal(run_of(res, "native", 2000)->kind, KIND_CRASH);
    assert_int_equal(res->overall, OVERALL_FAIL);
}

/* make faults: tape_keep must be GROWING in every mode. Caught, the soak passes (the
 * build did what it was built to do); missed, it fails, and the cell says so. */
static void test_fault_build_caught_passes_missed_fails(void **state)
{
    (void)state;
    write_run("caught", FX("native", 20000, heap_64_per_iter, .fault = "tape_keep"));
    const SoakResult *res = conclude("caught", 1, 0);
    const Run *r = run_of(res, "native", 20000);
    assert_int_equal(r->verdict, V_GROWING);
    assert_int_equal(r->expected, V_GROWING);
    assert_false(r->fails);
    assert_int_equal(res->n_cells, 1);
    assert_true(res->cells[0].caught);
    assert_int_equal(res->overall, OVERALL_PASS);
    write_run("missed", FX("native", 20000, flat_heap, .fault = "tape_keep"));
    res = conclude("missed", 1, 0);
    assert_true(run_of(res, "native", 20000)->fails);
    assert_true(res->cells[0].missed);
    assert_int_equal(res->overall, OVERALL_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_charge_per_allocator),
        cmocka_unit_test(test_flat_soak_passes),
        cmocka_unit_test(test_steady_heap_growth_fails_with_its_rate),
        cmocka_unit_test(test_reachable_only_where_a_leak_checker_ran),
        cmocka_unit_test(test_blind_only_without_the_probes_end),
        cmocka_unit_test(test_second_stack_needs_two_profiles),
        cmocka_unit_test(test_too_short_is_unjudged_and_incomplete),
        cmocka_unit_test(test_growth_that_stops_is_settled),
        cmocka_unit_test(test_undecided_growth_is_inconclusive),
        cmocka_unit_test(test_leak_growing_with_the_count_fails),
        cmocka_unit_test(test_unexplained_growth_joins_the_leak),
        cmocka_unit_test(test_one_time_leak_fails_only_when_strict),
        cmocka_unit_test(test_sweep_peak_growth_fails),
        cmocka_unit_test(test_crash_fails),
        cmocka_unit_test(test_fault_build_caught_passes_missed_fails),
    };
    int rc = cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
    runs_release(g_runs, g_res.n_runs);
    return rc;
}
