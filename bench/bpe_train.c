/* bench/bpe_train: how long training the BPE tokenizer takes, and its encode speed.
 *   build/bench/bpe_train FILE VOCAB [REPS]
 * Prints the median of REPS (5) trainings, the encode rate and the compression. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bpe.h"
#include "data.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return fprintf(stderr, "usage: bpe_train FILE VOCAB [REPS]\n"), 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return fprintf(stderr, "bpe_train: %s: cannot be read\n", argv[1]), 2;
    fseek(f, 0, SEEK_END);
    size_t len = (size_t)ftell(f);
    rewind(f);
    unsigned char *text = malloc(len);
    if (fread(text, 1, len, f) != len)
        return fprintf(stderr, "bpe_train: %s: short read\n", argv[1]), 2;
    fclose(f);
    int vocab = atoi(argv[2]), reps = argc > 3 ? atoi(argv[3]) : 5;
    double t[64];
    Bpe b = {0};
    for (int r = 0; r < reps && r < 64; r++) {
        const char *why;
        bpe_free(&b);
        double t0 = now_s();
        if (bpe_train(&b, text, len, vocab, &why) != ENG_OK)
            return fprintf(stderr, "bpe_train: %s\n", why), 1;
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    int32_t *ids = malloc(len * sizeof *ids);
    double t0 = now_s();
    size_t n = bpe_encode(&b, text, len, ids, len);
    double enc = now_s() - t0;
    printf("bpe train %s: %zu bytes to %d tokens: median %.3f s of %d (min %.3f, max %.3f); "
           "encode %.1f MB/s, %.2f bytes per token\n",
           argv[1], len, b.vocab, t[reps / 2], reps, t[0], t[reps - 1], len / enc / 1e6, (double)len / n);
    bpe_free(&b);
    free(ids);
    free(text);
    return 0;
}
