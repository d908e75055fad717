#include "ops.h"

#include <math.h>
#include <string.h>

#include "fault.h"
#include "gemm.h"
#include "par.h"
#include "vec.h"

/* Fails the op (returns 0) when the graph already holds an error or an input is missing. */
static int inputs_ok(Graph *g, const Tensor *a, const Tensor *b, int need_b)
{
    if (g->err)
        return 0;
    if (!a || (need_b && !b)) {
        graph_fail(g, ENG_EINVAL);
        return 0;
    }
    return 1;
}

static Tensor *shape_error(Graph *g)
{
    graph_fail(g, ENG_ESHAPE);
    return NULL;
}

/* Element-wise work spread over the threads (par.h) in blocks of ELEM_BLOCK elements: the
 * kernel gets [lo, hi) in elements. */
#define ELEM_BLOCK 4096

typedef struct ElemJob ElemJob;
struct ElemJob {
    void (*kernel)(const ElemJob *j, size_t lo, size_t hi);
    size_t n;
    int flags; /* kernel-specific */
    float *out, *out2;
    const float *in, *in2, *in3;
};

static void elem_range(void *ctx, long lo, long hi, int tid)
{
    const ElemJob *j = ctx;
    (void)tid;
    size_t a = (size_t)lo * ELEM_BLOCK, b = (size_t)hi * ELEM_BLOCK;
    j->kernel(j, a, b < j->n ? b : j->n);
}

static void par_elems(ElemJob *j)
{
    par_for((long)((j->n + ELEM_BLOCK - 1) / ELEM_BLOCK), 1, elem_range, j);
}

/* ---- matmul -------------------------------------------------------------------------- */

typedef struct MatmulCtx {
    int ta, tb;
} MatmulCtx;

static EngErr matmul_backward(Graph *g, const TapeEntry *e)
{
    const MatmulCtx *cx = e->ctx;
    Tensor *a = TAPE_IN(e)[0], *b = TAPE_IN(e)[1], *c = e->out;
    int m = c->rows, n = c->cols, k = cx->ta ? a->rows : a->cols;
    int fresh;
    float *ga = graph_grad_out(g, a, &fresh), *gb = ga ? graph_grad(g, b) : NULL; /* b == a: not fresh */
    if (!ga || !gb)
        return g->err;
    float beta_a = fresh ? 0.0f : 1.0f; /* a fresh gradient is written whole, not zeroed then added to */
    /* dA = dC op(B)^T (stored transposed when ta); dB = op(A)^T dC (transposed when tb) */
    if (!cx->ta)
        gemm(0, !cx->tb, m, k, n, 1.0f, c->grad, n, b->data, b->cols, beta_a, ga, a->cols);
    else
        gemm(cx->tb, 1, k, m, n, 1.0f, b->data, b->cols, c->grad, n, beta_a, ga, a->cols);
    if (!cx->tb)
        gemm(!cx->ta, 0, k, n, m, 1.0f, a->data, a->cols, c->grad, n, 1.0f, gb, b->cols);
    else
        gemm(1, cx->ta, n, k, m, 1.0f, c->grad, n, a->data, a->cols, 1.0f, gb, b->cols);
    return ENG_OK;
}

Tensor *op_matmul(Graph *g, Tensor *a, int ta, Tensor *b, int tb)
{
    if (!inputs_ok(g, a, b, 1))
        return NULL;
    int m = ta ? a->cols : a->rows, k = ta ? a->rows : a->cols;
    int kb = tb ? b->cols : b->rows, n = tb ? b->rows : b->cols;
    if (k != kb)
        return shape_error(g);
    Tensor *c = graph_tensor(g, m, n, "matmul");
    MatmulCtx *cx = g->grad_enabled ? graph_ctx(g, sizeof *cx, "matmul") : NULL;
    if (!c || (g->grad_enabled && !cx))
        return NULL;
    gemm(ta, tb, m, n, k, 1.0f, a->data, a->cols, b->data, b->cols, 0.0f, c->data, n);
    if (cx) {
        cx->ta = ta;
        cx->tb = tb;
    }
    graph_record(g, "matmul", matmul_backward, cx, c, a, b, NULL);
    return g->err ? NULL : c;
}

/* ---- linear ------------------------------------------------------------------------------ */

/* dst[c] += sum over rows of src[r][c], split over the threads by columns: each column's
 * sum keeps the row order, whatever the thread count. */
#define COLSUM_UNIT 16

typedef struct ColSumJob {
    const float *src;
    int rows, cols;
    float *dst;
} ColSumJob;

KERNEL_CLONES_512 /* each column alone: the same sums at any vector width */
    static void
    col_sum_range(void *ctx, long lo, long hi, int tid)
{
    const ColSumJob *j = ctx;
    (void)tid;
    int c0 = (int)lo * COLSUM_UNIT, c1 = (int)hi * COLSUM_UNIT < j->cols ? (int)hi * COLSUM_UNIT : j->cols;
    for (int i = 0; i < j->rows; i++) {
        const float *r = j->src + (size_t)i * j->cols;
        for (int c = c0; c < c1; c++)
            j->dst[c] += r[c];
    }
}

