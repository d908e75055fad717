/* fma_peak - the machine's single-precision limit, measured: for each vector width the CPU
 * runs (128, 256 and, with AVX-512, 512 bits), a thread per core retires fused multiply-adds
 * in 12 independent chains (more than an FMA's latency times its units on any x86-64 core:
 * the units, not the chains, are the limit), timed over ~0.3 s, best of three. Prints a line
 * per width: "WIDTH GFLOPS PER_CORE_FLOPS_PER_CYCLE", the clock being cpu_clock's GHz given
 * as the argument (the clock of a core under load), then "limit GFLOPS" (the best width,
 * every core at once). For make bench's shares: a figure above 100% of a limit assumed, not
 * measured, says nothing.
 *   fma_peak GHZ */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define FMA12(R, W)                                   \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "0\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "1\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "2\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "3\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "4\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "5\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "6\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "7\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "8\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "9\n\t"  \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "10\n\t" \
    "vfmadd231ps %%" R "12, %%" R "13, %%" R "11\n\t"

/* n loops of 12 FMAs of one width (R: xmm, ymm or zmm), its two operands first zeroed. */
#define RUN_FMA(NAME, TARGET, R)                                                                           \
    __attribute__((target(TARGET))) static void NAME(long n)                                               \
    {                                                                                                      \
        __asm__ volatile("vpxor %%xmm12, %%xmm12, %%xmm12\n\tvpxor %%xmm13, %%xmm13, %%xmm13\n\t"          \
                         "1:\n\t" FMA12(R, 0) "dec %0\n\tjnz 1b\n\tvzeroupper\n\t"                         \
                         : "+r"(n)                                                                         \
                         :                                                                                 \
                         : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
                           "xmm10", "xmm11", "xmm12", "xmm13", "cc");                                      \
    }
RUN_FMA(run128, "avx2,fma", "xmm")
RUN_FMA(run256, "avx2,fma", "ymm")
RUN_FMA(run512, "avx512f", "zmm")

typedef struct Job {
    void (*fn)(long);
    long n;
    pthread_barrier_t *start;
    double secs;
} Job;

static void *worker(void *arg)
{
    Job *j = arg;
    pthread_barrier_wait(j->start);
    double t = now_s();
    j->fn(j->n);
    j->secs = now_s() - t;
    return NULL;
}

/* GFLOP/s of fn on every core at once (the slowest thread's time), best of three. */
static double measure(void (*fn)(long), int lanes, int cores)
{
    long n = 2000000;
    double best = 0;
    for (int rep = 0; rep < 4; rep++) {
        pthread_t t[256];
        Job jobs[256];
        pthread_barrier_t start;
        pthread_barrier_init(&start, NULL, (unsigned)cores);
        for (int c = 0; c < cores; c++) {
            jobs[c] = (Job){fn, n, &start, 0};
            pthread_create(&t[c], NULL, worker, &jobs[c]);
        }
        double slowest = 0;
        for (int c = 0; c < cores; c++) {
            pthread_join(t[c], NULL);
            slowest = jobs[c].secs > slowest ? jobs[c].secs : slowest;
        }
        pthread_barrier_destroy(&start);
        double g = (double)cores * (double)n * 12.0 * lanes * 2.0 / slowest / 1e9;
        if (rep == 0 && slowest < 0.3) { /* the first: a warm-up that sizes the others */
            n = (long)((double)n * 0.3 / (slowest > 1e-4 ? slowest : 1e-4));
            continue;
        }
        best = g > best ? g : best;
    }
    return best;
}

int main(int argc, char **argv)
{
    double ghz = argc > 1 ? atof(argv[1]) : 0;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int cores = online < 1 ? 1 : online > 256 ? 256 : (int)online;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        printf("limit 0\n");
        return 0;
    }
    static const struct {
        int bits;
        void (*fn)(long);
    } widths[] = {{128, run128}, {256, run256}, {512, run512}};
    double limit = 0;
    for (int w = 0; w < 3; w++) {
        if (widths[w].bits == 512 && !__builtin_cpu_supports("avx512f"))
            continue;
        double g = measure(widths[w].fn, widths[w].bits / 32, cores);
        printf("%d %.1f %.1f\n", widths[w].bits, g, ghz > 0 ? g / cores / ghz : 0);
        limit = g > limit ? g : limit;
    }
    printf("limit %.1f\n", limit);
    return 0;
}
