#include "gemm.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef ENGINE_BLAS_OPENBLAS
#include <cblas.h>
#endif
#include "arena.h" /* ARENA_ASAN */
#include "fault.h"
#include "par.h"
#include "vec.h"
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* The portable kernel: op(B) is packed, KC rows at a time, into a panel whose row length
 * is padded to a multiple of NR with zeros; op(A) is packed MR rows at a time (scaled by
 * alpha). An MR x NR block of C is accumulated in a local array the compiler keeps in
 * vector registers, so each step of the k loop is NR/8 loads of B, MR broadcasts of A and
 * MR*NR fused multiply-adds. That keeps the instruction count low, which is what matters
 * under Valgrind (every instruction is emulated). Built for AVX2+FMA and for baseline
 * x86-64, chosen at load time. */
#define KC 128
#define NC 256
#define MR 4
#define NR 8 /* one 8-float vector */

KERNEL_CLONES
void gemm_portable(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b,
                   int ldb, float beta, float *c, int ldc)
{
    for (int i = 0; i < m; i++) {
        float *row = c + (size_t)i * ldc;
        if (beta == 0.0f)
            memset(row, 0, (size_t)n * sizeof(float));
        else if (beta != 1.0f)
            for (int j = 0; j < n; j++)
                row[j] *= beta;
    }
    float panel[KC * NC] __attribute__((aligned(64)));
    float apack[KC * MR];
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kb = k - k0 < KC ? k - k0 : KC;
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nb = n - j0 < NC ? n - j0 : NC;
            int nbp = (nb + NR - 1) / NR * NR;
            for (int p = 0; p < kb; p++) {
                float *dst = panel + p * nbp;
                if (tb)
                    for (int j = 0; j < nb; j++)
                        dst[j] = b[(size_t)(j0 + j) * ldb + k0 + p];
                else
                    memcpy(dst, b + (size_t)(k0 + p) * ldb + j0, (size_t)nb * sizeof(float));
                for (int j = nb; j < nbp; j++)
                    dst[j] = 0.0f;
            }
            for (int i0 = 0; i0 < m; i0 += MR) {
                int mr = m - i0 < MR ? m - i0 : MR;
                for (int p = 0; p < kb; p++)
                    for (int r = 0; r < MR; r++)
                        apack[p * MR + r] = r < mr ? alpha * (ta ? a[(size_t)(k0 + p) * lda + i0 + r]
                                                                 : a[(size_t)(i0 + r) * lda + k0 + p])
                                                   : 0.0f;
                for (int j = 0; j < nbp; j += NR) {
                    /* named accumulators: an array here would live in memory */
                    v8f c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
                    const float *bp = panel + j, *ap = apack;
                    for (int p = 0; p < kb; p++, bp += nbp, ap += MR) {
                        v8f bv = *(const v8f *)bp;
                        c0 += BCAST(ap[0]) * bv;
                        c1 += BCAST(ap[1]) * bv;
                        c2 += BCAST(ap[2]) * bv;
                        c3 += BCAST(ap[3]) * bv;
                    }
                    v8f acc[MR] = {c0, c1, c2, c3};
                    int nr = nb - j < NR ? nb - j : NR;
                    for (int r = 0; r < mr; r++) {
                        float *crow = c + (size_t)(i0 + r) * ldc + j0 + j;
                        const float *accr = (const float *)&acc[r];
                        for (int q = 0; q < nr; q++)
                            crow[q] += accr[q];
                    }
                }
            }
        }
    }
}

/* OpenBLAS is not instrumented, so ASan cannot see it read a released arena block. In ASan
 * builds each operand is checked before the call; a poisoned byte is then read from here,
 * which makes ASan print its usual report (use-after-poison, with this stack). */
static inline void asan_check_operand(const float *p, int rows, int cols, int ld)
{
#ifdef ARENA_ASAN
    size_t bytes = ((size_t)(rows - 1) * (size_t)ld + (size_t)cols) * sizeof(float);
    const volatile char *bad = __asan_region_is_poisoned((void *)(uintptr_t)p, bytes);
    if (bad)
        (void)*bad;
#else
    (void)p, (void)rows, (void)cols, (void)ld;
#endif
}

/* Splitting over the engine's threads only while OpenBLAS runs one thread itself: its
 * threaded driver called from two threads at once mixes up their arguments. */
static int blas_single_threaded(void)
{
#ifdef ENGINE_BLAS_OPENBLAS
    return openblas_get_num_threads() == 1;
#else
    return 1;
#endif
}