static EngErr linear_backward(Graph *g, const TapeEntry *e)
{
    Tensor *x = TAPE_IN(e)[0], *w = TAPE_IN(e)[1], *b = TAPE_IN(e)[2], *y = e->out;
    int fresh;
    float *gx = graph_grad_out(g, x, &fresh), *gw = graph_grad(g, w), *gb = graph_grad(g, b);
    if (!gx || !gw || !gb)
        return g->err;
    int n = x->rows, k = x->cols, m = w->rows;
    gemm(0, 0, n, k, m, 1.0f, y->grad, m, w->data, k, fresh ? 0.0f : 1.0f, gx, k); /* dX (+)= dY W */
    gemm(1, 0, m, k, n, 1.0f, y->grad, m, x->data, k, 1.0f, gw, k); /* dW += dY^T X */
    ColSumJob j = {.src = y->grad, .rows = n, .cols = m, .dst = gb}; /* db += column sums */
    par_for((m + COLSUM_UNIT - 1) / COLSUM_UNIT, 1, col_sum_range, &j);
    return ENG_OK;
}

Tensor *op_linear(Graph *g, Tensor *x, Tensor *w, Tensor *b)
{
    if (!inputs_ok(g, x, w, 1) || !inputs_ok(g, b, b, 1))
        return NULL;
    int n = x->rows, k = x->cols, m = w->rows;
    if (w->cols != k || b->rows != 1 || b->cols != m)
        return shape_error(g);
    Tensor *y = graph_tensor(g, n, m, "linear");
    if (!y)
        return NULL;
    gemm_bias(n, m, k, x->data, k, w->data, k, b->data, y->data, m);
    graph_record(g, "linear", linear_backward, NULL, y, x, w, b);
    return g->err ? NULL : y;
}

/* ---- bias add, add, mul ---------------------------------------------------------------- */

static EngErr bias_add_backward(Graph *g, const TapeEntry *e)
{
    Tensor *x = TAPE_IN(e)[0], *bias = TAPE_IN(e)[1], *y = e->out;
    float *gx = graph_grad(g, x), *gb = graph_grad(g, bias);
    if (!gx || !gb)
        return g->err;
    int n = y->rows, c = y->cols;
    for (int i = 0; i < n; i++) {
        const float *dy = y->grad + (size_t)i * c;
        float *dx = gx + (size_t)i * c;
        for (int j = 0; j < c; j++) {
            dx[j] += dy[j];
            gb[j] += dy[j];
        }
    }
    return ENG_OK;
}

Tensor *op_bias_add(Graph *g, Tensor *x, Tensor *bias)
{
    if (!inputs_ok(g, x, bias, 1))
        return NULL;
    if (bias->rows != 1 || bias->cols != x->cols)
        return shape_error(g);
    Tensor *y = graph_tensor(g, x->rows, x->cols, "bias_add");
    if (!y)
        return NULL;
    int n = x->rows, c = x->cols;
    for (int i = 0; i < n; i++) {
        const float *xr = x->data + (size_t)i * c;
        float *yr = y->data + (size_t)i * c;
        for (int j = 0; j < c; j++)
            yr[j] = xr[j] + bias->data[j];
    }
    graph_record(g, "bias_add", bias_add_backward, NULL, y, x, bias, NULL);
    return g->err ? NULL : y;
}

/* out (+)= in, then out2 (+)= in, element by element (out and out2 may be one tensor);
 * flags bit 0: out is fresh (assign), bit 1: out2 is fresh. */
KERNEL_CLONES_512
static void add_backward_kernel(const ElemJob *j, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++) {
        j->out[i] = (j->flags & 1) ? j->in[i] : j->out[i] + j->in[i];
        j->out2[i] = (j->flags & 2) ? j->in[i] : j->out2[i] + j->in[i];
    }
}

KERNEL_CLONES_512
static void add_kernel(const ElemJob *j, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        j->out[i] = j->in[i] + j->in2[i];
}

static EngErr add_backward(Graph *g, const TapeEntry *e)
{
    Tensor *a = TAPE_IN(e)[0], *b = TAPE_IN(e)[1], *y = e->out;
    int fa, fb;
    float *ga = graph_grad_out(g, a, &fa);
    float *gb = ga ? graph_grad_out(g, b, &fb) : NULL; /* after a's: b == a is not fresh */
    if (!ga || !gb)
        return g->err;
    ElemJob j = {.kernel = add_backward_kernel,
                 .n = y->numel,
                 .out = ga,
                 .out2 = gb,
                 .in = y->grad,
                 .flags = fa | fb << 1};
    par_elems(&j);
    return ENG_OK;
}

static int same_shape(const Tensor *a, const Tensor *b)
{
    return a->rows == b->rows && a->cols == b->cols;
}

Tensor *op_add(Graph *g, Tensor *a, Tensor *b)
{
    if (!inputs_ok(g, a, b, 1))
        return NULL;
    if (!same_shape(a, b))
        return shape_error(g);
    Tensor *y = graph_tensor(g, a->rows, a->cols, "add");
    if (!y)
        return NULL;
    ElemJob j = {.kernel = add_kernel, .n = y->numel, .out = y->data, .in = a->data, .in2 = b->data};
    par_elems(&j);
    graph_record(g, "add", add_backward, NULL, y, a, b, NULL);
    return g->err ? NULL : y;
}

