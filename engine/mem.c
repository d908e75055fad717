#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hook.h"

static MemStats g_stats;

#ifdef ENGINE_ALLOC_FAILPOINTS
static uint64_t g_fail_at;
static int g_fail_persist, g_fail_init;

/* 1 when this allocation (number g_stats.allocs + 1) must fail */
static int should_fail(void)
{
    if (!g_fail_init) {
        const char *e = getenv("ENGINE_FAIL_ALLOC");
        char *end = NULL;
        g_fail_at = e ? strtoull(e, &end, 10) : 0;
        g_fail_persist = end && *end == '+';
        g_fail_init = 1;
    }
    uint64_t n = g_stats.allocs + g_stats.failed + 1;
    return g_fail_at && (n == g_fail_at || (g_fail_persist && n > g_fail_at));
}
#else
static int should_fail(void)
{
    return 0;
}
#endif

void *mem_alloc(size_t bytes, const char *site)
{
    if (bytes == 0)
        return NULL;
    void *p = NULL;
    if (should_fail() || posix_memalign(&p, MEM_ALIGN, bytes) != 0) {
        g_stats.failed++;
        return NULL;
    }
    g_stats.allocs++;
    ENG_EVENT(EV_HEAP_ALLOC, bytes, 0, site, 0, 0);
    g_stats.live_bytes += bytes;
    if (g_stats.live_bytes > g_stats.peak_bytes)
        g_stats.peak_bytes = g_stats.live_bytes;
    return p;
}

void *mem_calloc(size_t n, size_t size, const char *site)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes))
        return NULL;
    void *p = mem_alloc(bytes, site);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void mem_free(void *p, size_t bytes, const char *site)
{
    if (!p)
        return;
    g_stats.frees++;
    ENG_EVENT(EV_HEAP_FREE, bytes, 0, site, 0, 0);
    g_stats.live_bytes -= bytes;
    free(p);
}

MemStats mem_stats(void)
{
    return g_stats;
}

const char *eng_strerror(EngErr err)
{
    switch (err) {
    case ENG_OK: return "success";
    case ENG_ENOMEM: return "out of memory";
    case ENG_ESHAPE: return "tensor shapes do not match";
    case ENG_EOVERFLOW: return "size overflows the address space";
    case ENG_EINVAL: return "invalid argument";
    case ENG_ETAPE: return "tape entry limit reached";
    case ENG_EIO: return "input/output error";
    case ENG_EDATA: return "unusable input data";
    }
    return "unknown error";
}
