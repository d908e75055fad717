/* test_ops: every op's forward on hand-checked values, and every op's backward against
 * central finite differences of a random projection of its output. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "autograd.h"
#include "ops.h"
#include "rng.h"

#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* ---- fixtures ----------------------------------------------------------------------- */

typedef struct Fixture {
    Arena arena;
    Tape tape;
    Graph g;
} Fixture;

static void fixture_init(Fixture *f)
{
    arena_init(&f->arena, 1 << 16);
    tape_init(&f->tape, 0);
    graph_init(&f->g, &f->arena, &f->tape);
}

static void fixture_free(Fixture *f)
{
    tape_free(&f->tape);
    arena_free(&f->arena);
}

/* A test-owned tensor with a gradient buffer (like a parameter). */
static Tensor *leaf(int rows, int cols, const float *values)
{
    Tensor *t = calloc(1, sizeof *t);
    t->rows = rows;
    t->cols = cols;
    t->numel = (size_t)rows * cols;
    t->data = calloc(t->numel, sizeof(float));
    t->grad = calloc(t->numel, sizeof(float));
    t->persistent = 1;
    t->name = "leaf";
    if (values)
        memcpy(t->data, values, t->numel * sizeof(float));
    return t;
}

static Tensor *leaf_random(int rows, int cols, Rng *r, float scale)
{
    Tensor *t = leaf(rows, cols, NULL);
    for (size_t i = 0; i < t->numel; i++)
        t->data[i] = scale * rng_normal(r);
    return t;
}

static void leaf_free(Tensor *t)
{
    if (t) {
        free(t->data);
        free(t->grad);
        free(t);
    }
}

static void expect_values(const Tensor *t, const float *want, size_t n, const char *what)
{
    assert_non_null(t);
    assert_int_equal(t->numel, n);
    for (size_t i = 0; i < n; i++) {
        char msg[96];
        snprintf(msg, sizeof msg, "%s[%zu]", what, i);
        ASSERT_CLOSE(t->data[i], want[i], 1e-5, 1e-5, msg);
    }
}

/* ---- forward on hand-checked values ---------------------------------------------------- */

static void test_forward_values(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f);
    Graph *g = &f.g;
    Tensor *a = leaf(2, 2, (float[]){1, 2, 3, 4}), *b = leaf(2, 2, (float[]){5, 6, 7, 8});
    expect_values(op_matmul(g, a, 0, b, 0), (float[]){19, 22, 43, 50}, 4, "a@b");
    expect_values(op_matmul(g, a, 1, b, 0), (float[]){26, 30, 38, 44}, 4, "a^T@b");
    expect_values(op_matmul(g, a, 0, b, 1), (float[]){17, 23, 39, 53}, 4, "a@b^T");
    expect_values(op_matmul(g, a, 1, b, 1), (float[]){23, 31, 34, 46}, 4, "a^T@b^T");
    Tensor *bias = leaf(1, 2, (float[]){10, 20});
    expect_values(op_bias_add(g, a, bias), (float[]){11, 22, 13, 24}, 4, "bias_add");
    expect_values(op_linear(g, a, b, bias), (float[]){27, 43, 49, 73}, 4, "linear"); /* a@b^T + bias */
    expect_values(op_add(g, a, b), (float[]){6, 8, 10, 12}, 4, "add");
    expect_values(op_mul(g, a, b), (float[]){5, 12, 21, 32}, 4, "mul");
    Tensor *table = leaf(3, 2, (float[]){0, 1, 10, 11, 20, 21});
    expect_values(op_embedding(g, table, (int32_t[]){2, 0, 2}, 3), (float[]){20, 21, 0, 1, 20, 21}, 6,
                  "embedding");
    Tensor *x = leaf(1, 4, (float[]){1, 2, 3, 4}), *w = leaf(1, 4, (float[]){1, 1, 1, 2}),
           *lb = leaf(1, 4, (float[]){0, 0, 0, 1});
    float rstd = 1.0f / sqrtf(1.25f + 1e-5f);
    expect_values(op_layernorm(g, x, w, lb),
                  (float[]){-1.5f * rstd, -0.5f * rstd, 0.5f * rstd, 3.0f * rstd + 1}, 4, "layernorm");
    Tensor *gx = leaf(1, 3, (float[]){0, 1, -1});
    expect_values(op_gelu(g, gx), (float[]){0, 0.8411919906f, -0.1588080094f}, 3, "gelu");
    /* attention, B=1 T=2 H=1 C=1: token 0 sees only itself; token 1 weighs v0, v1 by
     * softmax(q1 k0, q1 k1) = softmax(0, ln 3) = (1/4, 3/4) */
    Tensor *qkv = leaf(2, 3, (float[]){5, 0, 2, 1, logf(3.0f), 6});
    expect_values(op_attention(g, qkv, 1, 2, 1), (float[]){2, 0.25f * 2 + 0.75f * 6}, 2, "attention");
    Tensor *logits = leaf(2, 4, (float[]){0, 0, 0, 0, 0, logf(3.0f), -INFINITY, -INFINITY});
    expect_values(op_cross_entropy(g, logits, (int32_t[]){2, 1}), (float[]){logf(4.0f), -logf(0.75f)}, 2,
                  "cross_entropy");
    expect_values(op_mean(g, a), (float[]){2.5f}, 1, "mean");
    assert_int_equal(g->err, ENG_OK);
    Tensor *all[] = {a, b, bias, table, x, w, lb, gx, qkv, logits};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        leaf_free(all[i]);
    fixture_free(&f);
}

