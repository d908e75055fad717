/* sgemm_ceiling - the machine's single-precision matmul ceiling through the engine's gemm
 * (OpenBLAS in release builds): GFLOP/s of square multiplies, best of several runs, with
 * the kernels the programs choose (app/blas_select.h: FLATMEM_BLAS_KERNELS=NAME for others).
 *   sgemm_ceiling [N] [THREADS]     (N = 1024, THREADS = 0: the library's default)
 * Prints the GFLOP/s, then the kernels that ran. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "blas_select.h"
#include "gemm.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1024, threads = argc > 2 ? atoi(argv[2]) : 0;
    if (n < 16 || n > 8192) {
        fprintf(stderr, "sgemm_ceiling: N must be in 16..8192\n");
        return 2;
    }
    char err[300];
    if (blas_select(argv, err, sizeof err) != 0) {
        fprintf(stderr, "sgemm_ceiling: %s\n", err);
        return 2;
    }
    gemm_set_threads(threads);
    size_t cnt = (size_t)n * n;
    float *a = malloc(cnt * sizeof *a), *b = malloc(cnt * sizeof *b), *c = malloc(cnt * sizeof *c);
    if (!a || !b || !c)
        return 1;
    for (size_t i = 0; i < cnt; i++) {
        a[i] = (float)(i % 7) * 0.1f;
        b[i] = (float)(i % 5) * 0.1f;
    }
    double best = 0;
    for (int rep = 0; rep < 7; rep++) {
        double t = now_s();
        gemm(0, 0, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double g = 2.0 * n * n * (double)n / (now_s() - t) / 1e9;
        best = g > best ? g : best;
    }
    printf("%.1f %s\n", best, blas_kernels());
    free(a), free(b), free(c);
    return 0;
}
