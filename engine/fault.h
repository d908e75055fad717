/* fault.h - the named points where fault builds put the memory bugs back, gathered in
 * one place (as SQLite's test_malloc.c gathers its fault injection) instead of #ifdefs
 * spread through the engine.
 *
 * `make FAULT=NAME` compiles -DENGINE_FAULT_<NAME>=1 (docs/faults.md lists the names and
 * what must catch each). In a clean build (FAULT=none) every point is an empty function
 * and fault_tape_keep() is 0. Each point says who calls it and which thread it runs on.
 *
 * One fault cannot be a point: stack_inputs changes the shape of a tape entry (tape.h) and
 * what graph_record stores (autograd.c), so it stays an #ifdef there. */
#ifndef ENGINE_FAULT_H
#define ENGINE_FAULT_H

#include <stddef.h>
#include <stdint.h>

struct Arena;

/* gpt_step, once per training step, just before the graph is reset (program thread).
 * leak: 1 KiB from mem_alloc whose pointer the next step overwrites (site fault.leak).
 * creep: a history that stays reachable and grows by 8 bytes (site fault.creep). */
void fault_step_end(void);

/* gpt_step, between forward and backward (program thread).
 * early_reset: rewinds the arena while backward still needs the activations. */
void fault_after_forward(struct Arena *a);

/* tape_clear: 1 when the tape must keep every step's entries (tape_keep), else 0. */
int fault_tape_keep(void);

/* par.c, a worker thread after each parallel job it ran (only with --threads above 1).
 * par_leak: 96 bytes from malloc (mem_alloc belongs to the program thread) whose pointer
 * the worker's next job overwrites: no site, only the allocator and the tools see it. */
void fault_worker_job(void);

/* gemm.c, each product split over the threads (program thread).
 * split_leak: 64 bytes from mem_alloc, overwritten by the next split (site fault.split_leak). */
void fault_split_product(void);

/* gpt_eval, each evaluation batch (program thread).
 * eval_leak: 256 bytes from mem_alloc, overwritten by the next batch (site fault.eval_leak). */
void fault_eval_batch(void);

/* op_attention, after the forward wrote the probabilities of this call (program thread);
 * resets: the arena's reset count at that moment.
 * stale_probs: keeps the pointer and reads through it when the arena has been reset twice
 * since (a pointer into an old step kept two steps, the seed's early reset at a distance). */
void fault_attention_probs(const float *probs, uint64_t resets);

/* gpt_step, before the forward pass (program thread).
 * arena_creep: a scratch block from the step's arena 16 bytes larger every step (site
 * model.scratch): the arena's high-water mark creeps, the step's memory is never the same. */
void fault_step_scratch(struct Arena *a);

/* ckpt_load, once, when a checkpoint is read (program thread; only runs resumed from a
 * checkpoint take this path).
 * load_leak: 4 KiB from malloc whose pointer is dropped: a leak made once. */
void fault_checkpoint_load(void);

/* ckpt_save, each checkpoint written, with the file it is written to (program thread).
 * fd_leak: a duplicate of the file's descriptor, never closed: one descriptor more per
 * checkpoint (in the soak workload every 50 iterations), open on a file that the next
 * checkpoint's rename deletes. No byte of the heap moves. */
void fault_checkpoint_save(int fd);

/* bpe.c's apply_merge, once per merge (tokenizer training: the tokenize program).
 * bpe_leak: 32 bytes from malloc whose pointer the next merge overwrites. */
void fault_bpe_merge(void);

/* generate.c: 1 when the key/value cache must grow without bound (kv_grow), else 0. The
 * cache then starts at 16 positions, grows by 16 when full instead of refilling (site
 * gen.cache), and a new text does not empty it: every token ever fed stays in it. */
int fault_kv_grow(void);

/* app/serve.c, the engine thread, when a slot whose client went away mid-answer is ended.
 * slot_leak: 1: the slot's generator (its key/value cache and scratch, sites gen.cache and
 * gen.scratch) is dropped instead of freed, and the pool gets a fresh one for the next
 * request: one cache lost per disconnected client. Else 0. */
int fault_slot_leak(void);

/* app/serve.c, the engine thread, when a request's answer is complete, with its prompt and
 * generated text. keep_requests: a copy of both, kept in a list that is never emptied (site
 * fault.keep_requests): reachable to the end, freed at exit, so no leak checker names it. */
void fault_request_text(const char *prompt, size_t prompt_len, const char *text, size_t len);

/* app/serve.c, a request's thread, when a chat request (POST /v1/chat/completions) is
 * accepted, with the prompt its chat template wrote. chat_leak: a copy of it from malloc
 * whose pointer is dropped: one block lost per chat, none per completion (a leak in the
 * chat path only, which only a load that chats can see). */
void fault_chat_prompt(const char *prompt, size_t len);

#endif
