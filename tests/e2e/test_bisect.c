/* test_bisect: harness/bisect names exactly the commit that turned a fault on. Each case
 * builds a throwaway repository from this tree (its tracked files as they are now), adds
 * harmless commits around one that changes `FAULT ?= none` to a fault, and bisects.
 * One fault (leak) is enough for the bisect's own logic: each commit it tries is a build
 * and a soak (~35 s for one case); that every fault is seen at all is test_soak's detection
 * matrix, and a bisect of a program of another repository is test_anyprog_tools'.
 * Release variant only (it builds the throwaway trees itself); skipped elsewhere. */
#include "testutil.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"

static char g_dir[PATH_MAX];
static char g_repo[PATH_MAX + 16];

static void bisect_names_the_commit(const char *fault)
{
    if (strcmp(ENGINE_VARIANT, "release") || !ENGINE_PROBES)
        skip();
    const char *t = test_tmpdir();
    const char *git = "git -c user.email=test@example.invalid -c user.name=test";
    assert_int_equal(
        test_sh("mkdir -p '%s/%s' && cd '%s' && git ls-files -z | xargs -0 tar -cf - | tar -xf - -C '%s/%s'",
                t, fault, g_repo, t, fault),
        0);
    assert_int_equal(
        test_sh("cd '%s/%s' && git init -q -b main && git add -A && %s commit -qm base && "
                "for i in 1 2 3; do echo $i >> notes.txt; git add -A; %s commit -qm \"harmless $i\"; done && "
                "sed -i 's/^FAULT ?= none$/FAULT ?= %s/' Makefile && grep -q '^FAULT ?= %s$' Makefile && "
                "%s commit -qam 'turn on %s' && git rev-parse HEAD > ../%s.bad && "
                "for i in 4 5; do echo $i >> notes.txt; git add -A; %s commit -qm \"harmless $i\"; done",
                t, fault, git, git, fault, fault, git, fault, fault, git),
        0);
    char log[PATH_MAX + 64];
    snprintf(log, sizeof log, "%s/%s.bisect.log", t, fault);
    int rc =
        test_sh("cd '%s/%s' && '%s/harness/bisect' $(git rev-list --max-parents=0 HEAD) HEAD --iters 200 "
                "--soak '%s/soak' --out '%s/%s-out' > '%s' 2>&1",
                t, fault, g_repo, g_dir, t, fault, log);
    char text[16384] = "", bad[64] = "", want[160];
    FILE *f = fopen(log, "r");
    if (f) {
        text[fread(text, 1, sizeof text - 1, f)] = 0;
        fclose(f);
    }
    char badfile[PATH_MAX + 32];
    snprintf(badfile, sizeof badfile, "%s/%s.bad", t, fault);
    f = fopen(badfile, "r");
    assert_non_null(f);
    assert_non_null(fgets(bad, sizeof bad, f));
    fclose(f);
    bad[strcspn(bad, "\n")] = 0;
    snprintf(want, sizeof want, "first bad commit: %s", bad);
    if (rc != 0 || !strstr(text, want))
        fail_msg("bisect (exit %d) did not name %s:\n%s", rc, bad, text);
    snprintf(want, sizeof want, "subject:          turn on %s", fault);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "fault.%s", fault);
    assert_non_null(strstr(text, want)); /* the growing site */
    /* the first bad commit's soak learned it: bisect.json, and each problem of its diagnosis
     * (summary.json, summary.md) names the commit */
    assert_int_equal(test_sh("d='%s/%s-out/%s' && grep -q '\"first_bad\": \"%s\"' \"$d/bisect.json\" && "
                             "grep -q '\"commit\": \"%s\"' \"$d/summary.json\" && "
                             "grep -q 'First bad commit: `%.12s`' \"$d/summary.md\"",
                             t, fault, bad, bad, bad, bad),
                     0);
    /* the user's tree was not touched: no bisect in progress, no extra worktree */
    assert_int_equal(
        test_sh("cd '%s/%s' && ! git bisect log >/dev/null 2>&1 && [ $(git worktree list | wc -l) -eq 1 ]", t,
                fault),
        0);
}

static void test_bisect_leak(void **state)
{
    (void)state;
    bisect_names_the_commit("leak");
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
        cmocka_unit_test(test_bisect_leak),
    };
    return cmocka_run_group_tests_name("bisect", tests, tmpdir_setup, tmpdir_teardown);
}
