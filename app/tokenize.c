/* tokenize - trains the BPE tokenizer on a text and saves it (engine/bpe.h,
 * docs/tokenizer.md); each merge is a step for the flatmem soak (include/flatmem.h).
 *
 *   tokenize [--data FILE] (--vocab N | --merges N) [--out FILE] [--quiet]
 *
 * --data: the text (default: the built-in corpus); --vocab N: tokens in all (256..65535),
 * or --merges N: 256 + N; --out: where to save it (temporary file, then renamed). Prints
 * the tokens learned, the time and the compression of the text. Exit 0; 2 on bad usage or
 * input; 1 when memory runs out or the file cannot be written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/flatmem.h"
#include "bpe.h"
#include "data.h"
#include "outfile.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: tokenize [--data FILE] (--vocab N | --merges N) [--out FILE] [--quiet]\n\n"
               "  --data FILE   the text to train on (default: the built-in corpus)\n"
               "  --vocab N     tokens in all, 256..65535 (the 256 bytes, then N - 256 merges)\n"
               "  --merges N    the same as --vocab 256+N\n"
               "  --out FILE    save the tokenizer there (format: docs/tokenizer.md)\n"
               "  --quiet       no summary line\n");
    return f == stdout ? 0 : 2;
}

static void on_merge(long k, void *ctx)
{
    (void)ctx;
    flatmem_step((unsigned long long)k);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct Opts {
    const char *data, *out;
    long vocab;
    int quiet;
} Opts;

/* The command line into o. 0, -1 for --help, or 2 after a message. */
static int parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return -1;
        if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
            continue;
        }
        if (i + 1 >= argc || (strcmp(a, "--data") && strcmp(a, "--vocab") && strcmp(a, "--merges") && strcmp(a, "--out")))
            return fprintf(stderr, "tokenize: %s: unknown option or missing value\n", a), usage(stderr);
        const char *v = argv[++i];
        if (!strcmp(a, "--data") || !strcmp(a, "--out")) {
            *(a[2] == 'd' ? &o->data : &o->out) = v;
            continue;
        }
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10) + (a[2] == 'm' ? 256 : 0);
        if (!*v || *end || errno || n < BPE_MIN_VOCAB || n > BPE_MAX_VOCAB - 1)
            return fprintf(stderr, "tokenize: %s %s: the vocabulary must be 256 to 65535 tokens\n", a, v), 2;
        o->vocab = n;
    }
    if (!o->vocab)
        return fprintf(stderr, "tokenize: give --vocab N or --merges N\n"), usage(stderr);
    return 0;
}

int main(int argc, char **argv)
{
    Opts o;
    int prc = parse(argc, argv, &o);
    if (prc)
        return prc < 0 ? usage(stdout) : prc;
    const char *data = o.data, *out = o.out;
    long vocab = o.vocab;
    int quiet = o.quiet;
    uint8_t *text;
    size_t len;
    const char *why = "";
    EngErr e = data_read_text(data, &text, &len, &why);
    if (e)
        return fprintf(stderr, "tokenize: --data %s: %s\n", data ? data : "(built-in)", why), e == ENG_ENOMEM ? 1 : 2;
    Bpe b;
    double t0 = now_s();
    e = bpe_train_steps(&b, text, len, (int)vocab, &why, on_merge, NULL);
    double s = now_s() - t0;
    if (e) {
        data_text_free(text, len);
        return fprintf(stderr, "tokenize: %s\n", why), e == ENG_ENOMEM ? 1 : 2;
    }
    int rc = 0;
    if (out) {
        OutFile of;
        FILE *f = outfile_open(&of, out);
        if (!f || bpe_save(f, &b) != ENG_OK || outfile_commit(&of) != 0) {
            if (f)
                outfile_abort(&of);
            fprintf(stderr, "tokenize: --out %s: cannot be written: %s\n", out, strerror(errno));
            rc = 1;
        }
    }
    if (!quiet && !rc) {
        int32_t *ids = malloc(len * sizeof *ids);
        size_t n = ids ? bpe_encode(&b, text, len, ids, len) : 0;
        printf("tokenize: %d tokens (%d merges%s) from %zu bytes in %.2f s; %.2f bytes per token\n", b.vocab,
               b.vocab - 256, b.vocab < vocab ? ": no pair occurs twice any more" : "", len, s,
               n ? (double)len / (double)n : 0.0);
        free(ids);
    }
    bpe_free(&b);
    data_text_free(text, len);
    return rc;
}
