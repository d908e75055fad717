#include "modes.h"

#include <stdio.h>
#include <math.h>
#include <string.h>

/* The modes. Why each wraps a run as it does:
 * - native: the program as it is; glibc's per-thread cache off, so that its in-use bytes
 *   are exact (a block freed into the cache still counts as in use: docs/soak.md);
 * - asan: ASan's runtime must come first, so nothing is preloaded; stack-use-after-return
 *   on (the seed's stack inputs); max_uar_stack_size_log=16: the fake stacks that catch it
 *   are touched page by page as frames rotate through them, which reads as RSS growth for
 *   thousands of iterations at the default size, and settles within ~40 at 64 KiB;
 * - valgrind: memcheck in front, definite leaks an error, frames with their whole source
 *   path (the diagnosis names the file), and a ticket lock that hands the core between
 *   threads ~1.5x faster;
 * - jemalloc: its heap profiler (attrib.h), its thread caches off (stats.allocated counts a
 *   block in a thread's cache as allocated: stairs of 16 to 32 KiB) and prof_stats on (so
 *   the profiler's own weight is known: probes/je_allocated.h);
 * - lsan: LeakSanitizer preloaded, its exit code one the soak knows, and each allocation's
 *   stack taken by the slow unwinder (the fast one needs frame pointers). */

/* why a mode cannot see a problem, where several modes share the reason */
#define BLIND_WHY_ACCESS "nothing checks memory accesses in this mode: a bad access passes unseen or crashes"
#define BLIND_WHY_HELD                                                                                 \
    "the tool reports memory no longer pointed to, not memory still held; its resident memory is not " \
    "judged (its allocator holds freed blocks back)"
#define BLIND_WHY_RSS "resident memory is not judged under this tool (its allocator holds freed blocks back)"

static const ModeSpec k_modes[MODE_COUNT] = {
    {
        .mode = MODE_NATIVE,
        .name = "native",
        .needs = "nothing more (Linux /proc)",
        .variant = NULL,
        .probe = 1,
        .attaches = 1,
        .env = {"GLIBC_TUNABLES={tunables}glibc.malloc.tcache_count=0"},
        .env_cmd = {"FLATMEM_MALLINFO=1"}, /* glibc's heap in use, against RSS */
        .heap = HEAP_GLIBC,
        /* a Python program's objects in glibc's heap, where its count sees each one (not in
         * pymalloc's own mmapped arenas, which only resident memory sees, by pages) */
        .env_python = {"PYTHONMALLOC=malloc"},
        .log = "stderr.txt",
        .log_format = LOG_SANITIZER,
        .judges_memory = 1,
        .events = 1,
        .default_builtin = 1,
        .default_cmd = 1,
        .blind = {BLIND_WHY_ACCESS,
                  "no leak checker in this mode, and its heap figures did not grow steadily", NULL, NULL},
    },
    {
        .mode = MODE_ASAN,
        .name = "asan",
        .needs = "your program built with -fsanitize=address, given as --asan-cmd (the built-in: build/asan)",
        .variant = "asan",
        .own_build = 1,
        .env = {"ASAN_OPTIONS=detect_stack_use_after_return=1:detect_leaks=1:halt_on_error=1:max_uar_stack_"
                "size_log=16",
                "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1", "?LSAN_OPTIONS=suppressions={lsan_supp}"},
        .log = "stderr.txt",
        .log_format = LOG_SANITIZER,
        .checks_leaks = 1,
        .default_builtin = 2,
        .default_cmd = 5,
        .blind = {"FLAT: ASan checks every access of this build; this one did not trip it", BLIND_WHY_HELD,
                  BLIND_WHY_HELD, BLIND_WHY_RSS},
    },
    {
        .mode = MODE_VALGRIND,
        .name = "valgrind",
        .needs = "valgrind (Debian: valgrind)",
        .variant = "valgrind",
        .probe = 1,
        .memcheck = 1,
        .wrapper = {"valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite",
                    "--error-exitcode=99", "--num-callers=16",
                    /* frames with their source path, not its last part: a diagnosis names
                       the file (findings.c) */
                    "--fullpath-after=",
                    /* a ticket lock hands the core between threads ~1.5x faster */
                    "--fair-sched=yes",
                    /* descriptors open at exit, with the stack that opened each: a
                       descriptor leak's place */
                    "--track-fds=yes", "?--suppressions={valgrind_supp}", "--log-file={log}"},
        .log = "valgrind.log",
        .log_format = LOG_MEMCHECK,
        .checks_leaks = 1,
        .default_builtin = 3,
        .default_cmd = 4,
        .blind = {"memcheck does not check stack memory that was returned from, nor the engine's arena",
                  BLIND_WHY_HELD, BLIND_WHY_HELD, BLIND_WHY_RSS},
    },
    {
        .mode = MODE_JEMALLOC,
        .name = "jemalloc",
        .needs = "libjemalloc.so.2 and addr2line (Debian: libjemalloc2, binutils)",
        .variant = "jemalloc",
        .preload_cmd = PRELOAD_JEMALLOC,
        .probe = 1,
        /* decay 0: freed pages go back at once, so resident memory follows what is in use
         * (with jemalloc's 10 s decay a server's short run kept 1.4 MiB of freed pages more
         * at its end than at its start: a GROWING resident series with nothing growing) */
        .env = {"MALLOC_CONF=tcache:false,dirty_decay_ms:0,muzzy_decay_ms:0,prof:true,prof_active:true,"
                "prof_stats:true,lg_prof_sample:{prof_sample},prof_final:true,prof_prefix:{dir}/jeprof"},
        /* Python's allocations through malloc (not pymalloc's own mmapped arenas): what
         * tracemalloc traces is what jemalloc counts and profiles */
        .env_python = {"FLATMEM_PYTRACE={py_frames}", "PYTHONMALLOC=malloc"},
        .log = "stderr.txt",
        .log_format = LOG_SANITIZER,
        .judges_memory = 1,
        .heap_profiles = 1,
        .traces_python = 1,
        .events = 1,
        .allocator_note = " The red lines are jemalloc's own statistics.",
        .heap = HEAP_JEMALLOC,
        .default_builtin = 4,
        .default_cmd = 2,
        .blind = {BLIND_WHY_ACCESS,
                  "no leak checker in this mode, and its heap figures did not grow steadily", NULL, NULL},
    },
    {
        .mode = MODE_LSAN,
        .name = "lsan",
        .needs = "liblsan.so.0 (Debian: liblsan0)",
        .variant = NULL,
        .preload_builtin = PRELOAD_LSAN,
        .preload_cmd = PRELOAD_LSAN,
        .probe = 1,
        /* the slow unwinder for each allocation's stack: a program built without frame
         * pointers (Debian's, this project's release build) gives the fast one two frames, or
         * a third read off a stale frame (an eval_leak run once named outfile_open) */
        .env = {"LSAN_OPTIONS=exitcode=23:fast_unwind_on_malloc=0{lsan_supp_opt}"},
        .log = "stderr.txt",
        .log_format = LOG_SANITIZER,
        .checks_leaks = 1,
        .default_cmd = 3,
        .blind = {BLIND_WHY_ACCESS, BLIND_WHY_HELD, BLIND_WHY_HELD, BLIND_WHY_RSS},
    },
#ifdef FLATMEM_TEST_SIXTH_MODE
    {
        /* a mode the rest of the harness has never heard of: the program under the probe
         * alone, glibc's heap counted (tests/e2e/test_modes.c) */
        .mode = MODE_SIXTH,
        .name = "sixth",
        .needs = "nothing more (a test row)",
        .variant = NULL,
        .probe = 1,
        .env_cmd = {"FLATMEM_MALLINFO=1"},
        .log = "stderr.txt",
        .log_format = LOG_SANITIZER,
        .judges_memory = 1,
        .blind = {BLIND_WHY_ACCESS,
                  "no leak checker in this mode, and its heap figures did not grow steadily", NULL, NULL},
    },
#endif
};

