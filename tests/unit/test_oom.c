/* test_oom: allocation failure at every site. train_full is run once per allocation made
 * by data loading, model creation and three training iterations, with that allocation
 * made to fail (once, and from then on): every run must end with an out-of-memory message
 * and exit 1 (or, where the engine can do without the memory, finish), never crash, and
 * leave no leak for LeakSanitizer. Runs in the asan variant (the failpoint build). */
#include "testutil.h"

#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"

static char g_dir[PATH_MAX];

#ifdef ENGINE_ALLOC_FAILPOINTS
static int run(const char *fail, char *err, size_t cap)
{
    char cmd[2 * PATH_MAX + 256], log[PATH_MAX + 32];
    snprintf(log, sizeof log, "%s/stderr", test_tmpdir());
    snprintf(cmd, sizeof cmd,
             "ENGINE_FAIL_ALLOC='%s' ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 "
             "'%s/train_full' 3 --quiet --summary '%s/s.json' >/dev/null 2>'%s'",
             fail, g_dir, test_tmpdir(), log);
    int st = system(cmd);
    FILE *f = fopen(log, "r");
    err[0] = 0;
    if (f) {
        err[fread(err, 1, cap - 1, f)] = 0;
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
#endif

static void test_every_allocation_can_fail(void **state)
{
    (void)state;
#ifndef ENGINE_ALLOC_FAILPOINTS
    skip();
#else
    char err[1 << 14];
    assert_int_equal(run("0", err, sizeof err), 0);
    char path[PATH_MAX + 16], json[4096];
    snprintf(path, sizeof path, "%s/s.json", test_tmpdir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    json[fread(json, 1, sizeof json - 1, f)] = 0;
    fclose(f);
    const char *p = strstr(json, "\"heap_allocs\": ");
    assert_non_null(p);
    long total = atol(p + 15);
    assert_true(total > 5 && total < 1000);
    int recovered = 0;
    for (int persist = 0; persist < 2; persist++)
        for (long n = 1; n <= total; n++) {
            char spec[32];
            snprintf(spec, sizeof spec, "%ld%s", n, persist ? "+" : "");
            int rc = run(spec, err, sizeof err);
            if (strstr(err, "Sanitizer"))
                fail_msg("allocation %s: a sanitizer report:\n%.3000s", spec, err);
            if (rc == 1 && strstr(err, "out of memory"))
                continue;
            if (rc == 0 && !persist) { /* the engine did without it (e.g. the arena's re-sizing) */
                recovered++;
                continue;
            }
            fail_msg(
                "allocation %s of %ld: exit %d, expected 1 with an out-of-memory message; stderr:\n%.2000s",
                spec, total, rc, err);
        }
    print_message("%ld allocations, each failed once and from then on: all ended cleanly (%d absorbed)\n",
                  total, recovered);
#endif
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_allocation_can_fail),
    };
    return cmocka_run_group_tests_name("oom", tests, tmpdir_setup, tmpdir_teardown);
}
