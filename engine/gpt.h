/* gpt.h - the character-level GPT: token + position embeddings, L pre-LayerNorm blocks
 * (causal multi-head attention with fused qkv, MLP 4C with GELU), final LayerNorm, and an
 * output head tied to the token embedding. Linear weights are [out, in] (as PyTorch's).
 *
 * Owns (all allocated once by gpt_create, freed by gpt_destroy, never in a step):
 *   tensors[]  the parameter descriptors            (one allocation)
 *   params     every parameter, contiguous          (one allocation)
 *   grads      their gradients, same layout         (one allocation)
 *   m, v       AdamW moments, same layout           (one allocation each)
 * A step (gpt_step) takes everything else from the graph's arena and ends with the
 * graph's reset, after the loss has been copied out. */
#ifndef ENGINE_GPT_H
#define ENGINE_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "autograd.h"
#include "optim.h"

typedef struct GPTConfig {
    int layers; /* L */
    int heads; /* H, divides embd */
    int embd; /* C */
    int ctx; /* T, the longest sequence */
    int batch; /* B */
    int vocab; /* V */
} GPTConfig;

/* Indices into GPT.tensors: the globals, then GPT_PER_LAYER per layer. */
enum { GPT_WTE, GPT_WPE, GPT_LNF_W, GPT_LNF_B, GPT_GLOBALS };
enum {
    GPT_LN1_W,
    GPT_LN1_B,
    GPT_QKV_W,
    GPT_QKV_B,
    GPT_PROJ_W,
    GPT_PROJ_B,
    GPT_LN2_W,
    GPT_LN2_B,
    GPT_FC_W,
    GPT_FC_B,
    GPT_FCPROJ_W,
    GPT_FCPROJ_B,
    GPT_PER_LAYER
};

typedef struct GPT {
    GPTConfig cfg;
    Tensor *tensors; /* [n_tensors] = GPT_GLOBALS + GPT_PER_LAYER * layers */
    int n_tensors;
    float *params; /* [n_params] */
    float *grads; /* [n_params] */
    float *m, *v; /* [n_params] AdamW moments */
    size_t n_params;
    int steps; /* optimizer steps taken */
} GPT;

typedef struct GPTStepStats {
    float loss; /* mean cross-entropy of the batch, copied out before the reset */
    float grad_norm; /* global gradient norm before clipping */
} GPTStepStats;

/* ENG_OK, or ENG_EINVAL naming nothing (the caller knows its flags): a non-positive field,
 * heads not dividing embd, vocab > 65535; ENG_EOVERFLOW when the model would not fit size_t. */
EngErr gpt_config_check(const GPTConfig *c);

/* Number of parameters of config c (c must pass gpt_config_check). */
size_t gpt_param_count(const GPTConfig *c);

/* The theoretical minimum memory of one training step of config c, in bytes (doubles: it
 * is a figure to print, not to allocate). state: parameters, gradients and the two AdamW
 * moments (4 x params x 4 bytes). activations: what backward must read when nothing is
 * recomputed, each counted once - per layer the block input, LayerNorm outputs and their
 * mean/rstd, qkv, the causal half of the attention probabilities (B H T(T+1)/2), the
 * attention output, the residual after attention, the MLP's pre- and post-GELU values;
 * then the final LayerNorm's input, output and statistics, the logits and their
 * log-sum-exp, and the token and target indices. docs/performance.md derives it. */
typedef struct GPTMinBytes {
    double state;
    double activations;
    double total;
} GPTMinBytes;
GPTMinBytes gpt_min_bytes(const GPTConfig *c);

/* Allocates and initialises GPT-2 style (N(0, 0.02); residual projections scaled by
 * 1/sqrt(2L); biases 0; LayerNorm gains 1) from `seed`. On failure nothing is left
 * allocated. */
EngErr gpt_create(GPT *m, const GPTConfig *c, uint64_t seed);

void gpt_destroy(GPT *m);

/* Forward pass over idx[B*T] (B <= batch, T <= ctx). With targets: the mean loss [1,1];
 * without: the logits [B*T, vocab]. NULL with g->err set on failure. */
Tensor *gpt_forward(GPT *m, Graph *g, const int32_t *idx, const int32_t *targets, int B, int T);

/* One training step on a full batch (x, y: [batch*ctx]): zero gradients, forward, backward,
 * clip, AdamW, then graph_end_step. The graph is reset even on failure. */
EngErr gpt_step(GPT *m, Graph *g, const int32_t *x, const int32_t *y, const AdamWConfig *opt,
                GPTStepStats *out);

/* Loss of one batch without recording a tape; resets the graph. */
EngErr gpt_eval(GPT *m, Graph *g, const int32_t *x, const int32_t *y, float *loss);

#endif
