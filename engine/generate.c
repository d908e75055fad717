#include "generate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "gemm.h"
#include "mem.h"

#define LN_EPS 1e-5f /* as ops.c */
#define GELU_S 0.7978845608028654f
#define GELU_A 0.044715f

/* The scratch blocks after the cache, in floats: x, h (C), qkv (3C), att (C), f (4C),
 * scores (ctx), logits (vocab), probs (2 vocab). */
static size_t scratch_floats(const GPTConfig *c)
{
    return (size_t)c->embd * 10 + (size_t)c->ctx + 3 * (size_t)c->vocab;
}

EngErr gen_init(Generator *g, const GPT *m)
{
    memset(g, 0, sizeof *g);
    const GPTConfig *c = &m->cfg;
    g->cap = fault_kv_grow() && c->ctx > 16 ? 16 : c->ctx;
    size_t kv = (size_t)c->layers * g->cap * 2 * c->embd;
    g->bytes = (kv + scratch_floats(c)) * sizeof(float);
    g->kv = mem_alloc(kv * sizeof(float), "gen.cache");
    float *s = mem_alloc(scratch_floats(c) * sizeof(float), "gen.scratch");
    g->window = mem_alloc((size_t)c->ctx * sizeof(int32_t), "gen.scratch");
    if (!g->kv || !s || !g->window) {
        mem_free(g->kv, kv * sizeof(float), "gen.cache");
        mem_free(s, scratch_floats(c) * sizeof(float), "gen.scratch");
        mem_free(g->window, (size_t)c->ctx * sizeof(int32_t), "gen.scratch");
        memset(g, 0, sizeof *g);
        return ENG_ENOMEM;
    }
    int C = c->embd;
    g->x = s;
    g->h = g->x + C;
    g->qkv = g->h + C;
    g->att = g->qkv + 3 * C;
    g->f = g->att + C;
    g->scores = g->f + 4 * C;
    g->logits = g->scores + c->ctx;
    g->probs = g->logits + c->vocab;
    g->m = m;
    return ENG_OK;
}

void gen_free(Generator *g)
{
    if (!g->m)
        return;
    const GPTConfig *c = &g->m->cfg;
    mem_free(g->kv, (size_t)c->layers * g->cap * 2 * c->embd * sizeof(float), "gen.cache");
    mem_free(g->x, scratch_floats(c) * sizeof(float), "gen.scratch");
    mem_free(g->window, (size_t)c->ctx * sizeof(int32_t), "gen.scratch");
    memset(g, 0, sizeof *g);
}

void gen_reset(Generator *g)
{
    if (!fault_kv_grow())
        g->len = 0;
}

static void layernorm(const float *x, const Tensor *w, const Tensor *b, float *y, int C)
{
    float mean = 0, var = 0;
    for (int k = 0; k < C; k++)
        mean += x[k];
    mean /= (float)C;
    for (int k = 0; k < C; k++)
        var += (x[k] - mean) * (x[k] - mean);
    float rstd = 1.0f / sqrtf(var / (float)C + LN_EPS);
    for (int k = 0; k < C; k++)
        y[k] = (x[k] - mean) * rstd * w->data[k] + b->data[k];
}

/* y[out] = W[out, in] x + b, as the training forward computes a linear layer. */
static void linear(const float *x, const Tensor *w, const Tensor *b, float *y)
{
    gemm_rows(1, w->rows, w->cols, x, w->cols, w->data, w->cols, b->data, y, w->rows);
}

/* Attention's two products over one head's hs floats: q . k, and out += p v; in plain C,
 * or in AVX2 registers (gemm_simd: the CPU has AVX2 and FMA, and the head is a multiple
 * of 8 floats). */
static float head_dot(const float *q, const float *k, int hs)
{
    float d = 0;
    for (int i = 0; i < hs; i++)
        d += q[i] * k[i];
    return d;
}

