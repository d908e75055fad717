/* test_coverage: tools/coverage-report, the judge of make soak-coverage, on coverage sets
 * written here (the shape gcovr --json gives): a file the soak leaves below its floor fails
 * it, a file with no floor fails it, lines are classed missed / failpoint / untrained, and
 * the soak report shows the section. The real measurement is make soak-coverage itself.
 * Runs in the release variant (it drives the release soak); skipped elsewhere. */
#include "testutil.h"

#include <jansson.h>
#include <unistd.h>

#include "hook.h"

static char g_dir[PATH_MAX]; /* build/<variant> */
static char g_root[PATH_MAX + 16]; /* the project */

static int is_release(void)
{
    return !strcmp(ENGINE_VARIANT, "release") && ENGINE_PROBES;
}

/* Writes OUT/coverage/NAME.json: engine/x.c with code lines 1..10, run where runs[i] is 1. */
static void write_set(const char *out, const char *name, const int *runs)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/coverage/%s.json", out, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"gcovr/format_version\": \"0.3\", \"files\": [{\"file\": \"engine/x.c\", \"functions\": "
               "[], \"lines\": [");
    for (int i = 0; i < 10; i++)
        fprintf(f, "%s{\"line_number\": %d, \"count\": %d, \"branches\": [], \"gcovr/noncode\": false}",
                i ? ", " : "", i + 1, runs[i] * 7);
    fprintf(f, ", {\"line_number\": 11, \"count\": 0, \"branches\": [], \"gcovr/noncode\": true}]}]}\n");
    fclose(f);
}

/* A coverage folder where training runs lines 1-8, the soak 1-6 (75%), the failpoint
 * sweep 9; line 10 is never run. Returns the folder. */
static const char *fixture(const char *name, const char *floors)
{
    static char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/%s", test_tmpdir(), name);
    assert_int_equal(test_sh("mkdir -p '%s/coverage'", out), 0);
    static const int training[10] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    static const int soak[10] = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
    static const int failpoint[10] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0};
    write_set(out, "training", training);
    write_set(out, "soak", soak);
    write_set(out, "failpoint", failpoint);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/floors.tsv", out);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(floors, f);
    fclose(f);
    return out;
}

static int report(const char *out)
{
    return test_sh("cd '%s' && tools/coverage-report '%s' '%s/floors.tsv' >'%s/log' 2>&1", g_root, out, out,
                   out);
}

static char *slurp(const char *dir, const char *name)
{
    static char buf[1 << 16];
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    buf[0] = 0;
    if (f) {
        buf[fread(buf, 1, sizeof buf - 1, f)] = 0;
        fclose(f);
    }
    return buf;
}

/* The class coverage.json gives line `line` of the first file, or "" when not listed. */
static const char *line_class(const char *out, int line)
{
    static char cls[32];
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/coverage.json", out);
    json_error_t err;
    json_t *doc = json_load_file(path, 0, &err);
    if (!doc)
        fail_msg("%s: %s", path, err.text);
    json_t *lines = json_object_get(json_array_get(json_object_get(doc, "files"), 0), "lines_not_run");
    size_t i;
    json_t *l;
    cls[0] = 0;
    json_array_foreach(lines, i, l) if (json_integer_value(json_object_get(l, "line")) == line)
        snprintf(cls, sizeof cls, "%s", json_string_value(json_object_get(l, "class")));
    json_decref(doc);
    return cls;
}

static void test_below_floor_fails(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    const char *out = fixture("below", "# floors\nengine/x.c 80\n");
    assert_int_equal(report(out), 1);
    const char *json = slurp(out, "coverage.json");
    assert_non_null(strstr(json, "\"floors_met\": false"));
    assert_non_null(strstr(json, "\"soak_of_training_pct\": 75.0"));
    assert_non_null(strstr(slurp(out, "log"), "below its floor of 80%"));
}

static void test_floor_met_passes_and_lines_are_classed(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    const char *out = fixture("met", "engine/x.c 75\n");
    assert_int_equal(report(out), 0);
    const char *json = slurp(out, "coverage.json");
    assert_non_null(strstr(json, "\"floors_met\": true"));
    /* line 7 missed (training runs it), 9 failpoint only, 10 untrained; 11 is not code */
    assert_string_equal(line_class(out, 7), "missed");
    assert_string_equal(line_class(out, 8), "missed");
    assert_string_equal(line_class(out, 9), "failpoint");
    assert_string_equal(line_class(out, 10), "untrained");
    assert_string_equal(line_class(out, 11), ""); /* not code */
    assert_string_equal(line_class(out, 1), ""); /* the soak runs it */
}

static void test_file_without_floor_fails(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    const char *out = fixture("nofloor", "engine/other.c 100\n");
    assert_int_equal(report(out), 1);
    assert_non_null(strstr(slurp(out, "log"), "engine/x.c has no floor"));
    /* a damaged floors file: exit 2 naming the line */
    out = fixture("badfloor", "engine/x.c lots\n");
    assert_int_equal(report(out), 2);
    assert_non_null(strstr(slurp(out, "log"), "floors.tsv:1"));
}

static void test_report_shows_the_section(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    /* a soak folder of one short native run, then its coverage, then the report again */
    char out[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/soakcov", test_tmpdir());
    assert_int_equal(test_sh("cd '%s' && '%s/soak' --build '%s/..' --out '%s' --modes native --iters 50 "
                             "--resume-iters none >/dev/null 2>&1",
                             g_root, g_dir, g_dir, out),
                     0);
    const char *fx = fixture("soakcov", "engine/x.c 75\n");
    assert_int_equal(report(fx), 0);
    assert_int_equal(test_sh("cd '%s' && '%s/soak' report '%s' >/dev/null", g_root, g_dir, out), 0);
    const char *html = slurp(out, "index.html");
    assert_non_null(strstr(html, "Engine lines the soak runs"));
    assert_non_null(strstr(html, "training runs it, the soak does not"));
    /* a damaged coverage.json is said so on the page, and the page is still written */
    assert_int_equal(
        test_sh("echo '{\"files\": [' > '%s/coverage.json' && cd '%s' && '%s/soak' report '%s' >/dev/null",
                out, g_root, g_dir, out),
        0);
    assert_non_null(strstr(slurp(out, "index.html"), "coverage.json could not be read"));
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    char rel[PATH_MAX + 8];
    snprintf(rel, sizeof rel, "%s/../..", g_dir);
    if (!realpath(rel, g_root))
        snprintf(g_root, sizeof g_root, "%s", rel);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_below_floor_fails),
        cmocka_unit_test(test_floor_met_passes_and_lines_are_classed),
        cmocka_unit_test(test_file_without_floor_fails),
        cmocka_unit_test(test_report_shows_the_section),
    };
    return cmocka_run_group_tests_name("coverage", tests, tmpdir_setup, tmpdir_teardown);
}
