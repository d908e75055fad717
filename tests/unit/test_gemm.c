/* test_gemm: both matmul backends against a plain triple loop, every transpose, strides;
 * the products split over the engine's threads (par.h), and par_for itself. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "par.h"
#include "rng.h"

typedef void (*GemmFn)(int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                       int);

static void reference(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, double *c, int ldc)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int p = 0; p < k; p++)
                s += (double)(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
            c[i * ldc + j] = alpha * s + beta * c[i * ldc + j];
        }
}

static void check_backend(GemmFn fn, const char *name)
{
    static const int dims[][3] = {
        {1, 1, 1},      {3, 5, 7},   {17, 33, 65},   {64, 64, 64},
        {70, 300, 130}, {5, 1, 257}, {130, 150, 70}, {40, 300, 100}}; /* the last two split over threads */
    Rng r;
    rng_seed(&r, 7);
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int m = dims[d][0], n = dims[d][1], k = dims[d][2];
                int pad = 3; /* row strides larger than the rows: views into wider arrays */
                int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
                int arows = ta ? k : m, brows = tb ? n : k;
                float *a = malloc(sizeof(float) * arows * lda), *b = malloc(sizeof(float) * brows * ldb);
                float *c = malloc(sizeof(float) * m * ldc);
                double *want = malloc(sizeof(double) * m * ldc);
                for (int i = 0; i < arows * lda; i++)
                    a[i] = rng_normal(&r);
                for (int i = 0; i < brows * ldb; i++)
                    b[i] = rng_normal(&r);
                for (int i = 0; i < m * ldc; i++)
                    want[i] = c[i] = rng_normal(&r);
                float alpha = 0.75f, beta = d % 2 ? 0.0f : 0.5f;
                reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
                fn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < ldc; j++) {
                        char what[128];
                        snprintf(what, sizeof what, "%s %dx%dx%d ta=%d tb=%d C[%d][%d]", name, m, n, k, ta,
                                 tb, i, j);
                        ASSERT_CLOSE(c[i * ldc + j], want[i * ldc + j], 1e-4, 1e-4, what);
                    }
                free(a), free(b), free(c), free(want);
            }
}

static void test_portable_matches_reference(void **state)
{
    (void)state;
    check_backend(gemm_portable, "portable");
}

static void test_default_backend_matches_reference(void **state)
{
    (void)state;
    check_backend(gemm, gemm_backend());
}

static void test_backends_agree(void **state)
{
    (void)state;
    enum { M = 48, N = 96, K = 80 };
    static float a[M * K], b[K * N], c1[M * N], c2[M * N];
    Rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < M * K; i++)
        a[i] = rng_normal(&r);
    for (int i = 0; i < K * N; i++)
        b[i] = rng_normal(&r);
    gemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c1, N);
    gemm_portable(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c2, N);
    for (int i = 0; i < M * N; i++)
        ASSERT_CLOSE(c1[i], c2[i], 1e-4, 1e-5, "gemm vs gemm_portable");
}

static void test_threaded_gemm_matches_reference_and_serial(void **state)
{
    (void)state;
    gemm_set_threads(1); /* as train_full does: the engine's threads split, not OpenBLAS's */
    assert_int_equal(par_init(2), ENG_OK);
    assert_int_equal(par_threads(), 2);
    check_backend(gemm, "threaded");
    /* and the unsplit product, split by rows (m >= n) and by columns */
    static const int dims[][3] = {{300, 130, 64}, {64, 520, 96}};
    Rng r;
    rng_seed(&r, 12);
    for (int d = 0; d < 2; d++) {
        int m = dims[d][0], n = dims[d][1], k = dims[d][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n);
        float *c1 = malloc(sizeof(float) * m * n), *c2 = malloc(sizeof(float) * m * n);
        for (int i = 0; i < m * k; i++)
            a[i] = rng_normal(&r);
        for (int i = 0; i < k * n; i++)
            b[i] = rng_normal(&r);
        gemm(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c1, n);
        par_init(1);
        gemm(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c2, n);
        par_init(2);
        for (int i = 0; i < m * n; i++) /* OpenBLAS's edge kernels round differently */
            ASSERT_CLOSE(c1[i], c2[i], 1e-5, 1e-5, "split vs unsplit");
        free(a), free(b), free(c1), free(c2);
    }
    par_shutdown();
    assert_int_equal(par_threads(), 1);
}

