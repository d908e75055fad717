#include "gemm.h"

#include <string.h>

#ifdef ENGINE_BLAS_OPENBLAS
#include <cblas.h>
#endif

/* Block sizes of the portable kernel: a packed [KC, NC] panel of op(B) (64 KiB) stays in
 * L2 while every row of op(A) streams past it; the inner loop is a contiguous axpy that
 * the compiler vectorises. */
#define KC 64
#define NC 256

void gemm_portable(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float *row = c + (size_t)i * ldc;
        if (beta == 0.0f)
            memset(row, 0, (size_t)n * sizeof(float));
        else if (beta != 1.0f)
            for (int j = 0; j < n; j++)
                row[j] *= beta;
    }
    float panel[KC * NC];
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kb = k - k0 < KC ? k - k0 : KC;
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = n - j0 < NC ? n - j0 : NC;
            for (int p = 0; p < kb; p++)
                for (int j = 0; j < nb; j++)
                    panel[p * nb + j] = tb ? b[(size_t)(j0 + j) * ldb + k0 + p]
                                           : b[(size_t)(k0 + p) * ldb + j0 + j];
            for (int i = 0; i < m; i++) {
                float *restrict crow = c + (size_t)i * ldc + j0;
                for (int p = 0; p < kb; p++) {
                    float av = alpha * (ta ? a[(size_t)(k0 + p) * lda + i]
                                           : a[(size_t)i * lda + k0 + p]);
                    const float *restrict bp = panel + p * nb;
                    for (int j = 0; j < nb; j++)
                        crow[j] += av * bp[j];
                }
            }
        }
    }
}

void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
          const float *b, int ldb, float beta, float *c, int ldc)
{
    if (m <= 0 || n <= 0)
        return;
    if (k <= 0) {
        gemm_portable(ta, tb, m, n, 0, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#ifdef ENGINE_BLAS_OPENBLAS
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#else
    gemm_portable(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
}

const char *gemm_backend(void)
{
#ifdef ENGINE_BLAS_OPENBLAS
    return "openblas";
#else
    return "portable";
#endif
}

void gemm_set_threads(int n)
{
#ifdef ENGINE_BLAS_OPENBLAS
    if (n > 0)
        openblas_set_num_threads(n);
#else
    (void)n;
#endif
}