static void test_errors_are_reported_and_sticky(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f);
    Graph *g = &f.g;
    Tensor *a = leaf(2, 3, NULL), *b = leaf(2, 3, NULL), *t = leaf(4, 2, NULL);
    assert_null(op_matmul(g, a, 0, b, 0)); /* inner dimensions 3 vs 2 */
    assert_int_equal(g->err, ENG_ESHAPE);
    assert_null(op_add(g, a, b)); /* fine on its own, but the graph already failed */
    graph_end_step(g);
    assert_int_equal(g->err, ENG_OK);
    assert_null(op_embedding(g, t, (int32_t[]){0, 4}, 2)); /* 4 is out of range */
    assert_int_equal(g->err, ENG_EINVAL);
    graph_end_step(g);
    assert_null(op_cross_entropy(g, a, (int32_t[]){0, 3}));
    assert_int_equal(g->err, ENG_EINVAL);
    graph_end_step(g);
    assert_null(op_attention(g, a, 1, 2, 2)); /* C = 1 is not divisible into 2 heads */
    assert_int_equal(g->err, ENG_ESHAPE);
    graph_end_step(g);
    assert_null(op_gelu(g, NULL));
    assert_int_equal(g->err, ENG_EINVAL);
    graph_end_step(g);
    leaf_free(a), leaf_free(b), leaf_free(t);
    fixture_free(&f);
}

/* ---- gradient checks ------------------------------------------------------------------- */

#define MAX_IN 3
typedef Tensor *(*BuildFn)(Graph *g, Tensor **in, const void *arg);

/* sum(out * R), in double, from a forward pass without a tape */
static double projected(Fixture *f, BuildFn fn, Tensor **in, const void *arg, const float *R)
{
    f->g.grad_enabled = 0;
    Tensor *out = fn(&f->g, in, arg);
    assert_non_null(out);
    double s = 0.0;
    for (size_t i = 0; i < out->numel; i++)
        s += (double)out->data[i] * R[i];
    graph_end_step(&f->g);
    f->g.grad_enabled = 1;
    return s;
}

