/* test_history: the soak history alone (histdb.h, changes.h, histseries.h): no soak runs
 * (test_history_repo soaks a scripted repository).
 *
 * Covered: a step in a series is found at its commit, with its size, and held; a series of
 * noise (Gaussian, and the two-level wander of a time per step) has none; a step that
 * returns is not held; a step smaller than the smallest change is none; soaks recorded and
 * read back with their runs; four processes writing at once all land (WAL, busy timeout);
 * a database of a newer schema, one of another program and a damaged file are refused with
 * why, byte for byte unchanged; a commit's repeated soaks set the noise. */
#include "testutil.h"

#include <math.h>
#include <sys/wait.h>
#include <unistd.h>

#include "changes.h"
#include "histdb.h"
#include "histseries.h"

/* n commits of one value each: vals and start for cp_find. */
static int one_each(const double *v, int n, double *vals, int *start)
{
    for (int k = 0; k < n; k++)
        vals[k] = v[k], start[k] = k;
    start[n] = n;
    return n;
}

static CpParams peak_params(void)
{
    return (CpParams){.window = 8, .z_min = 5, .min_pct = 5, .resolution = 4096};
}

static void test_step_is_found_and_held(void **state)
{
    (void)state;
    double v[12], vals[12];
    int start[13];
    for (int k = 0; k < 12; k++) /* 8 MiB with 100 KiB of scatter, then 10 MiB from commit 5 */
        v[k] = (k < 5 ? 8.0 : 10.0) * 1048576 + ((k * 7919) % 5 - 2) * 50e3;
    CpParams p = peak_params();
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    int n = cp_find(vals, start, one_each(v, 12, vals, start), &p, &noise, cps, CP_MAX);
    assert_int_equal(n, 1);
    assert_int_equal(cps[0].at, 5);
    assert_true(cps[0].regression && cps[0].held);
    assert_true(fabs(cps[0].after - cps[0].before - 2 * 1048576.0) < 150e3);
}

static void test_noise_has_no_step(void **state)
{
    (void)state;
    double v[40], vals[40];
    int start[41];
    unsigned seed = 12345;
    for (int trial = 0; trial < 50; trial++) {
        for (int k = 0; k < 40; k++) { /* Gaussian noise, 1% of the level (Box-Muller) */
            double u1 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0),
                   u2 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
            v[k] = 8e6 + 80e3 * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
        }
        CpParams p = peak_params();
        CpNoise noise;
        ChangePoint cps[CP_MAX];
        int n = cp_find(vals, start, one_each(v, 40, vals, start), &p, &noise, cps, CP_MAX);
        if (n)
            fail_msg("trial %d: a change point in noise at %d (z %.1f)", trial, cps[0].at, cps[0].z);
    }
    /* a time per step that wanders between two levels (the machine, not the commit) */
    double t[10] = {0.32, 0.323, 0.244, 0.259, 0.264, 0.257, 0.247, 0.242, 0.298, 0.326};
    CpParams p = {.window = 8, .z_min = 5, .min_pct = 10, .resolution = 1e-4};
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    assert_int_equal(cp_find(vals, start, one_each(t, 10, vals, start), &p, &noise, cps, CP_MAX), 0);
}

static void test_step_back_is_not_held(void **state)
{
    (void)state;
    double v[16], vals[16];
    int start[17];
    for (int k = 0; k < 16; k++)
        v[k] = (k >= 5 && k < 10 ? 12.0 : 8.0) * 1048576 + (k % 3) * 20e3;
    CpParams p = peak_params();
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    int n = cp_find(vals, start, one_each(v, 16, vals, start), &p, &noise, cps, CP_MAX);
    assert_int_equal(n, 2);
    assert_true(cps[0].at == 5 && cps[0].regression && !cps[0].held);
    assert_true(cps[1].at == 10 && !cps[1].regression && !cps[1].held);
    /* a step of 2% where 5% is the smallest change: none */
    for (int k = 0; k < 16; k++)
        v[k] = (k < 8 ? 8.0 : 8.16) * 1048576;
    assert_int_equal(cp_find(vals, start, one_each(v, 16, vals, start), &p, &noise, cps, CP_MAX), 0);
}

