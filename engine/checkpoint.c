#include "checkpoint.h"

#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "le.h"

/* Layout (little-endian), version 1:
 *   char magic[8] "FMCKPT1\0"; u32 version; u32 header_bytes (352)
 *   i32 layers, heads, embd, ctx, batch, vocab
 *   u64 n_params, step, rng_state, seed, optimizer steps
 *   u8 itos[256]
 *   u32 tokenizer (0 characters, 1 BPE), u64 tokenizer hash (BPE: bpe_hash), u32 0: in what
 *   were 16 zero bytes, so files written before the BPE tokenizer read as characters
 *   f32 params[n_params], adam_m[n_params], adam_v[n_params]
 *   u64 checksum (FNV-1a 64 of every byte before it) */
#define HEADER_BYTES 352u

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001B3ull;
    return h;
}
#define FNV_START 0xCBF29CE484222325ull

static void header(unsigned char *h, const GPT *m, const CkptMeta *meta)
{
    memset(h, 0, HEADER_BYTES);
    memcpy(h, CKPT_MAGIC, 8);
    le_put32(h + 8, CKPT_VERSION);
    le_put32(h + 12, HEADER_BYTES);
    const int cfg[6] = {m->cfg.layers, m->cfg.heads, m->cfg.embd, m->cfg.ctx, m->cfg.batch, m->cfg.vocab};
    for (int i = 0; i < 6; i++)
        le_put32(h + 16 + 4 * i, (uint32_t)cfg[i]);
    le_put64(h + 40, m->n_params);
    le_put64(h + 48, meta->step);
    le_put64(h + 56, meta->rng_state);
    le_put64(h + 64, meta->seed);
    le_put64(h + 72, (uint64_t)m->steps);
    memcpy(h + 80, meta->itos, 256);
    le_put32(h + 336, meta->tokenizer);
    le_put64(h + 340, meta->tokenizer_hash);
}

EngErr ckpt_save(FILE *f, const GPT *m, const CkptMeta *meta)
{
    unsigned char h[HEADER_BYTES];
    fault_checkpoint_save(fileno(f)); /* fd_leak */
    header(h, m, meta);
    uint64_t sum = fnv(FNV_START, h, sizeof h);
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    const float *blocks[3] = {m->params, m->m, m->v};
    size_t bytes = m->n_params * sizeof(float);
    for (int b = 0; b < 3 && ok; b++) {
        /* floats are written as they are in memory: little-endian IEEE on the machines
         * this project runs on (x86-64) */
        ok = fwrite(blocks[b], 1, bytes, f) == bytes;
        sum = fnv(sum, blocks[b], bytes);
    }
    unsigned char tail[8];
    le_put64(tail, sum);
    ok = ok && fwrite(tail, 1, 8, f) == 8;
    return ok ? ENG_OK : ENG_EIO;
}

/* The header h (got bytes of it) checked: its magic, version, size and configuration, whose
 * parameter count is n. ENG_OK with *c, or ENG_EDATA with the reason. */
static EngErr header_check(const unsigned char *h, size_t got, GPTConfig *c, uint64_t *n, const char **why)
{
    if (got < 8 || memcmp(h, CKPT_MAGIC, 8) != 0) {
        *why = "is not a checkpoint (bad magic)";
        return ENG_EDATA;
    }
    if (got < 16) {
        *why = "is truncated (inside the header)";
        return ENG_EDATA;
    }
    if (le_get32(h + 8) > CKPT_VERSION) {
        *why = "was written by a newer checkpoint format version";
        return ENG_EDATA;
    }
    if (le_get32(h + 8) != CKPT_VERSION || le_get32(h + 12) != HEADER_BYTES) {
        *why = "has a corrupt header (unknown version or header size)";
        return ENG_EDATA;
    }
    if (got < HEADER_BYTES) {
        *why = "is truncated (inside the header)";
        return ENG_EDATA;
    }
    int32_t v[6];
    for (int i = 0; i < 6; i++)
        v[i] = (int32_t)le_get32(h + 16 + 4 * i);
    *c = (GPTConfig){.layers = v[0], .heads = v[1], .embd = v[2], .ctx = v[3], .batch = v[4], .vocab = v[5]};
    if (gpt_config_check(c) != ENG_OK || c->layers > 1024 || c->embd > 65536 || c->ctx > 65536 ||
        c->batch > 65536) {
        *why = "holds an impossible model configuration";
        return ENG_EDATA;
    }
    *n = le_get64(h + 40);
    if (*n != gpt_param_count(c)) {
        *why = "is corrupt (parameter count does not match its configuration)";
        return ENG_EDATA;
    }
    return ENG_OK;
}

/* The file's size matches a checkpoint of n parameters: checked before anything is
 * allocated, so that a lying header cannot make the reader ask for gigabytes. */
