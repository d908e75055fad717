/* test_gpt: whole-model gradient check, the memory contract over 200 iterations,
 * determinism for a fixed seed, that training lowers the loss, and that the engine's
 * threads change neither the losses (beyond rounding) nor the memory contract. */
#include "testutil.h"
#include "trainer.h"

#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "gpt.h"
#include "mem.h"
#include "par.h"
#include "gemm.h"
#include "rng.h"

static const GPTConfig k_tiny = {.layers = 1, .heads = 2, .embd = 32, .ctx = 32, .batch = 4};

/* ---- whole-model gradient check ------------------------------------------------------------ */

static double model_loss(GPT *m, Graph *g, const int32_t *x, const int32_t *y)
{
    float l;
    assert_int_equal(gpt_eval(m, g, x, y, &l), ENG_OK);
    return l;
}

static void test_whole_model_gradient(void **state)
{
    (void)state;
    GPTConfig c = {.layers = 2, .heads = 2, .embd = 8, .ctx = 4, .batch = 2, .vocab = 7};
    GPT m;
    assert_int_equal(gpt_create(&m, &c, 42), ENG_OK);
    Rng r;
    rng_seed(&r, 43);
    /* larger weights than the 0.02 init, so that every gradient is well above float noise */
    for (size_t i = 0; i < m.n_params; i++)
        m.params[i] += 0.3f * rng_normal(&r);
    Arena arena;
    Tape tape;
    Graph g;
    arena_init(&arena, 1 << 16);
    tape_init(&tape, 0);
    graph_init(&g, &arena, &tape);
    int32_t x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = (int32_t)rng_below(&r, 7);
        y[i] = (int32_t)rng_below(&r, 7);
    }
    memset(m.grads, 0, m.n_params * sizeof(float));
    Tensor *loss = gpt_forward(&m, &g, x, y, 2, 4);
    assert_non_null(loss);
    assert_int_equal(graph_backward(&g, loss), ENG_OK);
    graph_end_step(&g);
    float *analytic = malloc(m.n_params * sizeof(float));
    memcpy(analytic, m.grads, m.n_params * sizeof(float));
    const float h = 1e-2f;
    double worst = 0.0;
    size_t worst_i = 0;
    for (size_t i = 0; i < m.n_params; i++) {
        float p0 = m.params[i];
        m.params[i] = p0 + h;
        double lp = model_loss(&m, &g, x, y);
        m.params[i] = p0 - h;
        double lm = model_loss(&m, &g, x, y);
        m.params[i] = p0;
        double num = (lp - lm) / (2.0 * h);
        double err = fabs(num - analytic[i]);
        double tol = 2e-3 + 3e-2 * fmax(fabs(num), fabs(analytic[i]));
        if (err / tol > worst) {
            worst = err / tol;
            worst_i = i;
        }
        if (err > tol)
            fail_msg("parameter %zu: analytic %.6g, numeric %.6g (abs err %.3g > tolerance %.3g)", i,
                     analytic[i], num, err, tol);
    }
    print_message("whole model: %zu parameters checked, worst error %.2f of tolerance (parameter %zu)\n",
                  m.n_params, worst, worst_i);
    free(analytic);
    tape_free(&tape);
    arena_free(&arena);
    gpt_destroy(&m);
}

/* ---- the memory contract ------------------------------------------------------------------ */