static void test_one_soak_is_not_a_step(void **state)
{
    (void)state;
    /* ten commits at 0.25 ms a step, the newest soaked once at 0.38 (a busy moment of the
     * machine): not a change; soaked twice, both high, it is one, and held */
    double v[11], vals[12];
    int start[12];
    for (int k = 0; k < 11; k++)
        v[k] = k < 10 ? 0.25 + (k % 3) * 0.004 : 0.38;
    CpParams p = {.window = 8, .z_min = 5, .min_pct = 10};
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    assert_int_equal(cp_find(vals, start, one_each(v, 11, vals, start), &p, &noise, cps, CP_MAX), 0);
    vals[11] = 0.381, start[11] = 12; /* commit 10 again: two soaks after the step */
    assert_int_equal(cp_find(vals, start, 11, &p, &noise, cps, CP_MAX), 1);
    assert_true(cps[0].at == 10 && cps[0].regression && cps[0].held);
}

static void test_repeats_set_the_noise(void **state)
{
    (void)state;
    /* commit 0 soaked four times (scatter 200 KiB), then three commits: a 300 KiB rise is
     * within that noise */
    double vals[] = {8.0e6, 8.4e6, 8.2e6, 7.8e6, 8.1e6, 8.2e6, 8.4e6};
    int start[] = {0, 4, 5, 6, 7};
    CpParams p = peak_params();
    p.min_pct = 1;
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    assert_int_equal(cp_find(vals, start, 4, &p, &noise, cps, CP_MAX), 0);
    assert_int_equal(noise.within_df, 3);
    assert_true(noise.within > 200e3 && noise.sigma >= noise.within);
}

/* A soak of commit sha with one run (native, count) of peak bytes. */
static void fake_soak(SoakResult *res, Run *run, const char *sha, long count, double peak, double slope)
{
    memset(res, 0, sizeof *res);
    memset(run, 0, sizeof *run);
    run->mode = MODE_NATIVE;
    run->iters = count;
    snprintf(run->fault, sizeof run->fault, "none");
    snprintf(run->name, sizeof run->name, "native-%ld", count);
    run->verdict = slope > 0 ? V_GROWING : V_FLAT;
    run->peak_rss_bytes = (uint64_t)peak;
    run->ms_per_iter = 0.25;
    run->an.worst = run->an.sensitive = 0;
    run->an.n_series = 1;
    snprintf(run->an.series[0].name, sizeof run->an.series[0].name, "malloc.in_use_bytes");
    run->an.series[0].slope = slope;
    run->an.series[0].sensitivity = 0.05;
    res->runs = run;
    res->n_runs = 1;
    res->overall = slope > 0 ? OVERALL_FAIL : OVERALL_PASS;
    snprintf(res->config, sizeof res->config, "tiny");
    snprintf(res->env.commit, sizeof res->env.commit, "%s", sha);
    snprintf(res->env.subject, sizeof res->env.subject, "commit %s", sha);
}

/* name in the scratch folder, in buf (PATH_MAX) */
static char *db_path(char *buf, const char *name)
{
    snprintf(buf, PATH_MAX, "%s/%s", test_tmpdir(), name);
    return buf;
}

static void test_record_and_load(void **state)
{
    (void)state;
    char err[1024];
    char one[PATH_MAX];
    HistDb *h = hist_open(db_path(one, "one.db"), 1, err, sizeof err);
    if (!h)
        fail_msg("%s", err);
    SoakResult res;
    Run run;
    fake_soak(&res, &run, "aaaa", 400, 8e6, 0);
    assert_true(hist_record(h, &res, "/r/a/index.html", err, sizeof err) > 0);
    fake_soak(&res, &run, "bbbb", 400, 9e6, 256);
    assert_true(hist_record(h, &res, "", err, sizeof err) > 0);
    HistData d;
    assert_int_equal(hist_load(h, &d, err, sizeof err), 0);
    hist_close(h);
    assert_int_equal(d.n_soaks, 2);
    assert_int_equal(d.n_runs, 2);
    assert_string_equal(d.soaks[0].commit, "aaaa");
    assert_string_equal(d.soaks[0].workload, "tiny");
    assert_string_equal(d.soaks[0].report, "/r/a/index.html");
    assert_string_equal(d.soaks[1].overall, "FAIL");
    assert_true(d.runs[1].rate == 256 && d.runs[1].peak == 9e6 && d.runs[1].count == 400);
    assert_true(d.runs[0].rate == 0 && d.runs[0].sensitivity == 0.05);
    hist_data_free(&d);
}

