#include "par.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "fault.h"
#ifdef ENGINE_VALGRIND
#include <valgrind/valgrind.h>
#endif

/* A waiting thread first spins on the pause instruction (about 20 ns each), then yields
 * its core at every check, so that a thread it waits for can run when the cores are
 * shared (several soak runs at once) or when every thread runs on one core in turn
 * (Valgrind: spinning there held the core for a whole time slice per join, ~1 s a step).
 * A worker that has waited spin_limit checks (a few ms, longer than the gaps between the
 * parallel parts of a step) sleeps on the condition variable.
 *
 * When the cores are shared, spinning takes the time of the threads waited for. A thread
 * whose yield let another thread run (longer than YIELD_SHARED_NS) takes the cores for
 * shared for SHARED_FOR_NS: it yields at once instead of spinning on pause first, and a
 * worker goes to sleep at once. The range of a worker asleep that has not claimed it when
 * the caller has done its own is the caller's (claim(): waking the worker would cost more
 * than its work; the ranges are fixed, so the result is the same whoever runs them). Two
 * soak-shape runs at once of 2000 steps on two threads each: 1.48 -> 1.05 CPU-s each (10
 * rounds in shuffled order; this machine's noise is large), the workers still running
 * eight or nine ranges in ten of their own; test_soak alone 119 -> 90 CPU-s. Alone on the
 * cores the workers are awake and run all of theirs.
 *
 * Under Valgrind, which runs one thread at a time, a spin only delays the thread waited
 * for: the valgrind build yields at once and sleeps after a few checks (a --tiny soak run
 * of 100 steps on two threads 10% faster under memcheck), and the caller never takes a
 * worker's range, so that memcheck sees the workers' own runs (par_leak: a leak in a
 * worker thread). */
#define SPIN_PAUSES 2000
#define SPIN_LIMIT 20000
static int spin_pauses = SPIN_PAUSES, spin_limit = SPIN_LIMIT;
static int take_over = 1; /* the caller may run the range of a worker asleep */

static struct {
    int n; /* threads in all, the caller included */
    pthread_t workers[PAR_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_long gen; /* job generation; a change wakes the workers */
    atomic_long done[PAR_MAX_THREADS]; /* the generation each worker finished last */
    atomic_long claimed[PAR_MAX_THREADS]; /* the generation whose range i was taken last */
    atomic_int asleep[PAR_MAX_THREADS]; /* worker i sleeps on the condition variable */
    int quit;
    ParFn fn;
    void *ctx;
    long n_items;
} pool = {.n = 1, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static _Thread_local int in_range; /* inside a par_for range: nested calls run serially */

/* A yield longer than this gave the core to another thread: the cores are shared. */
#define YIELD_SHARED_NS 20000

static inline long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Until when (monotonic ns) this thread takes the cores for shared: a yield of its let
 * another thread run. Meanwhile it yields at once rather than spin on pause first. */
static _Thread_local long shared_until;
#define SHARED_FOR_NS 20000000L

static inline int cores_shared(void)
{
    if (!shared_until)
        return 0;
    if (mono_ns() <= shared_until)
        return 1;
    shared_until = 0; /* over: the pauses cost no clock reading again until the next time */
    return 0;
}

/* One check's wait. 1 when it yielded the core and another thread ran meanwhile. */
static inline int spin_wait(int *spins)
{
    if (++*spins < spin_pauses && !cores_shared()) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        return 0;
    }
    long t0 = mono_ns();
    sched_yield();
    long t1 = mono_ns();
    if (t1 - t0 <= YIELD_SHARED_NS)
        return 0;
    shared_until = t1 + SHARED_FOR_NS;
    return 1;
}

static void run_range(int tid, int nthreads, long n, ParFn fn, void *ctx)
{
    long lo = n * tid / nthreads, hi = n * (tid + 1) / nthreads;
    if (lo < hi) {
        in_range = 1;
        fn(ctx, lo, hi, tid);
        in_range = 0;
    }
}

/* Takes range i of generation g for the calling thread: 1 when no one had it. The job's
 * fields are read only after a claim, so a worker that wakes late never runs a range of a
 * job its caller has already finished. */
static int claim(int i, long g)
{
    long had = atomic_load_explicit(&pool.claimed[i], memory_order_acquire);
    return had < g && atomic_compare_exchange_strong_explicit(&pool.claimed[i], &had, g, memory_order_acq_rel,
                                                              memory_order_acquire);
}

static void *worker_main(void *arg)
{
    int tid = (int)(long)arg;
    long seen = atomic_load(&pool.done[tid]); /* par_init set it to the current generation */
    for (;;) {
        long g;
        int spins = 0;
        while ((g = atomic_load_explicit(&pool.gen, memory_order_acquire)) == seen) {
            if (spins < spin_limit) {
                if (spin_wait(&spins) || cores_shared()) /* the core is wanted elsewhere: sleep now */
                    spins = spin_limit;
                continue;
            }
            pthread_mutex_lock(&pool.mu);
            atomic_store(&pool.asleep[tid], 1);
            while (atomic_load_explicit(&pool.gen, memory_order_acquire) == seen)
                pthread_cond_wait(&pool.cv, &pool.mu);
            atomic_store(&pool.asleep[tid], 0);
            pthread_mutex_unlock(&pool.mu);
        }
        seen = g;
        if (pool.quit)
            return NULL;
        if (claim(tid, g)) {
            run_range(tid, pool.n, pool.n_items, pool.fn, pool.ctx);
            fault_worker_job();
            atomic_store_explicit(&pool.done[tid], g, memory_order_release);
        }
    }
}

static void publish(void)
{
    pthread_mutex_lock(&pool.mu);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&pool.cv);
    pthread_mutex_unlock(&pool.mu);
}

