/* anyprog - a program the project did not write, as far as the soak knows: it is run
 * with --cmd 'anyprog BEHAVIOUR {iters}' by tests/test_anyprog.c. Each behaviour is one
 * memory pattern, done once per iteration after a little work (malloc/free traffic):
 *   clean     nothing kept
 *   leak      1 KiB per iteration lost (leak_step)
 *   reach     1 KiB per iteration kept on a list still reachable (reach_step)
 *   mmap      64 KiB per iteration of anonymous memory mapped and touched (map_step)
 *   plateau   a cache that fills for the first 50 iterations, then stays (fill_cache)
 *   onetime   a 100 KiB table never freed, allocated once at start (the loop is clean)
 *   steps     clean, and prints "step N" after each iteration (--step-regex)
 *   header    reach, and marks each step with include/flatmem.h
 *   churn     no pause, 1000 allocations of assorted sizes given back per iteration: an
 *             allocation-heavy loop for make bench-attrib
 * Exit 2 on bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "flatmem.h"

struct node {
    struct node *next;
    char payload[1024 - sizeof(void *)];
};

static struct node *g_list;  /* reach: still reachable at exit */
static void *volatile g_lost; /* leak: overwritten every iteration (volatile: not optimised away) */
static void *g_cache[50];    /* plateau */
static void *volatile g_table; /* onetime: volatile, so the lost allocation is not optimised away */

__attribute__((noinline)) static void leak_step(void)
{
    g_lost = malloc(1024);
    memset(g_lost, 1, 1024);
}

__attribute__((noinline)) static void reach_step(void)
{
    struct node *n = malloc(sizeof *n);
    memset(n, 2, sizeof *n);
    n->next = g_list;
    g_list = n;
}

__attribute__((noinline)) static void map_step(void)
{
    char *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED)
        memset(p, 3, 64 << 10);
}

__attribute__((noinline)) static void fill_cache(long it)
{
    if (it <= 50)
        g_cache[it - 1] = memset(malloc(16 << 10), 4, 16 << 10);
}

/* A little work every iteration: allocations that are given back. */
static void work(void)
{
    for (int k = 0; k < 20; k++) {
        void *p = malloc(256 + (size_t)k * 64);
        memset(p, 5, 256);
        free(p);
    }
    struct timespec ts = {0, 200 * 1000};
    nanosleep(&ts, NULL);
}

/* 1000 allocations of 16 B to 4 KiB, each freed a little later. */
static void churn_step(long it)
{
    static void *held[64];
    for (int k = 0; k < 1000; k++) {
        size_t slot = (size_t)(it * 1000 + k) % 64, size = 16 + (size_t)((it * 7919 + k * 104729) % 4080);
        free(held[slot]);
        held[slot] = malloc(size);
        memset(held[slot], 7, 16);
    }
}

int main(int argc, char **argv)
{
    long iters = argc == 3 ? atol(argv[2]) : 0;
    const char *b = argc == 3 ? argv[1] : "";
    static const char *const known[] = {"clean", "leak", "reach", "mmap", "plateau", "onetime", "steps", "header",
                                        "churn"};
    int ok = iters > 0, found = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        found |= !strcmp(b, known[i]);
    if (!ok || !found) {
        fprintf(stderr, "usage: anyprog clean|leak|reach|mmap|plateau|onetime|steps|header|churn ITERATIONS\n");
        return 2;
    }
    if (!strcmp(b, "onetime"))
        g_table = memset(malloc(100 << 10), 6, 100 << 10); /* kept in a static, then dropped below */
    g_table = NULL; /* the table is lost before the loop: a one-time leak */
    int churn = !strcmp(b, "churn");
    for (long it = 1; it <= iters; it++) {
        if (churn)
            churn_step(it);
        else
            work();
        if (!strcmp(b, "leak"))
            leak_step();
        else if (!strcmp(b, "reach") || !strcmp(b, "header"))
            reach_step();
        else if (!strcmp(b, "mmap"))
            map_step();
        else if (!strcmp(b, "plateau"))
            fill_cache(it);
        if (!strcmp(b, "steps"))
            printf("step %ld of %ld\n", it, iters), fflush(stdout);
        if (!strcmp(b, "header"))
            flatmem_step((unsigned long long)it);
    }
    printf("anyprog %s: %ld iterations\n", b, iters);
    return 0;
}