static void head_axpy(float *out, float p, const float *v, int hs)
{
    for (int i = 0; i < hs; i++)
        out[i] += p * v[i];
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float head_dot_avx2(const float *q, const float *k, int hs)
{
    __m256 d = _mm256_setzero_ps();
    for (int i = 0; i < hs; i += 8)
        d = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(k + i), d);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void head_axpy_avx2(float *out, float p, const float *v, int hs)
{
    __m256 pv = _mm256_set1_ps(p);
    for (int i = 0; i < hs; i += 8)
        _mm256_storeu_ps(out + i, _mm256_fmadd_ps(pv, _mm256_loadu_ps(v + i), _mm256_loadu_ps(out + i)));
}
#else
static float head_dot_avx2(const float *q, const float *k, int hs)
{
    return head_dot(q, k, hs);
}

static void head_axpy_avx2(float *out, float p, const float *v, int hs)
{
    head_axpy(out, p, v, hs);
}
#endif

/* Causal attention of the position `pos` over the cache of one layer: positions 0..pos
 * (the last ctx of them: only a kv_grow build holds more). */
static void attend(Generator *g, const float *kv, int pos)
{
    const GPTConfig *c = &g->m->cfg;
    int C = c->embd, hs = C / c->heads, t0 = pos >= c->ctx ? pos - c->ctx + 1 : 0;
    float scale = 1.0f / sqrtf((float)hs);
    int simd = gemm_simd() && hs % 8 == 0;
    for (int h = 0; h < c->heads; h++) {
        const float *q = g->qkv + h * hs;
        float mx = -INFINITY, sum = 0;
        for (int t = t0; t <= pos; t++) {
            const float *k = kv + (size_t)t * 2 * C + h * hs;
            float v = (simd ? head_dot_avx2(q, k, hs) : head_dot(q, k, hs)) * scale;
            g->scores[t - t0] = v;
            mx = v > mx ? v : mx;
        }
        for (int t = t0; t <= pos; t++)
            sum += g->scores[t - t0] = expf(g->scores[t - t0] - mx);
        float *out = g->att + h * hs;
        memset(out, 0, (size_t)hs * sizeof(float));
        for (int t = t0; t <= pos; t++) {
            const float *v = kv + (size_t)t * 2 * C + C + h * hs;
            float p = g->scores[t - t0] / sum;
            if (simd)
                head_axpy_avx2(out, p, v, hs);
            else
                head_axpy(out, p, v, hs);
        }
    }
}

/* The model on one position: token tok at position pos; the keys and values of pos go
 * into the cache; logits of the next token. */
static void step(Generator *g, int32_t tok, int pos)
{
    const GPTConfig *c = &g->m->cfg;
    const Tensor *P = g->m->tensors;
    int C = c->embd;
    int wpos = pos < c->ctx ? pos : c->ctx - 1; /* beyond ctx only in a kv_grow build */
    for (int k = 0; k < C; k++)
        g->x[k] = P[GPT_WTE].data[(size_t)tok * C + k] + P[GPT_WPE].data[(size_t)wpos * C + k];
    for (int l = 0; l < c->layers; l++) {
        const Tensor *L = &P[GPT_GLOBALS + GPT_PER_LAYER * l];
        float *kv = g->kv + (size_t)l * g->cap * 2 * C;
        layernorm(g->x, &L[GPT_LN1_W], &L[GPT_LN1_B], g->h, C);
        linear(g->h, &L[GPT_QKV_W], &L[GPT_QKV_B], g->qkv);
        memcpy(kv + (size_t)pos * 2 * C, g->qkv + C, 2 * (size_t)C * sizeof(float));
        attend(g, kv, pos);
        linear(g->att, &L[GPT_PROJ_W], &L[GPT_PROJ_B], g->h);
        for (int k = 0; k < C; k++)
            g->x[k] += g->h[k];
        layernorm(g->x, &L[GPT_LN2_W], &L[GPT_LN2_B], g->h, C);
        linear(g->h, &L[GPT_FC_W], &L[GPT_FC_B], g->f);
        for (int k = 0; k < 4 * C; k++) {
            float x = g->f[k], u = GELU_S * (x + GELU_A * x * x * x);
            g->f[k] = x / (1.0f + expf(-2.0f * u));
        }
        linear(g->f, &L[GPT_FCPROJ_W], &L[GPT_FCPROJ_B], g->h);
        for (int k = 0; k < C; k++)
            g->x[k] += g->h[k];
    }
    layernorm(g->x, &P[GPT_LNF_W], &P[GPT_LNF_B], g->h, C);
    gemm_rows(1, c->vocab, C, g->h, C, P[GPT_WTE].data, C, NULL, g->logits, c->vocab); /* tied head */
}

/* kv_grow: a cache 16 positions larger, the old one copied and freed. 1, or 0 (ENOMEM). */
static int grow(Generator *g)
{
    const GPTConfig *c = &g->m->cfg;
    size_t per = 2 * (size_t)c->embd, old = (size_t)c->layers * g->cap * per;
    size_t bigger = (size_t)c->layers * (g->cap + 16) * per;
    float *kv = mem_alloc(bigger * sizeof(float), "gen.cache");
    if (!kv)
        return 0;
    for (int l = 0; l < c->layers; l++)
        memcpy(kv + (size_t)l * (g->cap + 16) * per, g->kv + (size_t)l * g->cap * per,
               g->cap * per * sizeof(float));
    mem_free(g->kv, old * sizeof(float), "gen.cache");
    g->kv = kv;
    g->cap += 16;
    return 1;
}

/* Room for tok at g's next position: a full cache refilled (or grown, kv_grow), tok put in
 * its window. ENG_ENOMEM when the fault's growth fails. */
static EngErr make_room(Generator *g, int32_t tok)
{
    const GPTConfig *c = &g->m->cfg;
    if (g->len == g->cap && fault_kv_grow()) { /* the fault: 16 more positions, and on */
        if (!grow(g))
            return ENG_ENOMEM;
    } else if (g->len == c->ctx) { /* full: the last ctx/2 tokens again from position 0 */
        int keep = c->ctx / 2;
        memmove(g->window, g->window + (c->ctx - keep), (size_t)keep * sizeof(int32_t));
        for (int p = 0; p < keep; p++)
            step(g, g->window[p], p);
        g->len = keep;
        g->refills++;
    }
    if (g->len < c->ctx)
        g->window[g->len] = tok;
    return ENG_OK;
}

EngErr gen_feed(Generator *g, int32_t tok)
{
    const GPTConfig *c = &g->m->cfg;
    if (tok < 0 || tok >= c->vocab)
        return ENG_EINVAL;
    EngErr e = make_room(g, tok);
    if (e != ENG_OK)
        return e;
    step(g, tok, g->len);
    g->len++;
    return ENG_OK;
}

EngErr gen_batch_init(GenBatch *b, const GPT *m, int rows)
{
    memset(b, 0, sizeof *b);
    const GPTConfig *c = &m->cfg;
    size_t per = (size_t)c->embd * 10 + (size_t)c->vocab;
    b->bytes = (size_t)rows * per * sizeof(float);
    float *s = rows > 0 ? mem_alloc(b->bytes, "gen.batch") : NULL;
    if (!s)
        return ENG_ENOMEM;
    memset(s, 0, b->bytes);
    size_t C = (size_t)c->embd, R = (size_t)rows;
    b->x = s;
    b->h = b->x + R * C;
    b->qkv = b->h + R * C;
    b->att = b->qkv + R * 3 * C;
    b->f = b->att + R * C;
    b->logits = b->f + R * 4 * C;
    b->m = m;
    b->rows = rows;
    return ENG_OK;
}

void gen_batch_free(GenBatch *b)
{
    if (b->m)
        mem_free(b->x, b->bytes, "gen.batch");
    memset(b, 0, sizeof *b);
}

/* One layer of a pass over rows r < n. */
static void batch_layer(GenBatch *b, Generator *const *gs, int n, const Tensor *L, int l)
{
    const GPTConfig *c = &b->m->cfg;
    int C = c->embd;
    for (int r = 0; r < n; r++)
        layernorm(b->x + (size_t)r * C, &L[GPT_LN1_W], &L[GPT_LN1_B], b->h + (size_t)r * C, C);
    gemm_rows(n, 3 * C, C, b->h, C, L[GPT_QKV_W].data, C, L[GPT_QKV_B].data, b->qkv, 3 * C);
    for (int r = 0; r < n; r++) { /* each row its own cache and position, as step() */
        Generator *g = gs[r];
        float *kv = g->kv + (size_t)l * g->cap * 2 * C, *qkv = g->qkv, *att = g->att;
        memcpy(kv + (size_t)g->len * 2 * C, b->qkv + (size_t)r * 3 * C + C, 2 * (size_t)C * sizeof(float));
        g->qkv = b->qkv + (size_t)r * 3 * C; /* attend() reads the query and writes att */
        g->att = b->att + (size_t)r * C;
        attend(g, kv, g->len);
        g->qkv = qkv, g->att = att;
    }
    gemm_rows(n, C, C, b->att, C, L[GPT_PROJ_W].data, C, L[GPT_PROJ_B].data, b->h, C);
    for (size_t k = 0; k < (size_t)n * C; k++)
        b->x[k] += b->h[k];
    for (int r = 0; r < n; r++)
        layernorm(b->x + (size_t)r * C, &L[GPT_LN2_W], &L[GPT_LN2_B], b->h + (size_t)r * C, C);
    gemm_rows(n, 4 * C, C, b->h, C, L[GPT_FC_W].data, C, L[GPT_FC_B].data, b->f, 4 * C);
    for (size_t k = 0; k < (size_t)n * 4 * C; k++) {
        float x = b->f[k], u = GELU_S * (x + GELU_A * x * x * x);
        b->f[k] = x / (1.0f + expf(-2.0f * u));
    }
    gemm_rows(n, C, 4 * C, b->f, 4 * C, L[GPT_FCPROJ_W].data, 4 * C, L[GPT_FCPROJ_B].data, b->h, C);
    for (size_t k = 0; k < (size_t)n * C; k++)
        b->x[k] += b->h[k];
}

EngErr gen_feed_batch(GenBatch *b, Generator *const *gs, const int32_t *toks, int n)
{
    const GPTConfig *c = &b->m->cfg;
    const Tensor *P = b->m->tensors;
    int C = c->embd;
    if (n < 0 || n > b->rows)
        return ENG_EINVAL;
    for (int r = 0; r < n; r++)
        if (toks[r] < 0 || toks[r] >= c->vocab || gs[r]->m != b->m)
            return ENG_EINVAL;
    for (int r = 0; r < n; r++) {
        EngErr e = make_room(gs[r], toks[r]);
        if (e != ENG_OK)
            return e;
    }
    for (int r = 0; r < n; r++) {
        int pos = gs[r]->len, wpos = pos < c->ctx ? pos : c->ctx - 1;
        for (int k = 0; k < C; k++)
            b->x[(size_t)r * C + k] =
                P[GPT_WTE].data[(size_t)toks[r] * C + k] + P[GPT_WPE].data[(size_t)wpos * C + k];
    }
    for (int l = 0; l < c->layers; l++)
        batch_layer(b, gs, n, &P[GPT_GLOBALS + GPT_PER_LAYER * l], l);
    for (int r = 0; r < n; r++)
        layernorm(b->x + (size_t)r * C, &P[GPT_LNF_W], &P[GPT_LNF_B], b->h + (size_t)r * C, C);
    gemm_rows(n, c->vocab, C, b->h, C, P[GPT_WTE].data, C, NULL, b->logits, c->vocab); /* tied head */
    for (int r = 0; r < n; r++) {
        memcpy(gs[r]->logits, b->logits + (size_t)r * c->vocab, (size_t)c->vocab * sizeof(float));
        gs[r]->len++;
    }
    return ENG_OK;
}

/* The k-th largest of v[0..n) (1-based), partially reordering v (quickselect). */
static float kth_largest(float *v, int n, int k)
{
    int lo = 0, hi = n - 1, want = k - 1;
    while (lo < hi) {
        float pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] > pivot)
                i++;
            while (v[j] < pivot)
                j--;
            if (i <= j) {
                float t = v[i];
                v[i++] = v[j];
                v[j--] = t;
            }
        }
        if (want <= j)
            hi = j;
        else if (want >= i)
            lo = i;
        else
            break;
    }
    return v[want];
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* Zeroes probs[0, V) below the nucleus: the likeliest whose sum reaches top_p of sum
 * (scratch: V floats). The new sum. */
