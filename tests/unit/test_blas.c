/* test_blas: the matrix-multiply kernels the programs choose (app/blas_select.h), and the
 * memory contract with each of them.
 *   - the choice: OpenBLAS's generic kernels on a CPU with better instructions are
 *     replaced by the best it has (Prescott on AVX-512 -> SkylakeX), its own choice on a CPU
 *     it knows is kept (Zen on Zen 3, Cooperlake on Zen 4); FLATMEM_BLAS_KERNELS overrides;
 *   - no heap allocation by any gemm call, over a grid of shapes, and none per training
 *     step after warm-up (heads of 8 columns: the shapes OpenBLAS 0.3.21's AVX-512 kernels
 *     malloc for), with every kernel set this CPU can run, each in its own process (OpenBLAS
 *     reads OPENBLAS_CORETYPE when it loads): every call to malloc is counted here, not only
 *     the engine's own, by a malloc this program defines (release variant only);
 *   - the same losses within the parity tolerance (1e-4 relative) whichever kernels run;
 *   - the choice by timing (app/blas_time.h): the set the programs run is the fastest of
 *     the figures they keep (or OpenBLAS's own within 3%), the kept figures decide the next
 *     run (planted ones too), a damaged line is timed again with the other CPUs' lines
 *     kept, programs started at once time once, a cache that cannot be written (nothing timed)
 *     or a run under Valgrind still runs and says so.
 * The child: test_blas --child, with FLATMEM_BLAS_KERNELS set; exits 0, or 1 saying what
 * allocated. */
#include "testutil.h"
#include "trainer.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas_select.h"
#include "blas_time.h"
#include "gemm.h"
#include "par.h"

/* ---- every allocation of the process, counted ------------------------------------------- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static volatile long g_allocs;
static volatile int g_counting;

void *malloc(size_t n)
{
    if (g_counting)
        __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (g_counting)
        __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (g_counting)
        __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t align, size_t n)
{
    if (g_counting)
        __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    *p = __libc_memalign(align, n);
    return *p ? 0 : 12;
}

void *aligned_alloc(size_t align, size_t n)
{
    if (g_counting)
        __atomic_add_fetch(&g_allocs, 1, __ATOMIC_RELAXED);
    return __libc_memalign(align, n);
}

/* ---- the child: one kernel set --------------------------------------------------------------- */

/* Every gemm over a grid of shapes (each transpose, small and large) allocates nothing. */
static int child_grid(void)
{
    static const int v[] = {1, 2, 7, 8, 9, 16, 17, 24, 32, 33, 64, 72, 100, 128, 200};
    enum { N = sizeof v / sizeof v[0], MAX = 200 * 200 };
    static float a[MAX], b[MAX], c[MAX];
    for (int i = 0; i < MAX; i++)
        a[i] = (float)(i % 13) * 0.01f, b[i] = (float)(i % 7) * 0.01f;
    int bad = 0;
    for (int t = 0; t < 4; t++)
        for (int x = 0; x < N; x++)
            for (int y = 0; y < N; y++)
                for (int z = 0; z < N; z++) {
                    int ta = t & 1, tb = t >> 1, m = v[x], n = v[y], k = v[z];
                    gemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 0.0f, c, n); /* warm */
                    g_allocs = 0, g_counting = 1;
                    gemm(ta, tb, m, n, k, 1.0f, a, ta ? m : k, b, tb ? k : n, 1.0f, c, n);
                    g_counting = 0;
                    if (g_allocs && bad++ < 5)
                        printf("%s: gemm ta=%d tb=%d m=%d n=%d k=%d: %ld heap allocations\n", blas_kernels(),
                               ta, tb, m, n, k, g_allocs);
                }
    return bad;
}

/* Training steps after warm-up allocate nothing: a model whose heads have 8 columns, on
 * two threads, products split over them from 16384 multiply-adds. */
