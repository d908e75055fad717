/* train_cli.h - the command line of train_full, parsed into TrainOptions.
 *
 *   train_full [--tiny|--small|--medium] [ITERS] [options]
 *
 * Kept apart from main so that tests and fuzzers drive the parser directly (it is built
 * into build/<variant>/libapp.a). Parsing allocates nothing; strings in TrainOptions
 * point into argv. */
#ifndef APP_TRAIN_CLI_H
#define APP_TRAIN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gpt.h"
#include "optim.h"

typedef struct TrainOptions {
    const char *preset; /* "tiny", "small" or "medium" */
    GPTConfig model; /* vocab is filled in from the data */
    AdamWConfig opt;
    long iters; /* ITERS, default 100 */
    uint64_t seed; /* --seed, default 1337 */
    const char *data; /* --data FILE, NULL: the built-in corpus */
    const char *summary; /* --summary FILE */
    const char *events; /* --events FILE: binary event log (probes) */
    const char *samples; /* --samples FILE: per-iteration CSV (probes) */
    long sample_every; /* --sample-every K, default 10 */
    const char *save; /* --save FILE: checkpoint at the end */
    long save_every; /* --save-every N: also every N iterations (0: only at the end) */
    const char *resume; /* --resume FILE: continue from a checkpoint */
    const char *save_init; /* --save-init FILE: checkpoint before the first iteration */
    const char *load_llmc; /* --load-llmc FILE: start from a model in llm.c's format */
    const char *save_llmc; /* --save-llmc FILE: the model at the end in llm.c's format */
    const char *losses; /* --losses FILE: "iteration loss" per line, full precision */
    const char *dump_grads; /* --dump-grads FILE: raw float32 gradients after the first step */
    long eval_every; /* --eval-every N (0: only at the end) */
    long eval_batches; /* --eval-batches N, default 20 */
    long sample; /* --sample N characters */
    long eval_sample; /* --eval-sample N characters generated at each evaluation */
    long split_min_macs; /* --split-min-macs N (0: the engine's default) */
    long arena_chunk_kb; /* --arena-chunk-kb N: size of a new arena chunk (default 1024) */
    long print_every; /* --print-every N (0: automatic, about 10 lines per run) */
    long threads; /* --threads N (0: auto) */
    int quiet; /* --quiet: no progress lines */
    int kernels; /* --kernels: say which matmul kernels run, and why, and exit */
    const char *tokenizer; /* --tokenizer char|bpe (char) */
    long vocab; /* --vocab N: BPE tokens (1024) */
    int vocab_given;
    GPTConfig given; /* the model fields the command line gave (0: the preset's) */
    int iters_given;
    const char *tokenizer_file; /* --tokenizer-file FILE: load, or train and save */
} TrainOptions;

enum { CLI_OK = 0, CLI_HELP = 1, CLI_ERROR = 2 };

/* Parses argv. CLI_ERROR leaves a one-line message naming the flag and what is wrong in
 * err (at most errlen bytes). */
int train_cli_parse(int argc, char **argv, TrainOptions *o, char *err, size_t errlen);

/* Writes the --help text. */
void train_cli_usage(FILE *f);

#endif
