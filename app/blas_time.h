/* blas_time.h - which of the kernel sets this CPU runs is fastest on the model's own
 * products, timed once per CPU model and library version and kept (issue 37,
 * docs/performance.md, "Kernels").
 *
 * OpenBLAS picks its kernels by instruction level; on a Zen 5 it picks Cooperlake, whose
 * products run 11% slower there than SkylakeX's. blas_timing times each candidate set in a
 * child process (the program itself again, /proc/self/exe with the same arguments,
 * OPENBLAS_CORETYPE=NAME and FLATMEM_BLAS_PROBE=1 in an environment of its own: no
 * LD_PRELOAD, no MALLOC_CONF, so probes and profilers of the parent see nothing of it). The
 * child first checks the set's products against the portable kernel's (a set that computes
 * wrong results here, as some did with older OpenBLAS builds, counts as not runnable), then
 * runs, through the engine's gemm and threads as training does, the forward and both
 * backward products of every linear layer of the --small and --medium presets, prints
 * GFLOP/s (the best of a few passes) and exits. Two rounds over the candidates, interleaved;
 * each set's best counts.
 *
 * The figures are kept in ${XDG_CACHE_HOME:-$HOME/.cache}/flatmem/blas-kernels, a line per
 * CPU (vendor, family/model/stepping, model name, cores) and library ("OpenBLAS 0.3.21"):
 *   KEY <tab> FASTEST <tab> NAME=GFLOPS NAME=GFLOPS ... <tab> YYYY-MM-DD
 * written under a lock (blas-kernels.lock: programs started at once wait for one timing)
 * to a temporary file, then renamed. A line that does not parse, or names a set not among
 * the candidates, is timed again. Delete the file to time again. With no cache to keep the
 * figures in (no HOME, a folder that cannot be written) nothing is timed: every start of a
 * program would pay the timing (about 2 s); the instruction levels decide then. Nothing here allocates
 * in the program that asks (open/read/write only): a soak counting its allocations from
 * the start sees none of this. */
#ifndef APP_BLAS_TIME_H
#define APP_BLAS_TIME_H

#include <limits.h>
#include <stddef.h>

#define BLAS_MAX_SETS 8

typedef struct BlasTiming {
    int n;
    char name[BLAS_MAX_SETS][16];
    double gflops[BLAS_MAX_SETS]; /* 0: that set could not run here */
    int fastest; /* index of the highest figure */
    int from_cache; /* 1: read from the cache, 0: timed now */
    char date[16]; /* when timed, YYYY-MM-DD */
    char path[PATH_MAX]; /* the cache file ("" when there is none) */
    char note[200]; /* why the figures were not kept, when they were not ("" otherwise) */
} BlasTiming;

/* In a child started by blas_timing (FLATMEM_BLAS_PROBE set): times the products, prints
 * the figure and exits. Returns at once otherwise. */
void blas_probe_if_asked(void);

/* The kernel sets worth timing on a CPU of this level (gemm_kernel_level's scale), with
 * OpenBLAS's own pick `now` among them: AVX-512 CPUs Haswell, Zen, SkylakeX and Cooperlake
 * (with BF16); AVX2 ones Sandybridge, Haswell, Zen; AVX ones Prescott, Sandybridge. Returns
 * how many (at most BLAS_MAX_SETS); fewer than two: nothing to choose between. */
int blas_time_candidates(int cpu_level, int bf16, const char *now, const char **out);

/* This CPU's and library's line key in the cache ("AuthenticAMD 26/2/1 AMD EPYC, 2 cores,
 * OpenBLAS 0.3.21"). */
void blas_cache_key(char *key, size_t len);

/* Fills t for these sets: from the cache when it has this CPU and library, else timed now
 * in child processes (argv: the program's own arguments) and kept. Returns 0, or -1 when no
 * set was timed (t->note says why: no cache, timing = 0 (under Valgrind: the cache is only
 * read), no child ran). */
int blas_timing(char **argv, const char *const *sets, int n, int timing, BlasTiming *t);

#endif