static EngErr mul_backward(Graph *g, const TapeEntry *e)
{
    Tensor *a = TAPE_IN(e)[0], *b = TAPE_IN(e)[1], *y = e->out;
    float *ga = graph_grad(g, a), *gb = graph_grad(g, b);
    if (!ga || !gb)
        return g->err;
    for (size_t i = 0; i < y->numel; i++) {
        ga[i] += y->grad[i] * b->data[i];
        gb[i] += y->grad[i] * a->data[i];
    }
    return ENG_OK;
}

Tensor *op_mul(Graph *g, Tensor *a, Tensor *b)
{
    if (!inputs_ok(g, a, b, 1))
        return NULL;
    if (!same_shape(a, b))
        return shape_error(g);
    Tensor *y = graph_tensor(g, a->rows, a->cols, "mul");
    if (!y)
        return NULL;
    for (size_t i = 0; i < y->numel; i++)
        y->data[i] = a->data[i] * b->data[i];
    graph_record(g, "mul", mul_backward, NULL, y, a, b, NULL);
    return g->err ? NULL : y;
}

/* ---- embedding ----------------------------------------------------------------------- */

typedef struct IndexCtx {
    int n;
    int32_t idx[]; /* [n], a copy of the caller's indices */
} IndexCtx;

static IndexCtx *index_ctx(Graph *g, const int32_t *idx, int n, const char *op)
{
    size_t bytes;
    if (!size_mul((size_t)n, sizeof(int32_t), &bytes) || !size_add(bytes, sizeof(IndexCtx), &bytes)) {
        graph_fail(g, ENG_EOVERFLOW);
        return NULL;
    }
    IndexCtx *cx = graph_ctx(g, bytes, op);
    if (cx) {
        cx->n = n;
        memcpy(cx->idx, idx, (size_t)n * sizeof(int32_t));
    }
    return cx;
}

static EngErr embedding_backward(Graph *g, const TapeEntry *e)
{
    const IndexCtx *cx = e->ctx;
    Tensor *table = TAPE_IN(e)[0], *y = e->out;
    float *gt = graph_grad(g, table);
    if (!gt)
        return g->err;
    int c = table->cols;
    for (int i = 0; i < cx->n; i++) {
        float *dst = gt + (size_t)cx->idx[i] * c;
        const float *src = y->grad + (size_t)i * c;
        for (int j = 0; j < c; j++)
            dst[j] += src[j];
    }
    return ENG_OK;
}

Tensor *op_embedding(Graph *g, Tensor *table, const int32_t *idx, int n)
{
    if (!inputs_ok(g, table, NULL, 0))
        return NULL;
    if (!idx || n <= 0) {
        graph_fail(g, ENG_EINVAL);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= table->rows) {
            graph_fail(g, ENG_EINVAL);
            return NULL;
        }
    Tensor *y = graph_tensor(g, n, table->cols, "embedding");
    IndexCtx *cx = g->grad_enabled ? index_ctx(g, idx, n, "embedding") : NULL;
    if (!y || (g->grad_enabled && !cx))
        return NULL;
    size_t row = (size_t)table->cols * sizeof(float);
    for (int i = 0; i < n; i++)
        memcpy(y->data + (size_t)i * table->cols, table->data + (size_t)idx[i] * table->cols, row);
    graph_record(g, "embedding", embedding_backward, cx, y, table, NULL, NULL);
    return g->err ? NULL : y;
}

/* ---- layernorm ----------------------------------------------------------------------- */

#define LN_EPS 1e-5f

typedef struct LayerNormCtx {
    float *mean; /* [N] */
    float *rstd; /* [N] */
} LayerNormCtx;

/* Rows are independent; spread over the threads (par.h). Backward's dw and db are sums
 * over rows: each thread sums its rows into its own [2c] slice of a scratch block, and the
 * slices are added in thread order, so results are reproducible for a given --threads. */
typedef struct LayerNormJob {
    LayerNormCtx *cx;
    const float *x, *w, *b, *dy;
    float *y, *dx;
    float *partial; /* backward: [threads][2c]: db then dw */
    int c;
    int fresh; /* backward: dx is assigned, not accumulated */
} LayerNormJob;

/* One row: y = (x - mean) * rstd * w + b, eight lanes at a time (the tail zero-padded
 * and masked out of the variance). */
KERNEL_CLONES
static void layernorm_row(const float *x, const float *w, const float *b, float *y, int c, float *mean_out,
                          float *rstd_out)
{
    v8f s = BCAST(0.0f);
    for (int k = 0; k < c; k += 8)
        s += v8_load_n(x + k, c - k < 8 ? c - k : 8);
    float mean = v8_hsum(s) / (float)c;
    v8f q = BCAST(0.0f);
    for (int k = 0; k < c; k += 8) {
        int n = c - k < 8 ? c - k : 8;
        v8f d = v8_select(v8_mask_n(n), v8_load_n(x + k, n) - BCAST(mean), BCAST(0.0f));
        q += d * d;
    }
    float rstd = 1.0f / sqrtf(v8_hsum(q) / (float)c + LN_EPS);
    for (int k = 0; k < c; k += 8) {
        int n = c - k < 8 ? c - k : 8;
        v8_store_n(
            y + k,
            (v8_load_n(x + k, n) - BCAST(mean)) * BCAST(rstd) * v8_load_n(w + k, n) + v8_load_n(b + k, n), n);
    }
    *mean_out = mean;
    *rstd_out = rstd;
}

