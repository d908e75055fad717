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
 *   - the same losses within the parity tolerance (1e-4 relative) whichever kernels run.
 * The child: test_blas --child, with FLATMEM_BLAS_KERNELS set; exits 0, or 1 saying what
 * allocated. */
#include "testutil.h"
#include "trainer.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas_select.h"
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
    static const char *const named[] = {"Haswell", "SkylakeX", "Cooperlake"};
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
    };
    return cmocka_run_group_tests_name("blas", tests, tmpdir_setup, tmpdir_teardown);
}
