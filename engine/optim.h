/* optim.h - AdamW and global-norm gradient clipping over flat float arrays. No memory. */
#ifndef ENGINE_OPTIM_H
#define ENGINE_OPTIM_H

#include <stddef.h>

typedef struct AdamWConfig {
    float lr; /* learning rate (default 1e-3) */
    float beta1, beta2; /* 0.9, 0.999 */
    float eps; /* 1e-8 */
    float weight_decay; /* decoupled; applied to matrices only (0.0 by default) */
    float clip; /* global gradient norm limit; <= 0 disables clipping (1.0) */
} AdamWConfig;

AdamWConfig adamw_defaults(void);

/* One AdamW update of n parameters at step t (1-based). decay: apply weight decay. */
void adamw_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                  const AdamWConfig *c, int t, int decay);

/* sum g^2, in double. Global-norm clipping is done by the model's optimizer step (gpt.c),
 * which adds these per block of parameters over the threads. */
double grad_sumsq(const float *g, size_t n);

#endif
