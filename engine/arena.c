#include "arena.h"

#include <string.h>

#include "common.h"
#include "hook.h"
#include "mem.h"

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif
#ifdef ENGINE_VALGRIND
#include <valgrind/memcheck.h>
#endif

/* The chunk header sits at the start of the chunk's own heap block. */
struct ArenaChunk {
    ArenaChunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    unsigned char *data;
};

#define HEADER_BYTES ((sizeof(ArenaChunk) + MEM_ALIGN - 1) / MEM_ALIGN * MEM_ALIGN)
#ifdef ARENA_CHECKED
#define REDZONE_BYTES MEM_ALIGN /* gap after every block, never unpoisoned */
#else
#define REDZONE_BYTES 0
#endif

void arena_forbid(void *p, size_t n)
{
#ifdef ARENA_ASAN
    ASAN_POISON_MEMORY_REGION(p, n);
#endif
#ifdef ENGINE_VALGRIND
    VALGRIND_MAKE_MEM_NOACCESS(p, n);
#endif
    (void)p;
    (void)n;
}

void arena_permit(void *p, size_t n)
{
#ifdef ARENA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, n);
#endif
#ifdef ENGINE_VALGRIND
    VALGRIND_MAKE_MEM_UNDEFINED(p, n);
#endif
    (void)p;
    (void)n;
}

void arena_init(Arena *a, size_t chunk_bytes)
{
    memset(a, 0, sizeof *a);
    a->chunk_bytes = chunk_bytes ? chunk_bytes : (size_t)1 << 20;
#ifdef ENGINE_VALGRIND
    for (int i = 0; i < ARENA_SETS; i++)
        VALGRIND_CREATE_MEMPOOL(&a->sets[i], 0, 0);
#endif
}

static ArenaChunk *chunk_new(Arena *a, size_t need)
{
    size_t size = need > a->chunk_bytes ? need : a->chunk_bytes;
    size_t total;
    if (!size_add(size, HEADER_BYTES, &total))
        return NULL;
    unsigned char *block = mem_alloc(total, "arena.chunk");
    if (!block)
        return NULL;
    ArenaChunk *c = (ArenaChunk *)block;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    c->data = block + HEADER_BYTES;
    arena_forbid(c->data, c->size);
    a->st.reserved_bytes += size;
    ENG_EVENT(EV_ARENA_CHUNK_ACQUIRE, size, 0, "arena.chunk", 0, 0);
    a->st.chunks++;
    return c;
}

void *arena_alloc(Arena *a, size_t bytes, const char *site)
{
    size_t need;
    if (!size_add(bytes, MEM_ALIGN - 1 + REDZONE_BYTES, &need))
        return NULL;
    need = need / MEM_ALIGN * MEM_ALIGN;
    if (need == 0)
        need = MEM_ALIGN;
    ArenaSet *s = &a->sets[a->active];
    ArenaChunk *c = s->cur;
    if (!c || c->size - c->used < need) {
        /* Move on to the next chunk of the list if it fits, else put a new one after the
         * current one. The same allocation sequence takes the same path every iteration. */
        if (c && c->next && c->next->size >= need) {
            c = c->next;
        } else {
            ArenaChunk *n = chunk_new(a, need);
            if (!n)
                return NULL;
            if (c) {
                n->next = c->next;
                c->next = n;
            } else {
                n->next = s->head;
                s->head = n;
            }
            c = n;
        }
        s->cur = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->st.used_bytes += need;
    ENG_EVENT(EV_ARENA_ALLOC, need, 0, site, 0, 0);
    if (a->st.used_bytes > a->st.high_water_bytes)
        a->st.high_water_bytes = a->st.used_bytes;
#ifdef ENGINE_VALGRIND
    VALGRIND_MEMPOOL_ALLOC(&a->sets[a->active], p, bytes);
#endif
#ifdef ARENA_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#endif
    return p;
}

static void set_release(Arena *a, ArenaSet *s)
{
#ifdef ENGINE_VALGRIND
    VALGRIND_DESTROY_MEMPOOL(s);
    VALGRIND_CREATE_MEMPOOL(s, 0, 0);
#endif
    for (ArenaChunk *c = s->head; c; c = c->next) {
        if (c->used)
            arena_forbid(c->data, c->used);
        c->used = 0;
    }
    s->cur = s->head;
    (void)a;
}

/* Leaves set s with a single chunk of at least `need` bytes, so that any step using no
 * more than the high-water mark fits without a new chunk. Only does work while the arena
 * is still warming up (more than one chunk, or one too small). */
static void set_fit(Arena *a, ArenaSet *s, size_t need)
{
    if (need == 0)
        return;
    if (s->head && !s->head->next && s->head->size >= need)
        return;
    for (ArenaChunk *c = s->head, *next; c; c = next) {
        next = c->next;
        arena_permit(c->data, c->size);
        a->st.reserved_bytes -= c->size;
        ENG_EVENT(EV_ARENA_CHUNK_RELEASE, c->size, 0, "arena.chunk", 0, 0);
        a->st.chunks--;
        mem_free(c, c->size + HEADER_BYTES, "arena.chunk");
    }
    s->head = s->cur = chunk_new(a, need); /* NULL is fine: chunks come back on demand */
}

void arena_reset(Arena *a)
{
    ArenaSet *released = &a->sets[a->active];
    set_release(a, released);
    a->active = (a->active + 1) % ARENA_SETS;
    a->st.step_bytes = a->st.used_bytes;
    ENG_EVENT(EV_ARENA_RESET, a->st.used_bytes, a->st.high_water_bytes, "arena", 0, 0);
    a->st.used_bytes = 0;
    a->st.resets++;
    /* every set, so that a checked build is as warm as a plain one after one step */
    for (int i = 0; i < ARENA_SETS; i++)
        set_fit(a, &a->sets[i], a->st.high_water_bytes);
}

void arena_free(Arena *a)
{
    for (int i = 0; i < ARENA_SETS; i++) {
        ArenaChunk *c = a->sets[i].head;
        while (c) {
            ArenaChunk *next = c->next;
            size_t total = c->size + HEADER_BYTES;
            ENG_EVENT(EV_ARENA_CHUNK_RELEASE, c->size, 0, "arena.chunk", 0, 0);
            arena_permit(c->data, c->size);
            mem_free(c, total, "arena.chunk");
            c = next;
        }
        a->sets[i].head = a->sets[i].cur = NULL;
    }
#ifdef ENGINE_VALGRIND
    for (int i = 0; i < ARENA_SETS; i++)
        VALGRIND_DESTROY_MEMPOOL(&a->sets[i]);
#endif
    a->st.reserved_bytes = 0;
    a->st.used_bytes = 0;
    a->st.chunks = 0;
}