void par_shutdown(void)
{
    if (pool.n <= 1)
        return;
    pool.quit = 1;
    publish();
    for (int i = 1; i < pool.n; i++)
        pthread_join(pool.workers[i], NULL);
    pool.quit = 0;
    pool.n = 1;
}

EngErr par_init(int n)
{
    par_shutdown();
    if (n > PAR_MAX_THREADS)
        n = PAR_MAX_THREADS;
#ifdef ENGINE_VALGRIND
    if (RUNNING_ON_VALGRIND) {
        spin_pauses = 0;
        spin_limit = 20;
        take_over = 0; /* the workers' own runs are what memcheck must see */
    }
#endif
    long g = atomic_load(&pool.gen);
    for (int i = 1; i < n; i++) {
        atomic_store(&pool.done[i], g);
        atomic_store(&pool.claimed[i], g);
        if (pthread_create(&pool.workers[i], NULL, worker_main, (void *)(long)i) != 0) {
            pool.n = i; /* the ones started so far, stopped again */
            par_shutdown();
            return ENG_ENOMEM;
        }
        pool.n = i + 1;
    }
    return ENG_OK;
}

int par_threads(void)
{
    return in_range ? 1 : pool.n;
}

void par_for(long n, long grain, ParFn fn, void *ctx)
{
    if (grain < 1)
        grain = 1;
    if (par_threads() <= 1 || n < 2 * grain) {
        if (n > 0) {
            int saved = in_range;
            in_range = 1;
            fn(ctx, 0, n, 0);
            in_range = saved;
        }
        return;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n_items = n;
    publish();
    long g = atomic_load_explicit(&pool.gen, memory_order_acquire);
    run_range(0, pool.n, n, fn, ctx);
    /* the range of a worker asleep (it gave its core up: the cores are shared with other
     * programs) that has not taken it yet is the caller's: waking it would cost more */
    for (int i = 1; i < pool.n && take_over; i++)
        if (atomic_load_explicit(&pool.asleep[i], memory_order_relaxed) && claim(i, g)) {
            run_range(i, pool.n, n, fn, ctx); /* no worker's job: par_leak's hook is not run */
            atomic_store_explicit(&pool.done[i], g, memory_order_release);
        }
    for (int i = 1, spins = 0; i < pool.n; i++)
        while (atomic_load_explicit(&pool.done[i], memory_order_acquire) != g)
            spin_wait(&spins);
}

#define ZERO_BLOCK ((size_t)64 << 10)

static void zero_range(void *ctx, long lo, long hi, int tid)
{
    (void)tid;
    const size_t *job = ctx; /* {address, bytes} */
    char *p = (char *)job[0];
    size_t a = (size_t)lo * ZERO_BLOCK, b = (size_t)hi * ZERO_BLOCK;
    memset(p + a, 0, (b < job[1] ? b : job[1]) - a);
}

void par_zero(void *p, size_t bytes)
{
    size_t job[2] = {(size_t)p, bytes};
    par_for((long)((bytes + ZERO_BLOCK - 1) / ZERO_BLOCK), 2, zero_range, job);
}
