/* testutil.h - shared helpers for the cmocka test programs.
 *
 * Failures print the numbers that differ (expected, got, tolerance) before failing. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

/* |got - want| <= atol + rtol * max(|got|, |want|), else a message and a test failure. */
#define ASSERT_CLOSE(got, want, atol, rtol, what)                                                  \
    do {                                                                                           \
        double g_ = (got), w_ = (want);                                                            \
        double tol_ = (atol) + (rtol)*fmax(fabs(g_), fabs(w_));                                    \
        if (!(fabs(g_ - w_) <= tol_))                                                              \
            fail_msg("%s: expected %.9g, got %.9g (|diff| %.3g > tolerance %.3g)", (what), w_, g_, \
                     fabs(g_ - w_), tol_);                                                         \
    } while (0)

/* ---- for tests that run the programs: a scratch folder and the build folder ---------- */

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The scratch folder of the running test program (created by tmpdir_setup). */
static inline char *test_tmpdir(void)
{
    static char dir[] = "/tmp/flatmem-test.XXXXXX";
    return dir;
}

/* cmocka group setup/teardown: create the scratch folder; remove it with its contents. */
static inline int tmpdir_setup(void **state)
{
    (void)state;
    return mkdtemp(test_tmpdir()) ? 0 : -1;
}

static inline int tmpdir_teardown(void **state)
{
    (void)state;
    if (getenv("TEST_KEEP")) { /* TEST_KEEP=1: the scratch folder kept, to look into */
        fprintf(stderr, "scratch folder kept: %s\n", test_tmpdir());
        return 0;
    }
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir());
    return system(cmd);
}

/* TEST_ONLY=PATTERN in the environment runs only the tests whose names match it (cmocka's
 * filter: * and ? wildcards), for the one test one is working on. Before the group runs. */
static inline void test_filter_from_env(void)
{
    if (getenv("TEST_ONLY"))
        cmocka_set_test_filter(getenv("TEST_ONLY"));
}

/* out = the build folder of this test program (build/<variant>, the parent of tests/),
 * as an absolute path, so that it still works after a chdir or inside `cd X && ...`. */
static inline void build_dir_of(const char *argv0, char *out, size_t cap)
{
    char self[PATH_MAX], rel[PATH_MAX + 8], abs_path[PATH_MAX];
    snprintf(self, sizeof self, "%s", argv0);
    snprintf(rel, sizeof rel, "%s/..", dirname(self));
    const char *r = realpath(rel, abs_path) ? abs_path : rel;
    size_t n = strlen(r);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, r, n);
    out[n] = 0;
}

/* Runs a shell command built like printf; returns its exit status (128 if it died). */
#include <sys/wait.h>
__attribute__((format(printf, 1, 2))) static inline int test_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* out = build/npm/NAME, a folder where `npm install PACKAGES` (exact versions; npm from the
 * registry, tools/npm) was run,
 * kept between runs (build: the variant's folder; a folder per tool: tests that run at
 * once do not install into one folder); its programs are in out/node_modules/.bin. Skips
 * the test when node is not installed; fails it when the registry cannot be reached. */
static inline void npm_tool(const char *build, const char *name, const char *packages, char *out, size_t cap)
{
    if (test_sh("command -v node >/dev/null")) {
        printf("(skipped: node is not installed; apt-get install nodejs)\n");
        skip();
    }
    snprintf(out, cap, "%s/../npm/%s", build, name);
    /* its own package.json: npm installs there, never into a folder above that has one */
    if (test_sh("test -f '%s/.installed' || (mkdir -p '%s' && cd '%s' && { test -f package.json || echo "
                "'{\"private\": true}' >package.json; } && '%s/../../tools/npm' install --no-audit --no-fund "
                "--silent %s >/dev/null 2>&1 && touch .installed)",
                out, out, out, build, packages))
        fail_msg("npm could not install %s (is the npm registry reachable?)", packages);
}

#endif
