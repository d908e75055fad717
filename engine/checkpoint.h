/* checkpoint.h - save and resume training: the model's parameters and AdamW state, the
 * step count, the batch generator's state and the vocabulary, in one versioned binary file
 * (docs/train_full.md). Resuming from a checkpoint written after step k continues with the
 * same losses as a run that never stopped.
 *
 * Owns nothing: ckpt_save writes from a GPT, ckpt_load fills a GPT it creates (the caller
 * destroys it) and is safe on arbitrary bytes (fuzzed). */
#ifndef ENGINE_CHECKPOINT_H
#define ENGINE_CHECKPOINT_H

#include <stdint.h>
#include <stdio.h>

#include "gpt.h"

#define CKPT_MAGIC "FMCKPT1"
#define CKPT_VERSION 1u

typedef struct CkptMeta {
    uint64_t step; /* training iterations done */
    uint64_t rng_state; /* the batch generator's state after them */
    uint64_t seed;
    int vocab;
    uint8_t itos[256]; /* characters: the vocabulary, token id -> byte */
    uint32_t tokenizer; /* CKPT_TOKENIZER_CHAR or _BPE */
    uint64_t tokenizer_hash; /* BPE: bpe_hash of the tokenizer it was trained with */
} CkptMeta;

enum { CKPT_TOKENIZER_CHAR = 0, CKPT_TOKENIZER_BPE = 1 };

/* Writes the checkpoint to f (the caller writes to a temporary file and renames).
 * ENG_EIO on a write error. */
EngErr ckpt_save(FILE *f, const GPT *m, const CkptMeta *meta);

/* Reads a checkpoint: creates *m (config from the file) and fills it and *meta. On any
 * error nothing is left allocated and *why says what is wrong (not a checkpoint, newer
 * version, truncated, corrupt, bad configuration). ENG_EDATA, ENG_ENOMEM or ENG_EIO. */
EngErr ckpt_load(FILE *f, GPT *m, CkptMeta *meta, const char **why);

#endif