static void gemm_serial(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc)
{
#ifdef ENGINE_BLAS_OPENBLAS
    if (!gemm_routes_portable(ta, tb, m, n, k)) {
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
#endif
    gemm_portable(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* A product split over the pool: by rows of C (rows of op(A)) or by columns of C (columns
 * of op(B)), whichever is longer, in units that keep the kernels' blocks whole. Each part
 * is an independent product with the same k loop (test_gemm compares it with unsplit). */
#define SPLIT_MIN_MACS (1 << 20)
#define ROW_UNIT 8

static double g_split_min_macs = SPLIT_MIN_MACS;

void gemm_set_split_min(double macs)
{
    g_split_min_macs = macs >= 1 ? macs : SPLIT_MIN_MACS;
}
#define COL_UNIT 16

typedef struct GemmJob {
    int ta, tb, m, n, k, ldc, lda, ldb, by_rows;
    float alpha, beta;
    const float *a, *b;
    const float *bias; /* gemm_bias: C's rows start as this row (then beta is 1) */
    float *c;
} GemmJob;

static void fill_rows(float *c, int ldc, int rows, const float *row, int cols)
{
    for (int i = 0; i < rows; i++)
        memcpy(c + (size_t)i * ldc, row, (size_t)cols * sizeof(float));
}

static void gemm_range(void *ctx, long lo, long hi, int tid)
{
    const GemmJob *j = ctx;
    (void)tid;
    if (j->by_rows) {
        int r0 = (int)lo * ROW_UNIT, r1 = (int)hi * ROW_UNIT < j->m ? (int)hi * ROW_UNIT : j->m;
        const float *a = j->ta ? j->a + r0 : j->a + (size_t)r0 * j->lda;
        if (j->bias)
            fill_rows(j->c + (size_t)r0 * j->ldc, j->ldc, r1 - r0, j->bias, j->n);
        gemm_serial(j->ta, j->tb, r1 - r0, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta,
                    j->c + (size_t)r0 * j->ldc, j->ldc);
    } else {
        int c0 = (int)lo * COL_UNIT, c1 = (int)hi * COL_UNIT < j->n ? (int)hi * COL_UNIT : j->n;
        const float *b = j->tb ? j->b + (size_t)c0 * j->ldb : j->b + c0;
        if (j->bias)
            fill_rows(j->c + c0, j->ldc, j->m, j->bias + c0, c1 - c0);
        gemm_serial(j->ta, j->tb, j->m, c1 - c0, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta, j->c + c0,
                    j->ldc);
    }
}

static void gemm_run(GemmJob *j)
{
    if (j->m <= 0 || j->n <= 0)
        return;
    if (j->k <= 0) { /* nothing to multiply: C = beta C, or the bias rows */
        if (j->bias)
            fill_rows(j->c, j->ldc, j->m, j->bias, j->n);
        else
            gemm_portable(j->ta, j->tb, j->m, j->n, 0, j->alpha, j->a, j->lda, j->b, j->ldb, j->beta, j->c,
                          j->ldc);
        return;
    }
#ifdef ENGINE_BLAS_OPENBLAS
    asan_check_operand(j->a, j->ta ? j->k : j->m, j->ta ? j->m : j->k, j->lda);
    asan_check_operand(j->b, j->tb ? j->n : j->k, j->tb ? j->k : j->n, j->ldb);
    asan_check_operand(j->c, j->m, j->n, j->ldc);
#endif
    j->by_rows = j->m >= j->n;
    if (par_threads() > 1 && blas_single_threaded() && (double)j->m * j->n * j->k >= g_split_min_macs) {
        long units = j->by_rows ? (j->m + ROW_UNIT - 1) / ROW_UNIT : (j->n + COL_UNIT - 1) / COL_UNIT;
        par_for(units, 1, gemm_range, j);
        fault_split_product();
        return;
    }
    j->by_rows = 1;
    gemm_range(j, 0, (j->m + ROW_UNIT - 1) / ROW_UNIT, 0);
}

void gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
          float beta, float *c, int ldc)
{
    GemmJob j = {.ta = ta,
                 .tb = tb,
                 .m = m,
                 .n = n,
                 .k = k,
                 .lda = lda,
                 .ldb = ldb,
                 .ldc = ldc,
                 .alpha = alpha,
                 .beta = beta,
                 .a = a,
                 .b = b,
                 .c = c};
    gemm_run(&j);
}

void gemm_bias(int m, int n, int k, const float *a, int lda, const float *b, int ldb, const float *bias,
               float *c, int ldc)
{
    GemmJob j = {.ta = 0,
                 .tb = 1,
                 .m = m,
                 .n = n,
                 .k = k,
                 .lda = lda,
                 .ldb = ldb,
                 .ldc = ldc,
                 .alpha = 1.0f,
                 .beta = 1.0f,
                 .a = a,
                 .b = b,
                 .bias = bias,
                 .c = c};
    gemm_run(&j);
}

const char *gemm_backend(void)
{
#ifdef ENGINE_BLAS_OPENBLAS
    return "openblas";
#else
    return "portable";
#endif
}

static int g_portable; /* gemm_use_portable */

void gemm_use_portable(int on)
{
    g_portable = on;
}

const char *gemm_kernels(void)
{
#ifdef ENGINE_BLAS_OPENBLAS
    return g_portable ? "portable" : openblas_get_corename();
#else
    return "portable";
#endif
}

const char *gemm_library(void)
{
#ifdef ENGINE_BLAS_OPENBLAS
    static char lib[64];
    if (!lib[0]) { /* "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Cooperlake MAX_THREADS=64": two words */
        const char *cfg = openblas_get_config(), *sp = strchr(cfg, ' ');
        sp = sp ? strchr(sp + 1, ' ') : NULL;
        snprintf(lib, sizeof lib, "%.*s", sp ? (int)(sp - cfg) : (int)strlen(cfg), cfg);
    }
    return lib;
#else
    return "portable";
#endif
}

int gemm_kernel_level(const char *name)
{
    static const struct {
        const char *name;
        int level;
    } k_levels[] = {
        {"Katmai", 0},         {"Coppermine", 0},  {"Northwood", 0},    {"Prescott", 0},   {"Banias", 0},
        {"Atom", 0},           {"Core2", 0},       {"Penryn", 0},       {"Dunnington", 0}, {"Nehalem", 0},
        {"Athlon", 0},         {"Opteron", 0},     {"Opteron_SSE3", 0}, {"Barcelona", 0},  {"Bobcat", 0},
        {"Nano", 0},           {"Sandybridge", 1}, {"Bulldozer", 1},    {"Piledriver", 1}, {"Steamroller", 1},
        {"Haswell", 2},        {"Zen", 2},         {"Excavator", 2},    {"SkylakeX", 3},   {"Cooperlake", 3},
        {"SapphireRapids", 3},
    };
    for (size_t i = 0; name && i < sizeof k_levels / sizeof k_levels[0]; i++)
        if (!strcmp(k_levels[i].name, name))
            return k_levels[i].level;
    return -1;
}

int gemm_cpu_level(int *bf16)
{
    *bf16 = 0;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        *bf16 = __builtin_cpu_supports("avx512bf16");
        return 3;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 2;
    return __builtin_cpu_supports("avx") ? 1 : 0;
#else
    return -1;
#endif
}

const char *gemm_better_kernels(const char *current, int cpu_level, int bf16)
{
    static const char *const best[] = {NULL, "Sandybridge", "Haswell", "SkylakeX"};
    int have = gemm_kernel_level(current);
    if (have < 0 || cpu_level <= have || cpu_level > 3)
        return NULL;
    return cpu_level == 3 && bf16 ? "Cooperlake" : best[cpu_level];
}

int gemm_routes_portable(int ta, int tb, int m, int n, int k)
{
#ifdef ENGINE_BLAS_OPENBLAS
    static int level = -2;
    if (level == -2)
        level = gemm_kernel_level(openblas_get_corename());
    return g_portable || (level == 3 && !ta && !tb && (double)m * n * k <= 1e6 && k >= 32 && n % 16 != 0);
#else
    (void)ta, (void)tb, (void)m, (void)n, (void)k;
    return 1;
#endif
}

void gemm_set_threads(int n)
{
#ifdef ENGINE_BLAS_OPENBLAS
    if (n > 0)
        openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

/* gemm_rows: each output c[r][j] is one eight-lane sum over k in steps of 8 (lane l holds
 * the products of k = l mod 8), then the lanes added in a fixed order, then the rest of k
 * one by one: the same operations whichever tile computes it, so a row's result does not
 * depend on m. W is taken eight of its rows at a time: the first row of a computes against
 * the block by a 1 x 8 tile (eight independent sums in flight, eight streams from memory),
 * the others (up to 3) against the same block, now in the cache, by tiles of up to 3 rows x 2
 * of W's rows (W's eight floats loaded once for all of them). A model whose weights stream
 * from memory (GPT-2 small's 340 MB) then pays for them once per pass: 4 rows cost 1.7
 * times one, where 2 of W's rows at a time for 4 rows cost 2.6 (docs/serve.md). With AVX2
 * and FMA (when the CPU has them: chosen once) the lanes are registers; otherwise the same
 * order in plain C with a multiply and an add. The products are few and small (a model's
 * layers for a handful of tokens): no threads. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline float hsum8(__m256 v)
{
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi); /* lanes l and l + 4 */
    s = _mm_add_ps(s, _mm_movehl_ps(s, s)); /* (0 + 4) + (2 + 6), (1 + 5) + (3 + 7) */
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* A tile of TR rows of a x TC rows of w (constants, for registers): out[q * ldo + c]. */
__attribute__((always_inline, target("avx2,fma"))) static inline void tile_avx2(const float *w, int ldw,
                                                                                const float *a, int lda,
                                                                                int k, float *out, int ldo,
                                                                                const int TR, const int TC)
{
    __m256 acc[4][8];
    for (int q = 0; q < TR; q++)
        for (int c = 0; c < TC; c++)
            acc[q][c] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 8 <= k; i += 8) {
        __m256 wv[8];
        for (int c = 0; c < TC; c++)
            wv[c] = _mm256_loadu_ps(w + (size_t)c * ldw + i);
        for (int q = 0; q < TR; q++) {
            __m256 x = _mm256_loadu_ps(a + (size_t)q * lda + i);
            for (int c = 0; c < TC; c++)
                acc[q][c] = _mm256_fmadd_ps(wv[c], x, acc[q][c]);
        }
    }
    for (int q = 0; q < TR; q++)
        for (int c = 0; c < TC; c++) {
            float t = 0;
            for (int p = i; p < k; p++)
                t += w[(size_t)c * ldw + p] * a[(size_t)q * lda + p];
            out[q * ldo + c] = hsum8(acc[q][c]) + t;
        }
}

#define TILE(TR, TC)                                                                  \
    __attribute__((target("avx2,fma"))) static void tile_##TR##x##TC(                 \
        const float *w, int ldw, const float *a, int lda, int k, float *out, int ldo) \
    {                                                                                 \
        tile_avx2(w, ldw, a, lda, k, out, ldo, TR, TC);                               \
    }
TILE(1, 8)
TILE(1, 1)
TILE(2, 2)
TILE(2, 1)
TILE(3, 2)
TILE(3, 1)
TILE(4, 1)
#undef TILE

typedef void (*TileFn)(const float *, int, const float *, int, int, float *, int);

int gemm_simd(void)
{
    static int have = -1; /* a benign race: every thread computes the same */
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return have && !g_portable;
}

/* Rows [r, r + R) of c, R <= 4, by tiles of W's rows. */
static void rows_avx2(int R, int n, int k, const float *a, int lda, const float *w, int ldw, float *c,
                      int ldc)
{
    static const TileFn two[4] = {NULL, NULL, tile_2x2, tile_3x2};
    static const TileFn one[5] = {NULL, tile_1x1, tile_2x1, tile_3x1, tile_4x1};
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        /* the first row reads a block of eight of W's rows (eight streams from memory); the
         * others take it from the cache, each load of W serving all of them */
        const float *wb = w + (size_t)j * ldw;
        tile_1x8(wb, ldw, a, lda, k, c + j, ldc);
        if (R == 2)
            tile_1x8(wb, ldw, a + lda, lda, k, c + ldc + j, ldc);
        for (int jj = 0; R > 2 && jj < 8; jj += 2)
            two[R - 1](wb + (size_t)jj * ldw, ldw, a + lda, lda, k, c + ldc + j + jj, ldc);
    }
    for (; j < n; j++)
        one[R](w + (size_t)j * ldw, ldw, a, lda, k, c + j, ldc);
}
#else
int gemm_simd(void)
{
    return 0;
}

