/* blas_select.h - which matrix-multiply kernels the programs run (issue 20,
 * docs/performance.md, "Kernels").
 *
 * OpenBLAS picks its kernels when it loads, by CPU model; on a CPU it does not know (an
 * Intel Xeon with AVX-512 reported only as "Intel(R) Xeon(R) Processor") Debian's 0.3.21
 * falls back to "Prescott" (SSE3), 5.7 times slower than its best there. blas_select,
 * first thing in a program's main, looks at what it picked: when the CPU can run a higher
 * instruction set than those kernels use (engine/gemm.h: gemm_better_kernels), it sets
 * OPENBLAS_CORETYPE and starts the program again (execv of /proc/self/exe with the same
 * arguments: OpenBLAS reads that variable only when it loads). On a CPU OpenBLAS knows
 * (Zen 3: Zen, Zen 4: Cooperlake) nothing changes.
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
