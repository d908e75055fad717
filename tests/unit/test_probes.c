/* test_probes: the events of a known graph, arena accounting between resets, flat
 * samples over a clean 500-iteration run, and the event-log reader (round trip,
 * truncation, corruption, version). Runs in every build variant. */
#include "testutil.h"

#include <libgen.h>
#include <sched.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "autograd.h"
#include "evlog.h"
#include "hook.h"
#include "je_allocated.h"
#include "ops.h"
#include "samples.h"
#include "sysmem.h"

static char g_dir[PATH_MAX]; /* build/<variant> */

/* ---- an in-memory sink -------------------------------------------------------------------- */

typedef struct Counts {
    unsigned count[EV_KIND_COUNT];
    uint64_t bytes[EV_KIND_COUNT];
    uint64_t role_bytes[4]; /* tensor.create bytes by role, transient only */
    uint64_t alloc_since_reset; /* arena.alloc bytes since the last reset */
    int reset_mismatch; /* a reset reported other bytes than were allocated */
} Counts;

static void count_event(void *ud, const EngEvent *ev)
{
    Counts *c = ud;
    c->count[ev->kind]++;
    c->bytes[ev->kind] += ev->bytes;
    if (ev->kind == EV_TENSOR_CREATE && !ev->persistent && ev->role < 4)
        c->role_bytes[ev->role] += ev->bytes;
    if (ev->kind == EV_ARENA_ALLOC)
        c->alloc_since_reset += ev->bytes;
    if (ev->kind == EV_ARENA_RESET) {
        if (ev->bytes != c->alloc_since_reset)
            c->reset_mismatch = 1;
        c->alloc_since_reset = 0;
    }
}

static void test_known_graph_events(void **state)
{
    (void)state;
    Arena arena;
    Tape tape;
    Graph g;
    arena_init(&arena, 1 << 16);
    tape_init(&tape, 0);
    graph_init(&g, &arena, &tape);
    float xd[2 * 3] = {1, 2, 3, 4, 5, 6}, wd[3 * 4] = {0}, xg[6], wg[12];
    Tensor x = {.data = xd, .grad = xg, .rows = 2, .cols = 3, .numel = 6, .persistent = 1};
    Tensor w = {.data = wd, .grad = wg, .rows = 3, .cols = 4, .numel = 12, .persistent = 1};
    /* warm the arena and tape first: the counted step must make no heap/chunk events */
    for (int warm = 0; warm < 2; warm++) {
        assert_int_equal(graph_backward(&g, op_mean(&g, op_gelu(&g, op_matmul(&g, &x, 0, &w, 0)))), ENG_OK);
        graph_end_step(&g);
    }
    Counts c;
    memset(&c, 0, sizeof c);
    eng_hook_set(count_event, &c);
    eng_iter_begin(1);
    Tensor *loss = op_mean(&g, op_gelu(&g, op_matmul(&g, &x, 0, &w, 0)));
    assert_int_equal(graph_backward(&g, loss), ENG_OK);
    graph_end_step(&g);
    eng_iter_end(1);
    eng_hook_set(NULL, NULL);
#if ENGINE_PROBES
    /* forward: 3 activations [2,4] [2,4] [1,1]; backward: gradients of those 3 */
    assert_int_equal(c.count[EV_TAPE_PUSH], 3);
    assert_int_equal(c.count[EV_OP_CTX], 1); /* matmul's transposes */
    assert_int_equal(c.count[EV_TENSOR_CREATE], 6);
    assert_int_equal(c.role_bytes[ROLE_ACTIVATION], (8 + 8 + 1) * sizeof(float));
    assert_int_equal(c.role_bytes[ROLE_GRADIENT], (8 + 8 + 1) * sizeof(float));
    assert_int_equal(c.count[EV_ARENA_RESET], 1);
    assert_int_equal(c.count[EV_TAPE_CLEAR], 1);
    assert_int_equal(c.count[EV_ITER_BEGIN], 1);
    assert_int_equal(c.count[EV_ITER_END], 1);
    /* tensors (3 structs + 6 buffers) + 1 context: 10 arena blocks, no heap or chunks */
    assert_int_equal(c.count[EV_ARENA_ALLOC], 10);
    assert_int_equal(c.count[EV_HEAP_ALLOC] + c.count[EV_HEAP_FREE], 0);
    assert_int_equal(c.count[EV_ARENA_CHUNK_ACQUIRE] + c.count[EV_TAPE_GROW], 0);
    /* what the arena handed out between the resets is what it reports */
    assert_false(c.reset_mismatch);
    assert_int_equal(c.bytes[EV_ARENA_ALLOC], arena_stats(&arena).step_bytes);
#else
    for (int k = 0; k < EV_KIND_COUNT; k++)
        assert_int_equal(c.count[k], 0); /* compiled out: the hook is never called */
#endif
    tape_free(&tape);
    arena_free(&arena);
}