static int child_training(void)
{
    static const GPTConfig c = {.layers = 1, .heads = 4, .embd = 32, .ctx = 72, .batch = 2};
    if (par_init(2) != ENG_OK)
        return printf("the engine's threads could not be started\n"), 1;
    gemm_set_split_min(16384);
    Trainer t;
    trainer_init(&t, c, 7);
    trainer_step(&t);
    trainer_step(&t);
    g_allocs = 0, g_counting = 1;
    for (int it = 0; it < 20; it++)
        trainer_step(&t);
    g_counting = 0;
    long late = g_allocs;
    trainer_free(&t);
    par_shutdown();
    if (late)
        printf("%s: %ld heap allocations in 20 training steps after warm-up\n", blas_kernels(), late);
    return late != 0;
}

static int child(char **argv)
{
    char err[300];
    if (blas_select(argv, err, sizeof err) != 0) {
        printf("%s\n", err);
        return 2;
    }
    int bad = child_grid() + child_training();
    printf("%s: %s\n", blas_kernels(), bad ? "allocates" : "no allocation");
    return bad ? 1 : 0;
}

/* ---- the tests ---------------------------------------------------------------------------------- */

static char g_self[PATH_MAX], g_dir[PATH_MAX];

static void test_choice(void **state)
{
    (void)state;
    static const struct {
        const char *current;
        int cpu, bf16;
        const char *want; /* NULL: keep */
    } cases[] = {
        {"Prescott", 3, 0, "SkylakeX"}, /* the Xeon OpenBLAS 0.3.21 does not know */
        {"Prescott", 3, 1, "Cooperlake"},
        {"Core2", 2, 0, "Haswell"},
        {"Nehalem", 1, 0, "Sandybridge"},
        {"Haswell", 3, 0, "SkylakeX"}, /* AVX2 kernels on an AVX-512 CPU */
        {"Zen", 2, 0, NULL}, /* Zen 3: its own choice is as good as the CPU */
        {"Cooperlake", 3, 1, NULL}, /* Zen 4 */
        {"SkylakeX", 3, 0, NULL},
        {"Prescott", 0, 0, NULL}, /* an SSE machine: nothing better */
        {"SomethingNew", 3, 1, NULL}, /* a name not known here: left alone */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = gemm_better_kernels(cases[i].current, cases[i].cpu, cases[i].bf16);
        if ((got == NULL) != (cases[i].want == NULL) || (got && strcmp(got, cases[i].want)))
            fail_msg("%s on a CPU of level %d (bf16 %d): chose %s, expected %s", cases[i].current,
                     cases[i].cpu, cases[i].bf16, got ? got : "to keep it",
                     cases[i].want ? cases[i].want : "to keep it");
    }
    /* this CPU's level agrees with what the kernel says it has */
    int bf16, level = gemm_cpu_level(&bf16);
    int avx512 = test_sh("grep -q ' avx512bw' /proc/cpuinfo && grep -q ' avx512vl' /proc/cpuinfo") == 0;
    int avx2 = test_sh("grep -q ' avx2' /proc/cpuinfo && grep -q ' fma' /proc/cpuinfo") == 0;
    assert_int_equal(level, avx512 ? 3 : avx2 ? 2 : level);
}

/* The kernel sets to try here: OpenBLAS's own choice, each named set this CPU can run, and
 * the engine's portable kernel. */