const ModeSpec *mode_spec(Mode m)
{
    return m < MODE_COUNT ? &k_modes[m] : &k_modes[MODE_NATIVE];
}

const char *mode_name(Mode m)
{
    return m < MODE_COUNT ? k_modes[m].name : "?";
}

int mode_parse(const char *s, Mode *m)
{
    for (int i = 0; i < MODE_COUNT; i++)
        if (!strcmp(s, k_modes[i].name)) {
            *m = k_modes[i].mode;
            return 1;
        }
    return 0;
}

const char *mode_names(char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < MODE_COUNT && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", k_modes[i].name);
    return out;
}

const char *mode_variant(Mode m, const char *native_variant)
{
    const char *v = mode_spec(m)->variant;
    return v ? v : native_variant;
}

int mode_defaults(int is_cmd, int with_own_build, Mode *out)
{
    int n = 0;
    for (int rank = 1; rank <= MODE_COUNT; rank++)
        for (int i = 0; i < MODE_COUNT; i++) {
            const ModeSpec *s = &k_modes[i];
            if ((is_cmd ? s->default_cmd : s->default_builtin) == rank &&
                (!is_cmd || !s->own_build || with_own_build))
                out[n++] = s->mode;
        }
    return n;
}

Mode mode_attaching(void)
{
    for (int i = 0; i < MODE_COUNT; i++)
        if (k_modes[i].attaches)
            return k_modes[i].mode;
    return k_modes[0].mode;
}

const char *mode_blind_reason(Mode m, Kind kind)
{
    Family f = kind_family(kind);
    Blind b = f == FAM_ACCESS  ? BLIND_ACCESS
              : f == FAM_HEAP  ? (kind == KIND_LEAK ? BLIND_LEAK : BLIND_REACHABLE)
              : f == FAM_PAGES ? BLIND_PAGES
                               : BLIND_COUNT;
    const char *why = b < BLIND_COUNT ? mode_spec(m)->blind[b] : NULL;
    return why ? why : "FLAT at every count in this mode";
}

double mode_block_charge(Mode m, double s)
{
    HeapKind h = mode_spec(m)->heap;
    if (s <= 0 || !isfinite(s) || h == HEAP_TOOL)
        return s;
    size_t n = (size_t)ceil(s);
    if (h == HEAP_GLIBC)
        return (double)(n + 8 + 15 < 32 ? 32 : (n + 8 + 15) & ~(size_t)15);
    if (n <= 8)
        return 8;
    if (n <= 128)
        return (double)((n + 15) & ~(size_t)15);
    size_t step = 1;
    while (step * 8 < n) /* the class group of n: 2^k < n <= 2^(k+1), steps of 2^(k-2) */
        step *= 2;
    return (double)((n + step - 1) / step * step);
}
