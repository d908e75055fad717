/* trainer.h - a model trained step by step through the engine's API, for tests (the
 * training loop of app/train_full.c without its files and options): the built-in corpus,
 * one arena, one tape, one graph. Header-only; include after testutil.h. */
#ifndef TESTS_TRAINER_H
#define TESTS_TRAINER_H

#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "autograd.h"
#include "data.h"
#include "gpt.h"
#include "rng.h"
#include "tape.h"

typedef struct Trainer {
    Dataset d;
    GPT m;
    Arena arena;
    Tape tape;
    Graph g;
    int32_t *x, *y;
    Rng rng;
} Trainer;

static inline void trainer_init(Trainer *t, GPTConfig c, uint64_t seed)
{
    assert_int_equal(data_builtin(&t->d), ENG_OK);
    c.vocab = t->d.vocab;
    assert_int_equal(gpt_create(&t->m, &c, seed), ENG_OK);
    arena_init(&t->arena, 1 << 16);
    tape_init(&t->tape, 0);
    graph_init(&t->g, &t->arena, &t->tape);
    t->x = malloc(sizeof(int32_t) * c.batch * c.ctx);
    t->y = malloc(sizeof(int32_t) * c.batch * c.ctx);
    rng_seed(&t->rng, seed);
}

static inline float trainer_step(Trainer *t)
{
    data_batch(&t->d, SPLIT_TRAIN, &t->rng, t->m.cfg.batch, t->m.cfg.ctx, t->x, t->y);
    AdamWConfig opt = adamw_defaults();
    GPTStepStats st;
    assert_int_equal(gpt_step(&t->m, &t->g, t->x, t->y, &opt, &st), ENG_OK);
    return st.loss;
}

static inline void trainer_free(Trainer *t)
{
    free(t->x);
    free(t->y);
    tape_free(&t->tape);
    arena_free(&t->arena);
    gpt_destroy(&t->m);
    data_free(&t->d);
}

#endif
