/* ops.h - differentiable ops. Each is an op_<name> forward plus a static backward.
 *
 * Conventions: arguments are (graph, inputs..., sizes); the result is a new transient
 * tensor from the graph's arena, or NULL with g->err set (see autograd.h). Shapes are
 * [rows, cols]; bias/gain vectors are [1, C]. Index arrays (token ids, targets) are copied
 * into the op's context, so the caller's arrays need not outlive the call. */
#ifndef ENGINE_OPS_H
#define ENGINE_OPS_H

#include <stdint.h>

#include "autograd.h"

/* op(a)[M,K] @ op(b)[K,N] -> [M,N]; op(x) = x^T when tx is 1. */
Tensor *op_matmul(Graph *g, Tensor *a, int ta, Tensor *b, int tb);

/* A linear layer in one op: x[N,K] @ w[M,K]^T + b[1,M] -> [N,M] (w as PyTorch stores it).
 * The same as op_bias_add(op_matmul(x, 0, w, 1), b) without the intermediate tensor and
 * its gradient. */
Tensor *op_linear(Graph *g, Tensor *x, Tensor *w, Tensor *b);

/* x[N,C] + bias[1,C] (broadcast over rows) -> [N,C] */
Tensor *op_bias_add(Graph *g, Tensor *x, Tensor *bias);

/* a + b, same shape (residual connections) */
Tensor *op_add(Graph *g, Tensor *a, Tensor *b);

/* a * b elementwise, same shape */
Tensor *op_mul(Graph *g, Tensor *a, Tensor *b);

/* rows of table[V,C] picked by idx[n] (each in [0,V)) -> [n,C]; token and position
 * embeddings both use it (positions are idx[i] = i % T). */
Tensor *op_embedding(Graph *g, Tensor *table, const int32_t *idx, int n);

/* LayerNorm over each row of x[N,C] with gain w[1,C] and bias b[1,C], eps 1e-5 -> [N,C] */
Tensor *op_layernorm(Graph *g, Tensor *x, Tensor *w, Tensor *b);

/* GELU, tanh approximation, elementwise */
Tensor *op_gelu(Graph *g, Tensor *x);

/* Causal multi-head self-attention. qkv[B*T, 3C] holds q, k, v side by side for each
 * token (row b*T + t); heads split C evenly. -> [B*T, C] */
Tensor *op_attention(Graph *g, Tensor *qkv, int B, int T, int n_head);

/* Fused softmax + cross-entropy: per-row loss -log softmax(logits[i])[targets[i]] for
 * logits[N,V] and targets[N] in [0,V) -> [N,1] */
Tensor *op_cross_entropy(Graph *g, Tensor *logits, const int32_t *targets);

/* Mean of all elements -> [1,1] */
Tensor *op_mean(Graph *g, Tensor *x);

#endif
