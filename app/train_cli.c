#include "train_cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

typedef struct Preset {
    const char *name;
    GPTConfig cfg;
} Preset;

/* --tiny is the soak workhorse: a real transformer block, about 4000 iterations a second. */
static const Preset k_presets[] = {
    {"tiny", {.layers = 1, .heads = 2, .embd = 32, .ctx = 32, .batch = 4}},
    {"small", {.layers = 4, .heads = 4, .embd = 128, .ctx = 128, .batch = 16}},
    {"medium", {.layers = 6, .heads = 6, .embd = 192, .ctx = 256, .batch = 8}},
    /* GPT-2 small's shape (124M parameters with GPT-2's vocabulary; 85M with characters) */
    {"gpt2", {.layers = 12, .heads = 12, .embd = 768, .ctx = 1024, .batch = 1}},
};

/* A preset's flag (--tiny, --small, --medium, --gpt2): its name after the dashes. */
static int set_preset(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)v, (void)why, (void)cap;
    ((TrainOptions *)target)->preset = o->name + 2;
    return 0;
}

/* --vocab N: 256..65535 tokens, and that it was given (only with --tokenizer bpe). */
static int set_vocab(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    TrainOptions *t = target;
    if (!opt_long(v, o->lo, o->hi, &t->vocab)) {
        snprintf(why, cap, "is not a whole number in %.0f..%.0f", o->lo, o->hi);
        return -1;
    }
    t->vocab_given = 1;
    return 0;
}