/* One row of backward: dx += ..., and the row's share of db (gb) and dw (gw). The padded
 * tail lanes carry dy = 0, so they add nothing to the sums. */
KERNEL_CLONES
static void layernorm_row_backward(const float *x, const float *w, const float *dy, float *dx, float *gb,
                                   float *gw, int c, float mean, float rstd, int fresh)
{
    v8f sm = BCAST(0.0f), snm = BCAST(0.0f);
    for (int k = 0; k < c; k += 8) {
        int n = c - k < 8 ? c - k : 8;
        v8f dv = v8_load_n(dy + k, n), dnorm = v8_load_n(w + k, n) * dv;
        sm += dnorm;
        snm += dnorm * ((v8_load_n(x + k, n) - BCAST(mean)) * BCAST(rstd));
    }
    float dm = v8_hsum(sm) / (float)c, dnm = v8_hsum(snm) / (float)c;
    for (int k = 0; k < c; k += 8) {
        int n = c - k < 8 ? c - k : 8;
        v8f dv = v8_load_n(dy + k, n), dnorm = v8_load_n(w + k, n) * dv;
        v8f norm = (v8_load_n(x + k, n) - BCAST(mean)) * BCAST(rstd);
        v8f dxv = (dnorm - BCAST(dm) - norm * BCAST(dnm)) * BCAST(rstd);
        v8_store_n(gb + k, v8_load_n(gb + k, n) + dv, n);
        v8_store_n(gw + k, v8_load_n(gw + k, n) + norm * dv, n);
        v8_store_n(dx + k, fresh ? dxv : v8_load_n(dx + k, n) + dxv, n);
    }
}

static void layernorm_forward_range(void *ctx, long lo, long hi, int tid)
{
    const LayerNormJob *j = ctx;
    (void)tid;
    int c = j->c;
    for (long i = lo; i < hi; i++) {
        float mean, rstd;
        layernorm_row(j->x + (size_t)i * c, j->w, j->b, j->y + (size_t)i * c, c, &mean, &rstd);
        if (j->cx) {
            j->cx->mean[i] = mean;
            j->cx->rstd[i] = rstd;
        }
    }
}

static void layernorm_backward_range(void *ctx, long lo, long hi, int tid)
{
    const LayerNormJob *j = ctx;
    int c = j->c;
    float *gb = j->partial + (size_t)tid * 2 * c, *gw = gb + c; /* zeroed by the caller */
    for (long i = lo; i < hi; i++)
        layernorm_row_backward(j->x + (size_t)i * c, j->w, j->dy + (size_t)i * c, j->dx + (size_t)i * c, gb,
                               gw, c, j->cx->mean[i], j->cx->rstd[i], j->fresh);
}

static EngErr layernorm_backward(Graph *g, const TapeEntry *e)
{
    LayerNormCtx *cx = e->ctx;
    Tensor *x = TAPE_IN(e)[0], *w = TAPE_IN(e)[1], *b = TAPE_IN(e)[2], *y = e->out;
    int fresh;
    float *gx = graph_grad_out(g, x, &fresh), *gw = graph_grad(g, w), *gb = graph_grad(g, b);
    int n = x->rows, c = x->cols, nt = par_threads();
    size_t partial_bytes = (size_t)nt * 2 * c * sizeof(float);
    float *partial = graph_scratch(g, partial_bytes, "layernorm.backward");
    if (!gx || !gw || !gb || !partial)
        return g->err;
    /* threads that get no rows leave their slice alone: start every slice at zero */
    memset(partial, 0, partial_bytes);
    LayerNormJob j = {.cx = cx,
                      .x = x->data,
                      .w = w->data,
                      .dy = y->grad,
                      .dx = gx,
                      .partial = partial,
                      .c = c,
                      .fresh = fresh};
    par_for(n, 16, layernorm_backward_range, &j);
    for (int t = 0; t < nt; t++)
        for (int k = 0; k < c; k++) {
            gb[k] += partial[(size_t)t * 2 * c + k];
            gw[k] += partial[(size_t)t * 2 * c + c + k];
        }
    graph_release(g, partial, partial_bytes);
    return ENG_OK;
}

Tensor *op_layernorm(Graph *g, Tensor *x, Tensor *w, Tensor *b)
{
    if (!inputs_ok(g, x, w, 1) || !inputs_ok(g, b, b, 1))
        return NULL;
    int n = x->rows, c = x->cols;
    if (w->rows != 1 || w->cols != c || b->rows != 1 || b->cols != c)
        return shape_error(g);
    Tensor *y = graph_tensor(g, n, c, "layernorm");
    LayerNormCtx *cx = g->grad_enabled ? graph_ctx(g, sizeof *cx, "layernorm") : NULL;
    if (cx) {
        cx->mean = graph_ctx(g, (size_t)n * sizeof(float), "layernorm");
        cx->rstd = graph_ctx(g, (size_t)n * sizeof(float), "layernorm");
    }
    if (!y || g->err)
        return NULL;
    LayerNormJob j = {.cx = cx, .x = x->data, .w = w->data, .b = b->data, .y = y->data, .c = c};
    par_for(n, 16, layernorm_forward_range, &j);
    graph_record(g, "layernorm", layernorm_backward, cx, y, x, w, b);
    return g->err ? NULL : y;
}

