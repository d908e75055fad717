/* cpu_clock - the clock a core runs at while it works, in GHz: a chain of dependent integer
 * additions, one a cycle on every x86-64 core, timed (best of five). For make bench's
 * estimate of the machine's limit (cores x clock x single-precision FLOPs a cycle); the
 * clock /proc/cpuinfo gives is the nominal one, and cores under load boost above it.
 *   cpu_clock */
#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        long n = 100000000, x = 0;
        double t = now_s();
        for (long i = 0; i < n; i++)
#if defined(__x86_64__)
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                             : "+r"(x));
#else
            x += 8;
#endif
        double ghz = (double)n * 8.0 / (now_s() - t) / 1e9;
        best = ghz > best ? ghz : best;
    }
    printf("%.2f\n", best);
    return 0;
}