/* ---- through train_full ------------------------------------------------------------------ */

static int run_train_full(const char *extra_fmt, const char *a1, const char *a2)
{
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/train_full' --quiet ", g_dir);
    size_t n = strlen(cmd);
    snprintf(cmd + n, sizeof cmd - n, extra_fmt, a1, a2);
    strncat(cmd, " >/dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int run_probe_dump(const char *file, char *out, size_t cap)
{
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/probe-dump' '%s' 2>&1", g_dir, file);
    FILE *p = popen(cmd, "r");
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Splits a CSV line in place; returns the number of fields. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ',') {
            *p = 0;
            f[n++] = p + 1;
        } else if (*p == '\n') {
            *p = 0;
        }
    return n;
}

static void test_clean_run_samples_are_flat(void **state)
{
    (void)state;
    char csv[PATH_MAX];
    snprintf(csv, sizeof csv, "%s/samples.csv", test_tmpdir());
    assert_int_equal(run_train_full("500 --samples '%s' --sample-every %s", csv, "10"), 0);
    FILE *f = fopen(csv, "r");
    assert_non_null(f);
    char header[2048], line[2048], first[2048] = "";
    assert_non_null(fgets(header, sizeof header, f));
    char *names[32], *vals[32], *ref[32];
    int nc = split(header, names, 32);
    assert_int_equal(nc, 25); /* columns.h */
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        rows++;
        int nv = split(line, vals, 32);
        assert_int_equal(nv, nc);
        if (!first[0]) {
            memcpy(first, line, sizeof line);
            split(first, ref, 32); /* already split: re-point into the copy */
            for (int i = 0, off = 0; i < nc; i++) {
                ref[i] = first + off;
                off += (int)strlen(first + off) + 1;
            }
            continue;
        }
        for (int i = 0; i < nc; i++) {
            int exact = !strncmp(names[i], "arena.", 6) || !strncmp(names[i], "tape.", 5) ||
                        !strncmp(names[i], "mem.", 4) || !strncmp(names[i], "persistent.", 11) ||
                        !strncmp(names[i], "tensors.", 8);
            if (exact && strcmp(vals[i], ref[i]) != 0)
                fail_msg("row %d (iteration %s): %s = %s, iteration 1 had %s", rows, vals[0], names[i],
                         vals[i], ref[i]);
        }
    }
    fclose(f);
    assert_int_equal(rows, 51); /* 1, 10, 20, ..., 500 */
    /* columns that do not apply are empty, not 0 */
    int jem = !strcmp(ENGINE_VARIANT, "jemalloc");
    if (jem ? !ref[16][0] : ref[16][0] != 0)
        fail_msg("jemalloc.allocated is '%s' in the %s build", ref[16], ENGINE_VARIANT);
}