static double nucleus(float *probs, float *scratch, int V, double sum, float top_p)
{
    memcpy(scratch, probs, (size_t)V * sizeof(float));
    qsort(scratch, (size_t)V, sizeof(float), cmp_desc);
    double acc = 0, want = (double)top_p * sum;
    float floor = scratch[0];
    for (int i = 0; i < V && acc < want; i++)
        acc += scratch[i], floor = scratch[i];
    double kept = 0;
    for (int v = 0; v < V; v++) {
        probs[v] = probs[v] >= floor ? probs[v] : 0.0f;
        kept += probs[v];
    }
    return kept;
}

int32_t gen_sample(Generator *g, float temperature, int top_k, float top_p, Rng *r)
{
    int V = g->m->cfg.vocab;
    const float *lg = g->logits;
    int32_t best = 0;
    for (int v = 1; v < V; v++)
        best = lg[v] > lg[best] ? v : best;
    if (temperature <= 0)
        return best;
    float cut = -INFINITY;
    if (top_k > 0 && top_k < V) {
        memcpy(g->probs + V, lg, (size_t)V * sizeof(float));
        cut = kth_largest(g->probs + V, V, top_k);
    }
    double sum = 0;
    for (int v = 0; v < V; v++) {
        g->probs[v] = lg[v] >= cut ? expf((lg[v] - lg[best]) / temperature) : 0.0f;
        sum += g->probs[v];
    }
    if (top_p > 0 && top_p < 1)
        sum = nucleus(g->probs, g->probs + V, V, sum, top_p);
    double u = rng_uniform(r) * sum, acc = 0;
    for (int v = 0; v < V; v++) {
        acc += g->probs[v];
        if (u < acc && g->probs[v] > 0)
            return v;
    }
    return best;
}