static EngErr size_check(FILE *f, uint64_t n, const char **why)
{
    long here = ftell(f);
    if (here < 0 || fseek(f, 0, SEEK_END) != 0)
        return ENG_OK; /* not seekable (a pipe): the reads below find a short file */
    long end = ftell(f);
    if (end < 0 || fseek(f, here, SEEK_SET) != 0) {
        *why = "cannot be read";
        return ENG_EIO;
    }
    unsigned long long want = (unsigned long long)HEADER_BYTES + 3ull * n * sizeof(float) + 8ull;
    if ((unsigned long long)end != want) {
        *why = (unsigned long long)end < want ? "is truncated" : "has trailing bytes (corrupt)";
        return ENG_EDATA;
    }
    return ENG_OK;
}

/* The parameters and both AdamW moments of m (n each), then the checksum over them and the
 * header h. ENG_OK, or ENG_EDATA with the reason. */
static EngErr blocks_read(FILE *f, GPT *m, uint64_t n, const unsigned char *h, const char **why)
{
    uint64_t sum = fnv(FNV_START, h, HEADER_BYTES);
    float *blocks[3] = {m->params, m->m, m->v};
    size_t bytes = (size_t)n * sizeof(float);
    for (int b = 0; b < 3; b++) {
        if (fread(blocks[b], 1, bytes, f) != bytes) {
            *why = "is truncated";
            return ENG_EDATA;
        }
        sum = fnv(sum, blocks[b], bytes);
    }
    unsigned char tail[8];
    if (fread(tail, 1, 8, f) != 8 || le_get64(tail) != sum) {
        *why = "is corrupt (checksum mismatch)";
        return ENG_EDATA;
    }
    return ENG_OK;
}

/* What the header says of the run beside the model: step, generator, seed, tokenizer. */
static EngErr meta_read(const unsigned char *h, const GPTConfig *c, GPT *m, CkptMeta *meta, const char **why)
{
    meta->step = le_get64(h + 48);
    meta->rng_state = le_get64(h + 56);
    meta->seed = le_get64(h + 64);
    uint64_t opt_steps = le_get64(h + 72);
    meta->vocab = c->vocab;
    memcpy(meta->itos, h + 80, 256);
    meta->tokenizer = le_get32(h + 336);
    meta->tokenizer_hash = le_get64(h + 340);
    if (meta->tokenizer > CKPT_TOKENIZER_BPE || (meta->tokenizer == CKPT_TOKENIZER_CHAR && c->vocab > 256)) {
        *why = "names an unknown tokenizer (corrupt)";
        return ENG_EDATA;
    }
    m->steps = opt_steps > 0x7fffffff ? 0x7fffffff : (int)opt_steps;
    return ENG_OK;
}

EngErr ckpt_load(FILE *f, GPT *m, CkptMeta *meta, const char **why)
{
    fault_checkpoint_load(); /* load_leak */
    memset(m, 0, sizeof *m);
    memset(meta, 0, sizeof *meta);
    unsigned char h[HEADER_BYTES];
    GPTConfig c;
    uint64_t n = 0;
    EngErr err = header_check(h, fread(h, 1, sizeof h, f), &c, &n, why);
    if (!err)
        err = size_check(f, n, why);
    if (err)
        return err;
    if ((err = gpt_create(m, &c, 0)) != ENG_OK) {
        *why = "could not be loaded: out of memory";
        return err;
    }
    err = blocks_read(f, m, n, h, why);
    if (!err)
        err = meta_read(h, &c, m, meta, why);
    if (err)
        gpt_destroy(m);
    return err;
}

/* ---- llm.c's format ------------------------------------------------------------------ */

int llmc_padded_vocab(int vocab)
{
    return (vocab + 127) / 128 * 128;
}

/* The tensors in llm.c's order: a global (wte, wpe, lnfw, lnfb), or per layer k. */
typedef struct LlmcTensor {
    int global; /* 1: GPT_WTE etc.; 0: GPT_PER_LAYER index, over every layer */
    int index;
} LlmcTensor;

static const LlmcTensor k_llmc_order[] = {
    {1, GPT_WTE},      {1, GPT_WPE},      {0, GPT_LN1_W}, {0, GPT_LN1_B}, {0, GPT_QKV_W}, {0, GPT_QKV_B},
    {0, GPT_PROJ_W},   {0, GPT_PROJ_B},   {0, GPT_LN2_W}, {0, GPT_LN2_B}, {0, GPT_FC_W},  {0, GPT_FC_B},
    {0, GPT_FCPROJ_W}, {0, GPT_FCPROJ_B}, {1, GPT_LNF_W}, {1, GPT_LNF_B},
};

