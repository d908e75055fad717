/* anyprog - a program the project did not write, as far as the soak knows: it is run
 * with --cmd 'anyprog BEHAVIOUR {iters}' by tests/e2e/test_anyprog.c. Each behaviour is one
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
 * Each way memory can grow, for the diagnosis to name the program's own function
 * (docs/any-program.md), a step each:
 *   record    a slow loop (20 ms a step) keeping one 128-byte record (record_step, malloc)
 *   calloc    one zeroed 96-byte block kept (zeroed_step, calloc)
 *   strdup    a 27-character string copied and kept, and its pointer (copy_step, strdup)
 *   realloc   a buffer that grows by 64 bytes (append_step, realloc)
 *   two       200 bytes lost (lose_step) and a 128-byte record kept (record_step): two problems
 * Resources beyond bytes, one every 50 iterations:
 *   fds       a log opened with fopen and never closed (open_log_step)
 *   threads   a thread started that waits forever, never joined (start_worker_step)
 *   procs     a child process started that waits forever, never ended (spawn_helper_step)
 * Process trees:
 *   worker    the work is done in a forked child, which keeps 1 KiB per iteration on a
 *             list (reach_step); the parent only waits for it
 *   workerleak the same, the child losing its 1 KiB per iteration (leak_step)
 *   trickle   16 bytes kept every 100 iterations, 0.16 a step (trickle_step): a growth near the
 *             smallest the soak claims to see (make accuracy)
 *   startup   clean, after a start-up of 1.5 s that builds 20 MB of tables it keeps
 *   slow      clean, a slow loop (20 ms a step)
 * Exit 2 on bad usage. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flatmem.h"

struct node {
    struct node *next;
    char payload[1024 - sizeof(void *)];
};

static struct node *g_list; /* reach: still reachable at exit */
static void *volatile g_lost; /* leak: overwritten every iteration (volatile: not optimised away) */
static void *g_cache[50]; /* plateau */
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

char *g_tables[20]; /* startup's, kept (not static: the compiler keeps the stores) */

/* 16 bytes on a list (make accuracy's trickle: a growth of 0.16 bytes a step) */
__attribute__((noinline)) static void trickle_step(void)
{
    static void **kept;
    void **n = malloc(16);
    n[0] = kept, n[1] = NULL;
    kept = n;
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

struct record {
    struct record *next;
    char data[128 - sizeof(void *)];
};
struct record *g_records; /* record, two: still reachable */
char **g_copies; /* strdup: the copies, in an array that grows */
size_t g_n_copies, g_cap_copies;
char *g_buffer; /* realloc */
size_t g_buffer_len;

__attribute__((noinline)) static void record_step(long it)
{
    struct record *r = malloc(sizeof *r);
    memset(r->data, (int)(it & 0x7f), sizeof r->data);
    r->next = g_records;
    g_records = r;
}

__attribute__((noinline)) static void zeroed_step(void)
{
    struct record *r = calloc(1, 96);
    r->next = g_records;
    g_records = r;
}

__attribute__((noinline)) static void copy_step(long it)
{
    if (g_n_copies == g_cap_copies) {
        g_cap_copies = g_cap_copies ? g_cap_copies * 2 : 64;
        g_copies = realloc(g_copies, g_cap_copies * sizeof *g_copies);
    }
    g_copies[g_n_copies] = strdup("the loss went down this step");
    g_copies[g_n_copies++][0] = (char)('a' + it % 26);
}

__attribute__((noinline)) static void append_step(long it)
{
    g_buffer = realloc(g_buffer, g_buffer_len + 64);
    memset(g_buffer + g_buffer_len, (int)(it & 0x7f), 64);
    g_buffer_len += 64;
}

__attribute__((noinline)) static void lose_step(void)
{
    g_lost = malloc(200);
    memset(g_lost, 8, 200);
}

__attribute__((noinline)) static void open_log_step(long it)
{
    FILE *log = fopen("/dev/null", "w"); /* never closed: one descriptor more each time */
    if (log)
        fprintf(log, "iteration %ld\n", it);
}

static void *wait_forever(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

__attribute__((noinline)) static void start_worker_step(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, wait_forever, NULL) == 0)
        pthread_detach(t);
}

__attribute__((noinline)) static void spawn_helper_step(void)
{
    if (fork() == 0)
        for (;;)
            pause();
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
    static const char *const known[] = {"clean",      "leak",    "reach",   "mmap",    "plateau", "onetime",
                                        "steps",      "header",  "churn",   "record",  "calloc",  "strdup",
                                        "realloc",    "two",     "fds",     "threads", "procs",   "worker",
                                        "workerleak", "trickle", "startup", "slow"};
    int ok = iters > 0, found = 0;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        found |= !strcmp(b, known[i]);
    if (!ok || !found) {
        fprintf(stderr, "usage: anyprog clean|leak|reach|mmap|plateau|onetime|steps|header|churn|record|"
                        "calloc|strdup|realloc|two|fds|threads|procs|worker|workerleak|trickle|startup|slow "
                        "ITERATIONS\n");
        return 2;
    }
    if (!strcmp(b, "onetime"))
        g_table = memset(malloc(100 << 10), 6, 100 << 10); /* kept in a static, then dropped below */
    g_table = NULL; /* the table is lost before the loop: a one-time leak */
    if (!strcmp(b, "startup")) { /* a long start-up: 20 MB of tables built over 1.5 s, kept */
        for (int i = 0; i < 20; i++) {
            g_tables[i] = memset(malloc(1 << 20), i, 1 << 20);
            struct timespec ts = {0, 75 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (!strcmp(b, "worker") || !strcmp(b, "workerleak")) { /* the loop runs in a child, the parent waits */
        pid_t child = fork();
        if (child > 0) {
            int status;
            waitpid(child, &status, 0);
            printf("anyprog worker: its child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            return 0;
        }
        b = strcmp(b, "worker") ? "leak" : "reach";
    }
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
        else if (!strcmp(b, "record") || !strcmp(b, "two"))
            record_step(it);
        else if (!strcmp(b, "calloc"))
            zeroed_step();
        else if (!strcmp(b, "strdup"))
            copy_step(it);
        else if (!strcmp(b, "realloc"))
            append_step(it);
        if (!strcmp(b, "two"))
            lose_step();
        if (!strcmp(b, "trickle") && it % 100 == 0)
            trickle_step();
        if (!strcmp(b, "fds") && it % 50 == 0)
            open_log_step(it);
        if (!strcmp(b, "threads") && it % 50 == 0)
            start_worker_step();
        if (!strcmp(b, "procs") && it % 50 == 0)
            spawn_helper_step();
        if (!strcmp(b, "record") || !strcmp(b, "slow")) { /* a slow step: 20 ms */
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (!strcmp(b, "steps"))
            printf("step %ld of %ld\n", it, iters), fflush(stdout);
        if (!strcmp(b, "header"))
            flatmem_step((unsigned long long)it);
    }
    printf("anyprog %s: %ld iterations\n", b, iters);
    return 0;
}
