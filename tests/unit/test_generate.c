/* test_generate: generation with the key/value cache (engine/generate.c) gives the same
 * logits as the full forward pass (within 1e-5), also after the cache refills; a fixed
 * seed gives the same text twice; top-k 1 and temperature 0 are greedy; feeding tokens
 * allocates nothing. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "gemm.h"
#include "generate.h"
#include "gpt.h"
#include "mem.h"

static Dataset g_d;
static GPT g_m;
static Arena g_arena;
static Tape g_tape;
static Graph g_g;

/* A small model trained a little on the built-in corpus: logits far from uniform. */
static int setup(void **state)
{
    (void)state;
    if (data_builtin(&g_d) != ENG_OK)
        return -1;
    GPTConfig c = {.layers = 2, .heads = 2, .embd = 16, .ctx = 16, .batch = 4, .vocab = g_d.vocab};
    if (gpt_create(&g_m, &c, 7) != ENG_OK)
        return -1;
    arena_init(&g_arena, 1 << 16);
    tape_init(&g_tape, 0);
    graph_init(&g_g, &g_arena, &g_tape);
    int32_t x[64], y[64];
    Rng r;
    rng_seed(&r, 1);
    AdamWConfig opt = adamw_defaults();
    opt.lr = 1e-2f;
    for (int i = 0; i < 60; i++) {
        data_batch(&g_d, SPLIT_TRAIN, &r, 4, 16, x, y);
        GPTStepStats st;
        if (gpt_step(&g_m, &g_g, x, y, &opt, &st) != ENG_OK)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tape_free(&g_tape);
    arena_free(&g_arena);
    gpt_destroy(&g_m);
    data_free(&g_d);
    return 0;
}

/* The full forward pass's logits of tokens[0..n) (n <= ctx) into out[n * vocab]. */
static void full_logits(const int32_t *tokens, int n, float *out)
{
    g_g.grad_enabled = 0;
    Tensor *l = gpt_forward(&g_m, &g_g, tokens, NULL, 1, n);
    assert_non_null(l);
    memcpy(out, l->data, (size_t)n * g_m.cfg.vocab * sizeof(float));
    graph_end_step(&g_g);
    g_g.grad_enabled = 1;
}

static float max_diff(const float *a, const float *b, int n)
{
    float d = 0;
    for (int i = 0; i < n; i++)
        d = fmaxf(d, fabsf(a[i] - b[i]));
    return d;
}

static void test_cache_matches_full_forward(void **state)
{
    (void)state;
    int V = g_m.cfg.vocab, T = g_m.cfg.ctx;
    int32_t tok[16] = {0};
    for (int i = 0; i < T; i++)
        tok[i] = g_d.tokens[100 + i];
    float *full = malloc(sizeof(float) * T * V);
    full_logits(tok, T, full);
    Generator g;
    assert_int_equal(gen_init(&g, &g_m), ENG_OK);
    float worst = 0, scale = 0;
    for (int i = 0; i < T; i++) {
        assert_int_equal(gen_feed(&g, tok[i]), ENG_OK);
        worst = fmaxf(worst, max_diff(g.logits, full + (size_t)i * V, V));
        for (int v = 0; v < V; v++)
            scale = fmaxf(scale, fabsf(full[(size_t)i * V + v]));
    }
    if (worst > 1e-5f)
        fail_msg("the cached path differs from the full forward by %g (logits up to %g)", worst, scale);
    assert_true(scale > 1.0f); /* trained: the comparison is not between near-zero numbers */
    /* full: the next token refills the cache with the last ctx/2 tokens from position 0 */
    assert_int_equal(gen_feed(&g, 5), ENG_OK);
    assert_int_equal(g.refills, 1);
    assert_int_equal(g.len, T / 2 + 1);
    int32_t win[16] = {0};
    memcpy(win, tok + T / 2, sizeof(int32_t) * (T / 2));
    win[T / 2] = 5;
    full_logits(win, T / 2 + 1, full);
    worst = max_diff(g.logits, full + (size_t)(T / 2) * V, V);
    if (worst > 1e-5f)
        fail_msg("after the refill the cached path differs by %g", worst);
    assert_int_equal(gen_feed(&g, V), ENG_EINVAL); /* a token out of range */
    gen_free(&g);
    free(full);
}

/* Generates n tokens from a newline with seed; returns them in out. */
static void generate(Generator *g, uint64_t seed, float temp, int top_k, int32_t *out, int n)
{
    Rng r;
    rng_seed(&r, seed);
    gen_reset(g);
    int32_t t = data_newline_token(&g_d);
    for (int i = 0; i < n; i++) {
        assert_int_equal(gen_feed(g, t), ENG_OK);
        out[i] = t = gen_sample(g, temp, top_k, 1.0f, &r);
        assert_true(t >= 0 && t < g_m.cfg.vocab);
    }
}

static void test_sampling(void **state)
{
    (void)state;
    Generator g;
    assert_int_equal(gen_init(&g, &g_m), ENG_OK);
    int32_t a[200], b[200], c[200];
    generate(&g, 42, 1.0f, 0, a, 200);
    generate(&g, 42, 1.0f, 0, b, 200);
    assert_memory_equal(a, b, sizeof a); /* a fixed seed: the same text */
    generate(&g, 43, 1.0f, 0, c, 200);
    assert_true(memcmp(a, c, sizeof a) != 0);
    generate(&g, 1, 0.0f, 0, a, 100); /* greedy */
    generate(&g, 2, 1.0f, 1, b, 100); /* top-1: greedy whatever the seed */
    assert_memory_equal(a, b, sizeof(int32_t) * 100);
    /* top-k 3: every token among the 3 largest logits of its step */
    Rng r;
    rng_seed(&r, 9);
    gen_reset(&g);
    assert_int_equal(gen_feed(&g, 0), ENG_OK);
    for (int i = 0; i < 100; i++) {
        int32_t t = gen_sample(&g, 1.5f, 3, 1.0f, &r);
        int above = 0;
        for (int v = 0; v < g_m.cfg.vocab; v++)
            above += g.logits[v] > g.logits[t];
        assert_true(above < 3);
        assert_int_equal(gen_feed(&g, t), ENG_OK);
    }
    /* top-p 0.5: every token in the nucleus, the likeliest whose probabilities reach half:
     * those likelier than it sum to less than half; top-p near 0: greedy */
    assert_true(g_m.cfg.vocab <= 256);
    for (int i = 0; i < 100; i++) {
        float lg[256], best = -INFINITY;
        memcpy(lg, g.logits, sizeof(float) * (size_t)g_m.cfg.vocab);
        for (int v = 0; v < g_m.cfg.vocab; v++)
            best = fmaxf(best, lg[v]);
        int32_t t = gen_sample(&g, 1.5f, 0, 0.5f, &r);
        double above = 0, all = 0;
        for (int v = 0; v < g_m.cfg.vocab; v++) {
            double p = exp((lg[v] - best) / 1.5);
            all += p;
            above += lg[v] > lg[t] ? p : 0;
        }
        assert_true(above < 0.5 * all);
        int32_t greedy = 0;
        for (int v = 1; v < g_m.cfg.vocab; v++)
            greedy = lg[v] > lg[greedy] ? v : greedy;
        assert_int_equal(gen_sample(&g, 1.5f, 0, 1e-6f, &r), greedy);
        assert_int_equal(gen_feed(&g, t), ENG_OK);
    }
    gen_free(&g);
}

/* Generators advanced together in one pass: each one's logits as gen_feed gives them, bit
 * for bit, and so the same whichever others share the pass (the same text for a seed,
 * alone or with others); through refills; a pass allocates nothing. */
static void batch_matches_one_at_a_time(void)
{
    enum { N = 3, STEPS = 40 }; /* 40 tokens: past the context (16), refilled twice */
    Generator solo[N], team[N], alone;
    GenBatch b;
    assert_int_equal(gen_batch_init(&b, &g_m, 4), ENG_OK);
    assert_int_equal(gen_init(&alone, &g_m), ENG_OK);
    for (int i = 0; i < N; i++) {
        assert_int_equal(gen_init(&solo[i], &g_m), ENG_OK);
        assert_int_equal(gen_init(&team[i], &g_m), ENG_OK);
    }
    Generator *ptr[N] = {&team[0], &team[1], &team[2]}, *one[1] = {&alone};
    uint64_t allocs = mem_stats().allocs;
    float worst = 0;
    for (int s = 0; s < STEPS; s++) {
        int32_t toks[N];
        for (int i = 0; i < N; i++) {
            toks[i] = (int32_t)((s * 7 + i * 3) % g_m.cfg.vocab);
            assert_int_equal(gen_feed(&solo[i], toks[i]), ENG_OK);
        }
        assert_int_equal(gen_feed_batch(&b, ptr, toks, N), ENG_OK);
        assert_int_equal(gen_feed_batch(&b, one, toks, 1), ENG_OK); /* team[0]'s tokens, alone */
        for (int i = 0; i < N; i++)
            worst = fmaxf(worst, max_diff(team[i].logits, solo[i].logits, g_m.cfg.vocab));
        assert_memory_equal(alone.logits, team[0].logits, sizeof(float) * (size_t)g_m.cfg.vocab);
    }
    if (worst != 0)
        fail_msg("the batched pass differs from gen_feed by %g", worst);
    assert_int_equal(team[0].refills, solo[0].refills);
    assert_true(team[0].refills >= 2);
    assert_int_equal(mem_stats().allocs, allocs);
    int32_t bad[1] = {g_m.cfg.vocab};
    assert_int_equal(gen_feed_batch(&b, one, bad, 1), ENG_EINVAL);
    assert_int_equal(gen_feed_batch(&b, ptr, bad, 5), ENG_EINVAL); /* more than its rows */
    for (int i = 0; i < N; i++)
        gen_free(&solo[i]), gen_free(&team[i]);
    gen_free(&alone);
    gen_batch_free(&b);
}

static void test_batch_matches_one_at_a_time(void **state)
{
    (void)state;
    batch_matches_one_at_a_time(); /* the CPU's kernels (AVX2 and FMA when it has them) */
    gemm_use_portable(1);
    batch_matches_one_at_a_time(); /* the same sums in plain C */
    gemm_use_portable(0);
}

/* Per token after warm-up: no heap allocation, whatever the number of tokens. */
static void test_no_allocation_per_token(void **state)
{
    (void)state;
    Generator g;
    assert_int_equal(gen_init(&g, &g_m), ENG_OK);
    int32_t out[1000];
    uint64_t before = mem_stats().allocs;
    generate(&g, 3, 0.8f, 10, out, 1000);
    assert_int_equal(mem_stats().allocs, before);
    assert_true(g.refills > 100); /* the cache refilled all along, bounded at ctx positions */
    gen_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_matches_full_forward),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_no_allocation_per_token),
        cmocka_unit_test(test_batch_matches_one_at_a_time),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