static int kernel_sets(const char **out)
{
    static const char *const named[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake"};
    int bf16, level = gemm_cpu_level(&bf16), n = 0;
    out[n++] = "auto";
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (gemm_kernel_level(named[i]) <= level && (strcmp(named[i], "Cooperlake") || bf16))
            out[n++] = named[i];
    out[n++] = "portable";
    return n;
}

static void test_no_allocation_with_any_kernels(void **state)
{
    (void)state;
    const char *sets[8];
    int n = kernel_sets(sets);
    for (int i = 0; i < n; i++) {
        char log[PATH_MAX + 64];
        snprintf(log, sizeof log, "%s/child-%s.log", test_tmpdir(), sets[i]);
        int rc = test_sh("FLATMEM_BLAS_KERNELS=%s OPENBLAS_NUM_THREADS=1 '%s' --child >'%s' 2>&1", sets[i],
                         g_self, log);
        if (rc != 0) {
            test_sh("cat '%s'", log);
            fail_msg("with FLATMEM_BLAS_KERNELS=%s: exit %d (see above)", sets[i], rc);
        }
        /* the kernels that ran are the ones asked for */
        if (strcmp(sets[i], "auto") && test_sh("grep -q '^%s: no allocation' '%s'", sets[i], log) != 0)
            fail_msg("FLATMEM_BLAS_KERNELS=%s did not run %s (see %s)", sets[i], sets[i], log);
    }
}

/* Losses of train_full file, one "iteration loss" per line, into out. */
static int read_losses(const char *path, double *out, int max)
{
    FILE *f = fopen(path, "r");
    int n = 0;
    long it;
    while (f && n < max && fscanf(f, "%ld %lf", &it, &out[n]) == 2)
        n++;
    if (f)
        fclose(f);
    return n;
}

static void test_same_losses_with_any_kernels(void **state)
{
    (void)state;
    const char *sets[8];
    int n = kernel_sets(sets);
    double ref[40], got[40];
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/losses-%s.txt", test_tmpdir(), sets[i]);
        assert_int_equal(
            test_sh("FLATMEM_BLAS_KERNELS=%s '%s/train_full' --tiny 30 --threads 2 --quiet --losses '%s' "
                    ">/dev/null",
                    sets[i], g_dir, path),
            0);
        int k = read_losses(path, i ? got : ref, 40);
        assert_int_equal(k, 30);
        for (int j = 0; i && j < k; j++)
            ASSERT_CLOSE(got[j], ref[j], 0, 1e-4, sets[i]);
    }
}

/* ---- the choice by timing ------------------------------------------------------------------- */

/* train_full --kernels as a user runs it (no OPENBLAS_CORETYPE), the cache under dir, its
 * words into out; env: more variables. Returns the exit status. */
static int kernels_run(const char *dir, const char *env, const char *out)
{
    return test_sh(
        "env -u OPENBLAS_CORETYPE -u FLATMEM_BLAS_KERNELS -u FLATMEM_BLAS_FROM XDG_CACHE_HOME='%s' %s "
        "'%s/train_full' --kernels >'%s' 2>&1",
        dir, env, g_dir, out);
}

static void read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* The set OpenBLAS picks by itself on this CPU. */
static void own_pick(char *out, size_t len)
{
    char path[PATH_MAX + 32], text[1024];
    snprintf(path, sizeof path, "%s/own.txt", test_tmpdir());
    assert_int_equal(kernels_run(test_tmpdir(), "FLATMEM_BLAS_KERNELS=library", path), 0);
    read_text(path, text, sizeof text);
    snprintf(out, len, "%.*s", (int)strcspn(text, ":"), text);
}

/* The figures of key's line in the cache text: n sets into names/g; -1 when no such line. */
static int cache_line(const char *text, const char *key, char names[][16], double *g)
{
    const char *l = strstr(text, key);
    if (!l || l[strlen(key)] != '\t')
        return -1;
    const char *f = strchr(l + strlen(key) + 1, '\t') + 1;
    int n = 0;
    while (n < BLAS_MAX_SETS && *f && *f != '\t' && *f != '\n') {
        int len = (int)strcspn(f, "=");
        snprintf(names[n], 16, "%.*s", len, f);
        char *after;
        g[n++] = strtod(f + len + 1, &after);
        f = after + (*after == ' ');
    }
    return n;
}

static int cache_lines(const char *text, const char *key)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, key)); p++)
        n++;
    return n;
}

