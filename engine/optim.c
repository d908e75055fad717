#include "optim.h"

#include <math.h>

AdamWConfig adamw_defaults(void)
{
    return (AdamWConfig){.lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
                         .weight_decay = 0.0f, .clip = 1.0f};
}

void adamw_update(float *p, const float *g, float *m, float *v, size_t n, const AdamWConfig *c,
                  int t, int decay)
{
    float bc1 = 1.0f - powf(c->beta1, (float)t);
    float bc2 = 1.0f - powf(c->beta2, (float)t);
    float wd = decay ? c->weight_decay : 0.0f;
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * gi;
        v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * gi * gi;
        float mhat = m[i] / bc1, vhat = v[i] / bc2;
        p[i] -= c->lr * (mhat / (sqrtf(vhat) + c->eps) + wd * p[i]);
    }
}

float grad_norm(const float *g, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)g[i] * g[i];
    return (float)sqrt(s);
}

float grad_clip(float *g, size_t n, float max_norm)
{
    float norm = grad_norm(g, n);
    if (max_norm > 0.0f && norm > max_norm) {
        float s = max_norm / (norm + 1e-6f);
        for (size_t i = 0; i < n; i++)
            g[i] *= s;
    }
    return norm;
}