static void gradcheck(const char *name, BuildFn fn, Tensor **in, int n_in, const void *arg)
{
    Fixture f;
    fixture_init(&f);
    Graph *g = &f.g;
    Rng r;
    rng_seed(&r, 99);
    /* analytic: loss = mean(out * R * numel) = sum(out * R) */
    Tensor *out = fn(g, in, arg);
    assert_non_null(out);
    float *R = malloc(out->numel * sizeof(float));
    Tensor *rt = graph_tensor(g, out->rows, out->cols, "test.R");
    assert_non_null(rt);
    for (size_t i = 0; i < out->numel; i++) {
        R[i] = rng_normal(&r);
        rt->data[i] = R[i] * (float)out->numel;
    }
    for (int k = 0; k < n_in; k++)
        memset(in[k]->grad, 0, in[k]->numel * sizeof(float));
    Tensor *loss = op_mean(g, op_mul(g, out, rt));
    assert_int_equal(graph_backward(g, loss), ENG_OK);
    graph_end_step(g);
    /* numeric, element by element */
    const float h = 1e-2f;
    double worst_abs = 0.0, worst_rel = 0.0;
    for (int k = 0; k < n_in; k++)
        for (size_t i = 0; i < in[k]->numel; i++) {
            float x0 = in[k]->data[i];
            in[k]->data[i] = x0 + h;
            double lp = projected(&f, fn, in, arg, R);
            in[k]->data[i] = x0 - h;
            double lm = projected(&f, fn, in, arg, R);
            in[k]->data[i] = x0;
            double num = (lp - lm) / (2.0 * h), ana = in[k]->grad[i];
            double mag = fmax(fabs(num), fabs(ana));
            double abs_err = fabs(num - ana), rel_err = mag > 0 ? abs_err / mag : 0.0;
            worst_abs = fmax(worst_abs, abs_err);
            if (mag > 1e-2) /* relative error means little for near-zero gradients */
                worst_rel = fmax(worst_rel, rel_err);
            if (abs_err > 2e-3 + 2e-2 * fmax(fabs(num), fabs(ana)))
                fail_msg("%s: input %d element %zu: analytic %.6g, numeric %.6g (abs err %.3g, rel err %.3g; "
                         "tolerance 2e-3 + 2e-2 relative)",
                         name, k, i, ana, num, abs_err, rel_err);
        }
    print_message("%s: max abs error %.2e, max rel error %.2e\n", name, worst_abs, worst_rel);
    free(R);
    fixture_free(&f);
}

typedef struct MatmulArg {
    int ta, tb;
} MatmulArg;

static Tensor *build_matmul(Graph *g, Tensor **in, const void *arg)
{
    const MatmulArg *m = arg;
    return op_matmul(g, in[0], m->ta, in[1], m->tb);
}

static void test_grad_matmul(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 1);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* op(A) is [3,4], op(B) is [4,5] */
            Tensor *in[2] = {ta ? leaf_random(4, 3, &r, 1) : leaf_random(3, 4, &r, 1),
                             tb ? leaf_random(5, 4, &r, 1) : leaf_random(4, 5, &r, 1)};
            MatmulArg arg = {ta, tb};
            char name[64];
            snprintf(name, sizeof name, "matmul ta=%d tb=%d", ta, tb);
            gradcheck(name, build_matmul, in, 2, &arg);
            leaf_free(in[0]), leaf_free(in[1]);
        }
}

static Tensor *build_linear(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_linear(g, in[0], in[1], in[2]);
}
static Tensor *build_bias_add(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_bias_add(g, in[0], in[1]);
}
static Tensor *build_add(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_add(g, in[0], in[1]);
}
static Tensor *build_mul(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_mul(g, in[0], in[1]);
}
static Tensor *build_gelu(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_gelu(g, in[0]);
}
static Tensor *build_mean(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_mean(g, in[0]);
}
static Tensor *build_layernorm(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    return op_layernorm(g, in[0], in[1], in[2]);
}
static Tensor *build_embedding(Graph *g, Tensor **in, const void *arg)
{
    return op_embedding(g, in[0], arg, 5);
}
static Tensor *build_cross_entropy(Graph *g, Tensor **in, const void *arg)
{
    return op_cross_entropy(g, in[0], arg);
}