static void test_timed_choice_is_the_fastest(void **state)
{
    (void)state;
    if (gemm_cpu_level(&(int){0}) < 1)
        skip(); /* an SSE CPU: one set, nothing to time */
    char dir[PATH_MAX], out[PATH_MAX + 32], file[PATH_MAX + 32], text[4096], key[400], own[32];
    snprintf(dir, sizeof dir, "%s/cache-fresh", test_tmpdir());
    snprintf(out, sizeof out, "%s/kernels.txt", dir);
    snprintf(file, sizeof file, "%s/flatmem/blas-kernels", dir);
    test_sh("mkdir -p '%s'", dir);
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    if (!strstr(text, "timed now"))
        fail_msg("the first run on an empty cache did not time the kernel sets: %s", text);
    char chosen[32];
    snprintf(chosen, sizeof chosen, "%.*s", (int)strcspn(text, ":"), text);
    read_text(file, text, sizeof text);
    blas_cache_key(key, sizeof key);
    char names[BLAS_MAX_SETS][16];
    double g[BLAS_MAX_SETS], best = 0, mine = -1, theirs = -1;
    int n = cache_line(text, key, names, g);
    if (n < 2)
        fail_msg("%s has no figures for this CPU (%s):\n%s", file, key, text);
    own_pick(own, sizeof own);
    for (int i = 0; i < n; i++) {
        best = g[i] > best ? g[i] : best;
        mine = strcmp(names[i], chosen) ? mine : g[i];
        theirs = strcmp(names[i], own) ? theirs : g[i];
    }
    /* the fastest, or OpenBLAS's own pick when nothing beats it by more than 3% */
    if (!(mine == best || (!strcmp(chosen, own) && best <= 1.03 * theirs)))
        fail_msg("the programs run %s (%.1f GFLOP/s) but the fastest timed ran %.1f (OpenBLAS picks %s)",
                 chosen, mine, best, own);
    /* the next run reads the figures, and runs the same set */
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    if (strstr(text, "timed now") || !strstr(text, "kept in") || strncmp(text, chosen, strlen(chosen)))
        fail_msg("the second run did not take the kept figures (ran %s before): %s", chosen, text);
}

/* Writes the cache with another CPU's line and this one's, where set `fast` has fast_g
 * GFLOP/s and the others 100. */
static void plant(const char *dir, const char *fast, double fast_g, const char *own)
{
    const char *sets[BLAS_MAX_SETS];
    int bf16, level = gemm_cpu_level(&bf16), n = blas_time_candidates(level, bf16, own, sets);
    char key[400], line[600] = "";
    blas_cache_key(key, sizeof key);
    for (int i = 0; i < n; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s=%.1f", i ? " " : "", sets[i],
                 strcmp(sets[i], fast) ? 100.0 : fast_g);
    assert_int_equal(
        test_sh("mkdir -p '%s/flatmem' && printf 'Other CPU, 64 cores, OpenBLAS 0.3.21\\tZen\\tZen=1.0"
                "\\t2020-01-01\\n%s\\t%s\\t%s\\t2026-01-02\\n' >'%s/flatmem/blas-kernels'",
                dir, key, fast, line, dir),
        0);
}

static void test_kept_figures_decide(void **state)
{
    (void)state;
    if (gemm_cpu_level(&(int){0}) < 1)
        skip();
    char own[32], dir[PATH_MAX], out[PATH_MAX + 32], text[4096];
    own_pick(own, sizeof own);
    const char *sets[BLAS_MAX_SETS], *other = NULL;
    int bf16, level = gemm_cpu_level(&bf16), n = blas_time_candidates(level, bf16, own, sets);
    for (int i = 0; i < n && !other; i++)
        other = strcmp(sets[i], own) ? sets[i] : NULL;
    assert_non_null(other);
    snprintf(dir, sizeof dir, "%s/cache-planted", test_tmpdir());
    snprintf(out, sizeof out, "%s/kernels.txt", test_tmpdir());
    /* a set far faster than OpenBLAS's pick: the program restarts on it, and says why */
    plant(dir, other, 999.0, own);
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    char want[200];
    snprintf(want, sizeof want,
             "%s: chosen by the engine, the fastest on the model's products here (%s 999.0", other, other);
    if (strncmp(text, want, strlen(want)) || !strstr(text, "timed 2026-01-02") ||
        !strstr(text, "OpenBLAS picked"))
        fail_msg("with %s kept as the fastest, expected \"%s...\", got: %s", other, want, text);
    /* 2% faster: within the timings' noise, OpenBLAS's pick is kept */
    plant(dir, other, 102.0, own);
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    snprintf(want, sizeof want,
             "%s: OpenBLAS's own choice, the fastest on the model's products here within 3%%", own);
    if (strncmp(text, want, strlen(want)))
        fail_msg("with %s kept 2%% faster, expected \"%s...\", got: %s", other, want, text);
    /* a damaged line is timed again; the other CPU's line stays */
    char key[400], file[PATH_MAX + 32];
    blas_cache_key(key, sizeof key);
    snprintf(file, sizeof file, "%s/flatmem/blas-kernels", dir);
    assert_int_equal(
        test_sh("sed -i 's/\\t[A-Za-z]*=[^\\t]*\\t2026-01-02/\\tHaswell=fast\\t2026-01-02/' '%s'", file), 0);
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    if (!strstr(text, "timed now"))
        fail_msg("a damaged line was not timed again: %s", text);
    read_text(file, text, sizeof text);
    char names[BLAS_MAX_SETS][16];
    double g[BLAS_MAX_SETS];
    if (!strstr(text, "Other CPU, 64 cores") || cache_lines(text, key) != 1 ||
        cache_line(text, key, names, g) != n)
        fail_msg(
            "after timing again, %s should hold the other CPU's line and one full line for this one:\n%s",
            file, text);
}