#define OFF(f) offsetof(TrainOptions, f)
/* Model fields go to TrainOptions.given: they override the preset wherever they appear. */
static const Opt k_opts[] = {
    {"--tiny", OPT_FLAG, 0, 0, 0, NULL, NULL, set_preset},
    {"--small", OPT_FLAG, 0, 0, 0, NULL, NULL, set_preset},
    {"--medium", OPT_FLAG, 0, 0, 0, NULL, NULL, set_preset},
    {"--gpt2", OPT_FLAG, 0, 0, 0, NULL, NULL, set_preset},
    {"--layers", OPT_INT, OFF(given.layers), 1, 1024, "N", "transformer blocks", NULL},
    {"--heads", OPT_INT, OFF(given.heads), 1, 4096, "N", "attention heads (must divide --embd)", NULL},
    {"--embd", OPT_INT, OFF(given.embd), 1, 65536, "N", "channels C", NULL},
    {"--ctx", OPT_INT, OFF(given.ctx), 1, 65536, "N", "context length T", NULL},
    {"--batch", OPT_INT, OFF(given.batch), 1, 65536, "N", "sequences per step B", NULL},
    {"--lr", OPT_FLOAT, OFF(opt.lr), 1e-9, 10, "X", "AdamW learning rate (1e-3)", NULL},
    {"--beta1", OPT_FLOAT, OFF(opt.beta1), 0, 0.999999, "X", "AdamW beta1 (0.9)", NULL},
    {"--beta2", OPT_FLOAT, OFF(opt.beta2), 0, 0.999999999, "X", "AdamW beta2 (0.999)", NULL},
    {"--wd", OPT_FLOAT, OFF(opt.weight_decay), 0, 10, "X", "weight decay on matrices (0)", NULL},
    {"--clip", OPT_FLOAT, OFF(opt.clip), 0, 1e9, "X", "clip gradients to this global norm, 0 = off (1.0)",
     NULL},
    {"--seed", OPT_U64, OFF(seed), 0, 0, "N", "seed for init and batches (1337)", NULL},
    {"--data", OPT_STR, OFF(data), 0, 0, "FILE", "text file to train on (default: built-in corpus)", NULL},
    {"--summary", OPT_STR, OFF(summary), 0, 0, "FILE", "write a JSON summary here at the end", NULL},
    {"--events", OPT_STR, OFF(events), 0, 0, "FILE",
     "write every memory event to this binary log (docs/probes.md)", NULL},
    {"--samples", OPT_STR, OFF(samples), 0, 0, "FILE", "write a CSV row of memory figures every K iterations",
     NULL},
    {"--sample-every", OPT_LONG, OFF(sample_every), 1, 1e9, "K",
     "iterations between sample rows (10; first and last always)", NULL},
    {"--save", OPT_STR, OFF(save), 0, 0, "FILE", "write a checkpoint at the end (docs/train_full.md)", NULL},
    {"--save-every", OPT_LONG, OFF(save_every), 0, 1e9, "N",
     "with --save: also write it every N iterations (0: at the end only)", NULL},
    {"--resume", OPT_STR, OFF(resume), 0, 0, "FILE",
     "continue from a checkpoint up to ITERS iterations in all", NULL},
    {"--load-llmc", OPT_STR, OFF(load_llmc), 0, 0, "FILE",
     "start from a model in llm.c's checkpoint format (its configuration; docs/train_full.md)", NULL},
    {"--save-llmc", OPT_STR, OFF(save_llmc), 0, 0, "FILE", "write the model at the end in llm.c's format",
     NULL},
    {"--save-init", OPT_STR, OFF(save_init), 0, 0, "FILE", "write a checkpoint before the first iteration",
     NULL},
    {"--losses", OPT_STR, OFF(losses), 0, 0, "FILE",
     "write every iteration's loss (full precision), one per line", NULL},
    {"--dump-grads", OPT_STR, OFF(dump_grads), 0, 0, "FILE",
     "write the gradients after the first step (raw float32)", NULL},
    {"--eval-every", OPT_LONG, OFF(eval_every), 0, 1e9, "N",
     "validation loss every N iterations (0: at the end only)", NULL},
    {"--eval-batches", OPT_LONG, OFF(eval_batches), 1, 1e6, "N", "validation batches per evaluation (20)",
     NULL},
    {"--sample", OPT_LONG, OFF(sample), 0, 1e7, "N", "print N generated characters at the end", NULL},
    {"--eval-sample", OPT_LONG, OFF(eval_sample), 0, 1e7, "N",
     "print N generated characters at each --eval-every evaluation", NULL},
    {"--print-every", OPT_LONG, OFF(print_every), 0, 1e9, "N",
     "progress line every N iterations (0: ~10 lines)", NULL},
    {"--threads", OPT_LONG, OFF(threads), 0, 16, "N",
     "threads per step (0: auto = 1 for models as small as --tiny, else one per core)", NULL},
    {"--split-min-macs", OPT_LONG, OFF(split_min_macs), 0, 1e15, "N",
     "split products of >= N multiply-adds over the threads (0: 1048576; soaks, tests)", NULL},
    {"--arena-chunk-kb", OPT_LONG, OFF(arena_chunk_kb), 1, 1 << 22, "N",
     "size of a new arena chunk in KiB (1024; soaks use less to run the multi-chunk path)", NULL},
    {"--tokenizer", OPT_STR, OFF(tokenizer), 0, 0, "char|bpe",
     "tokens: the text's characters (char, the default) or byte-level BPE (docs/tokenizer.md)", NULL},
    {"--vocab", OPT_CUSTOM, OFF(vocab), 256, 65535, "N",
     "with --tokenizer bpe: train the tokenizer to N tokens (1024)", set_vocab},
    {"--tokenizer-file", OPT_STR, OFF(tokenizer_file), 0, 0, "FILE",
     "with --tokenizer bpe: load the tokenizer from FILE, or train it and save it there", NULL},
    {"--quiet", OPT_FLAG, OFF(quiet), 0, 0, NULL, "no progress lines", NULL},
    {"--kernels", OPT_FLAG, OFF(kernels), 0, 0, NULL,
     "print the matmul kernels that would run and why (the kernel sets timed on this CPU, kept in "
     "~/.cache/flatmem/blas-kernels), then exit (FLATMEM_BLAS_KERNELS: docs/performance.md)",
     NULL},
};
static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return CLI_ERROR;
}

