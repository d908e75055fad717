#include "gpt.h"

#include <math.h>
#include <string.h>

#include "fault.h"
#include "hook.h"
#include "mem.h"
#include "ops.h"
#include "par.h"
#include "rng.h"

#define GPT_MAX_DIM (1 << 20) /* any single dimension; keeps int products in range below */

EngErr gpt_config_check(const GPTConfig *c)
{
    if (c->layers <= 0 || c->heads <= 0 || c->embd <= 0 || c->ctx <= 0 || c->batch <= 0 || c->vocab <= 0 ||
        c->vocab > 65535)
        return ENG_EINVAL;
    if (c->embd % c->heads != 0)
        return ENG_EINVAL;
    if (c->layers > GPT_MAX_DIM || c->embd > GPT_MAX_DIM || c->ctx > GPT_MAX_DIM || c->batch > GPT_MAX_DIM)
        return ENG_EOVERFLOW;
    /* every tensor of a step has at most max(B*T*4C, B*H*T*T, B*T*V) elements: keep them
     * (and their byte sizes) representable, and row counts within int */
    size_t bt, big, tmp;
    if (!size_mul((size_t)c->batch, (size_t)c->ctx, &bt) || bt > (size_t)GPT_MAX_DIM * 64 ||
        !size_mul(bt, (size_t)c->embd * 4, &big) ||
        !size_mul((size_t)c->batch * c->heads, (size_t)c->ctx, &tmp) ||
        !size_mul(tmp, (size_t)c->ctx, &tmp) || !size_mul(big > tmp ? big : tmp, 64, &tmp))
        return ENG_EOVERFLOW;
    if (!size_mul((size_t)c->embd, (size_t)c->embd, &tmp) || !size_mul(tmp, 12 * (size_t)c->layers, &tmp) ||
        !size_mul(tmp, 4 * sizeof(float), &tmp))
        return ENG_EOVERFLOW;
    return ENG_OK;
}

/* rows x cols of parameter `i`, for config c. */
static void param_shape(const GPTConfig *c, int i, int *rows, int *cols)
{
    int C = c->embd;
    if (i < GPT_GLOBALS) {
        static const int r[GPT_GLOBALS] = {0, 0, 1, 1};
        *rows = i == GPT_WTE ? c->vocab : i == GPT_WPE ? c->ctx : r[i];
        *cols = C;
        return;
    }
    switch ((i - GPT_GLOBALS) % GPT_PER_LAYER) {
    case GPT_QKV_W:
        *rows = 3 * C;
        *cols = C;
        break;
    case GPT_QKV_B:
        *rows = 1;
        *cols = 3 * C;
        break;
    case GPT_PROJ_W:
        *rows = C;
        *cols = C;
        break;
    case GPT_FC_W:
        *rows = 4 * C;
        *cols = C;
        break;
    case GPT_FC_B:
        *rows = 1;
        *cols = 4 * C;
        break;
    case GPT_FCPROJ_W:
        *rows = C;
        *cols = 4 * C;
        break;
    default:
        *rows = 1;
        *cols = C;
        break; /* LayerNorm gains/biases, proj biases */
    }
}

static const char *param_name(int i)
{
    static const char *const globals[GPT_GLOBALS] = {"wte", "wpe", "lnf.w", "lnf.b"};
    static const char *const layer[GPT_PER_LAYER] = {"ln1.w",  "ln1.b",  "qkv.w",    "qkv.b",
                                                     "proj.w", "proj.b", "ln2.w",    "ln2.b",
                                                     "fc.w",   "fc.b",   "fcproj.w", "fcproj.b"};
    return i < GPT_GLOBALS ? globals[i] : layer[(i - GPT_GLOBALS) % GPT_PER_LAYER];
}

size_t gpt_param_count(const GPTConfig *c)
{
    size_t n = 0;
    int count = GPT_GLOBALS + GPT_PER_LAYER * c->layers;
    for (int i = 0; i < count; i++) {
        int r, k;
        param_shape(c, i, &r, &k);
        n += (size_t)r * (size_t)k;
    }
    return n;
}

GPTMinBytes gpt_min_bytes(const GPTConfig *c)
{
    double N = (double)c->batch * c->ctx, C = c->embd, T = c->ctx;
    double per_layer = N * C * (1 + 1 + 3 + 1 + 1 + 1 + 4 + 4) /* x h qkv att x1 h2 fc gelu */
                       + 2 * 2 * N /* two LayerNorms' mean, rstd */
                       + (double)c->batch * c->heads * T * (T + 1) / 2; /* causal probs */
    double floats = c->layers * per_layer + N * C * 2 + 2 * N /* final LayerNorm */
                    + N * c->vocab + N; /* logits, log-sum-exp */
    GPTMinBytes r;
    r.state = 4.0 * (double)gpt_param_count(c) * sizeof(float);
    r.activations = floats * sizeof(float) + 2 * N * sizeof(int32_t);
    r.total = r.state + r.activations;
    return r;
}

