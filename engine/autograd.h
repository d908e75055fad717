/* autograd.h - the Graph: one training step's arena, tape and error state.
 *
 * Ops (ops.h) take a Graph, allocate their outputs and contexts from g->arena and, when
 * g->grad_enabled, record an entry on g->tape. Errors are sticky, in the manner of a
 * stream's error flag: an op that fails records the error in g->err and returns NULL; an
 * op given a NULL input returns NULL at once. So a whole forward pass is written without
 * a check per line and checked once:
 *
 *     Graph g; graph_init(&g, &arena, &tape);
 *     Tensor *y = op_gelu(&g, op_matmul(&g, x, 0, w, 1));
 *     Tensor *loss = op_mean(&g, y);
 *     if (!loss) return g.err;
 *     EngErr err = graph_backward(&g, loss);
 *     ...                      // read gradients, update parameters
 *     graph_end_step(&g);      // tape cleared, arena reset: every transient is gone
 */
#ifndef ENGINE_AUTOGRAD_H
#define ENGINE_AUTOGRAD_H

#include "arena.h"
#include "common.h"
#include "tape.h"
#include "tensor.h"

/* Blocks that backward is done with, kept by exact size for the next request of that size
 * in the same step (an intrusive list through the blocks themselves). */
#define GRAPH_POOL_SLOTS 16
typedef struct GraphPoolSlot {
    size_t bytes;
    void *head;
} GraphPoolSlot;

typedef struct Graph {
    Arena *arena;
    Tape *tape;
    int grad_enabled; /* 0: ops record nothing (evaluation, sampling) */
    EngErr err; /* first error since the last graph_end_step */
    GraphPoolSlot pool[GRAPH_POOL_SLOTS];
    size_t pool_reused; /* bytes served from the pool in this step (a figure for tests) */
} Graph;

void graph_init(Graph *g, Arena *arena, Tape *tape);

/* Records err unless an earlier error is already recorded. */
void graph_fail(Graph *g, EngErr err);

/* A transient [rows, cols] tensor from the arena (contents unspecified), or NULL with
 * g->err set (ENG_EINVAL for a non-positive dimension, ENG_EOVERFLOW, ENG_ENOMEM). */
Tensor *graph_tensor(Graph *g, int rows, int cols, const char *site);

/* Arena memory for an op's context (lives until the step ends); NULL with g->err set. */
void *graph_ctx(Graph *g, size_t bytes, const char *op);

/* The tensor's gradient, allocated zero-filled from the arena on first use. */
float *graph_grad(Graph *g, Tensor *t);

/* As graph_grad, for a backward function about to write the whole gradient: when the
 * tensor has none yet, the block comes unzeroed and *fresh is 1, and the caller must then
 * assign every element (=) instead of accumulating (+=); else *fresh is 0. Saves a pass of
 * zeroing over every activation gradient. */
float *graph_grad_out(Graph *g, Tensor *t, int *fresh);

/* Scratch memory for a backward function (contents unspecified): a released block of the
 * same size when there is one, else arena memory. Give it back with graph_release. */
void *graph_scratch(Graph *g, size_t bytes, const char *op);

/* Hands a block of `bytes` bytes from this step's arena back for reuse within the step.
 * The caller must not touch it again (checked builds poison it). Blocks under 256 bytes
 * are simply left alone. */
void graph_release(Graph *g, void *p, size_t bytes);

/* Records an entry (no-op unless grad_enabled). Sets g->err on failure. */
void graph_record(Graph *g, const char *op, TapeBackwardFn backward, void *ctx, Tensor *out, Tensor *in0,
                  Tensor *in1, Tensor *in2);

/* Sets d(loss)/d(loss) = 1 and runs every recorded entry's backward, newest first.
 * `loss` must be a [1,1] tensor produced by a recorded op.
 * Once an entry's backward has run, nothing needs its output any more (every consumer of
 * it is newer and has run): the output's data and gradient are released to the pool and
 * the tensor's pointers set to NULL, so gradients of older tensors reuse that memory. Only
 * `loss` itself and leaves (parameters, inputs) keep their data and gradients. */
EngErr graph_backward(Graph *g, Tensor *loss);

/* Ends the step: clears the tape, resets the arena, clears the error. */
void graph_end_step(Graph *g);

#endif
