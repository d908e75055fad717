/* blas_select.h - which matrix-multiply kernels the programs run (issue 20,
 * docs/performance.md, "Kernels").
 *
 * OpenBLAS picks its kernels when it loads, by CPU model and instruction level. blas_select,
 * first thing in a program's main, asks which of the sets this CPU runs is fastest on the
 * model's own products (app/blas_time.h: timed once per CPU model and library version, kept
 * in the user's cache folder) and, when it is not OpenBLAS's pick and beats it by more than
 * 3%, sets OPENBLAS_CORETYPE and starts the program again (execv of /proc/self/exe with the
 * same arguments: OpenBLAS reads that variable only when it loads). When nothing could be
 * timed (no cache folder, under Valgrind with an empty cache) the instruction levels decide
 * as before: when the CPU can run a higher instruction set than OpenBLAS's kernels use (an
 * Intel Xeon with AVX-512 reported only as "Intel(R) Xeon(R) Processor", where Debian's
 * 0.3.21 falls back to "Prescott", 5.7 times slower), the best set of the CPU's level
 * (engine/gemm.h: gemm_better_kernels).
 *
 * FLATMEM_BLAS_KERNELS says otherwise:
 *   auto (or unset)  the above; an OPENBLAS_CORETYPE already in the environment is kept
 *   library          OpenBLAS's own choice, whatever it is
 *   portable         the engine's own portable kernel for every product
 *   NAME             that kernel set (Haswell, SkylakeX, ...), as OPENBLAS_CORETYPE=NAME
 * Owns nothing; the words are static. Before any thread is started: it may exec. */
#ifndef APP_BLAS_SELECT_H
#define APP_BLAS_SELECT_H

#include <stddef.h>

/* Chooses (may restart the program with the same arguments; returns otherwise): 0, or -1
 * with a message in err when FLATMEM_BLAS_KERNELS names nothing this CPU can run. */
int blas_select(char **argv, char *err, size_t errlen);

/* The kernels that run ("SkylakeX", "portable") and why, in words ("chosen by the engine:
 * OpenBLAS picked Prescott (SSE) on a CPU with AVX-512; FLATMEM_BLAS_KERNELS=library keeps
 * its choice"). */
const char *blas_kernels(void);
const char *blas_reason(void);

#endif