/* The preset called name ("tiny" ...). */
static const Preset *preset_named(const char *name)
{
    for (size_t p = 0; p < sizeof k_presets / sizeof k_presets[0]; p++)
        if (!strcmp(name, k_presets[p].name))
            return &k_presets[p];
    return &k_presets[0];
}

/* ITERS, the one positional argument. */
static int set_iters(const char *arg, void *target, char *err, size_t cap)
{
    TrainOptions *o = target;
    if (o->iters_given++) {
        fail(err, cap, "unexpected argument '%s' (ITERS was already given)", arg);
        return -1;
    }
    if (!opt_long(arg, 1, 1e9, &o->iters)) {
        fail(err, cap, "ITERS: '%s' is not a whole number in 1..1000000000", arg);
        return -1;
    }
    return 0;
}

/* The model: the preset, then every model field given on the command line. */
static int finish_model(TrainOptions *o, char *err, size_t errlen)
{
    const GPTConfig *given = &o->given;
    o->model = preset_named(o->preset)->cfg;
    if (given->layers)
        o->model.layers = given->layers;
    if (given->heads)
        o->model.heads = given->heads;
    if (given->embd)
        o->model.embd = given->embd;
    if (given->ctx)
        o->model.ctx = given->ctx;
    if (given->batch)
        o->model.batch = given->batch;
    if (o->save_every && !o->save)
        return fail(err, errlen, "--save-every %ld: needs --save FILE (where to write the checkpoint)",
                    o->save_every);
    if (o->load_llmc && o->resume)
        return fail(err, errlen, "--load-llmc and --resume: one model to start from, not two");
    if (o->eval_sample && !o->eval_every)
        return fail(err, errlen, "--eval-sample %ld: needs --eval-every N (when to evaluate)",
                    o->eval_sample);
    if (strcmp(o->tokenizer, "char") && strcmp(o->tokenizer, "bpe"))
        return fail(err, errlen, "--tokenizer %s: is not char or bpe", o->tokenizer);
    if (!strcmp(o->tokenizer, "char") && (o->vocab_given || o->tokenizer_file))
        return fail(err, errlen,
                    "%s: needs --tokenizer bpe (the character tokenizer's vocabulary is the text's bytes)",
                    o->tokenizer_file ? "--tokenizer-file" : "--vocab");
    if (o->model.embd % o->model.heads != 0)
        return fail(err, errlen,
                    "--heads %d does not divide --embd %d: choose heads that divide the channels",
                    o->model.heads, o->model.embd);
    o->model.vocab = 256; /* checked against the data later */
    if (gpt_config_check(&o->model) != ENG_OK)
        return fail(err, errlen,
                    "model too large: --layers %d --embd %d --ctx %d --batch %d overflows memory sizes",
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
    int rc = opt_parse(&k_table, argc, argv, o, set_iters, err, errlen);
    if (rc == OPT_HELP)
        return CLI_HELP;
    return rc != OPT_OK ? CLI_ERROR : finish_model(o, err, errlen);
}

void train_cli_usage(FILE *f)
{
    fprintf(f, "usage: train_full [--tiny|--small|--medium|--gpt2] [ITERS] [options]\n"
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
    opt_usage(&k_table, f, 20);
    fprintf(f, "  %-20s %s\n", "-h, --help", "this text");
    fprintf(f, "\n"
               "Output: a header, a progress line every so often (iteration, train loss, ms/iter,\n"
               "RSS, arena high-water), validation losses, and a final summary. --summary writes\n"
               "the same figures as JSON (format: docs/train_full.md).\n"
               "\n"
               "Exit status: 0 success, 1 runtime failure (e.g. out of memory),\n"
               "2 bad usage or bad input (the message names the flag or file).\n");
}