EngErr ckpt_save_llmc(FILE *f, const GPT *m)
{
    const GPTConfig *c = &m->cfg;
    unsigned char h[LLMC_HEADER_INTS * 4];
    memset(h, 0, sizeof h);
    const int head[8] = {LLMC_MAGIC, LLMC_VERSION, c->ctx,  c->vocab,
                         c->layers,  c->heads,     c->embd, llmc_padded_vocab(c->vocab)};
    for (int i = 0; i < 8; i++)
        le_put32(h + 4 * i, (uint32_t)head[i]);
    int ok = fwrite(h, 1, sizeof h, f) == sizeof h;
    for (size_t t = 0; t < sizeof k_llmc_order / sizeof k_llmc_order[0] && ok; t++) {
        const LlmcTensor *o = &k_llmc_order[t];
        for (int l = 0; l < (o->global ? 1 : c->layers) && ok; l++) {
            const Tensor *x = &m->tensors[o->global ? o->index : GPT_GLOBALS + l * GPT_PER_LAYER + o->index];
            ok = fwrite(x->data, sizeof(float), x->numel, f) == x->numel;
        }
        if (o->global && o->index == GPT_WTE) { /* the padded rows */
            static const float zeros[256];
            size_t pad = (size_t)(llmc_padded_vocab(c->vocab) - c->vocab) * (size_t)c->embd;
            while (ok && pad) {
                size_t k = pad < 256 ? pad : 256;
                ok = fwrite(zeros, sizeof(float), k, f) == k;
                pad -= k;
            }
        }
    }
    return ok ? ENG_OK : ENG_EIO;
}

/* The header of an llm.c checkpoint, checked: the configuration in *c, the padded vocab. */
static EngErr llmc_header(FILE *f, GPTConfig *c, int *padded, const char **why)
{
    unsigned char h[LLMC_HEADER_INTS * 4];
    if (fread(h, 1, sizeof h, f) != sizeof h) {
        *why = "too short for llm.c's header (256 int32)";
        return ENG_EDATA;
    }
    if (le_get32(h) != LLMC_MAGIC) {
        *why = "not an llm.c checkpoint (its magic is not 20240326)";
        return ENG_EDATA;
    }
    if (le_get32(h + 4) != LLMC_VERSION) {
        *why = "an llm.c checkpoint of another version (this reads version 3: float32 parameters)";
        return ENG_EDATA;
    }
    int v[8];
    for (int i = 0; i < 8; i++)
        v[i] = (int)le_get32(h + 4 * i);
    *c = (GPTConfig){
        .ctx = v[2], .vocab = v[3], .layers = v[4], .heads = v[5], .embd = v[6], .batch = c->batch};
    *padded = v[7];
    if (gpt_config_check(c) != ENG_OK || *padded < c->vocab || *padded > (1 << 20)) {
        *why =
            "its configuration is one the engine cannot build (layers, heads dividing channels, a vocabulary "
            "of at most 65535, a padded vocabulary no smaller than it)";
        return ENG_EDATA;
    }
    return ENG_OK;
}

/* Reads n floats into dst, or skips them (dst NULL). */
static int read_floats(FILE *f, float *dst, size_t n)
{
    float buf[256];
    if (dst)
        return fread(dst, sizeof(float), n, f) == n;
    while (n) {
        size_t k = n < 256 ? n : 256;
        if (fread(buf, sizeof(float), k, f) != k)
            return 0;
        n -= k;
    }
    return 1;
}

EngErr ckpt_load_llmc(FILE *f, GPT *m, int batch, const char **why)
{
    GPTConfig c = {.batch = batch > 0 ? batch : 1};
    int padded;
    EngErr e = llmc_header(f, &c, &padded, why);
    if (e)
        return e;
    /* the size the header implies, against the file's (when it can be known): a damaged
     * header is refused before anything is allocated for it */
    long here = ftell(f);
    if (here >= 0 && fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        double want = (double)gpt_param_count(&c) + (double)(padded - c.vocab) * c.embd;
        if (fseek(f, here, SEEK_SET) != 0)
            return (*why = "cannot be read", ENG_EIO);
        if ((double)(end - here) != want * sizeof(float)) {
            *why = (double)(end - here) < want * sizeof(float)
                       ? "truncated: fewer parameters than its header says"
                       : "longer than its header says: not llm.c's float32 layout of this configuration";
            return ENG_EDATA;
        }
    }
    if ((e = gpt_create(m, &c, 1)) != ENG_OK) {
        *why = "out of memory for the model";
        return e;
    }
    int ok = 1;
    for (size_t t = 0; t < sizeof k_llmc_order / sizeof k_llmc_order[0] && ok; t++) {
        const LlmcTensor *o = &k_llmc_order[t];
        for (int l = 0; l < (o->global ? 1 : c.layers) && ok; l++) {
            Tensor *x = &m->tensors[o->global ? o->index : GPT_GLOBALS + l * GPT_PER_LAYER + o->index];
            ok = read_floats(f, x->data, x->numel);
        }
        if (ok && o->global && o->index == GPT_WTE)
            ok = read_floats(f, NULL, (size_t)(padded - c.vocab) * (size_t)c.embd);
    }
    if (!ok || fgetc(f) != EOF) {
        *why = ok ? "longer than its header says: not llm.c's float32 layout of this configuration"
                  : "truncated: fewer parameters than its header says";
        gpt_destroy(m);
        return ENG_EDATA;
    }
    memset(m->m, 0, m->n_params * sizeof(float));
    memset(m->v, 0, m->n_params * sizeof(float));
    return ENG_OK;
}
