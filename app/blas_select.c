#include "blas_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gemm.h"

static char g_reason[400] = "OpenBLAS's own choice";

static const char *level_words(int level)
{
    static const char *const words[] = {"SSE", "AVX", "AVX2 and FMA", "AVX-512"};
    return level >= 0 && level <= 3 ? words[level] : "an instruction set not known here";
}

/* Restarts the program with OPENBLAS_CORETYPE=want; FLATMEM_BLAS_FROM tells the new image
 * what OpenBLAS had picked and why the engine asked for another. Returns only on failure. */
static void restart(char **argv, const char *want, const char *from, const char *why)
{
    char note[300];
    snprintf(note, sizeof note, "%s|%s", from, why);
    if (setenv("OPENBLAS_CORETYPE", want, 1) || setenv("FLATMEM_BLAS_FROM", note, 1))
        return;
    fflush(NULL);
    execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE"); /* exec failed: go on with what runs */
    snprintf(g_reason, sizeof g_reason,
             "OpenBLAS's own choice (the engine would ask for %s, but could not restart "
             "the program to do so)",
             want);
}

int blas_select(char **argv, char *err, size_t errlen)
{
    const char *mode = getenv("FLATMEM_BLAS_KERNELS"), *from = getenv("FLATMEM_BLAS_FROM");
    const char *now = gemm_kernels(), *env = getenv("OPENBLAS_CORETYPE");
    int bf16, cpu = gemm_cpu_level(&bf16);
    if (!strcmp(gemm_backend(), "portable")) {
        snprintf(g_reason, sizeof g_reason, "this build's own kernel (no BLAS linked)");
        return 0;
    }
    if (mode && !strcmp(mode, "portable")) {
        gemm_use_portable(1);
        snprintf(g_reason, sizeof g_reason, "the engine's portable kernel (FLATMEM_BLAS_KERNELS=portable)");
        return 0;
    }
    if (from) { /* the image the engine restarted: say what was there before */
        const char *bar = strchr(from, '|');
        snprintf(g_reason, sizeof g_reason, "%s: OpenBLAS picked %.*s",
                 bar ? bar + 1 : "chosen by the engine", bar ? (int)(bar - from) : (int)strlen(from), from);
        return 0;
    }
    if (mode && !strcmp(mode, "library")) {
        snprintf(g_reason, sizeof g_reason, "OpenBLAS's own choice (FLATMEM_BLAS_KERNELS=library)");
        return 0;
    }
    if (mode && *mode && strcmp(mode, "auto")) {
        if (gemm_kernel_level(mode) < 0 || gemm_kernel_level(mode) > cpu) {
            snprintf(err, errlen,
                     "FLATMEM_BLAS_KERNELS=%s: %s; give auto, library, portable or one of Prescott, "
                     "Sandybridge, Haswell, Zen%s",
                     mode,
                     gemm_kernel_level(mode) < 0 ? "not a kernel set" : "this CPU cannot run those kernels",
                     cpu >= 3 ? ", SkylakeX, Cooperlake" : "");
            return -1;
        }
        if (strcmp(now, mode))
            restart(argv, mode, now, "asked for by FLATMEM_BLAS_KERNELS");
        snprintf(g_reason, sizeof g_reason, "asked for by FLATMEM_BLAS_KERNELS");
        return 0;
    }
    if (env) {
        snprintf(g_reason, sizeof g_reason, "set by OPENBLAS_CORETYPE=%s in the environment", env);
        return 0;
    }
    const char *better = gemm_better_kernels(now, cpu, bf16);
    if (!better) {
        snprintf(g_reason, sizeof g_reason,
                 "OpenBLAS's own choice (%s kernels, as good as this CPU runs: %s)",
                 level_words(gemm_kernel_level(now)), level_words(cpu));
        return 0;
    }
    char why[200];
    snprintf(why, sizeof why,
             "chosen by the engine (OpenBLAS's %s kernels on a CPU with %s; "
             "FLATMEM_BLAS_KERNELS=library keeps its choice)",
             level_words(gemm_kernel_level(now)), level_words(cpu));
    restart(argv, better, now, why);
    return 0;
}

const char *blas_kernels(void)
{
    return gemm_kernels();
}

const char *blas_reason(void)
{
    return g_reason;
}