static void test_memory_contract_200_iterations(void **state)
{
    (void)state;
    Trainer t;
    trainer_init(&t, k_tiny, 1);
    trainer_step(&t);
    ArenaStats a1 = arena_stats(&t.arena);
    size_t cap1 = t.tape.cap;
    MemStats m1 = mem_stats();
    for (int it = 2; it <= 200; it++) {
        trainer_step(&t);
        if (it % 50 == 0) { /* an evaluation between steps must not allocate either */
            float l;
            assert_int_equal(gpt_eval(&t.m, &t.g, t.x, t.y, &l), ENG_OK);
        }
        ArenaStats a = arena_stats(&t.arena);
        MemStats m = mem_stats();
        if (it % 50 != 0 && a.step_bytes != a1.step_bytes)
            fail_msg("iteration %d: arena used %zu bytes, iteration 1 used %zu", it, a.step_bytes,
                     a1.step_bytes);
        if (a.high_water_bytes != a1.high_water_bytes || a.reserved_bytes != a1.reserved_bytes ||
            a.chunks != a1.chunks)
            fail_msg("iteration %d: arena high-water %zu / reserved %zu / chunks %zu, after iteration 1: %zu "
                     "/ %zu / %zu",
                     it, a.high_water_bytes, a.reserved_bytes, a.chunks, a1.high_water_bytes,
                     a1.reserved_bytes, a1.chunks);
        if (t.tape.cap != cap1)
            fail_msg("iteration %d: tape capacity %zu, after iteration 1: %zu", it, t.tape.cap, cap1);
        if (m.allocs != m1.allocs || m.live_bytes != m1.live_bytes)
            fail_msg("iteration %d: %llu engine heap allocations since iteration 1 (live bytes %zu -> %zu)",
                     it, (unsigned long long)(m.allocs - m1.allocs), m1.live_bytes, m.live_bytes);
    }
    assert_int_equal(t.tape.len, 0); /* cleared at the end of every step */
    trainer_free(&t);
}

static void test_destroy_returns_every_byte(void **state)
{
    (void)state;
    size_t live = mem_stats().live_bytes;
    Trainer t;
    trainer_init(&t, k_tiny, 1);
    for (int i = 0; i < 3; i++)
        trainer_step(&t);
    trainer_free(&t);
    assert_int_equal(mem_stats().live_bytes, live);
}

/* ---- determinism and learning ---------------------------------------------------------------- */

static void losses(uint64_t seed, int n, float *out)
{
    Trainer t;
    trainer_init(&t, k_tiny, seed);
    for (int i = 0; i < n; i++)
        out[i] = trainer_step(&t);
    trainer_free(&t);
}