static Tensor *build_attention(Graph *g, Tensor **in, const void *arg)
{
    const int *bth = arg;
    return op_attention(g, in[0], bth[0], bth[1], bth[2]);
}

/* Intermediates whose gradients are written fresh and then accumulated, through the pool:
 * h = gelu(x) feeds both a LayerNorm and the residual add, so add assigns h's gradient and
 * LayerNorm's backward adds to it; linear assigns its input's, gelu(l) assigns l's. */
static Tensor *build_composite(Graph *g, Tensor **in, const void *arg)
{
    (void)arg;
    Tensor *h = op_gelu(g, in[0]);
    Tensor *l = op_linear(g, op_layernorm(g, h, in[1], in[2]), in[3], in[4]);
    return op_add(g, op_gelu(g, l), h);
}

static void test_grad_composite(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 9);
    Tensor *in[5] = {leaf_random(8, 16, &r, 1), leaf_random(1, 16, &r, 1), leaf_random(1, 16, &r, 1),
                     leaf_random(16, 16, &r, 0.3f), leaf_random(1, 16, &r, 1)};
    gradcheck("gelu -> layernorm -> linear -> gelu + residual", build_composite, in, 5, NULL);
    for (int i = 0; i < 5; i++)
        leaf_free(in[i]);
}

static void test_grad_linear(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 8);
    Tensor *in[3] = {leaf_random(3, 4, &r, 1), leaf_random(5, 4, &r, 1), leaf_random(1, 5, &r, 1)};
    gradcheck("linear", build_linear, in, 3, NULL);
    for (int i = 0; i < 3; i++)
        leaf_free(in[i]);
}

static void test_grad_elementwise(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 2);
    Tensor *in[2] = {leaf_random(3, 4, &r, 1), leaf_random(1, 4, &r, 1)};
    gradcheck("bias_add", build_bias_add, in, 2, NULL);
    leaf_free(in[1]);
    in[1] = leaf_random(3, 4, &r, 1);
    gradcheck("add", build_add, in, 2, NULL);
    gradcheck("mul", build_mul, in, 2, NULL);
    gradcheck("gelu", build_gelu, in, 1, NULL);
    gradcheck("mean", build_mean, in, 1, NULL);
    leaf_free(in[0]), leaf_free(in[1]);
}

static void test_grad_layernorm(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 3);
    Tensor *in[3] = {leaf_random(3, 6, &r, 1), leaf_random(1, 6, &r, 1), leaf_random(1, 6, &r, 1)};
    gradcheck("layernorm", build_layernorm, in, 3, NULL);
    for (int i = 0; i < 3; i++)
        leaf_free(in[i]);
    /* rows of two full eight-lane blocks and a tail of three */
    Tensor *in2[3] = {leaf_random(4, 19, &r, 1), leaf_random(1, 19, &r, 1), leaf_random(1, 19, &r, 1)};
    gradcheck("layernorm, 19 columns", build_layernorm, in2, 3, NULL);
    for (int i = 0; i < 3; i++)
        leaf_free(in2[i]);
}

static void test_grad_embedding(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 4);
    static const int32_t idx[5] = {1, 3, 1, 0, 1}; /* repeats must accumulate */
    Tensor *in[1] = {leaf_random(4, 3, &r, 1)};
    gradcheck("embedding", build_embedding, in, 1, idx);
    leaf_free(in[0]);
}

