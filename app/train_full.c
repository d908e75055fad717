/* train_full - trains the GPT (on characters, or BPE tokens) and reports time and memory.
 * See train_cli.c (or --help) for the command line and docs/train_full.md for outputs. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "autograd.h"
#include "blas_select.h"
#include "checkpoint.h"
#include "data.h"
#include "flatmem.h"
#include "gemm.h"
#include "generate.h"
#include "gpt.h"
#include "hook.h"
#include "mem.h"
#include "outfile.h"
#include "par.h"
#include "probes.h"
#include "sysmem.h"
#include "tape.h"
#include "train_cli.h"

#ifndef ENGINE_VARIANT
#define ENGINE_VARIANT "release"
#endif

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

/* Step times in log-spaced bins 1% wide from 1 us to ~1000 s: the median comes out within
 * 0.5%, and the memory needed does not depend on the number of iterations (an array of
 * every step's time would make 10000 iterations use more memory than 100). */
#define HIST_BINS 2100
#define HIST_MIN_MS 1e-3
#define HIST_STEP 1.01

typedef struct TimeHist {
    uint32_t bins[HIST_BINS];
    uint64_t n;
} TimeHist;

static void hist_add(TimeHist *h, double ms)
{
    int b = ms <= HIST_MIN_MS ? 0 : (int)(log(ms / HIST_MIN_MS) / log(HIST_STEP));
    h->bins[b < HIST_BINS ? b : HIST_BINS - 1]++;
    h->n++;
}

static double hist_median(const TimeHist *h)
{
    uint64_t seen = 0;
    for (int b = 0; b < HIST_BINS; b++) {
        seen += h->bins[b];
        if (h->n && seen * 2 >= h->n)
            return HIST_MIN_MS * pow(HIST_STEP, b + 0.5);
    }
    return 0.0;
}

typedef struct Run {
    TrainOptions o;
    Dataset data;
    Bpe bpe; /* --tokenizer bpe */
    Generator gen; /* --sample, --eval-sample: the key/value cache, allocated once */
    GPT model;
    Arena arena;
    Tape tape;
    Graph g;
    int32_t *x, *y; /* [batch*ctx] */
    size_t xy_bytes;
    TimeHist hist; /* per-step times: fixed memory whatever the iteration count */
    float first_loss, last_loss, val_loss;
    uint64_t allocs_after_first;
    long start; /* iterations already done (a resumed checkpoint's step) */
    uint64_t rng_state; /* the batch generator's state to start from (0: from the seed) */
} Run;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Mean loss over eval_batches validation batches; the same batches every time. */
static EngErr evaluate(Run *r, float *out)
{
    Rng rng;
    rng_seed(&rng, r->o.seed ^ 0x5EEDull);
    double sum = 0.0;
    const GPTConfig *c = &r->model.cfg;
    for (long b = 0; b < r->o.eval_batches; b++) {
        data_batch(&r->data, SPLIT_VAL, &rng, c->batch, c->ctx, r->x, r->y);
        float l;
        EngErr err = gpt_eval(&r->model, &r->g, r->x, r->y, &l);
        if (err)
            return err;
        sum += l;
    }
    *out = (float)(sum / (double)r->o.eval_batches);
    return ENG_OK;
}

/* Prints n tokens sampled from the model (temperature 1, every token), starting after a
 * newline, with the engine's key/value cache: one position's work per token. */
static EngErr sample_text(Run *r, long n)
{
    Rng rng;
    rng_seed(&rng, r->o.seed ^ 0xC0FFEEull);
    gen_reset(&r->gen);
    int32_t tok = data_newline_token(&r->data);
    printf("--- sample (%ld tokens) ---\n", n);
    for (long i = 0; i < n; i++) {
        EngErr err = gen_feed(&r->gen, tok);
        if (err)
            return err;
        tok = gen_sample(&r->gen, 1.0f, 0, 1.0f, &rng);
        uint8_t bytes[256];
        fwrite(bytes, 1, data_token_bytes(&r->data, tok, bytes, sizeof bytes), stdout);
    }
    printf("\n--- end of sample ---\n");
    return ENG_OK;
}

/* --summary FILE: the run's figures as JSON (docs/train_full.md), written with jansson to
 * a temporary file, then renamed. */
