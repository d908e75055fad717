/* generate.h - text generation from a trained GPT with a bounded key/value cache
 * (docs/generate.md).
 *
 * Each token fed runs the model on that one position only (its products through
 * gemm_rows: the weights read once, no packing): its keys and values are kept
 * per layer in a cache of ctx positions, so a token costs one position's work, not the
 * whole context's. When the cache is full the last ctx/2 tokens are fed again from
 * position 0 (the model has learned positions 0..ctx-1 only), so the cache never holds
 * more than ctx positions and the whole context is recomputed once per ctx/2 tokens.
 *
 * Owns: the cache and scratch, allocated by gen_init (mem_alloc, sites "gen.cache" and
 * "gen.scratch"); feeding and sampling allocate nothing. Borrows the model. */
#ifndef ENGINE_GENERATE_H
#define ENGINE_GENERATE_H

#include <stddef.h>
#include <stdint.h>

#include "gpt.h"
#include "rng.h"

typedef struct Generator {
    const GPT *m;
    float *kv; /* [layers][ctx][2C]: keys then values of each position */
    float *x, *h, *qkv, *att, *f, *scores; /* one position's activations; [ctx] scores */
    float *logits; /* [vocab]: the next token's logits after gen_feed */
    float *probs; /* [2 vocab]: sampling scratch */
    int32_t *window; /* [ctx]: the tokens in the cache */
    int len; /* positions in the cache */
    int cap; /* positions the cache has room for (ctx) */
    long refills; /* times the cache was full and refilled */
    size_t bytes; /* what gen_init allocated */
} Generator;

/* Allocates the cache and scratch for model m. ENG_ENOMEM (nothing left allocated). */
EngErr gen_init(Generator *g, const GPT *m);

/* Empties the cache (a new text). */
void gen_reset(Generator *g);

/* Feeds token tok (0 <= tok < vocab) at the next position; g->logits then hold the next
 * token's logits. ENG_EINVAL for a token out of range. */
EngErr gen_feed(Generator *g, int32_t tok);

/* Several generators of one model advanced a token each in one pass: their rows stacked in
 * every product of the model (each generator keeps its own cache and position), so the
 * weights are read once for all of them (gemm_rows). Each row is computed as gen_feed
 * computes its one, so a generator's logits are the same, bit for bit, whichever others
 * share its pass, and as gen_feed's (the same text for a seed, alone or with others).
 *
 * Owns: its scratch, allocated by gen_batch_init (site "gen.batch"); a pass allocates
 * nothing. */
typedef struct GenBatch {
    const GPT *m;
    int rows;
    float *x, *h, *qkv, *att, *f, *logits; /* [rows][C], [rows][C], [rows][3C], [rows][C],
                                              [rows][4C], [rows][vocab] */
    size_t bytes;
} GenBatch;

/* Scratch for passes of up to rows generators of model m. ENG_ENOMEM (nothing allocated). */
EngErr gen_batch_init(GenBatch *b, const GPT *m, int rows);

/* Feeds toks[i] to gs[i] for i < n (n <= b->rows; every gs[i] of b's model): as gen_feed
 * each, in one pass. ENG_EINVAL for a token out of range (nothing fed then). */
EngErr gen_feed_batch(GenBatch *b, Generator *const *gs, const int32_t *toks, int n);

void gen_batch_free(GenBatch *b);

/* Draws the next token from logits[vocab]: softmax(logits / temperature) over the top_k
 * largest (0: all), then over the smallest set of the likeliest whose probabilities sum to
 * top_p or more (nucleus sampling; 1: all); temperature 0 takes the largest (ties: the
 * lowest id). */
int32_t gen_sample(Generator *g, float temperature, int top_k, float top_p, Rng *r);

void gen_free(Generator *g);

#endif
