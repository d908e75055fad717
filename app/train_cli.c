#include "train_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Preset {
    const char *name;
    GPTConfig cfg;
} Preset;

/* --tiny is the soak workhorse: a real transformer block, about 4000 iterations a second. */
static const Preset k_presets[] = {
    {"tiny", {.layers = 1, .heads = 2, .embd = 32, .ctx = 32, .batch = 4}},
    {"small", {.layers = 4, .heads = 4, .embd = 128, .ctx = 128, .batch = 16}},
    {"medium", {.layers = 6, .heads = 6, .embd = 192, .ctx = 256, .batch = 8}},
};

enum Kind { K_INT, K_FLOAT, K_STR, K_FLAG, K_U64 };

typedef struct OptSpec {
    const char *name;
    enum Kind kind;
    size_t offset;      /* into TrainOptions */
    double min, max;    /* accepted range for numbers */
    const char *metavar;
    const char *help;
} OptSpec;

#define OFF(f) offsetof(TrainOptions, f)
static const OptSpec k_opts[] = {
    {"--layers", K_INT, OFF(model.layers), 1, 1024, "N", "transformer blocks"},
    {"--heads", K_INT, OFF(model.heads), 1, 4096, "N", "attention heads (must divide --embd)"},
    {"--embd", K_INT, OFF(model.embd), 1, 65536, "N", "channels C"},
    {"--ctx", K_INT, OFF(model.ctx), 1, 65536, "N", "context length T"},
    {"--batch", K_INT, OFF(model.batch), 1, 65536, "N", "sequences per step B"},
    {"--lr", K_FLOAT, OFF(opt.lr), 1e-9, 10, "X", "AdamW learning rate (1e-3)"},
    {"--beta1", K_FLOAT, OFF(opt.beta1), 0, 0.999999, "X", "AdamW beta1 (0.9)"},
    {"--beta2", K_FLOAT, OFF(opt.beta2), 0, 0.999999999, "X", "AdamW beta2 (0.999)"},
    {"--wd", K_FLOAT, OFF(opt.weight_decay), 0, 10, "X", "weight decay on matrices (0)"},
    {"--clip", K_FLOAT, OFF(opt.clip), 0, 1e9, "X", "clip gradients to this global norm, 0 = off (1.0)"},
    {"--seed", K_U64, OFF(seed), 0, 0, "N", "seed for init and batches (1337)"},
    {"--data", K_STR, OFF(data), 0, 0, "FILE", "text file to train on (default: built-in corpus)"},
    {"--summary", K_STR, OFF(summary), 0, 0, "FILE", "write a JSON summary here at the end"},
    {"--events", K_STR, OFF(events), 0, 0, "FILE", "write every memory event to this binary log (docs/probes.md)"},
    {"--samples", K_STR, OFF(samples), 0, 0, "FILE", "write a CSV row of memory figures every K iterations"},
    {"--sample-every", K_INT, OFF(sample_every), 1, 1e9, "K", "iterations between sample rows (10; first and last always)"},
    {"--save", K_STR, OFF(save), 0, 0, "FILE", "write a checkpoint at the end (docs/train_full.md)"},
    {"--save-every", K_INT, OFF(save_every), 0, 1e9, "N", "with --save: also write it every N iterations (0: at the end only)"},
    {"--resume", K_STR, OFF(resume), 0, 0, "FILE", "continue from a checkpoint up to ITERS iterations in all"},
    {"--save-init", K_STR, OFF(save_init), 0, 0, "FILE", "write a checkpoint before the first iteration"},
    {"--losses", K_STR, OFF(losses), 0, 0, "FILE", "write every iteration's loss (full precision), one per line"},
    {"--dump-grads", K_STR, OFF(dump_grads), 0, 0, "FILE", "write the gradients after the first step (raw float32)"},
    {"--eval-every", K_INT, OFF(eval_every), 0, 1e9, "N", "validation loss every N iterations (0: at the end only)"},
    {"--eval-batches", K_INT, OFF(eval_batches), 1, 1e6, "N", "validation batches per evaluation (20)"},
    {"--sample", K_INT, OFF(sample), 0, 1e7, "N", "print N generated characters at the end"},
    {"--eval-sample", K_INT, OFF(eval_sample), 0, 1e7, "N", "print N generated characters at each --eval-every evaluation"},
    {"--print-every", K_INT, OFF(print_every), 0, 1e9, "N", "progress line every N iterations (0: ~10 lines)"},
    {"--threads", K_INT, OFF(threads), 0, 16, "N", "threads per step (0: auto = 1 for models as small as --tiny, else one per core)"},
    {"--split-min-macs", K_INT, OFF(split_min_macs), 0, 1e15, "N", "split products of >= N multiply-adds over the threads (0: 1048576; soaks, tests)"},
    {"--arena-chunk-kb", K_INT, OFF(arena_chunk_kb), 1, 1 << 22, "N", "size of a new arena chunk in KiB (1024; soaks use less to run the multi-chunk path)"},
    {"--tokenizer", K_STR, OFF(tokenizer), 0, 0, "char|bpe", "tokens: the text's characters (char, the default) or byte-level BPE (docs/tokenizer.md)"},
    {"--vocab", K_INT, OFF(vocab), 256, 65535, "N", "with --tokenizer bpe: train the tokenizer to N tokens (1024)"},
    {"--tokenizer-file", K_STR, OFF(tokenizer_file), 0, 0, "FILE", "with --tokenizer bpe: load the tokenizer from FILE, or train it and save it there"},
    {"--quiet", K_FLAG, OFF(quiet), 0, 0, NULL, "no progress lines"},
    {"--kernels", K_FLAG, OFF(kernels), 0, 0, NULL, "print the matmul kernels that would run and why, then exit (FLATMEM_BLAS_KERNELS: docs/performance.md)"},
};
#define N_OPTS (sizeof k_opts / sizeof k_opts[0])

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CLI_ERROR;
}