static void test_grad_attention(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 5);
    static const int bth[3] = {2, 4, 2}; /* B=2, T=4, 2 heads of 2 channels */
    Tensor *in[1] = {leaf_random(8, 12, &r, 1)};
    gradcheck("attention", build_attention, in, 1, bth);
    leaf_free(in[0]);
    /* longer than one block of rows (ATT_BLOCK = 64): the blocked products and masks */
    static const int long_bth[3] = {1, 70, 1};
    Tensor *in2[1] = {leaf_random(70, 6, &r, 1)};
    gradcheck("attention, 70 rows", build_attention, in2, 1, long_bth);
    /* and its forward against the plain formula, in double */
    Fixture f;
    fixture_init(&f);
    Tensor *y = op_attention(&f.g, in2[0], 1, 70, 1);
    assert_non_null(y);
    const float *qkv = in2[0]->data;
    for (int i = 0; i < 70; i++) {
        double w[70], sum = 0.0, mx = -1e300;
        for (int j = 0; j <= i; j++) {
            w[j] = (qkv[i * 6] * qkv[j * 6 + 2] + qkv[i * 6 + 1] * qkv[j * 6 + 3]) / sqrt(2.0);
            mx = w[j] > mx ? w[j] : mx;
        }
        for (int j = 0; j <= i; j++)
            sum += (w[j] = exp(w[j] - mx));
        for (int c = 0; c < 2; c++) {
            double o = 0.0;
            for (int j = 0; j <= i; j++)
                o += w[j] / sum * qkv[j * 6 + 4 + c];
            ASSERT_CLOSE(y->data[i * 2 + c], o, 1e-5, 1e-5, "attention forward, 70 rows");
        }
    }
    graph_end_step(&f.g);
    fixture_free(&f);
    leaf_free(in2[0]);
}

static void test_grad_cross_entropy(void **state)
{
    (void)state;
    Rng r;
    rng_seed(&r, 6);
    static const int32_t targets[4] = {0, 4, 2, 2};
    Tensor *in[1] = {leaf_random(4, 5, &r, 2)};
    gradcheck("cross_entropy", build_cross_entropy, in, 1, targets);
    leaf_free(in[0]);
}

/* Backward hands each entry's output (data and gradient) back once the entry has run, and
 * later gradients of the same size reuse it; in the ASan build a stale pointer into a
 * released block points at poisoned memory. */
static void test_backward_recycles_outputs(void **state)
{
    (void)state;
    Fixture f;
    fixture_init(&f);
    Rng r;
    rng_seed(&r, 7);
    Tensor *x = leaf_random(64, 64, &r, 1);
    Tensor *a = op_gelu(&f.g, x);
    Tensor *b = op_gelu(&f.g, a);
    Tensor *loss = op_mean(&f.g, op_gelu(&f.g, b));
    assert_non_null(loss);
    float *stale = b->data;
    assert_int_equal(graph_backward(&f.g, loss), ENG_OK);
    /* a's gradient came from the block the last gelu's output gave back */
    assert_int_equal(f.g.pool_reused, 64 * 64 * sizeof(float));
    assert_null(b->data);
    assert_null(b->grad);
    assert_non_null(loss->data); /* the loss and the leaves keep theirs */
    assert_non_null(x->grad);
#ifdef ARENA_ASAN
    assert_true(__asan_address_is_poisoned(stale + 2)); /* past the pool's link word */
#else
    (void)stale;
#endif
    graph_end_step(&f.g);
    leaf_free(x);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_values),
        cmocka_unit_test(test_errors_are_reported_and_sticky),
        cmocka_unit_test(test_grad_matmul),
        cmocka_unit_test(test_grad_linear),
        cmocka_unit_test(test_grad_elementwise),
        cmocka_unit_test(test_grad_layernorm),
        cmocka_unit_test(test_grad_embedding),
        cmocka_unit_test(test_grad_attention),
        cmocka_unit_test(test_grad_cross_entropy),
        cmocka_unit_test(test_grad_composite),
        cmocka_unit_test(test_backward_recycles_outputs),
    };
    return cmocka_run_group_tests_name("ops", tests, NULL, NULL);
}