static void test_reader_round_trip_and_damage(void **state)
{
    (void)state;
    char log[PATH_MAX], out[1 << 16];
    snprintf(log, sizeof log, "%s/events.bin", test_tmpdir());
    assert_int_equal(run_train_full("30 --events '%s'%s", log, ""), 0);
    /* round trip: the reader sees every iteration end and balanced heap traffic */
    EvlogReader r;
    char err[256];
    assert_int_equal(evlog_reader_open(&r, log, err, sizeof err), 0);
    assert_string_equal(r.variant, ENGINE_VARIANT);
    EvlogRecord rec;
    unsigned ends = 0;
    int64_t heap = 0;
    int rc;
    while ((rc = evlog_next(&r, &rec, err, sizeof err)) == 1) {
        ends += rec.kind == EV_ITER_END;
        heap += rec.kind == EV_HEAP_ALLOC  ? (int64_t)rec.bytes
                : rec.kind == EV_HEAP_FREE ? -(int64_t)rec.bytes
                                           : 0;
    }
    assert_int_equal(rc, 0);
    assert_false(r.truncated);
    assert_int_equal(ends, 30);
    assert_int_equal(heap, 0);
    evlog_reader_close(&r);
    assert_int_equal(run_probe_dump(log, out, sizeof out), 0);
    assert_non_null(strstr(out, "iter.end                         30"));
    assert_non_null(strstr(out, "none: no site keeps heap memory"));

    /* truncated inside a record: read up to the last complete record, with a note */
    FILE *f = fopen(log, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(log, size - 17), 0);
    assert_int_equal(run_probe_dump(log, out, sizeof out), 0);
    assert_non_null(strstr(out, "ends inside a record"));

    /* corrupted header, newer version, not a log at all: exit 2 with a reason */
    f = fopen(log, "r+b");
    fwrite("XXXX", 1, 4, f);
    fclose(f);
    assert_int_equal(run_probe_dump(log, out, sizeof out), 2);
    assert_non_null(strstr(out, "not an event log"));
    f = fopen(log, "r+b");
    fwrite("FMEVLOG\0\x09\0\0\0", 1, 12, f);
    fclose(f);
    assert_int_equal(run_probe_dump(log, out, sizeof out), 2);
    assert_non_null(strstr(out, "newer format version"));
    assert_int_equal(run_probe_dump("/nonexistent.bin", out, sizeof out), 2);
}

/* A run killed mid-way leaves files readable up to the last complete iteration. (Killed
 * once it has written a few samples, not after a fixed time: a CI machine busy building
 * once had it killed before its first iteration.) */
static void test_killed_run_leaves_readable_files(void **state)
{
    (void)state;
    char log[PATH_MAX + 32], csv[PATH_MAX + 32], cmd[6 * PATH_MAX], out[1 << 16];
    snprintf(log, sizeof log, "%s/killed.bin", test_tmpdir());
    snprintf(csv, sizeof csv, "%s/killed.csv", test_tmpdir());
    snprintf(
        cmd, sizeof cmd,
        "'%s/train_full' 10000000 --quiet --events '%s' --samples '%s' --sample-every 1 >/dev/null 2>&1 & "
        "pid=$!; for i in $(seq 300); do [ \"$(wc -l <'%s' 2>/dev/null || echo 0)\" -ge 4 ] && break; "
        "sleep 0.1; done; sleep 0.2; kill -9 $pid; wait $pid 2>/dev/null; true",
        g_dir, log, csv, csv);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(run_probe_dump(log, out, sizeof out), 0);
    const char *last = strstr(out, "last complete ");
    assert_non_null(last);
    assert_true(atol(last + 14) >= 1);
    Samples s;
    char err[256];
    assert_int_equal(samples_load(&s, csv, err, sizeof err), 0);
    assert_true(s.nrows >= 1);
    assert_int_equal(s.bad_rows, 0);
    samples_free(&s);
}

/* jemalloc as je_allocated_exact sees it: 1 MiB besides one 48-byte bin whose g_live sampled
 * blocks weigh 16 KiB each; stats.allocated holds the blocks live at the last epoch, the
 * live counts those of now; a block can be sampled right after an epoch. */
static uint64_t g_live, g_at_epoch;
static int g_sample_after_epochs; /* that many epochs from now, a block is sampled */

