#include "hook.h"

#include <time.h>

EngHookFn eng_hook_fn;
static void *g_ud;
uint64_t eng_hook_iter;

void eng_hook_set(EngHookFn fn, void *ud)
{
    g_ud = ud;
    eng_hook_fn = fn;
}

void eng_hook_emit(unsigned kind, uint64_t bytes, uint64_t aux, const char *site, unsigned role,
                   unsigned persistent)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    EngEvent ev = {.kind = (uint16_t)kind,
                   .role = (uint8_t)role,
                   .persistent = (uint8_t)persistent,
                   .bytes = bytes,
                   .aux = aux,
                   .site = site,
                   .iter = eng_hook_iter,
                   .t_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
    eng_hook_fn(g_ud, &ev);
}

void eng_iter_begin(uint64_t iter)
{
    eng_hook_iter = iter;
    ENG_EVENT(EV_ITER_BEGIN, 0, 0, "iteration", 0, 0);
}

void eng_iter_end(uint64_t iter)
{
    eng_hook_iter = iter;
    ENG_EVENT(EV_ITER_END, 0, 0, "iteration", 0, 0);
}

const char *eng_event_name(unsigned kind)
{
    static const char *const names[EV_KIND_COUNT] = {
        [EV_HEAP_ALLOC] = "heap.alloc",
        [EV_HEAP_FREE] = "heap.free",
        [EV_ARENA_CHUNK_ACQUIRE] = "arena.chunk_acquire",
        [EV_ARENA_CHUNK_RELEASE] = "arena.chunk_release",
        [EV_ARENA_ALLOC] = "arena.alloc",
        [EV_ARENA_RESET] = "arena.reset",
        [EV_TAPE_PUSH] = "tape.push",
        [EV_TAPE_GROW] = "tape.grow",
        [EV_TAPE_SHRINK] = "tape.shrink",
        [EV_TAPE_CLEAR] = "tape.clear",
        [EV_TENSOR_CREATE] = "tensor.create",
        [EV_TENSOR_DESTROY] = "tensor.destroy",
        [EV_OP_CTX] = "op.ctx",
        [EV_ITER_BEGIN] = "iter.begin",
        [EV_ITER_END] = "iter.end",
    };
    return kind < EV_KIND_COUNT && names[kind] ? names[kind] : "?";
}
