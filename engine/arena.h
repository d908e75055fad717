/* arena.h - chunked bump allocator for everything that lives one training iteration.
 *
 * Owns: its chunks (taken from mem_alloc). Hands out 64-byte aligned blocks that stay
 * valid until the next arena_reset; the caller never frees them one by one.
 *
 * Lifetime rule: reset once per step, at the END of the step, after the optimizer has
 * run and every value wanted later (the loss) has been copied out. Nothing persistent
 * may keep a pointer into the arena across a reset.
 *
 * Reset is a rewind: chunks are kept. At the first resets the chunks used so far are
 * replaced by a single chunk as large as the high-water mark, so from then on any step
 * that needs no more than the largest step so far makes no heap allocation at all.
 *
 * Checked builds (ASan, or ENGINE_VALGRIND): the arena tells the tool what is live:
 * blocks are unpoisoned (ASan) / MEMPOOL_ALLOC'd (memcheck) one by one with a redzone
 * after each, and a reset poisons everything it releases. Those builds also keep
 * ARENA_CHECKED_SETS sets of chunks (8) and move to the next one at every reset, so
 * memory comes back at the same address only every ARENA_CHECKED_SETS-th reset: a read
 * through a pointer kept across 1 to ARENA_CHECKED_SETS - 1 resets (a training step, an
 * evaluation batch and each sampled character end with one) hits poisoned bytes and is
 * reported, instead of silently reading a later iteration's data. The price is memory:
 * each set is as large as the high-water mark. Plain builds keep one set.
 *
 *     Arena a; arena_init(&a, 1 << 20);
 *     float *x = arena_alloc(&a, n * sizeof(float), "op.matmul");   // NULL: out of memory
 *     ...
 *     arena_reset(&a);
 *     arena_free(&a);
 */
#ifndef ENGINE_ARENA_H
#define ENGINE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#if defined(ARENA_ASAN) || defined(ENGINE_VALGRIND)
#define ARENA_CHECKED 1
#ifndef ARENA_CHECKED_SETS
#define ARENA_CHECKED_SETS 8
#endif
#define ARENA_SETS ARENA_CHECKED_SETS
#else
#define ARENA_SETS 1
#endif

typedef struct ArenaChunk ArenaChunk;

typedef struct ArenaSet {
    ArenaChunk *head; /* chunks in allocation order */
    ArenaChunk *cur; /* chunk being bumped */
} ArenaSet;

typedef struct ArenaStats {
    size_t used_bytes; /* arena.used_bytes: handed out since the last reset (padding included) */
    size_t reserved_bytes; /* arena.reserved_bytes: bytes held in chunks (all sets when checked) */
    size_t high_water_bytes; /* arena.high_water_bytes: largest used_bytes ever reached */
    size_t step_bytes; /* arena.step_bytes: used_bytes reached by the last step (at reset) */
    size_t chunks; /* arena.chunks */
    uint64_t resets; /* arena.resets */
} ArenaStats;

typedef struct Arena {
    ArenaSet sets[ARENA_SETS]; /* checked builds rotate through them; plain builds have one */
    int active; /* the set being handed out */
    size_t chunk_bytes; /* default usable size of a new chunk */
    ArenaStats st;
} Arena;

/* chunk_bytes: usable size of each new chunk (a larger request gets its own chunk). */
void arena_init(Arena *a, size_t chunk_bytes);

/* A block of `bytes` bytes (0 is allowed and returns a valid unique pointer), 64-byte
 * aligned, contents unspecified. NULL when no chunk could be obtained. `site` is a
 * static string naming the caller. */
void *arena_alloc(Arena *a, size_t bytes, const char *site);

/* Releases every block handed out since the previous reset. Keeps the chunks. */
void arena_reset(Arena *a);

/* Gives every chunk back to the heap. The arena may be initialised again afterwards. */
void arena_free(Arena *a);

/* Checked builds: tell ASan/memcheck that [p, p+n) must not be touched (forbid) or is
 * usable again with unspecified contents (permit). No-ops in plain builds. The graph uses
 * them for blocks it recycles within a step (graph_release). */
void arena_forbid(void *p, size_t n);
void arena_permit(void *p, size_t n);

static inline ArenaStats arena_stats(const Arena *a)
{
    return a->st;
}

#endif
