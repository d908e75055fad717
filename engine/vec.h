/* vec.h - eight-float vectors (GCC/Clang vector extensions) for the engine's hot loops.
 *
 * Written once, compiled to AVX2 in the KERNEL_CLONES functions and to SSE pairs elsewhere;
 * no intrinsics, so it builds on any GCC or Clang target. No FMA is used: a function gives
 * bit-identical results in its AVX2 and default clones.
 *
 * v8_exp is the Cephes single-precision exp (degree-6 polynomial after a ln 2 range
 * reduction, relative error below 2e-7 on [-87, 88]), with the argument clamped to that
 * range: glibc's scalar expf was a fifth of a training step in GELU alone. */
#ifndef ENGINE_VEC_H
#define ENGINE_VEC_H

#include <stdint.h>
#include <string.h>

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

/* always inlined, so no vector is ever passed across a call (the Makefile passes -Wno-psabi
 * for GCC's note that AVX vector arguments changed ABI in GCC 4.6, which does not apply) */
#define VEC_INLINE static inline __attribute__((always_inline))

#define BCAST(x) ((v8f){(x), (x), (x), (x), (x), (x), (x), (x)})

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KERNEL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define KERNEL_CLONES
#endif

/* W##_load and W##_store of vector type VF, unaligned (memcpy: one vector move) */
#define VEC_LOAD_STORE(W, VF)                 \
    VEC_INLINE VF W##_load(const float *p)    \
    {                                         \
        VF v;                                 \
        memcpy(&v, p, sizeof v);              \
        return v;                             \
    }                                         \
    VEC_INLINE void W##_store(float *p, VF v) \
    {                                         \
        memcpy(p, &v, sizeof v);              \
    }

VEC_LOAD_STORE(v8, v8f)

/* a where mask is set, else b */
VEC_INLINE v8f v8_select(v8i mask, v8f a, v8f b)
{
    return (v8f)((mask & (v8i)a) | (~mask & (v8i)b));
}

VEC_INLINE v8f v8_clamp(v8f x, float lo, float hi)
{
    x = v8_select(x < BCAST(lo), BCAST(lo), x);
    return v8_select(x > BCAST(hi), BCAST(hi), x);
}

/* the first n (<= 8) floats of p, the other lanes zero */
VEC_INLINE v8f v8_load_n(const float *p, int n)
{
    if (n == 8)
        return v8_load(p);
    float b[8] = {0};
    memcpy(b, p, (size_t)n * sizeof(float));
    return v8_load(b);
}

/* the first n (<= 8) lanes of v to p */
VEC_INLINE void v8_store_n(float *p, v8f v, int n)
{
    if (n == 8) {
        v8_store(p, v);
        return;
    }
    float b[8];
    v8_store(b, v);
    memcpy(p, b, (size_t)n * sizeof(float));
}

/* lanes 0..n-1 set */
VEC_INLINE v8i v8_mask_n(int n)
{
    v8i lane = {0, 1, 2, 3, 4, 5, 6, 7};
    return lane < n;
}

/* the sum of the lanes, always in the same order */
VEC_INLINE float v8_hsum(v8f v)
{
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

/* The Cephes exp for vector type VF (VI: its integer lanes), as `name`; the same operations
 * in the same order whatever the width, so a lane's result does not depend on it. */
#define VEC_EXP(name, VF, VI)                                                             \
    VEC_INLINE VF name(VF x)                                                              \
    {                                                                                     \
        VF lo = (VF){0} - 87.0f, hi = (VF){0} + 88.0f;                                    \
        VI m = x < lo;                                                                    \
        x = (VF)((m & (VI)lo) | (~m & (VI)x));                                            \
        m = x > hi;                                                                       \
        x = (VF)((m & (VI)hi) | (~m & (VI)x));                                            \
        const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */ \
        VF t = x * 1.44269504088896341f + magic;                                          \
        VF n = t - magic;                                                                 \
        VI ni = (VI)t - 0x4B400000; /* the integer n, read from t's mantissa */           \
        VF r = x - n * 0.693359375f;                                                      \
        r = r - n * -2.12194440e-4f;                                                      \
        VF p = (VF){0} + 1.9875691500e-4f;                                                \
        p = p * r + 1.3981999507e-3f;                                                     \
        p = p * r + 8.3334519073e-3f;                                                     \
        p = p * r + 4.1665795894e-2f;                                                     \
        p = p * r + 1.6666665459e-1f;                                                     \
        p = p * r + 5.0000001201e-1f;                                                     \
        VF y = p * r * r + r + 1.0f;                                                      \
        return y * (VF)((ni + 127) << 23);                                                \
    }

VEC_EXP(v8_exp, v8f, v8i)

/* Sixteen floats: one AVX-512 register, two AVX2 ones, four SSE ones. Element-wise kernels
 * written with them run at the CPU's widest vectors in their KERNEL_CLONES_512 clones with
 * the same result in every lane as at any other width (no FMA contraction anywhere: the
 * Makefile passes -ffp-contract=off). */
typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));

VEC_EXP(v16_exp, v16f, v16i)

VEC_LOAD_STORE(v16, v16f)

/* Not under AddressSanitizer: its fake stack frames (detect_stack_use_after_return, which
 * the tests turn on) are aligned to 32 bytes, and GCC 12 stores a 64-byte-aligned local of
 * the AVX-512 clone with an aligned move there (a SIGSEGV in test_ops, caught). The asan
 * build runs the AVX2 clone of the same code: the memory it touches is the same. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define KERNEL_CLONES_512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KERNEL_CLONES_512 KERNEL_CLONES
#endif

#endif
