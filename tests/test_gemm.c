/* test_gemm: both matmul backends against a plain triple loop, every transpose, strides. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "gemm.h"
#include "rng.h"

typedef void (*GemmFn)(int, int, int, int, int, float, const float *, int, const float *, int,
                       float, float *, int);

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
    static const int dims[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 65}, {64, 64, 64}, {70, 300, 130}, {5, 1, 257}};
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
                for (int i = 0; i < arows * lda; i++) a[i] = rng_normal(&r);
                for (int i = 0; i < brows * ldb; i++) b[i] = rng_normal(&r);
                for (int i = 0; i < m * ldc; i++) want[i] = c[i] = rng_normal(&r);
                float alpha = 0.75f, beta = d % 2 ? 0.0f : 0.5f;
                reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc);
                fn(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < ldc; j++) {
                        char what[128];
                        snprintf(what, sizeof what, "%s %dx%dx%d ta=%d tb=%d C[%d][%d]", name, m, n, k, ta, tb, i, j);
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
    for (int i = 0; i < M * K; i++) a[i] = rng_normal(&r);
    for (int i = 0; i < K * N; i++) b[i] = rng_normal(&r);
    gemm(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c1, N);
    gemm_portable(0, 0, M, N, K, 1.0f, a, K, b, N, 0.0f, c2, N);
    for (int i = 0; i < M * N; i++)
        ASSERT_CLOSE(c1[i], c2[i], 1e-4, 1e-5, "gemm vs gemm_portable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portable_matches_reference),
        cmocka_unit_test(test_default_backend_matches_reference),
        cmocka_unit_test(test_backends_agree),
    };
    return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