static void test_same_seed_same_losses(void **state)
{
    (void)state;
    float a[20], b[20], c[20];
    losses(7, 20, a);
    losses(7, 20, b);
    losses(8, 20, c);
    for (int i = 0; i < 20; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            fail_msg("step %d: seed 7 gave %.9g then %.9g", i + 1, a[i], b[i]);
    assert_true(memcmp(a, c, sizeof a) != 0);
}

/* Large enough that products, attention, LayerNorm and GELU are all split over threads. */
static const GPTConfig k_mid = {.layers = 2, .heads = 4, .embd = 64, .ctx = 64, .batch = 4};

/* The theoretical minimum: by hand for a model small enough to count, and never above what
 * a real step holds (the model's four blocks plus the step arena's high-water mark). */
static void test_theoretical_minimum(void **state)
{
    (void)state;
    GPTConfig c = {.layers = 1, .heads = 1, .embd = 8, .ctx = 4, .batch = 1, .vocab = 5};
    GPTMinBytes mb = gpt_min_bytes(&c);
    /* N = 4 tokens: per layer 16 N C = 512, LayerNorm stats 4 N = 16, probabilities
     * T (T + 1) / 2 = 10; final LayerNorm 2 N C + 2 N = 72, logits N V = 20, lse 4:
     * 634 floats, plus 2 N int32 ids */
    assert_true(mb.activations == 634 * 4 + 2 * 4 * 4);
    assert_true(mb.state == 16.0 * (double)gpt_param_count(&c));
    assert_true(mb.total == mb.state + mb.activations);

    Trainer t;
    trainer_init(&t, k_mid, 2);
    trainer_step(&t);
    GPTMinBytes m = gpt_min_bytes(&t.m.cfg);
    double held = 16.0 * (double)t.m.n_params + (double)arena_stats(&t.arena).high_water_bytes;
    print_message("k_mid: minimum %.0f bytes, a step holds %.0f (x%.2f)\n", m.total, held, held / m.total);
    assert_true(m.total <= held);
    trainer_free(&t);
}

static void thread_losses(int threads, int n, float *out, unsigned long long *late_allocs)
{
    gemm_set_threads(1);
    assert_int_equal(par_init(threads), ENG_OK);
    Trainer t;
    trainer_init(&t, k_mid, 5);
    unsigned long long allocs = 0;
    for (int i = 0; i < n; i++) {
        out[i] = trainer_step(&t);
        if (i == 0)
            allocs = mem_stats().allocs;
    }
    *late_allocs = mem_stats().allocs - allocs;
    trainer_free(&t);
    par_shutdown();
}

static void test_threads_agree_and_keep_the_contract(void **state)
{
    (void)state;
    float one[8], two[8], again[8];
    unsigned long long late1, late2, late3;
    thread_losses(1, 8, one, &late1);
    thread_losses(2, 8, two, &late2);
    thread_losses(2, 8, again, &late3);
    for (int i = 0; i < 8; i++) {
        ASSERT_CLOSE(two[i], one[i], 1e-5, 0, "loss with 2 threads vs 1");
        if (memcmp(&two[i], &again[i], sizeof(float)) != 0)
            fail_msg("step %d: two runs with 2 threads gave %.9g and %.9g", i + 1, two[i], again[i]);
    }
    assert_int_equal(late1, 0);
    assert_int_equal(late2, 0); /* the workers start before the first step, never in one */
}

static void test_training_lowers_the_loss(void **state)
{
    (void)state;
    Trainer t;
    trainer_init(&t, k_tiny, 3);
    float first = trainer_step(&t);
    float last = 0;
    for (int i = 0; i < 300; i++)
        last = trainer_step(&t);
    print_message("loss %.4f -> %.4f after 300 steps\n", first, last);
    ASSERT_CLOSE(first, logf((float)t.d.vocab), 0.1, 0, "initial loss vs ln(vocab)");
    if (!(last < first - 1.0f))
        fail_msg("loss went from %.4f to %.4f in 300 steps: expected a drop of at least 1.0", first, last);
    trainer_free(&t);
}

static void test_config_check(void **state)
{
    (void)state;
    GPTConfig ok = {.layers = 1, .heads = 2, .embd = 8, .ctx = 4, .batch = 2, .vocab = 10};
    assert_int_equal(gpt_config_check(&ok), ENG_OK);
    GPTConfig c = ok;
    c.layers = 0;
    assert_int_equal(gpt_config_check(&c), ENG_EINVAL);
    c = ok;
    c.heads = 3;
    assert_int_equal(gpt_config_check(&c), ENG_EINVAL);
    c = ok;
    c.vocab = 65536; /* token ids are 16-bit (BPE vocabularies up to 65535) */
    assert_int_equal(gpt_config_check(&c), ENG_EINVAL);
    c.vocab = 4096;
    assert_int_equal(gpt_config_check(&c), ENG_OK);
    c = ok;
    c.ctx = 1 << 30;
    assert_int_equal(gpt_config_check(&c), ENG_EOVERFLOW);
    c = ok;
    c.embd = 1 << 20, c.heads = 1, c.layers = 1 << 20;
    assert_int_equal(gpt_config_check(&c), ENG_EOVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_model_gradient),
        cmocka_unit_test(test_memory_contract_200_iterations),
        cmocka_unit_test(test_destroy_returns_every_byte),
        cmocka_unit_test(test_same_seed_same_losses),
        cmocka_unit_test(test_training_lowers_the_loss),
        cmocka_unit_test(test_threads_agree_and_keep_the_contract),
        cmocka_unit_test(test_theoretical_minimum),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests_name("gpt", tests, NULL, NULL);
}
