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

void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
          float beta, float *c, int ldc);

void gemm_portable(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                   int ldb, float beta, float *c, int ldc);

/* C[m,n] = A[m,k] B[n,k]^T + bias[n] on every row (a linear layer's forward): the bias is
 * written by the thread that then accumulates that part of C. */
void gemm_bias(int m, int n, int k, const float *a, int lda, const float *b, int ldb, const float *bias,
               float *c, int ldc);

/* C[m,n] = A[m,k] W[n,k]^T + bias[n] for a few rows (a token each of a handful of texts
 * being generated): W read once for all rows, no packing, no threads; each row computed the
 * same way whatever m, so a row's result is the same bit for bit whichever rows share the
 * call. For large m, gemm_bias is faster. */
void gemm_rows(int m, int n, int k, const float *a, int lda, const float *w, int ldw, const float *bias,
               float *c, int ldc);

/* 1 when gemm_rows (and generation's attention) run their AVX2 and FMA kernels: the CPU
 * has them and gemm_use_portable is off; 0: the same sums in plain C. */
int gemm_simd(void);

/* "openblas" or "portable". */
const char *gemm_backend(void);

/* The kernels in use: OpenBLAS's core name ("Haswell", "SkylakeX", ...) or "portable"
 * (the build's, or gemm_use_portable). OpenBLAS chooses them when it loads, from the CPU or
 * from OPENBLAS_CORETYPE; the programs choose for it when it falls back to kernels below
 * what the CPU can run (app/blas_select.h, docs/performance.md). */
const char *gemm_kernels(void);

/* The library behind gemm and its version ("OpenBLAS 0.3.21"), or "portable": with the CPU,
 * the key under which the programs keep their timing of the kernel sets (app/blas_time.h). */
const char *gemm_library(void);

/* Instruction-set levels of kernels and CPUs: 0 SSE (Prescott, Core2, Nehalem, Opteron,
 * ...), 1 AVX (Sandybridge, Bulldozer), 2 AVX2 and FMA (Haswell, Zen, Excavator), 3 AVX-512
 * F, DQ, BW and VL (SkylakeX, Cooperlake, SapphireRapids); -1 a name not known here. */
int gemm_kernel_level(const char *name);

/* This CPU's level (as above); *bf16: it has AVX-512 BF16. */
int gemm_cpu_level(int *bf16);

/* The kernel set to ask OpenBLAS for when it runs `current` on a CPU of level cpu_level:
 * "Cooperlake" (level 3 with BF16), "SkylakeX" (3), "Haswell" (2) or "Sandybridge" (1)
 * when current's level is below the CPU's; NULL when current is as good (OpenBLAS's own
 * choice on a CPU it knows: Zen on Zen 3, Cooperlake on Zen 4) or unknown. A pure
 * function: tests give it any CPU. */
const char *gemm_better_kernels(const char *current, int cpu_level, int bf16);

/* Every product through gemm_portable, whatever the build links (FLATMEM_BLAS_KERNELS=
 * portable: the engine's own kernel, for comparison). */
void gemm_use_portable(int on);

/* 1 when gemm sends a product of this shape to the portable kernel because the kernels in
 * use would call malloc for it: OpenBLAS 0.3.21's AVX-512 kernels (level 3) take row-major
 * NN products of at most 100^3 multiply-adds, k >= 32 and n not a multiple of 16 to a
 * small-matrix path that mallocs and frees a buffer on every call (measured over a grid
 * of shapes; tests/unit/test_blas.c checks that no gemm call allocates). */
int gemm_routes_portable(int ta, int tb, int m, int n, int k);

/* Products of at least this many multiply-adds (m n k) are split over the engine's
 * threads (par.h); default 1 << 20, below which a split costs more than it saves. For
 * soaks and tests only (train_full --split-min-macs): a small model then runs the split
 * path a large one takes. macs < 1 restores the default. */
void gemm_set_split_min(double macs);

/* Sets the BLAS thread count (n <= 0: leave the library's default). No-op when portable. */
void gemm_set_threads(int n);

#endif
