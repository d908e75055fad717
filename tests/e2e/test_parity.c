/* test_parity: the engine against the PyTorch reference (bench/torch_ref.py) on the same
 * model, initial weights (the engine's checkpoint) and batches: the losses of the first 20
 * steps within 1e-4 relative, every parameter's gradient after step 1 within 1e-5 of the
 * largest gradient. And a model moved in llm.c's format (train_full --save-llmc, then
 * --load-llmc, and PyTorch reading the same file): the same 20 losses. Runs when Debian's python3-torch is
 * installed (release variant); otherwise it is skipped with a note saying so. */
#include "testutil.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"

static char g_dir[PATH_MAX];

static size_t read_floats(const char *path, float *out, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t n = fread(out, sizeof(float), max, f);
    fclose(f);
    return n;
}

static int read_losses(const char *path, double *out, int max)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    long it;
    double v;
    while (f && n < max && fscanf(f, "%ld %lf", &it, &v) == 2)
        out[n++] = v;
    if (f)
        fclose(f);
    return n;
}

/* A small text the test writes itself, DIR/text.txt. */
static void write_text(const char *dir)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/text.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    static const char *const words[] = {"the ",     "king ",  "and ",   "queen ", "of ",
                                        "night,\n", "day.\n", "sweet ", "love "};
    unsigned x = 12345;
    for (int i = 0; i < 9000; i++) {
        x = x * 1103515245u + 12345u;
        fputs(words[(x >> 16) % 9], f);
    }
    fclose(f);
}

/* The 20 losses of DIR/PRESET.eng (the engine's) and .py (PyTorch's) agree to 1e-4
 * relative; the largest difference. */
static double losses_agree(const char *dir, const char *preset)
{
    double le[20], lp[20], worst = 0;
    char a[PATH_MAX + 32], b[PATH_MAX + 32];
    snprintf(a, sizeof a, "%s/%s.eng", dir, preset);
    snprintf(b, sizeof b, "%s/%s.py", dir, preset);
    assert_int_equal(read_losses(a, le, 20), 20);
    assert_int_equal(read_losses(b, lp, 20), 20);
    for (int i = 0; i < 20; i++) {
        double rel = fabs(le[i] - lp[i]) / fabs(lp[i]);
        worst = fmax(worst, rel);
        if (rel > 1e-4)
            fail_msg("%s step %d: engine loss %.9g, PyTorch %.9g (relative %.2e > 1e-4)", preset, i + 1,
                     le[i], lp[i], rel);
    }
    return worst;
}

/* The last step's gradients, DIR/PRESET.eg and .pg, agree to 1e-5 of the largest; prints
 * both comparisons. */
static void gradients_agree(const char *dir, const char *preset, double worst_loss)
{
    static float ge[1 << 22], gp[1 << 22];
    char a[PATH_MAX + 32], b[PATH_MAX + 32];
    snprintf(a, sizeof a, "%s/%s.eg", dir, preset);
    snprintf(b, sizeof b, "%s/%s.pg", dir, preset);
    size_t n = read_floats(a, ge, 1 << 22);
    assert_true(n > 0);
    assert_int_equal(read_floats(b, gp, 1 << 22), n);
    double gmax = 0, dmax = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        gmax = fmax(gmax, fabs(gp[i]));
        if (fabs(ge[i] - gp[i]) > dmax) {
            dmax = fabs(ge[i] - gp[i]);
            at = i;
        }
    }
    if (dmax > 1e-5 * gmax + 1e-8)
        fail_msg("%s gradient %zu: engine %.9g, PyTorch %.9g (|diff| %.2e > 1e-5 x max |g| %.3g)", preset, at,
                 ge[at], gp[at], dmax, gmax);
    print_message("%s: 20 losses within %.2e relative; %zu gradients within %.2e (max |g| %.3g)\n", preset,
                  worst_loss, n, dmax, gmax);
}

/* Skips the test unless this is the release build and python3-torch is installed (looked
 * up, not imported: an import costs 2.4 s, and the test's own imports it anyway). */
static void release_and_torch_or_skip(void)
{
    if (strcmp(ENGINE_VARIANT, "release") || !ENGINE_PROBES)
        skip();
    if (test_sh("/usr/bin/python3 -c 'import importlib.util, sys; "
                "sys.exit(importlib.util.find_spec(\"torch\") is None)' >/dev/null 2>&1") != 0) {
        print_message("parity with PyTorch skipped: python3-torch is not installed "
                      "(apt-get install python3-torch)\n");
        skip();
    }
}

static void parity(const char *preset)
{
    release_and_torch_or_skip();
    const char *t = test_tmpdir();
    write_text(t);
    assert_int_equal(
        test_sh("cd '%s' && '%s/train_full' --%s 20 --data text.txt --seed 7 --threads 1 --quiet "
                "--save-init %s.init --losses %s.eng --dump-grads %s.eg >/dev/null",
                t, g_dir, preset, preset, preset, preset),
        0);
    int rc = test_sh(
        "cd '%s' && /usr/bin/python3 '%s/../../bench/torch_ref.py' parity --init %s.init --data text.txt "
        "--steps 20 --threads 1 --losses %s.py --grads %s.pg > %s.log 2>&1",
        t, g_dir, preset, preset, preset, preset);
    assert_int_equal(rc, 0);
    gradients_agree(t, preset, losses_agree(t, preset));
}

/* A --small model trained 5 steps and written in llm.c's format; the engine (--load-llmc)
 * and PyTorch (reading llm.c's layout itself) train 20 more steps from it on the same
 * batches: the same losses. */
static void test_parity_llmc(void **state)
{
    (void)state;
    release_and_torch_or_skip();
    const char *t = test_tmpdir();
    write_text(t);
    assert_int_equal(
        test_sh("cd '%s' && '%s/train_full' --small 5 --data text.txt --quiet --save-llmc llmc.bin "
                ">/dev/null && '%s/train_full' --small --load-llmc llmc.bin 20 --data text.txt "
                "--seed 7 --threads 1 --quiet --losses llmc.eng > /dev/null",
                t, g_dir, g_dir),
        0);
    assert_int_equal(
        test_sh("cd '%s' && /usr/bin/python3 '%s/../../bench/torch_ref.py' parity --init llmc.bin "
                "--data text.txt --batch 16 --seed 7 --steps 20 --threads 1 --losses llmc.py > llmc.log "
                "2>&1",
                t, g_dir),
        0);
    print_message("llm.c's format: 20 losses within %.2e relative\n", losses_agree(t, "llmc"));
}

static void test_parity_tiny(void **state)
{
    (void)state;
    parity("tiny");
}

static void test_parity_small(void **state)
{
    (void)state;
    parity("small");
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity_tiny),
        cmocka_unit_test(test_parity_small),
        cmocka_unit_test(test_parity_llmc),
    };
    return cmocka_run_group_tests_name("parity", tests, tmpdir_setup, tmpdir_teardown);
}
