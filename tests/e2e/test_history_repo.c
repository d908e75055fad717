/* test_history_repo: the soak history on a scripted repository of this engine
 * (history_repo.sh: 11 commits, each built and soaked, the tiny workload): one commit makes
 * a persistent buffer twice as large (peak up, no growth within a run), a later one adds a
 * slow leak. `soak history --check` names both commits and nothing else; the page shows
 * both steps marked and loads in headless Chromium; five soaks of one commit, and the
 * first five commits (one program, nine soaks), give no change point; with the commits around the buffer's
 * not soaked,
 * `--bisect` finds it by its peak. Release variant only (it builds the scripted tree). */
#include "testutil.h"

#include <unistd.h>

#include "hook.h"

static char g_dir[PATH_MAX];
static char g_repo[PATH_MAX + 16];

/* DIR/sha-NAME's hash. */
static void sha_of(const char *name, char *out, size_t cap)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/sha-%s", test_tmpdir(), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, (int)cap, f));
    fclose(f);
    out[strcspn(out, "\n")] = 0;
}

/* The text of DIR/name. */
static char *text_of(const char *name)
{
    static char text[65536];
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "r");
    text[0] = 0;
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = 0;
        fclose(f);
    }
    return text;
}

static int history(const char *db, const char *args, const char *out)
{
    const char *t = test_tmpdir();
    return test_sh("cd '%s/repo' && '%s/soak' history '%s/%s' %s > '%s/%s' 2>&1", t, g_dir, t, db, args, t,
                   out);
}

/* A copy of the history without the soaks of the commits named (sha-NAME files). */
static void history_without(const char *db, const char *names)
{
    const char *t = test_tmpdir();
    assert_int_equal(
        test_sh("cd '%s' && cp history.db %s && for n in %s; do sqlite3 %s \"PRAGMA foreign_keys=ON; "
                "DELETE FROM soaks WHERE commit_sha = '$(cat sha-$n)'\"; done",
                t, db, names, db),
        0);
}

static void test_history_of_a_repository(void **state)
{
    (void)state;
    if (strcmp(ENGINE_VARIANT, "release") || !ENGINE_PROBES)
        skip();
    const char *t = test_tmpdir();
    if (test_sh("'%s/tests/e2e/history_repo.sh' '%s' '%s/soak' '%s' > '%s/script.log' 2>&1", g_repo, g_repo,
                g_dir, t, t))
        fail_msg("the scripted repository could not be made:\n%s", text_of("script.log"));
    char dbl[64], leak[64], want[200];
    sha_of("double", dbl, sizeof dbl);
    sha_of("leak", leak, sizeof leak);

    /* --check names both commits, and nothing else */
    int rc = history("history.db", "--check --out ../page", "check.txt");
    char *out = text_of("check.txt");
    if (rc != 1 || !strstr(out, "regressions the newest commits hold (2)"))
        fail_msg("soak history --check (exit %d) did not name exactly two regressions:\n%s", rc, out);
    snprintf(want, sizeof want, "%.10s \"make the lookup table twice as large\": peak +", dbl);
    if (!strstr(out, want))
        fail_msg("soak history --check did not name the doubled buffer (%s):\n%s", want, out);
    snprintf(want, sizeof want, "%.10s \"keep a log of each step\": rate 0 B/step -> ", leak);
    if (!strstr(out, want))
        fail_msg("soak history --check did not name the leak (%s):\n%s", want, out);

    /* the page: both steps marked, every chart loaded, each point a link to a soak's report */
    char mark_peak[64], mark_leak[64];
    snprintf(mark_peak, sizeof mark_peak, "Marked: %.7s:+", dbl);
    snprintf(mark_leak, sizeof mark_leak, "Marked: %.7s:+", leak);
    if (test_sh("'%s/tools/page-check' '%s/page/index.html' --expect '2 regressions the newest commits hold' "
                "--expect '%s' --expect '%s' --screenshot '%s/history.png' > '%s/page.txt' 2>&1",
                g_repo, t, mark_peak, mark_leak, t, t))
        fail_msg("the history page:\n%s", text_of("page.txt"));
    if (test_sh("cd '%s/page' && [ $(grep -o '<area' index.html | wc -l) -ge 24 ] && "
                "href=$(grep -o 'area shape=\"circle\" coords=\"[0-9,]*\" href=\"[^\"]*\"' index.html "
                "| head -1 | sed 's/.*href=\"//; s/\"$//') && test -f \"$href\"",
                t))
        fail_msg("the page's points do not link to reports that exist (%s/page/index.html)", t);

    /* the noise: five soaks of one commit, then the first five commits (one program, nine
     * soaks), give no change point */
    history_without("noise1.db", "h1 h2 h3 h4 double h5 h6 leak h7 h8");
    rc = history("noise1.db", "--check --no-page", "noise1.txt");
    out = text_of("noise1.txt");
    if (rc != 0 || strstr(out, " at ") || !strstr(out, "5 soaks of 1 commit,"))
        fail_msg("five soaks of one commit (exit %d):\n%s", rc, out);
    history_without("noise.db", "double h5 h6 leak h7 h8");
    rc = history("noise.db", "--check --no-page", "noise.txt");
    out = text_of("noise.txt");
    if (rc != 0 || strstr(out, "HELD") || strstr(out, ") at ") || !strstr(out, "9 soaks of 5 commits"))
        fail_msg("five commits of one program (exit %d):\n%s", rc, out);

    /* the buffer's commit and the one before it not soaked: the bisect finds it by its peak */
    history_without("bisect.db", "h4 double");
    rc = history("bisect.db", "--check --bisect --figures peak --no-page", "bisect.txt");
    out = text_of("bisect.txt");
    snprintf(want, sizeof want, "first bad commit: %s", dbl);
    if (rc != 1 || !strstr(out, want) ||
        !strstr(out, "subject:          make the lookup table twice as large"))
        fail_msg("soak history --bisect (exit %d) did not find %s:\n%s", rc, dbl, out);
}

int main(int argc, char **argv)
{
    (void)argc;
    char rel[PATH_MAX + 16];
    build_dir_of(argv[0], rel, sizeof rel);
    if (!realpath(rel, g_dir))
        return 1;
    snprintf(rel, sizeof rel, "%s/../..", g_dir);
    if (!realpath(rel, g_repo))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_of_a_repository),
    };
    return cmocka_run_group_tests_name("history_repo", tests, tmpdir_setup, tmpdir_teardown);
}