static void rows_avx2(int R, int n, int k, const float *a, int lda, const float *w, int ldw, float *c,
                      int ldc)
{
    (void)R, (void)n, (void)k, (void)a, (void)lda, (void)w, (void)ldw, (void)c, (void)ldc;
}
#endif

/* The same sums in plain C (no AVX2) for one output. */
static float dot_plain(const float *wj, const float *x, int k)
{
    float s[8] = {0}, t = 0;
    int i = 0;
    for (; i + 8 <= k; i += 8)
        for (int l = 0; l < 8; l++)
            s[l] += wj[i + l] * x[i + l];
    for (int p = i; p < k; p++)
        t += wj[p] * x[p];
    return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])) + t;
}

void gemm_rows(int m, int n, int k, const float *a, int lda, const float *w, int ldw, const float *bias,
               float *c, int ldc)
{
    int avx2 = gemm_simd();
    for (int r = 0; r < m; r += 4) {
        int R = m - r < 4 ? m - r : 4;
        const float *ar = a + (size_t)r * lda;
        float *cr = c + (size_t)r * ldc;
        if (avx2)
            rows_avx2(R, n, k, ar, lda, w, ldw, cr, ldc);
        else
            for (int q = 0; q < R; q++)
                for (int j = 0; j < n; j++)
                    cr[(size_t)q * ldc + j] = dot_plain(w + (size_t)j * ldw, ar + (size_t)q * lda, k);
        for (int q = 0; bias && q < R; q++)
            for (int j = 0; j < n; j++)
                cr[(size_t)q * ldc + j] += bias[j];
    }
}