/* Reports each parameter and its gradient and moments as persistent tensors. */
static void report_tensors(const GPT *m, unsigned kind)
{
    for (int i = 0; i < m->n_tensors && m->v; i++) {
        size_t b = m->tensors[i].numel * sizeof(float);
        const char *name = m->tensors[i].name;
        ENG_EVENT(kind, b, 0, name, ROLE_PARAMETER, 1);
        ENG_EVENT(kind, b, 0, name, ROLE_GRADIENT, 1);
        ENG_EVENT(kind, 2 * b, 0, name, ROLE_OPTIMIZER, 1);
    }
    (void)kind;
}

void gpt_destroy(GPT *m)
{
    report_tensors(m, EV_TENSOR_DESTROY);
    size_t bytes = m->n_params * sizeof(float);
    mem_free(m->params, bytes, "model.params");
    mem_free(m->grads, bytes, "model.grads");
    mem_free(m->m, bytes, "model.adam_m");
    mem_free(m->v, bytes, "model.adam_v");
    mem_free(m->tensors, (size_t)m->n_tensors * sizeof(Tensor), "model.tensors");
    memset(m, 0, sizeof *m);
}

EngErr gpt_create(GPT *m, const GPTConfig *c, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    EngErr err = gpt_config_check(c);
    if (err)
        return err;
    m->cfg = *c;
    m->n_tensors = GPT_GLOBALS + GPT_PER_LAYER * c->layers;
    m->n_params = gpt_param_count(c);
    size_t bytes = m->n_params * sizeof(float);
    m->tensors = mem_calloc((size_t)m->n_tensors, sizeof(Tensor), "model.tensors");
    m->params = m->tensors ? mem_alloc(bytes, "model.params") : NULL;
    m->grads = m->params ? mem_calloc(m->n_params, sizeof(float), "model.grads") : NULL;
    m->m = m->grads ? mem_calloc(m->n_params, sizeof(float), "model.adam_m") : NULL;
    m->v = m->m ? mem_calloc(m->n_params, sizeof(float), "model.adam_v") : NULL;
    if (!m->v) {
        gpt_destroy(m);
        return ENG_ENOMEM;
    }
    Rng r;
    rng_seed(&r, seed);
    float proj_std = 0.02f / sqrtf(2.0f * (float)c->layers);
    size_t off = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        Tensor *t = &m->tensors[i];
        param_shape(c, i, &t->rows, &t->cols);
        t->numel = (size_t)t->rows * (size_t)t->cols;
        t->data = m->params + off;
        t->grad = m->grads + off;
        t->role = ROLE_PARAMETER;
        t->persistent = 1;
        t->name = param_name(i);
        off += t->numel;
        int kind = i < GPT_GLOBALS ? -1 : (i - GPT_GLOBALS) % GPT_PER_LAYER;
        int is_gain = i == GPT_LNF_W || kind == GPT_LN1_W || kind == GPT_LN2_W;
        int is_matrix = t->rows > 1;
        float std = (kind == GPT_PROJ_W || kind == GPT_FCPROJ_W) ? proj_std : 0.02f;
        for (size_t j = 0; j < t->numel; j++)
            t->data[j] = is_gain ? 1.0f : is_matrix ? std * rng_normal(&r) : 0.0f;
    }
    report_tensors(m, EV_TENSOR_CREATE);
    return ENG_OK;
}

Tensor *gpt_forward(GPT *m, Graph *g, const int32_t *idx, const int32_t *targets, int B, int T)
{
    const GPTConfig *c = &m->cfg;
    if (B <= 0 || T <= 0 || B > c->batch || T > c->ctx) {
        graph_fail(g, ENG_EINVAL);
        return NULL;
    }
    int n = B * T;
    int32_t *pos = graph_ctx(g, (size_t)n * sizeof(int32_t), "model.positions");
    if (!pos)
        return NULL;
    for (int i = 0; i < n; i++)
        pos[i] = i % T;
    Tensor *P = m->tensors;
    Tensor *x = op_add(g, op_embedding(g, &P[GPT_WTE], idx, n), op_embedding(g, &P[GPT_WPE], pos, n));
    for (int l = 0; l < c->layers; l++) {
        Tensor *L = &P[GPT_GLOBALS + GPT_PER_LAYER * l];
        Tensor *h = op_layernorm(g, x, &L[GPT_LN1_W], &L[GPT_LN1_B]);
        Tensor *qkv = op_linear(g, h, &L[GPT_QKV_W], &L[GPT_QKV_B]);
        Tensor *att = op_attention(g, qkv, B, T, c->heads);
        x = op_add(g, x, op_linear(g, att, &L[GPT_PROJ_W], &L[GPT_PROJ_B]));
        h = op_layernorm(g, x, &L[GPT_LN2_W], &L[GPT_LN2_B]);
        Tensor *f = op_gelu(g, op_linear(g, h, &L[GPT_FC_W], &L[GPT_FC_B]));
        x = op_add(g, x, op_linear(g, f, &L[GPT_FCPROJ_W], &L[GPT_FCPROJ_B]));
    }
    x = op_layernorm(g, x, &P[GPT_LNF_W], &P[GPT_LNF_B]);
    Tensor *logits = op_matmul(g, x, 0, &P[GPT_WTE], 1); /* head tied to wte */
    if (!targets)
        return logits;
    return op_mean(g, op_cross_entropy(g, logits, targets));
}

