#include "fault.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mem.h"

#if defined(ENGINE_FAULT_LEAK)
static void *g_leak;
void fault_step_end(void)
{
    g_leak = mem_alloc(1024, "fault.leak");
    if (g_leak)
        memset(g_leak, 0xA5, 1024);
}
#elif defined(ENGINE_FAULT_CREEP)
static double *g_history;
static size_t g_history_len;
void fault_step_end(void)
{
    double *h = mem_alloc((g_history_len + 1) * sizeof(double), "fault.creep");
    if (!h)
        return;
    if (g_history_len)
        memcpy(h, g_history, g_history_len * sizeof(double));
    mem_free(g_history, g_history_len * sizeof(double), "fault.creep");
    h[g_history_len++] = 1.0;
    g_history = h;
}
#else
void fault_step_end(void) {}
#endif

void fault_after_forward(struct Arena *a)
{
#ifdef ENGINE_FAULT_EARLY_RESET
    arena_reset(a);
#endif
    (void)a;
}

int fault_tape_keep(void)
{
#ifdef ENGINE_FAULT_TAPE_KEEP
    return 1;
#else
    return 0;
#endif
}

#ifdef ENGINE_FAULT_PAR_LEAK
static _Thread_local void *volatile g_worker_leak; /* volatile: the malloc must not be optimised away */
void fault_worker_job(void)
{
    void *p = malloc(96);
    if (p)
        memset(p, 0xA5, 96);
    g_worker_leak = p;
}
#else
void fault_worker_job(void) {}
#endif

#ifdef ENGINE_FAULT_SPLIT_LEAK
static void *g_split_leak;
void fault_split_product(void)
{
    g_split_leak = mem_alloc(64, "fault.split_leak");
    if (g_split_leak)
        memset(g_split_leak, 0xA5, 64);
}
#else
void fault_split_product(void) {}
#endif

#ifdef ENGINE_FAULT_EVAL_LEAK
static void *g_eval_leak;
void fault_eval_batch(void)
{
    g_eval_leak = mem_alloc(256, "fault.eval_leak");
    if (g_eval_leak)
        memset(g_eval_leak, 0xA5, 256);
}
#else
void fault_eval_batch(void) {}
#endif

#ifdef ENGINE_FAULT_STALE_PROBS
static const float *g_kept;
static uint64_t g_kept_at;
static volatile float g_fault_sink; /* the stale value goes where the compiler cannot drop it */
void fault_attention_probs(const float *probs, uint64_t resets)
{
    if (g_kept && resets - g_kept_at == 2)
        g_fault_sink += g_kept[0];
    /* from the second step on: the first step's chunks go back to the heap when the arena
     * fits itself, and that is a different bug (the heap's, not the rotation's) */
    if (resets >= 1 && (!g_kept || resets - g_kept_at >= 2)) {
        g_kept = probs;
        g_kept_at = resets;
    }
}
#else
void fault_attention_probs(const float *probs, uint64_t resets)
{
    (void)probs;
    (void)resets;
}
#endif

#ifdef ENGINE_FAULT_KV_GROW
int fault_kv_grow(void)
{
    return 1;
}
#else
int fault_kv_grow(void)
{
    return 0;
}
#endif

#ifdef ENGINE_FAULT_ARENA_CREEP
static size_t g_scratch_steps;
void fault_step_scratch(struct Arena *a)
{
    size_t bytes = 16 * ++g_scratch_steps;
    void *p = arena_alloc(a, bytes, "model.scratch");
    if (p)
        memset(p, 0xA5, bytes);
}
#else
void fault_step_scratch(struct Arena *a)
{
    (void)a;
}
#endif

#ifdef ENGINE_FAULT_LOAD_LEAK
void *volatile g_load_leak; /* volatile: the malloc must not be optimised away */
void fault_checkpoint_load(void)
{
    void *p = malloc(4096);
    if (p)
        memset(p, 0xA5, 4096);
    g_load_leak = p;
    g_load_leak = NULL;
}
#else
void fault_checkpoint_load(void) {}
#endif

#ifdef ENGINE_FAULT_FD_LEAK
#include <unistd.h>
int g_fd_leak = -1;
void fault_checkpoint_save(int fd)
{
    g_fd_leak = dup(fd); /* overwritten by the next checkpoint's: never closed */
}
#else
void fault_checkpoint_save(int fd)
{
    (void)fd;
}
#endif

#ifdef ENGINE_FAULT_BPE_LEAK
void *volatile g_bpe_leak;
void fault_bpe_merge(void)
{
    void *p = malloc(32);
    if (p)
        memset(p, 0xA5, 32);
    g_bpe_leak = p;
}
#else
void fault_bpe_merge(void) {}
#endif

#ifdef ENGINE_FAULT_SLOT_LEAK
int fault_slot_leak(void)
{
    return 1;
}
#else
int fault_slot_leak(void)
{
    return 0;
}
#endif

#ifdef ENGINE_FAULT_CHAT_LEAK
static void *volatile g_chat_copy; /* the last copy only: each before it is lost (volatile: a store the
                                      compiler may not drop, with the malloc it holds) */
void fault_chat_prompt(const char *prompt, size_t len)
{
    char *p = malloc(len + 1);
    if (p) {
        memcpy(p, prompt, len);
        p[len] = 0;
    }
    g_chat_copy = p;
}
#else
void fault_chat_prompt(const char *prompt, size_t len)
{
    (void)prompt, (void)len;
}
#endif

#ifdef ENGINE_FAULT_KEEP_REQUESTS
typedef struct Kept {
    struct Kept *next;
    size_t bytes;
} Kept;
static Kept *g_kept;
static void kept_free(void)
{
    while (g_kept) {
        Kept *k = g_kept;
        g_kept = k->next;
        mem_free(k, k->bytes, "fault.keep_requests");
    }
}
void fault_request_text(const char *prompt, size_t prompt_len, const char *text, size_t len)
{
    size_t bytes = sizeof(Kept) + prompt_len + len;
    Kept *k = mem_alloc(bytes, "fault.keep_requests");
    if (!k)
        return;
    if (!g_kept)
        atexit(kept_free);
    memcpy(k + 1, prompt, prompt_len);
    memcpy((char *)(k + 1) + prompt_len, text, len);
    k->bytes = bytes, k->next = g_kept, g_kept = k;
}
#else
void fault_request_text(const char *prompt, size_t prompt_len, const char *text, size_t len)
{
    (void)prompt, (void)prompt_len, (void)text, (void)len;
}
#endif
