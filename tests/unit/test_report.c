/* test_report: the report generator on a soak folder written here (fixture runs with
 * samples, a CRASHED run, an interrupted run and a finding full of markup): every chart is
 * a valid PNG of the expected size, the page parses as HTML, names each verdict, escapes
 * what came from logs, and says INCOMPLETE. */
#include "testutil.h"

#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"
#include "sampler.h"

static char g_dir[PATH_MAX];
static char g_repo[PATH_MAX + 16];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[3 * PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A run folder: run.txt, command.txt, samples.csv (flat or growing), stderr.txt. */
static void fixture_run(const char *root, const char *name, const char *mode, long iters, const char *facts,
                        long grow_per_iter, const char *stderr_text)
{
    char dir[2 * PATH_MAX], text[1024];
    snprintf(dir, sizeof dir, "%s/runs/%s", root, name);
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(text, sizeof text,
             "mode=%s\niterations=%ld\nfault=none\nconfig=tiny\n%swall_s=1.5\npeak_rss_bytes=%ld\n", mode,
             iters, facts, 6500000L + grow_per_iter * iters);
    write_file(dir, "run.txt", text);
    write_file(dir, "command.txt", "build/release/train_full --tiny 100 --samples samples.csv\n");
    write_file(dir, "stderr.txt", stderr_text ? stderr_text : "");
    write_file(dir, "train.json",
               "{\n  \"ms_per_iter_median\": 0.550000,\n  \"peak_rss_bytes\": 6500000\n}\n");
    char path[3 * PATH_MAX];
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s\n", sampler_columns());
    for (long it = 1; it <= iters; it += it == 1 ? 9 : 10)
        fprintf(f,
                "%ld,0.1,1113856,1113856,1113856,21,256,42,1069064,61696,61696,123392,%ld,13,%ld,421040,,,,,,"
                "16384,9,3,40\n",
                it, 1578919L + grow_per_iter * it, 6500000L + grow_per_iter * it);
    fclose(f);
}

static int png_size(const char *path, unsigned *w, unsigned *h)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n < 24 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4))
        return 0;
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    return 1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1 << 20];
    buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
    fclose(f);
    return buf;
}