/* ---- GELU ---------------------------------------------------------------------------- */

#define GELU_S 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_A 0.044715f

/* GELU in its sigmoid form: 0.5 (1 + tanh u) = 1 / (1 + exp(-2u)), u = S (x + A x^3), so
 * y = x s with s = 1 / (1 + exp(-2u)) and dy/dx = s + x s (1 - s) 2 du/dx. Sixteen lanes at
 * a time through v16_exp (AVX-512 where the CPU has it: half the time of eight AVX2 lanes
 * on a Zen 5); the tail goes through the same code on a zero-padded block, so every element
 * is computed alike whatever the width. (glibc's scalar expf was a fifth of a --small step.) */
VEC_INLINE v16f gelu_sig(v16f x)
{
    v16f u = GELU_S * (x + GELU_A * x * x * x);
    return 1.0f / (1.0f + v16_exp(-2.0f * u));
}

VEC_INLINE v16f gelu_dydx(v16f x)
{
    v16f s = gelu_sig(x);
    v16f du = GELU_S * (1.0f + (3.0f * GELU_A) * x * x);
    return s + x * s * (1.0f - s) * 2.0f * du;
}

KERNEL_CLONES_512
static void gelu_forward_kernel(float *y, const float *x, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f v = v16_load(x + i);
        v16_store(y + i, v * gelu_sig(v));
    }
    if (i < n) {
        float bx[16] = {0}, by[16];
        memcpy(bx, x + i, (n - i) * sizeof(float));
        v16f v = v16_load(bx);
        v16_store(by, v * gelu_sig(v));
        memcpy(y + i, by, (n - i) * sizeof(float));
    }
}

/* gx += gy * dy/dx, or gx = gy * dy/dx when fresh */
KERNEL_CLONES_512
static void gelu_backward_kernel(float *gx, const float *gy, const float *x, size_t n, int fresh)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v16f d = v16_load(gy + i) * gelu_dydx(v16_load(x + i));
        v16_store(gx + i, fresh ? d : v16_load(gx + i) + d);
    }
    if (i < n) {
        float bx[16] = {0}, bg[16] = {0}, bo[16] = {0};
        size_t r = (n - i) * sizeof(float);
        memcpy(bx, x + i, r), memcpy(bg, gy + i, r), memcpy(bo, gx + i, r);
        v16f d = v16_load(bg) * gelu_dydx(v16_load(bx));
        v16_store(bo, fresh ? d : v16_load(bo) + d);
        memcpy(gx + i, bo, r);
    }
}

static void gelu_forward_range(const ElemJob *j, size_t lo, size_t hi)
{
    gelu_forward_kernel(j->out + lo, j->in + lo, hi - lo);
}

static void gelu_backward_range(const ElemJob *j, size_t lo, size_t hi)
{
    gelu_backward_kernel(j->out + lo, j->in + lo, j->in2 + lo, hi - lo, j->flags);
}

static EngErr gelu_backward(Graph *g, const TapeEntry *e)
{
    Tensor *x = TAPE_IN(e)[0], *y = e->out;
    int fresh;
    float *gx = graph_grad_out(g, x, &fresh);
    if (!gx)
        return g->err;
    ElemJob j = {.kernel = gelu_backward_range,
                 .n = x->numel,
                 .out = gx,
                 .in = y->grad,
                 .in2 = x->data,
                 .flags = fresh};
    par_elems(&j);
    return ENG_OK;
}

Tensor *op_gelu(Graph *g, Tensor *x)
{
    if (!inputs_ok(g, x, NULL, 0))
        return NULL;
    Tensor *y = graph_tensor(g, x->rows, x->cols, "gelu");
    if (!y)
        return NULL;
    ElemJob j = {.kernel = gelu_forward_range, .n = x->numel, .out = y->data, .in = x->data};
    par_elems(&j);
    graph_record(g, "gelu", gelu_backward, NULL, y, x, NULL, NULL);
    return g->err ? NULL : y;
}

/* ---- vectorised softmax pieces (attention and cross-entropy) ----------------------------- */

static float row_max(const float *r, int n)
{
    float mx = r[0];
    for (int j = 1; j < n; j++)
        mx = r[j] > mx ? r[j] : mx;
    return mx;
}

/* dst[j] = exp(src[j] - shift) for j < n (dst may be src, or NULL to keep only the sum);
 * returns the sum of those values. */
KERNEL_CLONES
static float exp_sub_sum(float *dst, const float *src, float shift, int n)
{
    v8f acc = BCAST(0.0f);
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        v8f e = v8_exp(v8_load(src + j) - BCAST(shift));
        acc += e;
        if (dst)
            v8_store(dst + j, e);
    }
    float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    if (j < n) {
        float b[8] = {0};
        memcpy(b, src + j, (size_t)(n - j) * sizeof(float));
        v8_store(b, v8_exp(v8_load(b) - BCAST(shift)));
        for (int t = 0; t < n - j; t++)
            sum += b[t];
        if (dst)
            memcpy(dst + j, b, (size_t)(n - j) * sizeof(float));
    }
    return sum;
}

