#include "optim.h"

#include <math.h>

#include "vec.h" /* KERNEL_CLONES */

AdamWConfig adamw_defaults(void)
{
    return (AdamWConfig){
        .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f, .clip = 1.0f};
}

KERNEL_CLONES_512
void adamw_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                  const AdamWConfig *c, int t, int decay)
{
    float bc1 = 1.0f - powf(c->beta1, (float)t);
    float bc2 = 1.0f - powf(c->beta2, (float)t);
    float wd = decay ? c->weight_decay : 0.0f;
    const float b1 = c->beta1, b2 = c->beta2, lr = c->lr, eps = c->eps;
    for (size_t i = 0; i < n; i++) { /* vectorised (restrict, -O3, -fno-math-errno) */
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] -= lr * ((mi / bc1) / (sqrtf(vi / bc2) + eps) + wd * p[i]);
    }
}

typedef double v4d __attribute__((vector_size(32)));

/* Four independent lanes (a vector register) then the tail. */
KERNEL_CLONES
double grad_sumsq(const float *g, size_t n)
{
    v4d acc = {0.0, 0.0, 0.0, 0.0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d x = {g[i], g[i + 1], g[i + 2], g[i + 3]};
        acc += x * x;
    }
    double s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (; i < n; i++)
        s += (double)g[i] * g[i];
    return s;
}
