#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "hook.h"

static MemStats g_stats;

void *mem_alloc(size_t bytes, const char *site)
{
    if (bytes == 0)
        return NULL;
    void *p = NULL;
    if (posix_memalign(&p, MEM_ALIGN, bytes) != 0)
        return NULL;
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
