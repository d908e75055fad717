/* mem.h - the engine's single heap allocation path.
 *
 * Every byte the engine takes from the C heap (arena chunks, tape entries, persistent
 * tensors, data buffers) passes through mem_alloc/mem_free, in the spirit of Lua's
 * lua_Alloc: one place counts it, so "no heap allocation after warm-up" is a number
 * (mem_stats().allocs) and not a hope. Nothing in an op calls malloc directly.
 *
 * Ownership: mem_alloc returns memory owned by the caller, who must give it back with
 * mem_free and the same byte count. Blocks are 64-byte aligned (cache line, AVX-512). */
#ifndef ENGINE_MEM_H
#define ENGINE_MEM_H

#include <stddef.h>
#include <stdint.h>

#define MEM_ALIGN 64

typedef struct MemStats {
    size_t live_bytes; /* mem.heap_bytes: bytes currently allocated */
    size_t peak_bytes; /* mem.heap_peak_bytes */
    uint64_t allocs; /* mem.heap_allocs: allocations since start (cumulative) */
    uint64_t frees; /* mem.heap_frees */
    uint64_t failed; /* allocations refused (out of memory, or a test failpoint) */
} MemStats;

/* Returns a 64-byte aligned block of `bytes` (> 0) bytes, or NULL when the heap is out of
 * memory. `site` is a static string naming the caller (for accounting). */
void *mem_alloc(size_t bytes, const char *site);

/* As mem_alloc, zero-filled; n * size is checked for overflow (NULL if it overflows). */
void *mem_calloc(size_t n, size_t size, const char *site);

/* Frees a block from mem_alloc; `bytes` must be the size it was allocated with.
 * mem_free(NULL, 0, site) does nothing. */
void mem_free(void *p, size_t bytes, const char *site);

MemStats mem_stats(void);

/* Builds with ENGINE_ALLOC_FAILPOINTS (asan, coverage): the environment variable
 * ENGINE_FAIL_ALLOC="N" makes allocation number N (1-based, counted from program start)
 * fail, "N+" that one and every one after it (tests/unit/test_oom.c, make soak-coverage). */

#endif