static int run_report(const char *root)
{
    char cmd[6 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/soak' report '%s' --templates '%s/reports' >'%s/report.log' 2>&1", g_dir,
             root, g_repo, root);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void test_report_from_fixture(void **state)
{
    (void)state;
    char root[PATH_MAX + 16];
    snprintf(root, sizeof root, "%s/soak", test_tmpdir());
    const char *ok = "exit_code=0\nsignal=0\nkilled=none\n";
    fixture_run(root, "native-100", "native", 100, ok, 0, NULL);
    fixture_run(root, "native-1000", "native", 1000, ok, 0, NULL);
    fixture_run(root, "jemalloc-1000", "jemalloc", 1000, ok, 64, NULL); /* heap grows: GROWING */
    fixture_run(root, "native-500", "native", 500, "exit_code=-1\nsignal=11\nkilled=none\n", 0, NULL);
    fixture_run(root, "asan-100", "asan", 100, "exit_code=1\nsignal=0\nkilled=none\n", 0,
                "==7==ERROR: AddressSanitizer: heap-use-after-free <script>alert('x')</script> & more\n"
                "    #0 0x1 in evil<script> engine/ops.c:1\n");
    fixture_run(root, "asan-1000", "asan", 1000, "exit_code=-1\nsignal=9\nkilled=interrupt\n", 0, NULL);
    if (run_report(root) != 0) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/report.log", root);
        fail_msg("soak report failed: %s", slurp(p));
    }
    /* every chart: a PNG of the template's size, and its SVG */
    static const char *const charts[] = {"peak",      "memory-native", "memory-asan", "memory-jemalloc",
                                         "breakdown", "time"};
    for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
        char p[PATH_MAX + 64];
        unsigned w, h;
        snprintf(p, sizeof p, "%s/charts/%s.png", root, charts[i]);
        if (!png_size(p, &w, &h))
            fail_msg("%s is not a PNG", p);
        assert_int_equal(w, 760);
        assert_int_equal(h, strcmp(charts[i], "time") ? 400 : 460); /* bar charts are taller: labels */
        snprintf(p, sizeof p, "%s/charts/%s.svg", root, charts[i]);
        const char *svg = slurp(p);
        assert_non_null(svg);
        assert_non_null(strstr(svg, "<svg"));
    }
    /* one gnuplot drew them all, each from gnuplot's defaults: the time chart's first row
     * (native) is a bar, not a header left over from the memory charts' templates */
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/charts/time.svg", root);
    assert_non_null(strstr(slurp(p), "<text>native</text>"));
    /* the page: valid HTML, each verdict named, markup from logs escaped, INCOMPLETE */
    char page[PATH_MAX + 64], cmd[2 * PATH_MAX];
    snprintf(page, sizeof page, "%s/index.html", root);
    /* libxml2's parser knows HTML 4: it calls HTML5's <details>/<summary> (the folded
     * evidence) invalid tags; every other complaint fails */
    snprintf(cmd, sizeof cmd,
             "xmllint --html --noout '%s' 2>&1 | grep 'parser error' | "
             "grep -vE 'Tag (details|summary) invalid' | grep -q . && exit 1 || exit 0",
             page);
    assert_int_equal(system(cmd), 0);
    const char *html = slurp(page);
    assert_non_null(html);
    static const char *const words[] = {"FLAT",    "GROWING",    "ERROR",   "CRASHED",
                                        "NOT_RUN", "INCOMPLETE", "SIGSEGV", "heap-use-after-free"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strstr(html, words[i]))
            fail_msg("the page does not say %s", words[i]);
    assert_null(strstr(html, "<script"));
    assert_non_null(
        strstr(html, "<h2 id=\"diagnosis\">Diagnosis</h2>")); /* at the top, the runs' evidence folded */
    assert_true(strstr(html, "id=\"diagnosis\"") < strstr(html, "<h2>Verdicts"));
    assert_non_null(strstr(html, "<details><summary>The evidence"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"));
    assert_non_null(strstr(html, "class=\"banner INCOMPLETE\""));
    assert_non_null(strstr(html, "href=\"runs/native-500/\""));
    /* self-contained: nothing loaded from elsewhere, no JavaScript */
    assert_null(strstr(html, "http://"));
    assert_null(strstr(html, "https://"));
}

/* A template gnuplot stops at: the report fails, naming the chart and the log; the script
 * that drew the others draws them again from any folder. */
static void test_gnuplot_failure_names_the_chart(void **state)
{
    (void)state;
    char root[PATH_MAX + 16], tmpl[PATH_MAX + 16], cmd[6 * PATH_MAX];
    snprintf(root, sizeof root, "%s/broken", test_tmpdir());
    snprintf(tmpl, sizeof tmpl, "%s/templates", test_tmpdir());
    fixture_run(root, "native-100", "native", 100, "exit_code=0\nsignal=0\nkilled=none\n", 0, NULL);
    fixture_run(root, "native-1000", "native", 1000, "exit_code=0\nsignal=0\nkilled=none\n", 0, NULL);
    snprintf(cmd, sizeof cmd, "cp -r '%s/reports' '%s' && echo 'plot no_such_function(x)' >>'%s/bars.gp'",
             g_repo, tmpl, tmpl);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s/soak' report '%s' --templates '%s' >'%s/report.log' 2>&1", g_dir, root,
             tmpl, root);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) != 0);
    snprintf(cmd, sizeof cmd, "%s/report.log", root);
    const char *log = slurp(cmd);
    assert_non_null(log);
    if (!strstr(log, "soak report: gnuplot failed on time.png") || !strstr(log, "charts/gnuplot.log"))
        fail_msg("the error does not name the chart and the log (once: 'soak report: gnuplot ...'): %s", log);
    /* the charts' script, run from elsewhere, stops at the same chart after drawing the others */
    snprintf(cmd, sizeof cmd,
             "cd / && rm -f '%s/charts/peak.png' && gnuplot '%s/charts/charts.gp' 2>/dev/null", root, root);
    assert_int_not_equal(system(cmd), 0);
    unsigned w, h;
    snprintf(cmd, sizeof cmd, "%s/charts/peak.png", root);
    assert_true(png_size(cmd, &w, &h));
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    snprintf(g_repo, sizeof g_repo, "%s/../..", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_from_fixture),
        cmocka_unit_test(test_gnuplot_failure_names_the_chart),
    };
    return cmocka_run_group_tests_name("report", tests, tmpdir_setup, tmpdir_teardown);
}