static void test_writers_at_once_all_land(void **state)
{
    (void)state;
    char buf[PATH_MAX];
    const char *path = db_path(buf, "many.db");
    char err[1024];
    HistDb *h = hist_open(path, 1, err, sizeof err); /* created once: the writers race on rows */
    assert_non_null(h);
    hist_close(h);
    pid_t kids[4];
    for (int w = 0; w < 4; w++)
        if ((kids[w] = fork()) == 0) {
            int ok = 0;
            for (int i = 0; i < 25; i++) {
                char e[1024], sha[32];
                snprintf(sha, sizeof sha, "w%di%d", w, i);
                HistDb *k = hist_open(path, 1, e, sizeof e);
                SoakResult res;
                Run run;
                fake_soak(&res, &run, sha, 100, 8e6, 0);
                ok += k && hist_record(k, &res, "", e, sizeof e) > 0;
                hist_close(k);
            }
            _exit(ok == 25 ? 0 : 1);
        }
    for (int w = 0; w < 4; w++) {
        int st;
        assert_int_equal(waitpid(kids[w], &st, 0), kids[w]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    h = hist_open(path, 0, err, sizeof err);
    HistData d;
    assert_int_equal(hist_load(h, &d, err, sizeof err), 0);
    hist_close(h);
    assert_int_equal(d.n_soaks, 100);
    assert_int_equal(d.n_runs, 100);
    hist_data_free(&d);
}

/* The file's bytes (and the size). */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 20);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Opening path is refused with a message holding want, and the file is unchanged. */
static void refused_unchanged(const char *path, const char *want)
{
    size_t n0, n1;
    char *before = slurp(path, &n0), err[1024] = "";
    HistDb *h = hist_open(path, 1, err, sizeof err);
    if (h)
        fail_msg("%s: opened, not refused", path);
    if (!strstr(err, want))
        fail_msg("%s: refused with '%s', not '%s'", path, err, want);
    char *after = slurp(path, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
}

static void test_newer_damaged_foreign_refused(void **state)
{
    (void)state;
    char err[1024];
    char newer_buf[PATH_MAX];
    const char *newer = db_path(newer_buf, "newer.db");
    HistDb *h = hist_open(newer, 1, err, sizeof err);
    SoakResult res;
    Run run;
    fake_soak(&res, &run, "cccc", 100, 8e6, 0);
    assert_true(hist_record(h, &res, "", err, sizeof err) > 0);
    hist_close(h);
    assert_int_equal(test_sh("sqlite3 '%s' 'PRAGMA journal_mode=DELETE; PRAGMA user_version=%d' >/dev/null",
                             newer, HIST_SCHEMA + 1),
                     0);
    refused_unchanged(newer, "newer flatmem");
    /* damaged: a copy of a good one with its pages overwritten past the header */
    char bad_buf[PATH_MAX];
    const char *bad = db_path(bad_buf, "damaged.db");
    assert_int_equal(test_sh("sqlite3 '%s' 'PRAGMA user_version=%d' && cp '%s' '%s' && "
                             "dd if=/dev/urandom of='%s' bs=1024 seek=1 count=3 conv=notrunc status=none",
                             newer, HIST_SCHEMA, newer, bad, bad),
                     0);
    refused_unchanged(bad, "damaged");
    char text_buf[PATH_MAX];
    const char *text = db_path(text_buf, "notes.db"); /* not a database at all */
    assert_int_equal(test_sh("seq 1 3000 > '%s'", text), 0);
    refused_unchanged(text, "not a SQLite database");
    char other_buf[PATH_MAX];
    const char *other = db_path(other_buf, "other.db"); /* another program's database */
    assert_int_equal(test_sh("sqlite3 '%s' 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'", other), 0);
    refused_unchanged(other, "another program");
    /* and the good one still reads */
    assert_int_equal(test_sh("sqlite3 '%s' 'PRAGMA user_version=%d'", newer, HIST_SCHEMA), 0);
    h = hist_open(newer, 0, err, sizeof err);
    assert_non_null(h);
    hist_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_is_found_and_held),   cmocka_unit_test(test_noise_has_no_step),
        cmocka_unit_test(test_step_back_is_not_held),    cmocka_unit_test(test_one_soak_is_not_a_step),
        cmocka_unit_test(test_repeats_set_the_noise),    cmocka_unit_test(test_record_and_load),
        cmocka_unit_test(test_writers_at_once_all_land), cmocka_unit_test(test_newer_damaged_foreign_refused),
    };
    return cmocka_run_group_tests_name("history", tests, tmpdir_setup, tmpdir_teardown);
}
