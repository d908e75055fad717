/* generate - text from a trained checkpoint, with the engine's bounded key/value cache
 * (engine/generate.h; docs/generate.md).
 *
 *   generate --checkpoint FILE [--tokenizer-file FILE] [--prompt TEXT] [--tokens N]
 *            [--temperature T] [--top-k K] [--seed S] [--interactive] [--quiet]
 *
 * Prints the prompt's continuation; with --interactive reads a prompt per line of standard
 * input and prints each continuation, until end of input (the seed's "chat interface": for
 * a Shakespeare model a prompt-continuation loop). Generated tokens per second go to
 * standard error. Each generated token is a step for the flatmem soak (include/flatmem.h).
 * Exit 0; 2 on bad usage or input; 1 when memory runs out. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas_select.h"
#include "opt.h"
#include "../include/flatmem.h"
#include "generate.h"
#include "mem.h"
#include "textmodel.h"

typedef struct Opts {
    const char *checkpoint, *tokenizer_file, *prompt;
    long tokens, top_k;
    double temperature;
    unsigned long long seed;
    int interactive, quiet;
} Opts;

typedef struct Model {
    TextModel tm;
    Generator g;
    unsigned long long step; /* tokens generated so far (soak steps) */
} Model;

/* --prompt TEXT: any text, an empty one too (it then starts from a newline). */
static int set_prompt(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)why, (void)cap;
    *(const char **)((char *)target + o->offset) = v;
    return 0;
}

#define OFF(f) offsetof(Opts, f)
static const Opt k_opts[] = {
    {"--checkpoint", OPT_STR, OFF(checkpoint), 0, 0, "FILE", "a checkpoint of train_full --save", NULL},
    {"--tokenizer-file", OPT_STR, OFF(tokenizer_file), 0, 0, "FILE",
     "the BPE tokenizer it was trained with (--tokenizer bpe)", NULL},
    {"--prompt", OPT_CUSTOM, OFF(prompt), 0, 0, "TEXT",
     "the text to continue (default: a newline; empty: a newline)", set_prompt},
    {"--tokens", OPT_LONG, OFF(tokens), 1, 1e9, "N", "tokens to generate per prompt (200)", NULL},
    {"--temperature", OPT_DOUBLE, OFF(temperature), 0, 100, "T",
     "0: always the likeliest token; 1: the model's distribution (0.8)", NULL},
    {"--top-k", OPT_LONG, OFF(top_k), 0, 65535, "K", "draw among the K likeliest tokens only (0: all; 40)",
     NULL},
    {"--seed", OPT_U64, OFF(seed), 0, 9e15, "S", "the same seed, prompt and model give the same text (1)",
     NULL},
    {"--interactive", OPT_FLAG, OFF(interactive), 0, 0, NULL,
     "a prompt per line of standard input, until it ends", NULL},
    {"--quiet", OPT_FLAG, OFF(quiet), 0, 0, NULL, "no tokens-per-second line", NULL},
};
static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};

static int usage(FILE *f)
{
    fprintf(f, "usage: generate --checkpoint FILE [--tokenizer-file FILE] [--prompt TEXT] [--tokens N]\n"
               "                [--temperature T] [--top-k K] [--seed S] [--interactive] [--quiet]\n\n");
    opt_usage(&k_table, f, 21);
    return f == stdout ? 0 : 2;
}

static int bad(const char *flag, const char *v, const char *why)
{
    fprintf(stderr, "generate: %s %s: %s\nTry 'generate --help'.\n", flag, v, why);
    return 2;
}

/* The command line into o: 0, -1 for --help, or 2 after a message. */
static int parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){.prompt = "\n", .tokens = 200, .top_k = 40, .temperature = 0.8, .seed = 1};
    char err[512];
    int rc = opt_parse(&k_table, argc, argv, o, NULL, err, sizeof err);
    if (rc == OPT_HELP)
        return -1;
    if (rc != OPT_OK) {
        fprintf(stderr, "generate: %s\nTry 'generate --help'.\n", err);
        return 2;
    }
    if (!o->checkpoint)
        return bad("--checkpoint", "", "is required: a checkpoint of train_full --save");
    return 0;
}

/* The checkpoint and its tokenizer (app/textmodel.h). Exit status. */
static int load(const Opts *o, Model *md)
{
    char why[600];
    int rc = tm_load(&md->tm, o->checkpoint, o->tokenizer_file, why, sizeof why);
    if (rc) {
        fprintf(stderr, "generate: %s\n", why);
        return rc;
    }
    if (gen_init(&md->g, &md->tm.m) != ENG_OK) {
        fprintf(stderr, "generate: out of memory\n");
        return 1;
    }
    return 0;
}

/* Feeds the prompt's tokens. 0, 1 out of memory, or 2 after a message (a byte the
 * characters never had). */
static int feed_prompt(Model *md, const char *prompt)
{
    size_t len = strlen(prompt);
    if (!len)
        prompt = "\n", len = 1; /* documented: an empty prompt starts a new line */
    gen_reset(&md->g);
    int32_t *ids = malloc(len * sizeof *ids); /* a token has at least one byte */
    if (!ids) {
        fprintf(stderr, "generate: out of memory\n");
        return 1;
    }
    char why[300];
    long n = tm_encode(&md->tm, prompt, len, ids, len, why, sizeof why);
    if (n < 0)
        fprintf(stderr, "generate: %s\n", why);
    for (long i = 0; i < n; i++)
        gen_feed(&md->g, ids[i]);
    free(ids);
    return n < 0 ? 2 : 0;
}

static void emit(const Model *md, int32_t t)
{
    size_t n;
    const char *p = tm_token(&md->tm, t, &n);
    fwrite(p, 1, n, stdout);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The prompt's continuation. Exit status. */
static int continue_text(const Opts *o, Model *md, const char *prompt, Rng *r)
{
    int rc = feed_prompt(md, prompt);
    if (rc)
        return rc;
    double t0 = now_s();
    for (long i = 0; i < o->tokens; i++) {
        int32_t t = gen_sample(&md->g, (float)o->temperature, (int)o->top_k, 1.0f, r);
        emit(md, t);
        gen_feed(&md->g, t);
        flatmem_step(++md->step);
    }
    double s = now_s() - t0;
    putchar('\n');
    fflush(stdout);
    if (!o->quiet)
        fprintf(stderr, "generate: %ld tokens in %.3f s: %.0f tokens/s (cache refilled %ld times)\n",
                o->tokens, s, (double)o->tokens / (s > 0 ? s : 1e-9), md->g.refills);
    return 0;
}

int main(int argc, char **argv)
{
    Opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? usage(stdout) : rc;
    char blas_err[300];
    if (blas_select(argv, blas_err, sizeof blas_err) !=
        0) { /* may start the program again (app/blas_select.h) */
        fprintf(stderr, "generate: %s\n", blas_err);
        return 2;
    }
    static Model md;
    rc = load(&o, &md);
    Rng r;
    rng_seed(&r, o.seed);
    if (!rc && !o.interactive)
        rc = continue_text(&o, &md, o.prompt, &r);
    static char line[4096]; /* a longer line is taken in 4095-byte prompts */
    while (!rc && o.interactive && fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        rc = continue_text(&o, &md, line, &r);
        if (rc == 2) /* a prompt it cannot read: say so, go on with the next */
            rc = 0;
    }
    gen_free(&md.g);
    if (md.tm.m.cfg.vocab)
        tm_free(&md.tm);
    return rc;
}