/* dst[j] += a * exp(src[j] - shift) for j < n */
KERNEL_CLONES
static void exp_sub_axpy(float *dst, const float *src, float shift, float a, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        v8_store(dst + j, v8_load(dst + j) + BCAST(a) * v8_exp(v8_load(src + j) - BCAST(shift)));
    if (j < n) {
        float b[8] = {0};
        memcpy(b, src + j, (size_t)(n - j) * sizeof(float));
        v8_store(b, v8_exp(v8_load(b) - BCAST(shift)));
        for (int t = 0; t < n - j; t++)
            dst[j + t] += a * b[t];
    }
}

/* ---- causal multi-head self-attention -------------------------------------------------- */

typedef struct AttentionCtx {
    int B, T, H;
    float *probs; /* [B, H, T, T]: softmax(q k^T * scale), zeros above the diagonal up to
                   * the end of each ATT_BLOCK of rows; columns past it are never written */
} AttentionCtx;

/* Softmax of one row over its first len entries, zeros after them up to cap: the products
 * wrote the row up to cap (>= len), and nothing reads it past cap (the next products take
 * columns 0..cap-1 of this block of rows). When the eight-lane block holding the row's
 * tail lies within cap, the tail is one masked vector op (its lanes past len become the
 * zeros). */
KERNEL_CLONES
static void causal_softmax_row(float *r, int len, int cap)
{
    int full = len & ~7, rest = len - full;
    v8f vmx = BCAST(r[0]);
    for (int j = 0; j < full; j += 8) {
        v8f v = v8_load(r + j);
        vmx = v8_select(v > vmx, v, vmx);
    }
    float mx = vmx[0];
    for (int l = 1; l < 8; l++)
        mx = vmx[l] > mx ? vmx[l] : mx;
    for (int j = full; j < len; j++)
        mx = r[j] > mx ? r[j] : mx;
    v8f acc = BCAST(0.0f);
    for (int j = 0; j < full; j += 8) {
        v8f e = v8_exp(v8_load(r + j) - BCAST(mx));
        acc += e;
        v8_store(r + j, e);
    }
    int done = full;
    if (rest && full + 8 <= cap) {
        v8f e = v8_select(v8_mask_n(rest), v8_exp(v8_load(r + full) - BCAST(mx)), BCAST(0.0f));
        acc += e;
        v8_store(r + full, e);
        done = full + 8;
    } else if (rest) {
        v8f e = v8_select(v8_mask_n(rest), v8_exp(v8_load_n(r + full, rest) - BCAST(mx)), BCAST(0.0f));
        acc += e;
        v8_store_n(r + full, e, rest);
        done = len;
    }
    float inv = 1.0f / v8_hsum(acc);
    for (int j = 0; j < done; j += 8) {
        if (j + 8 <= done)
            v8_store(r + j, v8_load(r + j) * BCAST(inv));
        else
            for (int t = j; t < done; t++)
                r[t] *= inv;
    }
    for (int j = done; j < cap; j++) /* columns past cap: never read */
        r[j] = 0.0f;
}

/* Rows r0..r1-1 of s[T,T] (the products wrote columns 0..r1-1): row i over columns 0..i,
 * zeros from there to r1 (the causal mask). */
static void causal_softmax(float *s, int T, int r0, int r1)
{
    for (int i = r0; i < r1; i++)
        causal_softmax_row(s + (size_t)i * T, i + 1, r1);
}

/* Rows are taken ATT_BLOCK at a time, and a block of rows only multiplies the columns up
 * to its last row: the masked upper triangle is mostly never computed (5/8 of the full
 * products at T = 256). */
#define ATT_BLOCK 64

/* One (batch, head) pair per unit of work: the pairs are independent, so they are spread
 * over the threads (par.h), each with its own T x T scratch where one is needed. */
typedef struct AttentionJob {
    const AttentionCtx *cx;
    const float *qkv;
    float *y; /* forward: output [B*T, C] */
    const float *dy; /* backward: output gradient */
    float *gqkv; /* backward: input gradient */
    float *scratch; /* [threads][T*T]: eval-mode probabilities or backward's dP */
    int C;
    int store_probs; /* forward: keep every pair's probabilities for backward */
    int fresh; /* backward: gqkv holds nothing yet (written, not added to) */
} AttentionJob;

static void attention_forward_range(void *ctx, long lo, long hi, int tid)
{
    const AttentionJob *j = ctx;
    int T = j->cx->T, H = j->cx->H, C = j->C, hs = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    for (long bh = lo; bh < hi; bh++) {
        int b = (int)(bh / H), h = (int)(bh % H);
        const float *q = j->qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        float *p = j->store_probs ? j->cx->probs + (size_t)bh * T * T : j->scratch + (size_t)tid * T * T;
        float *out = j->y + (size_t)b * T * C + h * hs;
        for (int r0 = 0; r0 < T; r0 += ATT_BLOCK) { /* rows r0..r1-1 see columns 0..r1-1 */
            int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T, rb = r1 - r0;
            float *pr = p + (size_t)r0 * T;
            gemm(0, 1, rb, r1, hs, scale, q + (size_t)r0 * C3, C3, k, C3, 0.0f, pr, T);
            causal_softmax(p, T, r0, r1);
            gemm(0, 0, rb, hs, r1, 1.0f, pr, T, v, C3, 0.0f, out + (size_t)r0 * C, C);
        }
    }
}