/* Whole-string integer in [min, max]. */
static int parse_long(const char *s, double min, double max, long *out)
{
    if (!*s)
        return 0;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || (double)v < min || (double)v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_double(const char *s, double min, double max, double *out)
{
    if (!*s)
        return 0;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v) || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

static int set_value(const OptSpec *s, const char *val, TrainOptions *o, char *err, size_t errlen)
{
    char *dst = (char *)o + s->offset;
    if (s->kind == K_STR) {
        if (!*val)
            return fail(err, errlen, "%s: needs a %s, got an empty string", s->name, s->metavar);
        *(const char **)dst = val;
        return CLI_OK;
    }
    if (s->kind == K_U64) {
        errno = 0;
        char *end;
        unsigned long long v = strtoull(val, &end, 10);
        if (!*val || *end || errno == ERANGE || val[0] == '-')
            return fail(err, errlen, "%s: '%s' is not a non-negative integer", s->name, val);
        *(uint64_t *)dst = v;
        return CLI_OK;
    }
    if (s->kind == K_FLOAT) {
        double v;
        if (!parse_double(val, s->min, s->max, &v))
            return fail(err, errlen, "%s: '%s' is not a number in [%g, %g]", s->name, val, s->min, s->max);
        *(float *)dst = (float)v;
        return CLI_OK;
    }
    long v;
    if (!parse_long(val, s->min, s->max, &v))
        return fail(err, errlen, "%s: '%s' is not a whole number in %.0f..%.0f", s->name, val, s->min, s->max);
    if (s->offset >= OFF(model) && s->offset < OFF(model) + sizeof(GPTConfig))
        *(int *)dst = (int)v;
    else
        *(long *)dst = v;
    return CLI_OK;
}

/* The preset called name ("tiny" ...), or NULL. */
static const Preset *preset_named(const char *name)
{
    for (size_t p = 0; p < sizeof k_presets / sizeof k_presets[0]; p++)
        if (!strcmp(name, k_presets[p].name))
            return &k_presets[p];
    return NULL;
}

/* The preset argument a names ("--tiny" ...), or NULL. */
static const Preset *preset_of(const char *a)
{
    return a[0] == '-' && a[1] == '-' ? preset_named(a + 2) : NULL;
}

/* The option a names (before any '='), or NULL. */
static const OptSpec *spec_of(const char *a)
{
    const char *eq = strchr(a, '=');
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t k = 0; k < N_OPTS; k++)
        if (strlen(k_opts[k].name) == nlen && !strncmp(k_opts[k].name, a, nlen))
            return &k_opts[k];
    return NULL;
}

/* Option argv[*i] (and its value, from "=..." or the next argument). CLI_OK or CLI_ERROR. */
static int parse_option(int argc, char **argv, int *i, TrainOptions *o, GPTConfig *given, char *err, size_t errlen)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    const OptSpec *s = spec_of(a);
    if (!s)
        return fail(err, errlen, "unknown option '%s'", a);
    if (s->kind == K_FLAG) {
        if (eq)
            return fail(err, errlen, "%s takes no value", s->name);
        *(int *)((char *)o + s->offset) = 1;
        return CLI_OK;
    }
    const char *val = eq ? eq + 1 : NULL;
    if (!val) {
        if (*i + 1 >= argc)
            return fail(err, errlen, "%s: missing value (%s %s)", s->name, s->name, s->metavar);
        val = argv[++*i];
    }
    int r = set_value(s, val, o, err, errlen);
    o->vocab_given |= s->offset == OFF(vocab);
    if (!r && s->offset >= OFF(model) && s->offset < OFF(model) + sizeof(GPTConfig))
        *(int *)((char *)given + (s->offset - OFF(model))) = *(int *)((char *)o + s->offset);
    return r;
}

