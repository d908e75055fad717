#include "autograd.h"

#include <string.h>

#include "hook.h"
#include "par.h"

void graph_init(Graph *g, Arena *arena, Tape *tape)
{
    memset(g, 0, sizeof *g);
    g->arena = arena;
    g->tape = tape;
    g->grad_enabled = 1;
}

void graph_fail(Graph *g, EngErr err)
{
    if (!g->err)
        g->err = err;
}

Tensor *graph_tensor(Graph *g, int rows, int cols, const char *site)
{
    if (g->err)
        return NULL;
    if (rows <= 0 || cols <= 0) {
        graph_fail(g, ENG_EINVAL);
        return NULL;
    }
    size_t numel, bytes;
    if (!size_mul((size_t)rows, (size_t)cols, &numel) || !size_mul(numel, sizeof(float), &bytes)) {
        graph_fail(g, ENG_EOVERFLOW);
        return NULL;
    }
    Tensor *t = arena_alloc(g->arena, sizeof *t, "tensor");
    float *data = t ? arena_alloc(g->arena, bytes, site) : NULL;
    if (!data) {
        graph_fail(g, ENG_ENOMEM);
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->data = data;
    t->rows = rows;
    t->cols = cols;
    t->numel = numel;
    t->role = ROLE_ACTIVATION;
    t->name = site;
    ENG_EVENT(EV_TENSOR_CREATE, bytes, 0, site, ROLE_ACTIVATION, 0);
    return t;
}

void *graph_ctx(Graph *g, size_t bytes, const char *op)
{
    if (g->err)
        return NULL;
    void *p = arena_alloc(g->arena, bytes, op);
    if (!p)
        graph_fail(g, ENG_ENOMEM);
    else
        ENG_EVENT(EV_OP_CTX, bytes, 0, op, 0, 0);
    return p;
}

#define POOL_MIN_BYTES 256

static void *pool_take(Graph *g, size_t bytes)
{
    for (int i = 0; i < GRAPH_POOL_SLOTS; i++) {
        GraphPoolSlot *s = &g->pool[i];
        if (s->bytes == bytes && s->head) {
            void *p = s->head;
            memcpy(&s->head, p, sizeof(void *)); /* the link word is never forbidden */
            arena_permit(p, bytes);
            g->pool_reused += bytes;
            return p;
        }
    }
    return NULL;
}

void graph_release(Graph *g, void *p, size_t bytes)
{
    if (!p || bytes < POOL_MIN_BYTES)
        return;
    GraphPoolSlot *s = NULL;
    for (int i = 0; i < GRAPH_POOL_SLOTS && !s; i++)
        if (g->pool[i].bytes == bytes || g->pool[i].bytes == 0)
            s = &g->pool[i];
    if (!s)
        return; /* more distinct sizes than slots: this block just waits for the reset */
    s->bytes = bytes;
    memcpy(p, &s->head, sizeof(void *));
    s->head = p;
    /* the rest is forbidden: a stale pointer into it is a use-after-poison (ASan) or an
     * invalid read (memcheck) in the checked builds */
    arena_forbid((char *)p + sizeof(void *), bytes - sizeof(void *));
}

void *graph_scratch(Graph *g, size_t bytes, const char *op)
{
    if (g->err)
        return NULL;
    void *p = bytes >= POOL_MIN_BYTES ? pool_take(g, bytes) : NULL;
    return p ? p : graph_ctx(g, bytes, op);
}

static float *grad_block(Graph *g, Tensor *t, int zero)
{
    size_t bytes = t->numel * sizeof(float);
    t->grad = bytes >= POOL_MIN_BYTES ? pool_take(g, bytes) : NULL;
    if (!t->grad)
        t->grad = arena_alloc(g->arena, bytes, "grad");
    if (!t->grad) {
        graph_fail(g, ENG_ENOMEM);
        return NULL;
    }
    if (zero)
        par_zero(t->grad, bytes);
    ENG_EVENT(EV_TENSOR_CREATE, bytes, 0, t->name, ROLE_GRADIENT, 0);
    return t->grad;
}

float *graph_grad(Graph *g, Tensor *t)
{
    return t->grad ? t->grad : grad_block(g, t, 1);
}

float *graph_grad_out(Graph *g, Tensor *t, int *fresh)
{
    *fresh = !t->grad;
    return t->grad ? t->grad : grad_block(g, t, 0);
}

void graph_record(Graph *g, const char *op, TapeBackwardFn backward, void *ctx, Tensor *out, Tensor *in0,
                  Tensor *in1, Tensor *in2)
{
    if (!g->grad_enabled || g->err)
        return;
    TapeEntry e = {.in = {in0, in1, in2},
                   .n_in = in2   ? 3
                           : in1 ? 2
                                 : 1,
                   .out = out,
                   .backward = backward,
                   .ctx = ctx,
                   .op = op};
#ifdef ENGINE_FAULT_STACK_INPUTS
    /* FAULT stack_inputs: exactly the seed's `VariableV2 *inputs[] = {a, b}` */
    Tensor *inputs[TAPE_MAX_INPUTS] = {in0, in1, in2};
    e.inputs = inputs;
#endif
    EngErr err = tape_push(g->tape, &e);
    if (err)
        graph_fail(g, err);
}

EngErr graph_backward(Graph *g, Tensor *loss)
{
    if (g->err)
        return g->err;
    if (!loss || loss->numel != 1)
        return ENG_ESHAPE;
    float *d = graph_grad(g, loss);
    if (!d)
        return g->err;
    d[0] = 1.0f;
    Tape *t = g->tape;
    for (size_t i = t->len; i-- > t->base;) {
        const TapeEntry *e = &t->entries[i];
        if (!e->out->grad)
            continue; /* nothing flows back through this op */
        EngErr err = e->backward(g, e);
        if (!err)
            err = g->err;
        if (err)
            return err;
        if (e->out != loss) { /* every consumer of e->out has run: recycle it */
            size_t bytes = e->out->numel * sizeof(float);
            graph_release(g, e->out->grad, bytes);
            graph_release(g, e->out->data, bytes);
            e->out->grad = NULL;
            e->out->data = NULL;
        }
    }
    return ENG_OK;
}

void graph_end_step(Graph *g)
{
    tape_clear(g->tape);
    arena_reset(g->arena);
    g->err = ENG_OK;
    memset(g->pool, 0, sizeof g->pool);
    g->pool_reused = 0;
}