static void attention_backward_range(void *ctx, long lo, long hi, int tid)
{
    const AttentionJob *j = ctx;
    int T = j->cx->T, H = j->cx->H, C = j->C, hs = C / H, C3 = 3 * C;
    float scale = 1.0f / sqrtf((float)hs);
    float *dp = j->scratch + (size_t)tid * T * T;
    for (long bh = lo; bh < hi; bh++) {
        int b = (int)(bh / H), h = (int)(bh % H);
        const float *q = j->qkv + (size_t)b * T * C3 + h * hs, *k = q + C, *v = q + 2 * C;
        float *dq = j->gqkv + (size_t)b * T * C3 + h * hs, *dk = dq + C, *dv = dq + 2 * C;
        const float *dy = j->dy + (size_t)b * T * C + h * hs;
        const float *p = j->cx->probs + (size_t)bh * T * T;
        /* the last block first: it reaches every row of dK and dV, so a fresh gradient is
         * written there and added to after (no zeroing pass); each block's dQ rows are its own */
        float beta_q = j->fresh ? 0.0f : 1.0f, beta_kv = beta_q;
        for (int r0 = (T - 1) / ATT_BLOCK * ATT_BLOCK; r0 >= 0; r0 -= ATT_BLOCK) {
            int r1 = r0 + ATT_BLOCK < T ? r0 + ATT_BLOCK : T,
                rb = r1 - r0; /* rows r0..r1-1, columns 0..r1-1 */
            const float *pb = p + (size_t)r0 * T, *dyb = dy + (size_t)r0 * C;
            float *db = dp + (size_t)r0 * T;
            gemm(0, 1, rb, r1, hs, 1.0f, dyb, C, v, C3, 0.0f, db, T); /* dP = dY V^T */
            gemm(1, 0, r1, hs, rb, 1.0f, pb, T, dyb, C, beta_kv, dv, C3); /* dV (+)= P^T dY */
            for (int i = r0; i < r1; i++) { /* dS = P (dP - <P,dP>) */
                float *dr = dp + (size_t)i * T;
                const float *pr = p + (size_t)i * T;
                float dot = 0.0f;
                for (int c = 0; c <= i; c++)
                    dot += pr[c] * dr[c];
                for (int c = 0; c <= i; c++)
                    dr[c] = pr[c] * (dr[c] - dot) * scale;
                for (int c = i + 1; c < r1; c++)
                    dr[c] = 0.0f;
            }
            gemm(0, 0, rb, hs, r1, 1.0f, db, T, k, C3, beta_q, dq + (size_t)r0 * C3, C3); /* dQ (+)= dS K */
            gemm(1, 0, r1, hs, rb, 1.0f, db, T, q + (size_t)r0 * C3, C3, beta_kv, dk,
                 C3); /* dK (+)= dS^T Q */
            beta_kv = 1.0f;
        }
    }
}

static EngErr attention_backward(Graph *g, const TapeEntry *e)
{
    const AttentionCtx *cx = e->ctx;
    Tensor *qkv = TAPE_IN(e)[0], *y = e->out;
    int fresh;
    float *gqkv = graph_grad_out(g, qkv, &fresh);
    size_t scratch_bytes = (size_t)par_threads() * cx->T * cx->T * sizeof(float);
    float *dp = graph_scratch(g, scratch_bytes, "attention.backward");
    if (!gqkv || !dp)
        return g->err;
    AttentionJob j = {
        .cx = cx, .qkv = qkv->data, .dy = y->grad, .gqkv = gqkv, .scratch = dp, .C = y->cols, .fresh = fresh};
    par_for((long)cx->B * cx->H, 1, attention_backward_range, &j);
    graph_release(g, dp, scratch_bytes);
    graph_release(g, cx->probs, (size_t)cx->B * cx->H * cx->T * cx->T * sizeof(float));
    return ENG_OK;
}