/* The model: the preset, then every model field given on the command line. */
static int finish_model(TrainOptions *o, const GPTConfig *given, char *err, size_t errlen)
{
    o->model = preset_named(o->preset)->cfg;
    if (given->layers) o->model.layers = given->layers;
    if (given->heads) o->model.heads = given->heads;
    if (given->embd) o->model.embd = given->embd;
    if (given->ctx) o->model.ctx = given->ctx;
    if (given->batch) o->model.batch = given->batch;
    if (o->save_every && !o->save)
        return fail(err, errlen, "--save-every %ld: needs --save FILE (where to write the checkpoint)", o->save_every);
    if (o->eval_sample && !o->eval_every)
        return fail(err, errlen, "--eval-sample %ld: needs --eval-every N (when to evaluate)", o->eval_sample);
    if (strcmp(o->tokenizer, "char") && strcmp(o->tokenizer, "bpe"))
        return fail(err, errlen, "--tokenizer %s: is not char or bpe", o->tokenizer);
    if (!strcmp(o->tokenizer, "char") && (o->vocab_given || o->tokenizer_file))
        return fail(err, errlen, "%s: needs --tokenizer bpe (the character tokenizer's vocabulary is the text's bytes)",
                    o->tokenizer_file ? "--tokenizer-file" : "--vocab");
    if (o->model.embd % o->model.heads != 0)
        return fail(err, errlen, "--heads %d does not divide --embd %d: choose heads that divide the channels",
                    o->model.heads, o->model.embd);
    o->model.vocab = 256; /* checked against the data later */
    if (gpt_config_check(&o->model) != ENG_OK)
        return fail(err, errlen, "model too large: --layers %d --embd %d --ctx %d --batch %d overflows memory sizes",
                    o->model.layers, o->model.embd, o->model.ctx, o->model.batch);
    o->model.vocab = 0;
    return CLI_OK;
}

int train_cli_parse(int argc, char **argv, TrainOptions *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->preset = "tiny";
    o->opt = adamw_defaults();
    o->iters = 100;
    o->seed = 1337;
    o->eval_batches = 20;
    o->sample_every = 10;
    o->arena_chunk_kb = 1024;
    o->tokenizer = "char";
    o->vocab = 1024;
    GPTConfig given = {0}; /* model fields given override the preset wherever they appear */
    int have_iters = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const Preset *p = preset_of(a);
        int r = CLI_OK;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return CLI_HELP;
        if (p)
            o->preset = p->name;
        else if (a[0] == '-' && !(a[1] >= '0' && a[1] <= '9'))
            r = parse_option(argc, argv, &i, o, &given, err, errlen);
        else if (have_iters++)
            r = fail(err, errlen, "unexpected argument '%s' (ITERS was already given)", a);
        else if (!parse_long(a, 1, 1e9, &o->iters))
            r = fail(err, errlen, "ITERS: '%s' is not a whole number in 1..1000000000", a);
        if (r)
            return r;
    }
    return finish_model(o, &given, err, errlen);
}

void train_cli_usage(FILE *f)
{
    fprintf(f,
            "usage: train_full [--tiny|--small|--medium] [ITERS] [options]\n"
            "\n"
            "Trains a character-level GPT with the project's autograd engine and reports its\n"
            "memory. ITERS is the number of training steps (default 100).\n"
            "\n"
            "Presets (fields overridable with the options below):\n");
    for (size_t p = 0; p < sizeof k_presets / sizeof k_presets[0]; p++) {
        const GPTConfig *c = &k_presets[p].cfg;
        fprintf(f, "  --%-8s layers %d, heads %d, embd %d, ctx %d, batch %d%s\n", k_presets[p].name,
                c->layers, c->heads, c->embd, c->ctx, c->batch, p == 0 ? " (default)" : "");
    }
    fprintf(f, "\nOptions:\n");
    for (size_t k = 0; k < N_OPTS; k++) {
        char left[40];
        snprintf(left, sizeof left, "%s%s%s", k_opts[k].name, k_opts[k].metavar ? " " : "",
                 k_opts[k].metavar ? k_opts[k].metavar : "");
        fprintf(f, "  %-20s %s\n", left, k_opts[k].help);
    }
    fprintf(f, "  %-20s %s\n", "-h, --help", "this text");
    fprintf(f,
            "\n"
            "Output: a header, a progress line every so often (iteration, train loss, ms/iter,\n"
            "RSS, arena high-water), validation losses, and a final summary. --summary writes\n"
            "the same figures as JSON (format: docs/train_full.md).\n"
            "\n"
            "Exit status: 0 success, 1 runtime failure (e.g. out of memory),\n"
            "2 bad usage or bad input (the message names the flag or file).\n");
}
