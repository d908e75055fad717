/* hook.h - the engine's single observation hook, in the manner of Lua's lua_Alloc.
 *
 * The engine calls one function for every memory event (heap, arena, tape, tensors, op
 * contexts) and at the start and end of each training iteration. Sinks (probes/) are
 * installed at run time with eng_hook_set; the engine includes nothing from probes/.
 *
 * Cost: built with ENGINE_PROBES=0 every ENG_EVENT site compiles to nothing; built with
 * probes (the default) but no sink installed, a site is one predictable branch. */
#ifndef ENGINE_HOOK_H
#define ENGINE_HOOK_H

#include <stddef.h>
#include <stdint.h>

#ifndef ENGINE_PROBES
#define ENGINE_PROBES 1
#endif

/* Stable numbers: they are written into event logs (docs/probes.md). */
typedef enum EngEventKind {
    EV_HEAP_ALLOC = 1, /* bytes: block size */
    EV_HEAP_FREE = 2, /* bytes: block size */
    EV_ARENA_CHUNK_ACQUIRE = 3, /* bytes: chunk size */
    EV_ARENA_CHUNK_RELEASE = 4, /* bytes: chunk size */
    EV_ARENA_ALLOC = 5, /* bytes: block size incl. padding; site: who asked */
    EV_ARENA_RESET = 6, /* bytes: bytes released; aux: high-water mark */
    EV_TAPE_PUSH = 7, /* bytes: entry size; site: op; aux: entries after the push */
    EV_TAPE_GROW = 8, /* bytes: new array size; aux: new capacity */
    EV_TAPE_SHRINK = 9, /* bytes: new array size; aux: new capacity */
    EV_TAPE_CLEAR = 10, /* aux: entries dropped */
    EV_TENSOR_CREATE = 11, /* bytes: data size; role, persistent */
    EV_TENSOR_DESTROY = 12, /* bytes: data size; role, persistent */
    EV_OP_CTX = 13, /* bytes: context size; site: op */
    EV_ITER_BEGIN = 14,
    EV_ITER_END = 15,
    EV_KIND_COUNT
} EngEventKind;

typedef struct EngEvent {
    uint16_t kind; /* EngEventKind */
    uint8_t role; /* TensorRole, for tensor events */
    uint8_t persistent; /* tensor events: 1 persistent, 0 transient */
    uint64_t bytes;
    uint64_t aux;
    const char *site; /* static string: op or component name */
    uint64_t iter; /* training iteration (0 before the first) */
    uint64_t t_ns; /* CLOCK_MONOTONIC nanoseconds */
} EngEvent;

typedef void (*EngHookFn)(void *ud, const EngEvent *ev);

/* Installs (or with fn == NULL removes) the sink. */
void eng_hook_set(EngHookFn fn, void *ud);

/* Marks iteration boundaries: the program calls these around each training step. */
void eng_iter_begin(uint64_t iter);
void eng_iter_end(uint64_t iter);

/* A static name for an event kind ("heap.alloc", ...), or "?" */
const char *eng_event_name(unsigned kind);

extern EngHookFn eng_hook_fn;
extern uint64_t eng_hook_iter;
void eng_hook_emit(unsigned kind, uint64_t bytes, uint64_t aux, const char *site, unsigned role,
                   unsigned persistent);

#if ENGINE_PROBES
#define ENG_EVENT(kind, bytes, aux, site, role, persistent)                                          \
    do {                                                                                             \
        if (__builtin_expect(eng_hook_fn != NULL, 0))                                                \
            eng_hook_emit((kind), (uint64_t)(bytes), (uint64_t)(aux), (site), (role), (persistent)); \
    } while (0)
#else
/* sizeof evaluates nothing but keeps the arguments "used" */
#define ENG_EVENT(kind, bytes, aux, site, role, persistent)                                              \
    ((void)sizeof(kind), (void)sizeof(bytes), (void)sizeof(aux), (void)sizeof(site), (void)sizeof(role), \
     (void)sizeof(persistent))
#endif

#endif