Tensor *op_attention(Graph *g, Tensor *qkv, int B, int T, int n_head)
{
    if (!inputs_ok(g, qkv, NULL, 0))
        return NULL;
    if (B <= 0 || T <= 0 || n_head <= 0 || qkv->cols % 3 != 0 || (qkv->cols / 3) % n_head != 0 ||
        (long long)B * T != qkv->rows)
        return shape_error(g);
    int C = qkv->cols / 3;
    size_t nprob;
    if (!size_mul((size_t)B * n_head, (size_t)T * T, &nprob) || !size_mul(nprob, sizeof(float), &nprob)) {
        graph_fail(g, ENG_EOVERFLOW);
        return NULL;
    }
    Tensor *y = graph_tensor(g, qkv->rows, C, "attention");
    AttentionCtx *cx = graph_ctx(g, sizeof *cx, "attention");
    /* without a tape the probabilities of one head per thread at a time are enough */
    float *probs = graph_ctx(g, g->grad_enabled ? nprob : (size_t)par_threads() * T * T * sizeof(float),
                             "attention.probs");
    if (!y || !cx || !probs)
        return NULL;
    *cx = (AttentionCtx){.B = B, .T = T, .H = n_head, .probs = probs};
    AttentionJob j = {
        .cx = cx, .qkv = qkv->data, .y = y->data, .scratch = probs, .C = C, .store_probs = g->grad_enabled};
    par_for((long)B * n_head, 1, attention_forward_range, &j);
    if (g->grad_enabled)
        fault_attention_probs(probs, g->arena->st.resets);
    graph_record(g, "attention", attention_backward, cx, y, qkv, NULL, NULL);
    return g->err ? NULL : y;
}

/* ---- fused softmax + cross-entropy ------------------------------------------------------ */

typedef struct CrossEntropyCtx {
    float *lse; /* [N] log-sum-exp of each row: softmax is recomputed in backward */
    IndexCtx *tg; /* targets */
} CrossEntropyCtx;

typedef struct CrossEntropyJob {
    CrossEntropyCtx *cx;
    const float *logits, *dy;
    const int32_t *targets;
    float *loss, *dl;
    int v;
} CrossEntropyJob;

static void cross_entropy_range(void *ctx, long lo, long hi, int tid)
{
    const CrossEntropyJob *j = ctx;
    (void)tid;
    for (long i = lo; i < hi; i++) {
        const float *lr = j->logits + (size_t)i * j->v;
        float mx = row_max(lr, j->v);
        float sum = exp_sub_sum(NULL, lr, mx, j->v);
        float lse = mx + logf(sum);
        j->loss[i] = lse - lr[j->targets[i]];
        if (j->cx)
            j->cx->lse[i] = lse;
    }
}

static void cross_entropy_backward_range(void *ctx, long lo, long hi, int tid)
{
    const CrossEntropyJob *j = ctx;
    (void)tid;
    for (long i = lo; i < hi; i++) {
        const float *lr = j->logits + (size_t)i * j->v;
        float *dr = j->dl + (size_t)i * j->v;
        exp_sub_axpy(dr, lr, j->cx->lse[i], j->dy[i], j->v);
        dr[j->cx->tg->idx[i]] -= j->dy[i];
    }
}

static EngErr cross_entropy_backward(Graph *g, const TapeEntry *e)
{
    CrossEntropyCtx *cx = e->ctx;
    Tensor *logits = TAPE_IN(e)[0], *y = e->out;
    float *gl = graph_grad(g, logits);
    if (!gl)
        return g->err;
    CrossEntropyJob j = {.cx = cx, .logits = logits->data, .v = logits->cols, .dy = y->grad, .dl = gl};
    par_for(logits->rows, 16, cross_entropy_backward_range, &j);
    return ENG_OK;
}

Tensor *op_cross_entropy(Graph *g, Tensor *logits, const int32_t *targets)
{
    if (!inputs_ok(g, logits, NULL, 0))
        return NULL;
    int n = logits->rows, v = logits->cols;
    if (!targets) {
        graph_fail(g, ENG_EINVAL);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (targets[i] < 0 || targets[i] >= v) {
            graph_fail(g, ENG_EINVAL);
            return NULL;
        }
    Tensor *y = graph_tensor(g, n, 1, "cross_entropy");
    CrossEntropyCtx *cx = NULL;
    if (g->grad_enabled) {
        cx = graph_ctx(g, sizeof *cx, "cross_entropy");
        if (cx) {
            cx->lse = graph_ctx(g, (size_t)n * sizeof(float), "cross_entropy");
            cx->tg = index_ctx(g, targets, n, "cross_entropy");
        }
    }
    if (!y || g->err)
        return NULL;
    CrossEntropyJob j = {.cx = cx, .logits = logits->data, .targets = targets, .loss = y->data, .v = v};
    par_for(n, 16, cross_entropy_range, &j);
    graph_record(g, "cross_entropy", cross_entropy_backward, cx, y, logits, NULL, NULL);
    return g->err ? NULL : y;
}

/* ---- mean ------------------------------------------------------------------------------ */

static EngErr mean_backward(Graph *g, const TapeEntry *e)
{
    Tensor *x = TAPE_IN(e)[0];
    float *gx = graph_grad(g, x);
    if (!gx)
        return g->err;
    float d = e->out->grad[0] / (float)x->numel;
    for (size_t i = 0; i < x->numel; i++)
        gx[i] += d;
    return ENG_OK;
}

Tensor *op_mean(Graph *g, Tensor *x)
{
    if (!inputs_ok(g, x, NULL, 0))
        return NULL;
    Tensor *y = graph_tensor(g, 1, 1, "mean");
    if (!y)
        return NULL;
    double sum = 0.0;
    for (size_t i = 0; i < x->numel; i++)
        sum += x->data[i];
    y->data[0] = (float)(sum / (double)x->numel);
    graph_record(g, "mean", mean_backward, NULL, y, x, NULL, NULL);
    return g->err ? NULL : y;
}