/* The optimizer over the threads: the flat parameter array cut into blocks, each block
 * updated tensor piece by tensor piece (weight decay on matrices only). Element-wise, so
 * the result does not depend on the cut. */
#define OPT_BLOCK 4096

typedef struct OptJob {
    GPT *m;
    const AdamWConfig *opt;
    double partial[PAR_MAX_THREADS]; /* grad norm: sum of squares per thread */
    float scale;
} OptJob;

static void norm_range(void *ctx, long lo, long hi, int tid)
{
    OptJob *j = ctx;
    size_t a = (size_t)lo * OPT_BLOCK, b = (size_t)hi * OPT_BLOCK;
    if (b > j->m->n_params)
        b = j->m->n_params;
    j->partial[tid] = grad_sumsq(j->m->grads + a, b - a);
}

static void adamw_range(void *ctx, long lo, long hi, int tid)
{
    OptJob *j = ctx;
    GPT *m = j->m;
    (void)tid;
    size_t a = (size_t)lo * OPT_BLOCK, b = (size_t)hi * OPT_BLOCK;
    if (b > m->n_params)
        b = m->n_params;
    for (int i = 0; i < m->n_tensors; i++) {
        Tensor *t = &m->tensors[i];
        size_t off = (size_t)(t->data - m->params), end = off + t->numel;
        size_t s = off > a ? off : a, e = end < b ? end : b;
        if (s >= e)
            continue;
        if (j->scale != 1.0f)
            for (size_t k = s; k < e; k++)
                m->grads[k] *= j->scale;
        adamw_update(m->params + s, m->grads + s, m->m + s, m->v + s, e - s, j->opt, m->steps,
                     t->rows > 1 && t->cols > 1);
    }
}

/* Global-norm clipping then AdamW; returns the norm before clipping. The norm is summed per
 * thread and the sums added in thread order: reproducible for a given thread count. */
static float optimizer_step(GPT *m, const AdamWConfig *opt)
{
    OptJob j = {.m = m, .opt = opt, .scale = 1.0f};
    long blocks = (long)((m->n_params + OPT_BLOCK - 1) / OPT_BLOCK);
    par_for(blocks, 1, norm_range, &j);
    double ss = 0.0;
    for (int t = 0; t < PAR_MAX_THREADS; t++)
        ss += j.partial[t];
    float norm = (float)sqrt(ss);
    if (opt->clip > 0.0f && norm > opt->clip)
        j.scale = opt->clip / (norm + 1e-6f);
    m->steps++;
    par_for(blocks, 1, adamw_range, &j);
    return norm;
}

EngErr gpt_step(GPT *m, Graph *g, const int32_t *x, const int32_t *y, const AdamWConfig *opt,
                GPTStepStats *out)
{
    par_zero(m->grads, m->n_params * sizeof(float));
    g->grad_enabled = 1;
    fault_step_scratch(g->arena); /* arena_creep */
    Tensor *loss = gpt_forward(m, g, x, y, m->cfg.batch, m->cfg.ctx);
    if (loss)
        fault_after_forward(g->arena); /* early_reset: the seed's fix #1 undone */
    EngErr err = loss ? graph_backward(g, loss) : g->err;
    if (!err) {
        out->loss = loss->data[0]; /* copied out: the arena is reset below */
        out->grad_norm = optimizer_step(m, opt);
    }
    fault_step_end();
    graph_end_step(g);
    return err;
}

EngErr gpt_eval(GPT *m, Graph *g, const int32_t *x, const int32_t *y, float *loss)
{
    int saved = g->grad_enabled;
    g->grad_enabled = 0;
    Tensor *l = gpt_forward(m, g, x, y, m->cfg.batch, m->cfg.ctx);
    fault_eval_batch();
    EngErr err = l ? ENG_OK : g->err;
    if (l)
        *loss = l->data[0];
    g->grad_enabled = saved;
    graph_end_step(g);
    return err;
}