static int write_summary(const Run *r, double ms_median, double tok_s)
{
    const GPTConfig *c = &r->model.cfg;
    ArenaStats as = arena_stats(&r->arena);
    GPTMinBytes mb = gpt_min_bytes(c);
    json_t *cfg = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:I}", "preset", r->o.preset, "layers",
                            c->layers, "heads", c->heads, "embd", c->embd, "ctx", c->ctx, "batch", c->batch,
                            "vocab", c->vocab, "params", (json_int_t)r->model.n_params);
    json_t *o = json_pack("{s:o, s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f}", "config", cfg, "variant",
                          ENGINE_VARIANT, "matmul_backend", gemm_backend(), "matmul_kernels", blas_kernels(),
                          "seed", (json_int_t)r->o.seed, "iterations", (json_int_t)r->o.iters, "first_loss",
                          r->first_loss, "final_train_loss", r->last_loss, "val_loss", r->val_loss,
                          "ms_per_iter_median", ms_median, "tokens_per_s", tok_s);
    json_t *mem =
        json_pack("{s:I, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}", "peak_rss_bytes",
                  (json_int_t)sysmem_peak_rss_bytes(), "min_bytes", mb.total, "min_state_bytes", mb.state,
                  "min_activation_bytes", mb.activations, "arena_high_water_bytes",
                  (json_int_t)as.high_water_bytes, "arena_reserved_bytes", (json_int_t)as.reserved_bytes,
                  "tape_capacity", (json_int_t)r->tape.cap, "heap_allocs", (json_int_t)mem_stats().allocs,
                  "heap_allocs_after_warmup", (json_int_t)(mem_stats().allocs - r->allocs_after_first));
    /* validation loss in bits per character (byte): tokens of the validation split over its bytes */
    double val_tokens = (double)(r->data.n - r->data.n_train),
           bpc = r->val_loss / log(2.0) * val_tokens / (double)(r->data.val_bytes ? r->data.val_bytes : 1);
    json_object_set_new(o, "matmul_kernels_reason", json_string(blas_reason()));
    json_object_set_new(o, "tokenizer", json_string(r->data.bpe ? "bpe" : "char"));
    json_object_set_new(o, "val_bits_per_char", json_real(bpc));
    json_object_set_new(o, "bytes_per_token",
                        json_real((double)(r->data.train_bytes + r->data.val_bytes) / (double)r->data.n));
    json_object_update(o, mem);
    json_decref(mem);
    OutFile of;
    FILE *f = outfile_open(&of, r->o.summary);
    int ok = f && json_dumpf(o, f, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) == 0 && fputc('\n', f) != EOF;
    json_decref(o);
    if (!ok || outfile_commit(&of) != 0) {
        if (f && !ok)
            outfile_abort(&of);
        fprintf(stderr, "train_full: --summary %s: cannot be written: %s\n", r->o.summary, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes a checkpoint after `step` iterations to path (temporary file, then rename).
 * 0, or -1 after a message naming flag. */
static int save_checkpoint(const Run *r, const Rng *rng, long step, const char *flag, const char *path)
{
    CkptMeta meta = {.step = (uint64_t)step,
                     .rng_state = rng->s,
                     .seed = r->o.seed,
                     .vocab = r->data.vocab,
                     .tokenizer = r->data.bpe ? CKPT_TOKENIZER_BPE : CKPT_TOKENIZER_CHAR,
                     .tokenizer_hash = r->data.bpe ? bpe_hash(&r->bpe) : 0};
    memcpy(meta.itos, r->data.itos, sizeof meta.itos);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f || ckpt_save(f, &r->model, &meta) != ENG_OK) {
        fprintf(stderr, "train_full: %s %s: cannot be written: %s\n", flag, path, strerror(errno));
        if (f)
            outfile_abort(&of);
        return -1;
    }
    if (outfile_commit(&of) != 0) {
        fprintf(stderr, "train_full: %s %s: write failed: %s\n", flag, path, strerror(errno));
        return -1;
    }
    printf("checkpoint: %s (after iteration %ld)\n", path, step);
    return 0;
}

/* Writes the gradients of the last step, raw float32 in the model's layout. */
static int dump_grads(const Run *r)
{
    OutFile of;
    FILE *f = outfile_open(&of, r->o.dump_grads);
    size_t n = r->model.n_params;
    if (!f || fwrite(r->model.grads, sizeof(float), n, f) != n || outfile_commit(&of) != 0) {
        fprintf(stderr, "train_full: --dump-grads %s: cannot be written: %s\n", r->o.dump_grads,
                strerror(errno));
        if (f)
            outfile_abort(&of);
        return -1;
    }
    return 0;
}

/* --tokenizer bpe: the tokenizer from --tokenizer-file when it exists, else trained on
 * the training split of text (and saved to --tokenizer-file when given). Exit status. */
static int load_tokenizer(Run *r, const uint8_t *text, size_t len)
{
    TrainOptions *o = &r->o;
    const char *why = "";
    FILE *f = o->tokenizer_file ? fopen(o->tokenizer_file, "rb") : NULL;
    if (f) {
        EngErr e = bpe_load(f, &r->bpe, &why);
        fclose(f);
        if (e) {
            fprintf(stderr, "train_full: --tokenizer-file %s: %s\n", o->tokenizer_file, why);
            return e == ENG_ENOMEM ? 1 : 2;
        }
        if (o->vocab_given && r->bpe.vocab != o->vocab)
            return fprintf(
                       stderr,
                       "train_full: --tokenizer-file %s has %d tokens, not --vocab %ld: leave --vocab out "
                       "or give another file\n",
                       o->tokenizer_file, r->bpe.vocab, o->vocab),
                   2;
        return 0;
    }
    if (o->tokenizer_file && errno != ENOENT) {
        fprintf(stderr, "train_full: --tokenizer-file %s: %s\n", o->tokenizer_file, strerror(errno));
        return 2;
    }
    double t0 = now_ms();
    EngErr e = bpe_train(&r->bpe, text, data_split_bytes(len), (int)o->vocab, &why);
    if (e) {
        fprintf(stderr, "train_full: --tokenizer bpe: %s\n", why);
        return e == ENG_ENOMEM ? 1 : 2;
    }
    if (!o->quiet)
        printf("tokenizer: BPE, %d tokens, trained on %zu bytes in %.2f s\n", r->bpe.vocab,
               data_split_bytes(len), (now_ms() - t0) / 1e3);
    if (!o->tokenizer_file)
        return 0;
    OutFile of;
    f = outfile_open(&of, o->tokenizer_file);
    if (!f || bpe_save(f, &r->bpe) != ENG_OK || outfile_commit(&of) != 0) {
        if (f)
            outfile_abort(&of);
        return fprintf(stderr, "train_full: --tokenizer-file %s: cannot be written: %s\n", o->tokenizer_file,
                       strerror(errno)),
               1;
    }
    return 0;
}

/* The training text (--data FILE or the built-in corpus) as tokens, checked against the
 * context. Returns an exit status (0: go on). */
static int load_data(Run *r)
{
    TrainOptions *o = &r->o;
    const char *why = "";
    uint8_t *text = NULL;
    size_t len = 0;
    EngErr err = data_read_text(o->data, &text, &len, &why);
    int bpe = !strcmp(o->tokenizer, "bpe"), rc = 0;
    if (!err && bpe && (rc = load_tokenizer(r, text, len)) != 0) {
        data_text_free(text, len);
        return rc;
    }
    if (!err)
        err = bpe ? data_from_text_bpe(&r->data, &r->bpe, text, len, &why)
                  : data_from_text(&r->data, text, len, &why);
    data_text_free(text, len);
    if (err == ENG_ENOMEM) {
        fprintf(stderr, "train_full: out of memory loading the data\n");
        return 1;
    }
    if (err) {
        fprintf(stderr, "train_full: --data %s: %s\n", o->data, why);
        return 2;
    }
    if (data_check_context(&r->data, o->model.ctx) != ENG_OK) {
        fprintf(stderr,
                "train_full: --data %s: %zu tokens is too short for --ctx %d: each split "
                "(90%% train, 10%% validation) needs at least %d; give a longer file or a smaller --ctx\n",
                o->data ? o->data : "(built-in)", r->data.n, o->model.ctx, o->model.ctx + 1);
        return 2;
    }
    o->model.vocab = r->data.vocab;
    return 0;
}

/* --load-llmc FILE: the model and its configuration from llm.c's format (the batch is
 * this run's). Returns an exit status (0: go on). */
static int load_llmc(Run *r)
{
    TrainOptions *o = &r->o;
    FILE *f = fopen(o->load_llmc, "rb");
    if (!f) {
        fprintf(stderr, "train_full: --load-llmc %s: %s\n", o->load_llmc, strerror(errno));
        return 2;
    }
    const char *bad = "";
    EngErr e = ckpt_load_llmc(f, &r->model, o->model.batch, &bad);
    fclose(f);
    if (e) {
        fprintf(stderr, "train_full: --load-llmc %s: %s\n", o->load_llmc, bad);
        return e == ENG_ENOMEM ? 1 : 2;
    }
    if (r->model.cfg.vocab != r->data.vocab) {
        fprintf(
            stderr,
            "train_full: --load-llmc %s: its vocabulary has %d tokens, the data's %d: give the --data and "
            "--tokenizer it was trained with\n",
            o->load_llmc, r->model.cfg.vocab, r->data.vocab);
        gpt_destroy(&r->model);
        return 2;
    }
    o->model = r->model.cfg;
    if (data_check_context(&r->data, o->model.ctx) != ENG_OK) {
        fprintf(stderr, "train_full: --data: too short for the model's context %d\n", o->model.ctx);
        gpt_destroy(&r->model);
        return 2;
    }
    return 0;
}

/* --save-llmc FILE: the model in llm.c's format (temporary file, then rename). 0, or -1. */
static int save_llmc(const Run *r)
{
    OutFile of;
    FILE *f = outfile_open(&of, r->o.save_llmc);
    if (!f || ckpt_save_llmc(f, &r->model) != ENG_OK || outfile_commit(&of) != 0) {
        fprintf(stderr, "train_full: --save-llmc %s: cannot be written: %s\n", r->o.save_llmc,
                strerror(errno));
        if (f)
            outfile_abort(&of);
        return -1;
    }
    printf("checkpoint: %s (llm.c's format, after iteration %ld)\n", r->o.save_llmc, r->o.iters);
    return 0;
}

/* --resume FILE: the model, its configuration, seed, step and batch-generator state.
 * Returns an exit status (0: go on). */
static int resume(Run *r)
{
    TrainOptions *o = &r->o;
    FILE *f = fopen(o->resume, "rb");
    if (!f) {
        fprintf(stderr, "train_full: --resume %s: %s\n", o->resume, strerror(errno));
        return 2;
    }
    CkptMeta meta;
    const char *bad = "";
    EngErr e = ckpt_load(f, &r->model, &meta, &bad);
    fclose(f);
    if (e) {
        fprintf(stderr, "train_full: --resume %s: %s\n", o->resume, bad);
        return e == ENG_ENOMEM ? 1 : 2;
    }
    uint32_t kind = r->data.bpe ? CKPT_TOKENIZER_BPE : CKPT_TOKENIZER_CHAR;
    if (meta.tokenizer != kind || (r->data.bpe && meta.tokenizer_hash != bpe_hash(&r->bpe))) {
        fprintf(stderr,
                "train_full: --resume %s: the checkpoint was trained with another tokenizer (%s%s): give "
                "the same --tokenizer%s\n",
                o->resume, meta.tokenizer == CKPT_TOKENIZER_BPE ? "BPE" : "characters",
                meta.tokenizer == kind ? ", other merges" : "",
                kind == CKPT_TOKENIZER_BPE ? " and --tokenizer-file" : "");
        return 2;
    }
    if (meta.vocab != r->data.vocab ||
        (!r->data.bpe && memcmp(meta.itos, r->data.itos, (size_t)meta.vocab) != 0)) {
        fprintf(stderr,
                "train_full: --resume %s: the checkpoint was trained on other data (its vocabulary "
                "differs from --data %s): give the same --data\n",
                o->resume, o->data ? o->data : "(built-in)");
        return 2;
    }
    if ((long)meta.step >= o->iters) {
        fprintf(stderr,
                "train_full: --resume %s: it holds %llu iterations already; ITERS (%ld) counts all "
                "iterations and must be larger\n",
                o->resume, (unsigned long long)meta.step, o->iters);
        return 2;
    }
    o->model = r->model.cfg;
    o->seed = meta.seed;
    r->start = (long)meta.step;
    r->rng_state = meta.rng_state;
    if (data_check_context(&r->data, o->model.ctx) != ENG_OK) {
        fprintf(stderr, "train_full: --data: too short for the checkpoint's context %d\n", o->model.ctx);
        return 2;
    }
    return 0;
}

/* The engine's own threads split each step; OpenBLAS stays at one thread so the two never
 * fight over the cores. Auto: one below ~256k activations per layer (a step of --tiny is
 * over before a second thread would have started), else one per core. */
static void start_threads(const TrainOptions *o)
{
    size_t work = (size_t)o->model.batch * o->model.ctx * o->model.embd;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = o->threads ? (int)o->threads : work < ((size_t)1 << 18) ? 1 : cores > 1 ? (int)cores : 1;
    gemm_set_threads(1);
    gemm_set_split_min((double)o->split_min_macs);
    if (par_init(threads) != ENG_OK)
        fprintf(stderr, "train_full: warning: could not start %d threads; running on one\n", threads);
}

/* Loads data and builds the model. Returns an exit status (0: go on). */
static int setup(Run *r)
{
    TrainOptions *o = &r->o;
    int rc = load_data(r);
    if (!rc && o->resume)
        rc = resume(r);
    if (!rc && o->load_llmc)
        rc = load_llmc(r);
    if (rc)
        return rc;
    start_threads(o);
    EngErr err = o->resume || o->load_llmc ? ENG_OK : gpt_create(&r->model, &o->model, o->seed);
    if (err) {
        fprintf(stderr, "train_full: cannot create the model: %s\n", eng_strerror(err));
        return err == ENG_ENOMEM ? 1 : 2;
    }
    arena_init(&r->arena, (size_t)o->arena_chunk_kb << 10);
    tape_init(&r->tape, 0);
    graph_init(&r->g, &r->arena, &r->tape);
    r->xy_bytes = (size_t)o->model.batch * o->model.ctx * sizeof(int32_t);
    if ((o->sample || o->eval_sample) && gen_init(&r->gen, &r->model) != ENG_OK) {
        fprintf(stderr, "train_full: out of memory allocating the generation cache\n");
        return 1;
    }
    r->x = mem_alloc(r->xy_bytes, "train.batch");
    r->y = mem_alloc(r->xy_bytes, "train.batch");
    if (!r->x || !r->y) {
        fprintf(stderr, "train_full: out of memory allocating batch buffers\n");
        return 1;
    }
    return 0;
}

static void teardown(Run *r)
{
    mem_free(r->x, r->xy_bytes, "train.batch");
    mem_free(r->y, r->xy_bytes, "train.batch");
    gen_free(&r->gen);
    tape_free(&r->tape);
    arena_free(&r->arena);
    gpt_destroy(&r->model);
    data_free(&r->data);
    bpe_free(&r->bpe);
}

/* What runs between steps: evaluation (and a sample of text) every --eval-every, a
 * checkpoint every --save-every, the progress line. 0, or 1 after a message. */
static int between_steps(Run *r, const Rng *rng, long it, float loss, double step_ms)
{
    const TrainOptions *o = &r->o;
    EngErr err;
    if (o->eval_every && it % o->eval_every == 0 && it != o->iters) {
        float vl;
        if ((err = evaluate(r, &vl))) {
            fprintf(stderr, "train_full: evaluation failed: %s\n", eng_strerror(err));
            return 1;
        }
        printf("iter %ld | val loss %.4f\n", it, vl);
        if (o->eval_sample > 0 && (err = sample_text(r, o->eval_sample))) {
            fprintf(stderr, "train_full: sampling failed: %s\n", eng_strerror(err));
            return 1;
        }
    }
    if (o->save_every && it % o->save_every == 0 && it != o->iters &&
        save_checkpoint(r, rng, it, "--save", o->save) != 0)
        return 1;
    long every = o->print_every ? o->print_every : (o->iters >= 10 ? o->iters / 10 : 1);
    if (!o->quiet && (it % every == 0 || it == r->start + 1 || it == o->iters)) {
        ArenaStats as = arena_stats(&r->arena);
        printf("iter %ld/%ld | loss %.4f | %.3f ms/iter | rss %.1f MiB | arena hw %.2f MiB\n", it, o->iters,
               loss, step_ms, MIB(sysmem_rss_bytes()), MIB(as.high_water_bytes));
        fflush(stdout);
    }
    return 0;
}

/* The training steps from r->start + 1 to ITERS; losses (or NULL) gets each step's loss.
 * 0, or 1 after a message. */
static int train_steps(Run *r, Rng *rng, FILE *losses)
{
    const TrainOptions *o = &r->o;
    const GPTConfig *c = &r->model.cfg;
    for (long it = r->start + 1; it <= o->iters; it++) {
        data_batch(&r->data, SPLIT_TRAIN, rng, c->batch, c->ctx, r->x, r->y);
        GPTStepStats st;
        double t0 = now_ms();
        eng_iter_begin((uint64_t)it);
        EngErr err = gpt_step(&r->model, &r->g, r->x, r->y, &o->opt, &st);
        double step_ms = now_ms() - t0;
        hist_add(&r->hist, step_ms);
        if (err) {
            fprintf(stderr, "train_full: iteration %ld failed: %s\n", it, eng_strerror(err));
            return 1;
        }
        if (losses)
            fprintf(losses, "%ld %.9g\n", it, st.loss);
        if (it == r->start + 1) {
            if (o->dump_grads && dump_grads(r) != 0)
                return 1;
            r->first_loss = st.loss;
            r->allocs_after_first = mem_stats().allocs;
        }
        r->last_loss = st.loss;
        int rc = between_steps(r, rng, it, st.loss, step_ms);
        eng_iter_end((uint64_t)it); /* after evaluation: its arena use counts in this iteration */
        flatmem_step((unsigned long long)it); /* the soak's probe, when preloaded (include/flatmem.h) */
        if (rc)
            return rc;
    }
    return 0;
}

/* The closing lines: time, losses, memory and the theoretical minimum. */
static void print_done(const Run *r, double total_ms, double ms_med, double tok_s)
{
    const GPTConfig *c = &r->model.cfg;
    ArenaStats as = arena_stats(&r->arena);
    unsigned long long late = (unsigned long long)(mem_stats().allocs - r->allocs_after_first);
    printf("done: %ld iterations in %.2f s | loss %.4f -> %.4f | val loss %.4f | %.3f ms/iter median | "
           "%.0f tokens/s\n",
           r->o.iters, total_ms / 1e3, r->first_loss, r->last_loss, r->val_loss, ms_med, tok_s);
    printf("memory: peak rss %.1f MiB | arena high-water %.2f MiB, reserved %.2f MiB | tape capacity %zu | "
           "heap allocations after warm-up %llu\n",
           MIB(sysmem_peak_rss_bytes()), MIB(as.high_water_bytes), MIB(as.reserved_bytes), r->tape.cap, late);
    GPTMinBytes mb = gpt_min_bytes(c);
    printf("theoretical minimum: %.1f MiB (parameters, gradients, AdamW moments %.1f MiB; activations kept "
           "for backward %.1f MiB) | peak rss / minimum %.2f\n",
           MIB(mb.total), MIB(mb.state), MIB(mb.activations), (double)sysmem_peak_rss_bytes() / mb.total);
    fflush(stdout);
}

static int train(Run *r)
{
    const TrainOptions *o = &r->o;
    const GPTConfig *c = &r->model.cfg;
    Rng rng;
    rng_seed(&rng, o->seed);
    if (r->rng_state)
        rng.s = r->rng_state;
    if (r->start)
        printf("train_full: resuming from %s after iteration %ld\n", o->resume, r->start);
    printf("train_full: %s, %d layers, %d heads, embd %d, ctx %d, batch %d, vocab %d, %zu params; "
           "%ld iterations; data %s (%zu %s); build %s\n",
           o->preset, c->layers, c->heads, c->embd, c->ctx, c->batch, c->vocab, r->model.n_params, o->iters,
           o->data ? o->data : "built-in", r->data.n, r->data.bpe ? "BPE tokens" : "chars", ENGINE_VARIANT);
    printf("train_full: matmul %s, %s kernels: %s\n", gemm_backend(), blas_kernels(), blas_reason());
    fflush(stdout);
    if (o->save_init && save_checkpoint(r, &rng, r->start, "--save-init", o->save_init) != 0)
        return 1;
    FILE *losses = NULL;
    if (o->losses && !(losses = fopen(o->losses, "w"))) {
        fprintf(stderr, "train_full: --losses %s: %s\n", o->losses, strerror(errno));
        return 1;
    }
    double t_start = now_ms();
    int rc = train_steps(r, &rng, losses);
    double total_ms = now_ms() - t_start;
    if (losses && fclose(losses) != 0 && !rc) {
        fprintf(stderr, "train_full: --losses %s: write failed: %s\n", o->losses, strerror(errno));
        return 1;
    }
    if (rc)
        return rc;
    if (o->save && save_checkpoint(r, &rng, o->iters, "--save", o->save) != 0)
        return 1;
    if (o->save_llmc && save_llmc(r) != 0)
        return 1;
    EngErr err = evaluate(r, &r->val_loss);
    if (err) {
        fprintf(stderr, "train_full: evaluation failed: %s\n", eng_strerror(err));
        return 1;
    }
    if (o->sample > 0 && (err = sample_text(r, o->sample))) {
        fprintf(stderr, "train_full: sampling failed: %s\n", eng_strerror(err));
        return 1;
    }
    double ms_med = hist_median(&r->hist);
    double tok_s = ms_med > 0 ? (double)c->batch * c->ctx / (ms_med / 1e3) : 0.0;
    print_done(r, total_ms, ms_med, tok_s);
    if (o->summary && write_summary(r, ms_med, tok_s) != 0)
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    Run r;
    memset(&r, 0, sizeof r);
    char err[512];
    int pr = train_cli_parse(argc, argv, &r.o, err, sizeof err);
    if (pr == CLI_HELP) {
        train_cli_usage(stdout);
        return 0;
    }
    if (pr == CLI_ERROR) {
        fprintf(stderr, "train_full: %s\nTry 'train_full --help'.\n", err);
        return 2;
    }
    char blas_err[300];
    if (blas_select(argv, blas_err, sizeof blas_err) !=
        0) { /* may start the program again (app/blas_select.h) */
        fprintf(stderr, "train_full: %s\n", blas_err);
        return 2;
    }
    if (r.o.kernels) {
        printf("%s: %s\n", blas_kernels(), blas_reason());
        return 0;
    }
    const char *outputs[][2] = {{"--summary", r.o.summary},
                                {"--save", r.o.save},
                                {"--save-init", r.o.save_init},
                                {"--losses", r.o.losses},
                                {"--dump-grads", r.o.dump_grads}};
    for (size_t k = 0; k < sizeof outputs / sizeof outputs[0]; k++) {
        const char *path = outputs[k][1];
        if (!path)
            continue;
        struct stat st;
        const char *why = NULL;
        if (outfile_check(path) != 0)
            why = strerror(errno);
        else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            why = "it is a directory";
        if (why) {
            fprintf(stderr, "train_full: %s %s: cannot be written there (%s)\n", outputs[k][0], path, why);
            return 2;
        }
    }
    /* probes first, so that they see the data and the model being allocated; on bad input
     * their files are removed again */
    Probes probes;
    char perr[512];
    if (probes_open(&probes, r.o.events, r.o.samples, (uint64_t)r.o.sample_every, (uint64_t)r.o.iters,
                    ENGINE_VARIANT, perr, sizeof perr) != 0) {
        fprintf(stderr, "train_full: %s\n", perr);
        return 2;
    }
    int status = setup(&r);
    if (status == 0)
        status = train(&r);
    teardown(&r);
    par_shutdown();
    if (probes_close(&probes, perr, sizeof perr) != 0) {
        fprintf(stderr, "train_full: %s\n", perr);
        status = status ? status : 1;
    }
    if (status == 2) {
        if (r.o.events)
            unlink(r.o.events);
        if (r.o.samples)
            unlink(r.o.samples);
    }
    return status;
}