static void test_started_at_once_time_once(void **state)
{
    (void)state;
    if (gemm_cpu_level(&(int){0}) < 1)
        skip();
    char dir[PATH_MAX], text[PATH_MAX + 32], key[400], a[4096], b[4096];
    snprintf(dir, sizeof dir, "%s/cache-race", test_tmpdir());
    assert_int_equal(
        test_sh("mkdir -p '%s' && cd '%s' && for i in 1 2; do env -u OPENBLAS_CORETYPE -u "
                "FLATMEM_BLAS_KERNELS XDG_CACHE_HOME='%s' '%s/train_full' --kernels >out$i 2>&1 & done; "
                "wait",
                dir, dir, dir, g_dir),
        0);
    snprintf(text, sizeof text, "%s/out1", dir);
    read_text(text, a, sizeof a);
    snprintf(text, sizeof text, "%s/out2", dir);
    read_text(text, b, sizeof b);
    if ((strstr(a, "timed now") != NULL) + (strstr(b, "timed now") != NULL) != 1 ||
        strncmp(a, b, strcspn(a, ":") + 1))
        fail_msg(
            "two programs started at once: one should time, the other wait and read; the same set:\n%s%s", a,
            b);
    snprintf(text, sizeof text, "%s/flatmem/blas-kernels", dir);
    read_text(text, a, sizeof a);
    blas_cache_key(key, sizeof key);
    assert_int_equal(cache_lines(a, key), 1);
}

static void test_cache_unwritable_or_valgrind(void **state)
{
    (void)state;
    if (gemm_cpu_level(&(int){0}) < 1)
        skip();
    char dir[PATH_MAX], out[PATH_MAX + 32], text[4096];
    /* XDG_CACHE_HOME a file: no cache, so not timed (each start would pay it); said */
    snprintf(dir, sizeof dir, "%s/a-file", test_tmpdir());
    snprintf(out, sizeof out, "%s/kernels.txt", test_tmpdir());
    assert_int_equal(test_sh("echo x >'%s'", dir), 0);
    assert_int_equal(kernels_run(dir, "", out), 0);
    read_text(out, text, sizeof text);
    if (!strstr(text, "kernel sets not timed: no cache to keep them in (") || !strstr(text, "a-file/flatmem"))
        fail_msg("a cache that cannot be written should be named, and nothing timed: %s", text);
    /* under Valgrind (its preloaded core seen in LD_PRELOAD), an empty cache is not filled:
     * the instruction levels decide, and say so */
    snprintf(dir, sizeof dir, "%s/cache-vg", test_tmpdir());
    assert_int_equal(kernels_run(dir, "LD_PRELOAD=/nonexistent/vgpreload_core-amd64-linux.so", out), 0);
    read_text(out, text, sizeof text);
    if (!strstr(text, "kernel sets not timed: not timed under Valgrind"))
        fail_msg("under Valgrind the sets should not be timed, and the reason say so: %s", text);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--child"))
        return child(argv);
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    if (!realpath("/proc/self/exe", g_self))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_no_allocation_with_any_kernels),
        cmocka_unit_test(test_same_losses_with_any_kernels),
        cmocka_unit_test(test_timed_choice_is_the_fastest),
        cmocka_unit_test(test_kept_figures_decide),
        cmocka_unit_test(test_started_at_once_time_once),
        cmocka_unit_test(test_cache_unwritable_or_valgrind),
    };
    return cmocka_run_group_tests_name("blas", tests, tmpdir_setup, tmpdir_teardown);
}
