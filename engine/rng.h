/* rng.h - small seeded generator (xorshift64*), so a seed fixes every init and batch. */
#ifndef ENGINE_RNG_H
#define ENGINE_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct Rng {
    uint64_t s;
} Rng;

static inline void rng_seed(Rng *r, uint64_t seed)
{
    /* splitmix64 scramble: nearby seeds give unrelated streams, and the state is never 0 */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    r->s = z ? z : 1;
}

static inline uint64_t rng_next(Rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

/* uniform in [0, 1) */
static inline float rng_uniform(Rng *r)
{
    return (float)(rng_next(r) >> 40) / 16777216.0f;
}

/* uniform integer in [0, n), n > 0 */
static inline uint64_t rng_below(Rng *r, uint64_t n)
{
    return rng_next(r) % n;
}

/* standard normal (Box-Muller) */
static inline float rng_normal(Rng *r)
{
    float u1 = ((float)(rng_next(r) >> 40) + 1.0f) / 16777217.0f; /* (0, 1] */
    float u2 = rng_uniform(r);
    return sqrtf(-2.0f * logf(u1)) * cosf(6.2831853071795864f * u2);
}

#endif
