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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../include/flatmem.h"
#include "bpe.h"
#include "data.h"
#include "opt.h"
#include "outfile.h"

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

/* --vocab N (tokens in all) or --merges N (256 + N): 256..65535 tokens. */
static int set_vocab(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    long n;
    int merges = !strcmp(o->name, "--merges");
    if (!opt_long(v, 0, BPE_MAX_VOCAB, &n) || n + (merges ? 256 : 0) < BPE_MIN_VOCAB ||
        n + (merges ? 256 : 0) > BPE_MAX_VOCAB - 1) {
        snprintf(why, cap, "the vocabulary must be 256 to 65535 tokens");
        return -1;
    }
    ((Opts *)target)->vocab = n + (merges ? 256 : 0);
    return 0;
}

#define OFF(f) offsetof(Opts, f)
static const Opt k_opts[] = {
    {"--data", OPT_STR, OFF(data), 0, 0, "FILE", "the text to train on (default: the built-in corpus)", NULL},
    {"--vocab", OPT_CUSTOM, OFF(vocab), 0, 0, "N",
     "tokens in all, 256..65535 (the 256 bytes, then N - 256 merges)", set_vocab},
    {"--merges", OPT_CUSTOM, OFF(vocab), 0, 0, "N", "the same as --vocab 256+N", set_vocab},
    {"--out", OPT_STR, OFF(out), 0, 0, "FILE", "save the tokenizer there (format: docs/tokenizer.md)", NULL},
    {"--quiet", OPT_FLAG, OFF(quiet), 0, 0, NULL, "no summary line", NULL},
};
static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};

static int usage(FILE *f)
{
    fprintf(f, "usage: tokenize [--data FILE] (--vocab N | --merges N) [--out FILE] [--quiet]\n\n");
    opt_usage(&k_table, f, 12);
    return f == stdout ? 0 : 2;
}

/* The command line into o. 0, -1 for --help, or 2 after a message. */
static int parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){0};
    char err[512];
    int rc = opt_parse(&k_table, argc, argv, o, NULL, err, sizeof err);
    if (rc == OPT_HELP)
        return -1;
    if (rc != OPT_OK) {
        fprintf(stderr, "tokenize: %s\n", err);
        return usage(stderr);
    }
    if (!o->vocab) {
        fprintf(stderr, "tokenize: give --vocab N or --merges N\n");
        return usage(stderr);
    }
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
    if (e) {
        fprintf(stderr, "tokenize: --data %s: %s\n", data ? data : "(built-in)", why);
        return e == ENG_ENOMEM ? 1 : 2;
    }
    Bpe b;
    double t0 = now_s();
    e = bpe_train_steps(&b, text, len, (int)vocab, &why, on_merge, NULL);
    double s = now_s() - t0;
    if (e) {
        data_text_free(text, len);
        fprintf(stderr, "tokenize: %s\n", why);
        return e == ENG_ENOMEM ? 1 : 2;
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
