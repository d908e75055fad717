#include "sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h" /* ARENA_ASAN */
#ifdef ENGINE_VALGRIND
#include <valgrind/valgrind.h>
#endif
#include "sysmem.h"
#include "tensor.h"

struct Sampler {
    FILE *f;
    int err;
    uint64_t every, last;
    uint64_t t0_ns;
    /* running totals */
    int64_t heap_bytes;
    uint64_t heap_allocs;
    int64_t arena_reserved;
    int64_t arena_used, arena_used_peak; /* peak: within the current iteration */
    uint64_t arena_hw;
    uint64_t tape_entries, tape_entries_peak, tape_capacity;
    int64_t transient_live, transient_live_peak;
    int64_t transient_bytes, transient_bytes_peak;
    int64_t persistent_bytes[4]; /* by TensorRole */
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
};

static const char k_columns[] =
    "iter,time_s,arena.used_bytes,arena.reserved_bytes,arena.high_water_bytes,tape.entries,tape.capacity,"
    "tensors.transient_live,tensors.transient_bytes,persistent.parameter_bytes,persistent.gradient_bytes,"
    "persistent.optimizer_bytes,mem.heap_bytes,mem.heap_allocs,proc.rss_bytes,malloc.in_use_bytes,"
    "jemalloc.allocated,jemalloc.active,jemalloc.resident,jemalloc.mapped,jemalloc.retained";

const char *sampler_columns(void)
{
    return k_columns;
}

Sampler *sampler_open(const char *path, uint64_t every, uint64_t last)
{
    Sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->f = fopen(path, "w");
    if (!s->f) {
        int e = errno;
        free(s);
        errno = e;
        return NULL;
    }
    s->every = every ? every : 1;
    s->last = last;
    /* jemalloc, linked or preloaded; NULL under glibc malloc */
    *(void **)&s->mallctl = dlsym(RTLD_DEFAULT, "mallctl");
    fprintf(s->f, "%s\n", k_columns);
    fflush(s->f);
    return s;
}

static void peak(int64_t v, int64_t *p)
{
    if (v > *p)
        *p = v;
}

static void put_jemalloc(Sampler *s, const char *name)
{
    size_t v = 0, len = sizeof v;
    if (s->mallctl && s->mallctl(name, &v, &len, NULL, 0) == 0)
        fprintf(s->f, ",%zu", v);
    else
        fputs(",", s->f);
}

static void write_row(Sampler *s, const EngEvent *ev)
{
    FILE *f = s->f;
    fprintf(f, "%llu,%.6f,%lld,%lld,%llu,%llu,%llu,%lld,%lld,%lld,%lld,%lld,%lld,%llu,%zu",
            (unsigned long long)ev->iter, (double)(ev->t_ns - s->t0_ns) / 1e9, (long long)s->arena_used_peak,
            (long long)s->arena_reserved, (unsigned long long)s->arena_hw,
            (unsigned long long)s->tape_entries_peak, (unsigned long long)s->tape_capacity,
            (long long)s->transient_live_peak, (long long)s->transient_bytes_peak,
            (long long)s->persistent_bytes[ROLE_PARAMETER], (long long)s->persistent_bytes[ROLE_GRADIENT],
            (long long)s->persistent_bytes[ROLE_OPTIMIZER], (long long)s->heap_bytes,
            (unsigned long long)s->heap_allocs, sysmem_rss_bytes());
#ifdef ARENA_ASAN
    int malloc_meaningful = 0; /* ASan's allocator: mallinfo2 reads 0 */
#else
    int malloc_meaningful = s->mallctl == NULL; /* jemalloc: mallinfo2 reads 0 */
#endif
#ifdef ENGINE_VALGRIND
    if (RUNNING_ON_VALGRIND)
        malloc_meaningful = 0; /* Valgrind's replacement malloc: mallinfo2 reads 0 */
#endif
    if (malloc_meaningful)
        fprintf(f, ",%zu", mallinfo2().uordblks);
    else
        fputs(",", f);
    if (s->mallctl) {
        uint64_t epoch = 1;
        size_t len = sizeof epoch;
        s->mallctl("epoch", &epoch, &len, &epoch, len); /* refresh the statistics first */
    }
    put_jemalloc(s, "stats.allocated");
    put_jemalloc(s, "stats.active");
    put_jemalloc(s, "stats.resident");
    put_jemalloc(s, "stats.mapped");
    put_jemalloc(s, "stats.retained");
    fputc('\n', f);
    if (fflush(f) != 0 && !s->err)
        s->err = errno ? errno : EIO;
}

void sampler_event(void *ud, const EngEvent *ev)
{
    Sampler *s = ud;
    switch (ev->kind) {
    case EV_HEAP_ALLOC: s->heap_bytes += (int64_t)ev->bytes; s->heap_allocs++; break;
    case EV_HEAP_FREE: s->heap_bytes -= (int64_t)ev->bytes; break;
    case EV_ARENA_CHUNK_ACQUIRE: s->arena_reserved += (int64_t)ev->bytes; break;
    case EV_ARENA_CHUNK_RELEASE: s->arena_reserved -= (int64_t)ev->bytes; break;
    case EV_ARENA_ALLOC:
        s->arena_used += (int64_t)ev->bytes;
        peak(s->arena_used, &s->arena_used_peak);
        if ((uint64_t)s->arena_used > s->arena_hw)
            s->arena_hw = (uint64_t)s->arena_used;
        break;
    case EV_ARENA_RESET:
        s->arena_used = 0;
        s->arena_hw = ev->aux;
        s->transient_live = s->transient_bytes = 0; /* transients die with the arena */
        break;
    case EV_TAPE_PUSH:
        s->tape_entries = ev->aux;
        if (ev->aux > s->tape_entries_peak)
            s->tape_entries_peak = ev->aux;
        break;
    case EV_TAPE_GROW:
    case EV_TAPE_SHRINK: s->tape_capacity = ev->aux; break;
    case EV_TAPE_CLEAR: s->tape_entries = 0; break;
    case EV_TENSOR_CREATE:
    case EV_TENSOR_DESTROY: {
        int64_t d = ev->kind == EV_TENSOR_CREATE ? (int64_t)ev->bytes : -(int64_t)ev->bytes;
        if (ev->persistent) {
            if (ev->role < 4)
                s->persistent_bytes[ev->role] += d;
        } else {
            s->transient_live += d > 0 ? 1 : -1;
            s->transient_bytes += d;
            peak(s->transient_live, &s->transient_live_peak);
            peak(s->transient_bytes, &s->transient_bytes_peak);
        }
        break;
    }
    case EV_ITER_BEGIN:
        if (!s->t0_ns)
            s->t0_ns = ev->t_ns;
        s->arena_used_peak = s->arena_used;
        s->tape_entries_peak = s->tape_entries;
        s->transient_live_peak = s->transient_live;
        s->transient_bytes_peak = s->transient_bytes;
        break;
    case EV_ITER_END:
        if (ev->iter == 1 || ev->iter % s->every == 0 || ev->iter == s->last)
            write_row(s, ev);
        break;
    default: break;
    }
}

int sampler_close(Sampler *s)
{
    if (!s)
        return 0;
    int err = s->err;
    if (fclose(s->f) != 0 && !err)
        err = errno;
    free(s);
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}
