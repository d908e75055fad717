/* gemm.h - single-precision matrix multiply, row-major, the one path every matmul takes.
 *
 *   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C
 *   op(X) = X if tX == 0, X^T if tX == 1; lda/ldb/ldc are row strides of the stored arrays.
 *
 * Backend chosen at build time: ENGINE_BLAS_OPENBLAS calls cblas_sgemm; otherwise the
 * portable blocked kernel below (the Valgrind build uses it: OpenBLAS's kernels run
 * ~3000x slower under memcheck). gemm_portable is built in every variant so tests can
 * compare the two. Neither allocates. */
#ifndef ENGINE_GEMM_H
#define ENGINE_GEMM_H

void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
          const float *b, int ldb, float beta, float *c, int ldc);

void gemm_portable(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                   const float *b, int ldb, float beta, float *c, int ldc);

/* C[m,n] = A[m,k] B[n,k]^T + bias[n] on every row (a linear layer's forward): the bias is
 * written by the thread that then accumulates that part of C. */
void gemm_bias(int m, int n, int k, const float *a, int lda, const float *b, int ldb,
               const float *bias, float *c, int ldc);

/* "openblas" or "portable". */
const char *gemm_backend(void);

/* The kernels in use: OpenBLAS's core name ("Haswell", "SkylakeX", ...) or "portable".
 * OpenBLAS chooses them when it loads, from the CPU or from OPENBLAS_CORETYPE, which
 * some machines set on purpose (older OpenBLAS builds compute wrong results or crash
 * with their own choice there): the engine never overrides it, it only reports it. */
const char *gemm_kernels(void);

/* Products of at least this many multiply-adds (m n k) are split over the engine's
 * threads (par.h); default 1 << 20, below which a split costs more than it saves. For
 * soaks and tests only (train_full --split-min-macs): a small model then runs the split
 * path a large one takes. macs < 1 restores the default. */
void gemm_set_split_min(double macs);

/* Sets the BLAS thread count (n <= 0: leave the library's default). No-op when portable. */
void gemm_set_threads(int n);

#endif
