#include "gemm.h"

#include <stdint.h>
#include <string.h>

#ifdef ENGINE_BLAS_OPENBLAS
#include <cblas.h>
#endif
#include "arena.h" /* ARENA_ASAN */
#include "vec.h"
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The portable kernel: op(B) is packed, KC rows at a time, into a panel whose row length
 * is padded to a multiple of NR with zeros; op(A) is packed MR rows at a time (scaled by
 * alpha). An MR x NR block of C is accumulated in a local array the compiler keeps in
 * vector registers, so each step of the k loop is NR/8 loads of B, MR broadcasts of A and
 * MR*NR fused multiply-adds. That keeps the instruction count low, which is what matters
 * under Valgrind (every instruction is emulated). Built for AVX2+FMA and for baseline
 * x86-64, chosen at load time. */
#define KC 128
#define NC 256
#define MR 4
#define NR 8 /* one 8-float vector */


KERNEL_CLONES
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
    float panel[KC * NC] __attribute__((aligned(64)));
    float apack[KC * MR];
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kb = k - k0 < KC ? k - k0 : KC;
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = n - j0 < NC ? n - j0 : NC;
            int nbp = (nb + NR - 1) / NR * NR;
            for (int p = 0; p < kb; p++) {
                float *dst = panel + p * nbp;
                if (tb)
                    for (int j = 0; j < nb; j++)
                        dst[j] = b[(size_t)(j0 + j) * ldb + k0 + p];
                else
                    memcpy(dst, b + (size_t)(k0 + p) * ldb + j0, (size_t)nb * sizeof(float));
                for (int j = nb; j < nbp; j++)
                    dst[j] = 0.0f;
            }
            for (int i0 = 0; i0 < m; i0 += MR) {
                int mr = m - i0 < MR ? m - i0 : MR;
                for (int p = 0; p < kb; p++)
                    for (int r = 0; r < MR; r++)
                        apack[p * MR + r] = r < mr ? alpha * (ta ? a[(size_t)(k0 + p) * lda + i0 + r]
                                                                 : a[(size_t)(i0 + r) * lda + k0 + p])
                                                   : 0.0f;
                for (int j = 0; j < nbp; j += NR) {
                    /* named accumulators: an array here would live in memory */
                    v8f c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
                    const float *bp = panel + j, *ap = apack;
                    for (int p = 0; p < kb; p++, bp += nbp, ap += MR) {
                        v8f bv = *(const v8f *)bp;
                        c0 += BCAST(ap[0]) * bv;
                        c1 += BCAST(ap[1]) * bv;
                        c2 += BCAST(ap[2]) * bv;
                        c3 += BCAST(ap[3]) * bv;
                    }
                    v8f acc[MR] = {c0, c1, c2, c3};
                    int nr = nb - j < NR ? nb - j : NR;
                    for (int r = 0; r < mr; r++) {
                        float *crow = c + (size_t)(i0 + r) * ldc + j0 + j;
                        const float *accr = (const float *)&acc[r];
                        for (int q = 0; q < nr; q++)
                            crow[q] += accr[q];
                    }
                }
            }
        }
    }
}

/* OpenBLAS is not instrumented, so ASan cannot see it read a released arena block. In ASan
 * builds each operand is checked before the call; a poisoned byte is then read from here,
 * which makes ASan print its usual report (use-after-poison, with this stack). */
static inline void asan_check_operand(const float *p, int rows, int cols, int ld)
{
#ifdef ARENA_ASAN
    size_t bytes = ((size_t)(rows - 1) * (size_t)ld + (size_t)cols) * sizeof(float);
    const volatile char *bad = __asan_region_is_poisoned((void *)(uintptr_t)p, bytes);
    if (bad)
        (void)*bad;
#else
    (void)p, (void)rows, (void)cols, (void)ld;
#endif
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
    asan_check_operand(a, ta ? k : m, ta ? m : k, lda);
    asan_check_operand(b, tb ? n : k, tb ? k : n, ldb);
    asan_check_operand(c, m, n, ldc);
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
