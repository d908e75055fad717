/* test_modes: a mode is its row. build/release/soak-sixth-mode is the harness compiled with
 * one more row in common/modes.c (FLATMEM_TEST_SIXTH_MODE, "sixth": the probe alone, glibc's
 * heap counted) and nothing else changed; it must list the mode, run it, judge it, name
 * what grows in it, render it on every output, and require nothing of it in the detection
 * matrix. A per-mode fact kept elsewhere by position (an array of MODE_COUNT filled in the
 * enum's order) would give the sixth mode the first one's values or none. Release only. */
#include "soakutil.h"

#include <string.h>
#include <unistd.h>

static char g_dir[PATH_MAX]; /* build/release */

static void need_binary(void)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/soak-sixth-mode", g_dir);
    if (access(path, X_OK) != 0)
        fail_msg("%s is not built (make release)", path);
}

static void test_sixth_mode_listed_and_parsed(void **state)
{
    (void)state;
    need_binary();
    assert_int_equal(test_sh("'%s/soak-sixth-mode' list modes | tail -1 | grep -qx sixth", g_dir), 0);
    assert_int_equal(test_sh("'%s/soak-sixth-mode' --help | grep -q '^  sixth '", g_dir), 0);
    /* the plain soak does not know it */
    assert_int_not_equal(test_sh("'%s/soak' check --modes sixth 2>/dev/null", g_dir), 0);
}

/* A clean program is FLAT in it and a reachable growth GROWING, named, on every output. */
static void test_sixth_mode_runs_and_judges(void **state)
{
    (void)state;
    need_binary();
    char cmd[2 * PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "'%s/soak-sixth-mode' --cmd '%s/tests/anyprog clean {iters}'", g_dir, g_dir);
    assert_int_equal(soak_into("clean", cmd, "--modes native,sixth --iters 300,3000"), 0);
    assert_string_equal(str(summary_run(g_doc, "sixth", 3000, NULL), "verdict"), "FLAT");
    assert_string_equal(str(g_doc, "overall"), "PASS");
    snprintf(cmd, sizeof cmd, "'%s/soak-sixth-mode' --cmd '%s/tests/anyprog reach {iters}'", g_dir, g_dir);
    assert_int_equal(soak_into("reach", cmd, "--modes sixth --iters 300,3000"), 1);
    json_t *r = summary_run(g_doc, "sixth", 3000, NULL);
    assert_string_equal(str(r, "verdict"), "GROWING");
    assert_string_equal(str(r, "kind"), "heap-growth"); /* the sixth mode checks no leaks */
    assert_string_equal(str(g_doc, "overall"), "FAIL");
    json_t *p = json_array_get(json_object_get(g_doc, "diagnosis"), 0);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "seen_by"), 0)), "sixth");
    /* every output has it: the page, JUnit, summary.md */
    assert_int_equal(test_sh("grep -q 'sixth' '%s/reach/index.html'", test_tmpdir()), 0);
    assert_int_equal(test_sh("grep -q 'classname=\"soak.sixth\"' '%s/reach/junit.xml'", test_tmpdir()), 0);
    assert_int_equal(test_sh("grep -q 'sixth' '%s/reach/summary.md'", test_tmpdir()), 0);
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sixth_mode_listed_and_parsed),
        cmocka_unit_test_setup_teardown(test_sixth_mode_runs_and_judges, tmpdir_setup, tmpdir_teardown),
    };
    test_filter_from_env();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