typedef struct ParCheck {
    int hits[1000];
    int tid_seen[PAR_MAX_THREADS];
    int nested_threads;
} ParCheck;

static void mark(void *ctx, long lo, long hi, int tid)
{
    ParCheck *p = ctx;
    for (long i = lo; i < hi; i++)
        p->hits[i]++;
    p->tid_seen[tid] = 1;
    if (lo == 0)
        p->nested_threads = par_threads(); /* inside a range: 1 */
}

/* gemm_rows (generation's few rows): A W^T + bias against the plain loop, with strides and
 * a k that is no multiple of 8; each row the same bit for bit whatever rows share the call. */
static void test_rows_matches_reference_and_each_row_alone(void **state)
{
    (void)state;
    enum { M = 5, N = 37, K = 75, LD = K + 3 };
    static float a[M * LD], w[N * LD], bias[N], c[M * N], one[N];
    double ref[M * N];
    Rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < M * LD; i++)
        a[i] = rng_uniform(&r) - 0.5f;
    for (int i = 0; i < N * LD; i++)
        w[i] = rng_uniform(&r) - 0.5f;
    for (int j = 0; j < N; j++)
        bias[j] = rng_uniform(&r);
    memset(ref, 0, sizeof ref);
    reference(0, 1, M, N, K, 1.0f, a, LD, w, LD, 0.0f, ref, N);
    for (int portable = 0; portable < 2; portable++) { /* the CPU's kernels (AVX2), then plain C */
        gemm_use_portable(portable);
        gemm_rows(M, N, K, a, LD, w, LD, bias, c, N);
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                if (fabs(c[i * N + j] - (ref[i * N + j] + bias[j])) > 1e-4)
                    fail_msg("gemm_rows%s (%d, %d): %g, expected %g", portable ? " (plain C)" : "", i, j,
                             c[i * N + j], ref[i * N + j] + bias[j]);
        for (int i = 0; i < M; i++) { /* row i alone */
            gemm_rows(1, N, K, a + i * LD, LD, w, LD, bias, one, N);
            assert_memory_equal(one, c + i * N, sizeof one);
        }
        if (portable)
            assert_int_equal(gemm_simd(), 0); /* plain C asked for: no AVX2 kernels */
    }
    gemm_use_portable(0);
}

static void test_par_for_covers_each_item_once(void **state)
{
    (void)state;
    assert_int_equal(par_init(3), ENG_OK);
    static ParCheck p;
    for (int round = 0; round < 50; round++) { /* many jobs: workers wake and sleep */
        memset(&p, 0, sizeof p);
        par_for(1000, 1, mark, &p);
        for (int i = 0; i < 1000; i++)
            assert_int_equal(p.hits[i], 1);
        assert_true(p.tid_seen[0] && p.tid_seen[1] && p.tid_seen[2]);
        assert_int_equal(p.nested_threads, 1);
    }
    memset(&p, 0, sizeof p);
    par_for(10, 8, mark, &p); /* under 2 x grain: one range on the caller */
    assert_true(p.tid_seen[0] && !p.tid_seen[1]);
    par_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable_matches_reference),
        cmocka_unit_test(test_default_backend_matches_reference),
        cmocka_unit_test(test_backends_agree),
        cmocka_unit_test(test_threaded_gemm_matches_reference_and_serial),
        cmocka_unit_test(test_rows_matches_reference_and_each_row_alone),
        cmocka_unit_test(test_par_for_covers_each_item_once),
    };
    return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
