#include "blas_select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blas_time.h"
#include "gemm.h"

static char g_reason[700] = "OpenBLAS's own choice";

static const char *level_words(int level)
{
    static const char *const words[] = {"SSE", "AVX", "AVX2 and FMA", "AVX-512"};
    return level >= 0 && level <= 3 ? words[level] : "an instruction set not known here";
}

/* Restarts the program with OPENBLAS_CORETYPE=want; FLATMEM_BLAS_FROM tells the new image
 * what OpenBLAS had picked and why the engine asked for another. Returns only on failure. */
static void restart(char **argv, const char *want, const char *from, const char *why)
{
    char note[sizeof g_reason + 40];
    snprintf(note, sizeof note, "%.30s|%.*s", from, (int)sizeof g_reason - 40, why);
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

/* Valgrind's core is preloaded into every program it runs: timing there would take minutes
 * and say nothing of the machine. */
static int under_valgrind(void)
{
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload");
}

static char g_untimed[300]; /* why the kernel sets were not timed, when they were not */

/* The figures of t in words, fastest first: "SkylakeX 388.1, Cooperlake 347.2 ... GFLOP/s". */
static void figures_words(const BlasTiming *t, char *out, size_t len)
{
    int done = 0;
    size_t at = 0;
    out[0] = 0;
    for (int k = 0; k < t->n && at < len; k++) {
        int best = -1;
        for (int i = 0; i < t->n; i++)
            if (!(done & 1 << i) && (best < 0 || t->gflops[i] > t->gflops[best]))
                best = i;
        done |= 1 << best;
        at +=
            (size_t)snprintf(out + at, len - at, "%s%s %.1f", k ? ", " : "", t->name[best], t->gflops[best]);
    }
    if (at < len)
        snprintf(out + at, len - at, " GFLOP/s");
}

/* Auto mode: the set fastest on the model's products (app/blas_time.h), OpenBLAS's own pick
 * unless another beats it by more than 3% (closer is the noise of two timings on a shared
 * machine: not worth a restart). 0 when decided (the reason said; may restart), -1 when
 * nothing could be timed (g_untimed says why): the instruction levels decide. */
static int choose_by_timing(char **argv, const char *now, int cpu, int bf16)
{
    const char *sets[BLAS_MAX_SETS];
    int n = blas_time_candidates(cpu, bf16, now, sets);
    BlasTiming t;
    if (n < 2)
        return -1;
    if (blas_timing(argv, sets, n, !under_valgrind(), &t) != 0) {
        snprintf(g_untimed, sizeof g_untimed, "kernel sets not timed: %.200s", t.note);
        return -1;
    }
    char figs[200], kept[260];
    figures_words(&t, figs, sizeof figs);
    if (t.path[0])
        snprintf(kept, sizeof kept, "%s %s, kept in %.200s", t.from_cache ? "timed" : "timed now,", t.date,
                 t.path);
    else
        snprintf(kept, sizeof kept, "timed now, not kept: %.200s", t.note);
    double own = 0;
    for (int i = 0; i < t.n; i++)
        own = strcmp(t.name[i], now) ? own : t.gflops[i];
    const char *fastest = t.name[t.fastest];
    if (!strcmp(fastest, now) || t.gflops[t.fastest] <= 1.03 * own) {
        snprintf(g_reason, sizeof g_reason,
                 "OpenBLAS's own choice, the fastest on the model's products here%s (%.200s; %.260s)",
                 strcmp(fastest, now) ? " within 3%" : "", figs, kept);
        return 0;
    }
    char why[sizeof g_reason - 40];
    snprintf(why, sizeof why,
             "chosen by the engine, the fastest on the model's products here (%.200s; %.260s; "
             "FLATMEM_BLAS_KERNELS=library keeps OpenBLAS's choice)",
             figs, kept);
    restart(argv, fastest, now, why);
    return 0;
}

int blas_select(char **argv, char *err, size_t errlen)
{
    blas_probe_if_asked(); /* a child timing a kernel set for its parent: does not return */
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
    if (choose_by_timing(argv, now, cpu, bf16) == 0)
        return 0;
    const char *better = gemm_better_kernels(now, cpu, bf16);
    if (!better) {
        snprintf(g_reason, sizeof g_reason,
                 "OpenBLAS's own choice (%s kernels, as good as this CPU runs: %s)%s%.300s",
                 level_words(gemm_kernel_level(now)), level_words(cpu), g_untimed[0] ? "; " : "", g_untimed);
        return 0;
    }
    char why[sizeof g_reason - 40];
    snprintf(why, sizeof why,
             "chosen by the engine (OpenBLAS's %s kernels on a CPU with %s; "
             "FLATMEM_BLAS_KERNELS=library keeps its choice)%s%.300s",
             level_words(gemm_kernel_level(now)), level_words(cpu), g_untimed[0] ? "; " : "", g_untimed);
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
