#include "sampler.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h" /* ARENA_ASAN */
#include "je_allocated.h"
#ifdef ARENA_ASAN
/* from <sanitizer/allocator_interface.h>, which clang ships and gcc 12 does not; the
 * function is in both runtimes */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif
#ifdef ENGINE_VALGRIND
#include <valgrind/valgrind.h>
#endif
#include "columns.h"
#include "fileio.h"
#include "sysmem.h"
#include "tensor.h"

struct Sampler {
    int fd;
    int err;
    uint64_t every, last;
    uint64_t t0_ns;
    /* running totals */
    int64_t heap_bytes;
    uint64_t heap_allocs;
    int64_t arena_reserved;
    int64_t arena_used, arena_used_peak; /* peak: within the current iteration */
    uint64_t arena_hw;
    uint64_t tape_entries, tape_entries_peak, tape_capacity, tape_bytes;
    int64_t transient_live, transient_live_peak;
    int64_t transient_bytes, transient_bytes_peak;
    int64_t persistent_bytes[4]; /* by TensorRole */
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
};

static const char k_columns[] = COLUMNS_HEADER;

const char *sampler_columns(void)
{
    return k_columns;
}

Sampler *sampler_open(const char *path, uint64_t every, uint64_t last)
{
    int fd;
    Sampler *s = fileio_new_writer(sizeof *s, path, &fd);
    if (!s)
        return NULL;
    s->fd = fd;
    s->every = every ? every : 1;
    s->last = last;
    /* jemalloc, linked or preloaded; NULL under glibc malloc */
    *(void **)&s->mallctl = dlsym(RTLD_DEFAULT, "mallctl");
    size_t len = strlen(k_columns);
    if (write(s->fd, k_columns, len) != (ssize_t)len || write(s->fd, "\n", 1) != 1)
        s->err = errno ? errno : EIO;
    return s;
}

static void peak(int64_t v, int64_t *p)
{
    if (v > *p)
        *p = v;
}

/* Rows are formatted by hand into a fixed buffer and written with write(2): stdio's
 * formatting allocates behind the scenes, and under ASan every such allocation lands in
 * the quarantine and reads as RSS growth (a sampler must not move what it measures). */
typedef struct Row {
    char buf[1024];
    size_t n;
} Row;

static void row_u64(Row *r, uint64_t v)
{
    char tmp[24];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k && r->n < sizeof r->buf)
        r->buf[r->n++] = tmp[--k];
}

static void row_i64(Row *r, int64_t v)
{
    if (v < 0 && r->n < sizeof r->buf) {
        r->buf[r->n++] = '-';
        v = -v;
    }
    row_u64(r, (uint64_t)v);
}

static void row_char(Row *r, char c)
{
    if (r->n < sizeof r->buf)
        r->buf[r->n++] = c;
}

/* ",value" or "," (empty: not meaningful here) */
static void row_opt(Row *r, int have, uint64_t v)
{
    row_char(r, ',');
    if (have)
        row_u64(r, v);
}

static void row_jemalloc(Row *r, Sampler *s, const char *name)
{
    size_t v = 0, len = sizeof v;
    int ok = s->mallctl && s->mallctl(name, &v, &len, NULL, 0) == 0;
    row_opt(r, ok, v);
}

static void write_row(Sampler *s, const EngEvent *ev)
{
    Row r;
    r.n = 0;
    uint64_t us = (ev->t_ns - s->t0_ns) / 1000u, frac = us % 1000000u;
    row_u64(&r, ev->iter);
    row_char(&r, ',');
    row_u64(&r, us / 1000000u);
    row_char(&r, '.');
    for (uint64_t d = 100000; d; d /= 10)
        row_char(&r, (char)('0' + frac / d % 10));
    const int64_t ints[] = {s->arena_used_peak,
                            s->arena_reserved,
                            (int64_t)s->arena_hw,
                            (int64_t)s->tape_entries_peak,
                            (int64_t)s->tape_capacity,
                            s->transient_live_peak,
                            s->transient_bytes_peak,
                            s->persistent_bytes[ROLE_PARAMETER],
                            s->persistent_bytes[ROLE_GRADIENT],
                            s->persistent_bytes[ROLE_OPTIMIZER],
                            s->heap_bytes,
                            (int64_t)s->heap_allocs,
                            (int64_t)sysmem_rss_bytes()};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        row_char(&r, ',');
        row_i64(&r, ints[i]);
    }
#ifdef ARENA_ASAN
    /* ASan's allocator (mallinfo2 reads 0): its live bytes, freed blocks waiting in the
     * quarantine not counted */
    row_opt(&r, 1, __sanitizer_get_current_allocated_bytes());
#else
    int malloc_meaningful = s->mallctl == NULL; /* jemalloc: mallinfo2 reads 0 */
#ifdef ENGINE_VALGRIND
    if (RUNNING_ON_VALGRIND)
        malloc_meaningful = 0; /* Valgrind's replacement malloc: mallinfo2 reads 0 */
#endif
    row_opt(&r, malloc_meaningful, malloc_meaningful ? mallinfo2().uordblks : 0);
#endif
    if (s->mallctl) {
        uint64_t epoch = 1;
        size_t len = sizeof epoch;
        s->mallctl("epoch", &epoch, &len, &epoch, len); /* refresh the statistics first */
    }
    int je_ok = 0;
    uint64_t je_allocated = s->mallctl ? je_allocated_exact(s->mallctl, &je_ok) : 0;
    row_opt(&r, je_ok, je_allocated); /* stats.allocated without the heap profiler's weight */
    row_jemalloc(&r, s, "stats.active");
    row_jemalloc(&r, s, "stats.resident");
    row_jemalloc(&r, s, "stats.mapped");
    row_jemalloc(&r, s, "stats.retained");
    row_char(&r, ',');
    row_u64(&r, s->tape_bytes);
    const long counts[] = {sysmem_fds_of(0), sysmem_threads_of(0), sysmem_maps_of(0)};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        row_opt(&r, counts[i] >= 0, (uint64_t)counts[i]);
    row_char(&r, '\n');
    size_t off = 0;
    while (off < r.n && !s->err) {
        ssize_t w = write(s->fd, r.buf + off, r.n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            s->err = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
}

void sampler_event(void *ud, const EngEvent *ev)
{
    Sampler *s = ud;
    switch (ev->kind) {
    case EV_HEAP_ALLOC:
        s->heap_bytes += (int64_t)ev->bytes;
        s->heap_allocs++;
        break;
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
    case EV_TAPE_SHRINK:
        s->tape_capacity = ev->aux;
        s->tape_bytes = ev->bytes;
        break;
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
    return fileio_close_writer(s, s->fd, s->err);
}