static int fake_mallctl(const char *name, void *old, size_t *len, void *new_, size_t newlen)
{
    (void)len, (void)new_, (void)newlen;
    if (!strcmp(name, "epoch")) {
        g_at_epoch = g_live;
        if (g_sample_after_epochs-- == 1)
            g_live++; /* sampled after the epoch: stats.allocated does not hold it yet */
        return 0;
    }
    if (!strcmp(name, "stats.allocated"))
        *(size_t *)old = ((size_t)1 << 20) + (size_t)g_at_epoch * 16384;
    else if (!strcmp(name, "arenas.nbins"))
        *(unsigned *)old = 1;
    else if (!strcmp(name, "arenas.lextent.0.size"))
        *(size_t *)old = 16384;
    else if (!strcmp(name, "arenas.bin.0.size"))
        *(size_t *)old = 48;
    else if (!strcmp(name, "prof.stats.bins.0.live"))
        ((uint64_t *)old)[1] = g_live;
    else
        return -1;
    return 0;
}

/* A block sampled between the epoch and the reading of the live counts is not taken off a
 * figure that does not hold it: the reading is never below what the program holds. */
static void test_je_allocated_race(void **state)
{
    (void)state;
    int ok = 0;
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    g_live = 1, g_sample_after_epochs = 0;
    fake_mallctl("epoch", &epoch, &len, &epoch, len); /* as the samplers do before */
    uint64_t steady = je_allocated_exact(fake_mallctl, &ok);
    assert_true(ok);
    assert_int_equal(steady, (1 << 20) + 48);
    g_sample_after_epochs = 1; /* the next epoch is followed by a sample */
    fake_mallctl("epoch", &epoch, &len, &epoch, len);
    uint64_t racy = je_allocated_exact(fake_mallctl, &ok);
    if (racy + 1000 < steady)
        fail_msg("a block sampled after the epoch was taken off: %llu, expected %llu or more",
                 (unsigned long long)racy, (unsigned long long)steady);
}

static void spin(double seconds)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &t);
    while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) * 1e-9 < seconds);
}

/* The time a process waited, runnable, for a core (what the soak subtracts to place samples
 * by a program's own time): it rises while another process holds the one core it may run
 * on, and a process that is gone reads -1. */
static void test_wait_for_a_core(void **state)
{
    (void)state;
    cpu_set_t one, was;
    assert_int_equal(sched_getaffinity(0, sizeof was, &was), 0);
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0); /* the child inherits it */
    long long before = sysmem_wait_ns_of(0);
    assert_true(before >= 0);
    pid_t child = fork();
    if (child == 0) {
        spin(0.4);
        _exit(0);
    }
    spin(0.4); /* both on one core: each waits for the other about half the time */
    long long waited = sysmem_wait_ns_of(0) - before;
    int st;
    assert_int_equal(waitpid(child, &st, 0), child);
    sched_setaffinity(0, sizeof was, &was);
    if (waited < 50 * 1000000LL)
        fail_msg("waited %.1f ms for the core, expected some 200", (double)waited / 1e6);
    assert_int_equal(sysmem_wait_ns_of(child), -1); /* reaped: gone */
}

static void test_probe_dump_bad_usage(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "--bogus x.bin",
                                      "x.bin --iters 5:2",
                                      "x.bin --iters a:b",
                                      "x.bin --growth 1:2",
                                      "x.bin --top 0",
                                      "x.bin y.bin",
                                      "x.bin --iters"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char cmd[2 * PATH_MAX];
        snprintf(cmd, sizeof cmd, "cd '%s' && touch x.bin && '%s/probe-dump' %s >/dev/null 2>&1",
                 test_tmpdir(), g_dir, bad[i]);
        int st = system(cmd);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 2)
            fail_msg("probe-dump %s: exit %d, expected 2", bad[i], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_graph_events),
        cmocka_unit_test(test_je_allocated_race),
        cmocka_unit_test(test_clean_run_samples_are_flat),
        cmocka_unit_test(test_reader_round_trip_and_damage),
        cmocka_unit_test(test_probe_dump_bad_usage),
        cmocka_unit_test(test_wait_for_a_core),
        cmocka_unit_test(test_killed_run_leaves_readable_files),
    };
    return cmocka_run_group_tests_name("probes", tests, tmpdir_setup, tmpdir_teardown);
}
